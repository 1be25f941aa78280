package autograd

import "github.com/gocnn/gocnn/kernels"

// Element-wise activations as differentiable ops. Each result has its input's
// shape; the work is kernels.ActForward and kernels.ActBackward, which follow
// PyTorch's gradient conventions at the kinks (ReLU'(0) = 0, ReLU6'(6) = 0,
// Hardswish'(−3) = −0.5, Hardswish'(3) = 1 as in PyTorch's vectorised CPU
// loop; see kernels/activation.go).

// Activate returns f(x) element by element for the activation a.
//
// Backward: dX += dOut·f'(x) (written, not added, as x's first gradient).
// The kernel reads the input x and the result
// (Sigmoid and Tanh take their derivative from the result), both of which the
// graph keeps alive until this op's backward has run, so no scratch is held.
func Activate(x *Tensor, a kernels.Act) *Tensor {
	out := newResult(x.shape, x)
	kernels.ActForward(a, x.data, out.data)
	if out.recording() {
		out.backward(func() {
			if dx, add := x.gradTarget(); add {
				kernels.ActBackward(a, x.data, out.data, out.grad, dx)
			} else {
				kernels.ActBackwardSet(a, x.data, out.data, out.grad, dx)
			}
		})
	}
	return out
}

// ReLU returns max(x, 0).
func ReLU(x *Tensor) *Tensor { return Activate(x, kernels.ReLU) }

// ReLU6 returns min(max(x, 0), 6).
func ReLU6(x *Tensor) *Tensor { return Activate(x, kernels.ReLU6) }

// Hardswish returns x·ReLU6(x+3)/6 (MobileNetV3's activation).
func Hardswish(x *Tensor) *Tensor { return Activate(x, kernels.Hardswish) }

// Hardsigmoid returns ReLU6(x+3)/6 (MobileNetV3's squeeze-excitation gate).
func Hardsigmoid(x *Tensor) *Tensor { return Activate(x, kernels.Hardsigmoid) }

// SiLU returns x·σ(x) (EfficientNet's activation, also called swish).
func SiLU(x *Tensor) *Tensor { return Activate(x, kernels.SiLU) }

// Sigmoid returns 1/(1+e^(−x)).
func Sigmoid(x *Tensor) *Tensor { return Activate(x, kernels.Sigmoid) }

// Tanh returns tanh(x).
func Tanh(x *Tensor) *Tensor { return Activate(x, kernels.Tanh) }

// GELU returns x·Φ(x) with the exact normal CDF Φ, PyTorch's default GELU
// (for approximate="tanh" use Activate(x, kernels.GELUTanh)).
func GELU(x *Tensor) *Tensor { return Activate(x, kernels.GELU) }
