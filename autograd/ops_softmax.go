package autograd

import (
	"fmt"

	"github.com/gocnn/gocnn/kernels"
)

// Softmax and log-softmax over the last dimension of a 2-D tensor
// (N, classes): one row of logits per sample, each row normalised on its own
// with the row maximum subtracted first (see kernels/softmax.go), so large
// logits do not overflow.

func checkSoftmaxInput(op string, x *Tensor) (rows, cols int) {
	if len(x.shape) != 2 {
		panic(fmt.Sprintf("autograd.%s: want a 2-D input (N, classes), got shape %v", op, x.shape))
	}
	return x.shape[0], x.shape[1]
}

// Softmax returns e^x normalised to sum to 1 along each row of x (N, classes).
//
// Backward: dX += y·(dY − Σ_row dY·y), from the result y alone.
func Softmax(x *Tensor) *Tensor {
	rows, cols := checkSoftmaxInput("Softmax", x)
	out := newResult(x.shape, x)
	kernels.Softmax(rows, cols, x.data, out.data)
	if out.recording() {
		out.backward(func() {
			kernels.SoftmaxBackward(rows, cols, out.data, out.grad, x.gradBuf())
		})
	}
	return out
}

// LogSoftmax returns the logarithm of Softmax(x), computed directly as
// x − max − log Σ e^(x − max) along each row of x (N, classes).
//
// Backward: dX += dY − e^y·Σ_row dY, from the result y alone.
func LogSoftmax(x *Tensor) *Tensor {
	rows, cols := checkSoftmaxInput("LogSoftmax", x)
	out := newResult(x.shape, x)
	kernels.LogSoftmax(rows, cols, x.data, out.data)
	if out.recording() {
		out.backward(func() {
			kernels.LogSoftmaxBackward(rows, cols, out.data, out.grad, x.gradBuf())
		})
	}
	return out
}
