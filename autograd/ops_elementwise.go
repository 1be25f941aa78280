package autograd

import (
	"fmt"

	"github.com/gocnn/gocnn/kernels"
)

// Elementwise arithmetic: Add, Sub and Mul with NumPy/PyTorch broadcasting,
// and the scalar ops Scale, AddScalar and Neg.
//
// Broadcasting aligns the two shapes at their last dimension and repeats an
// operand along any dimension where it has size 1 or no dimension at all, so
// a (N, C, H, W) activation can be added to a (N, C, H, W) shortcut, scaled by
// a (N, C, 1, 1) squeeze-excitation gate, or shifted by a (1, C, 1, 1) bias.
//
// Backward: an operand that was repeated receives the sum of the gradient
// over the repeated dimensions (kernels.SumToShape); one that has the
// result's shape receives it element by element.

// Add returns a + b with broadcasting (torch.add).
func Add(a, b *Tensor) *Tensor { return broadcastOp("Add", kernels.OpAdd, a, b) }

// Sub returns a − b with broadcasting (torch.sub).
func Sub(a, b *Tensor) *Tensor { return broadcastOp("Sub", kernels.OpSub, a, b) }

// Mul returns the elementwise product a·b with broadcasting (torch.mul).
func Mul(a, b *Tensor) *Tensor { return broadcastOp("Mul", kernels.OpMul, a, b) }

// broadcastOp computes a op b and records its backward. It panics, naming
// both shapes, when they do not broadcast.
func broadcastOp(name string, op kernels.BinaryOp, a, b *Tensor) *Tensor {
	shape, ok := kernels.BroadcastShape(a.shape, b.shape)
	if !ok {
		panic(fmt.Sprintf("autograd.%s: shapes %v and %v do not broadcast", name, a.shape, b.shape))
	}
	out := newResult(shape, a, b)
	kernels.Binary(op, a.data, a.shape, b.data, b.shape, out.data)
	if out.recording() {
		out.backward(func() {
			switch op {
			case kernels.OpMul:
				mulGrad(out, a, b)
				mulGrad(out, b, a)
			case kernels.OpSub:
				addGrad(out, a, 1)
				addGrad(out, b, -1)
			default:
				addGrad(out, a, 1)
				addGrad(out, b, 1)
			}
		})
	}
	return out
}

// addGrad adds sign·(out's gradient) to t's gradient, summed over the
// dimensions along which t was repeated.
func addGrad(out, t *Tensor, sign float32) {
	if !t.needsGrad() {
		return
	}
	if len(t.data) == len(out.data) { // not repeated: same elements, same order
		switch dst, add := t.gradTarget(); {
		case add:
			kernels.Axpy(dst, out.grad, sign)
		case sign == 1: // the first gradient t receives (a residual branch's, say)
			kernels.Copy(dst, out.grad)
		default:
			kernels.Scale(dst, out.grad, sign)
		}
		return
	}
	kernels.SumToShape(sign, out.grad, out.shape, nil, nil, t.gradBuf(), t.shape)
}

// mulGrad adds (out's gradient)·other to t's gradient, where out = t·other,
// summed over the dimensions along which t was repeated.
func mulGrad(out, t, other *Tensor) {
	if !t.needsGrad() {
		return
	}
	if len(t.data) == len(out.data) {
		mulInto(out, t, other.data, other.shape)
		return
	}
	kernels.SumToShape(1, out.grad, out.shape, other.data, other.shape, t.gradBuf(), t.shape)
}

// mulInto adds (out's gradient)·v, v of shape vShape broadcast to out's, to
// the gradient of t, which has out's shape; the first gradient t receives
// is written, not added to zeros.
func mulInto(out, t *Tensor, v []float32, vShape []int) {
	op := kernels.OpMul
	dst, add := t.gradTarget()
	if add {
		op = kernels.OpMulAcc
	}
	kernels.Binary(op, out.grad, out.shape, v, vShape, dst)
}

// Scale returns s·x.
func Scale(x *Tensor, s float32) *Tensor {
	out := newResult(x.shape, x)
	kernels.Scale(out.data, x.data, s)
	if out.recording() {
		out.backward(func() { kernels.Axpy(x.gradBuf(), out.grad, s) })
	}
	return out
}

// AddScalar returns x + s.
func AddScalar(x *Tensor, s float32) *Tensor {
	out := newResult(x.shape, x)
	kernels.AddScalar(out.data, x.data, s)
	if out.recording() {
		out.backward(func() { kernels.Axpy(x.gradBuf(), out.grad, 1) })
	}
	return out
}

// Neg returns −x.
func Neg(x *Tensor) *Tensor { return Scale(x, -1) }
