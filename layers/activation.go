package layers

import (
	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/kernels"
)

// Activation modules: element-wise functions with no parameters, so their
// only mark on a model is the index they take in a Sequential. One type
// covers them all; the constructors name the function as torch.nn does.

// Activation applies an element-wise function (kernels.Act) to its input,
// whatever its shape.
type Activation struct {
	Base
	Fn kernels.Act
}

// NewActivation returns the module applying fn.
func NewActivation(fn kernels.Act) *Activation { return &Activation{Fn: fn} }

// NewReLU returns torch.nn.ReLU: max(x, 0).
func NewReLU() *Activation { return NewActivation(kernels.ReLU) }

// NewReLU6 returns torch.nn.ReLU6: min(max(x, 0), 6).
func NewReLU6() *Activation { return NewActivation(kernels.ReLU6) }

// NewHardswish returns torch.nn.Hardswish: x·ReLU6(x+3)/6.
func NewHardswish() *Activation { return NewActivation(kernels.Hardswish) }

// NewHardsigmoid returns torch.nn.Hardsigmoid: ReLU6(x+3)/6.
func NewHardsigmoid() *Activation { return NewActivation(kernels.Hardsigmoid) }

// NewSiLU returns torch.nn.SiLU: x·σ(x).
func NewSiLU() *Activation { return NewActivation(kernels.SiLU) }

// NewSigmoid returns torch.nn.Sigmoid: 1/(1+e^(−x)).
func NewSigmoid() *Activation { return NewActivation(kernels.Sigmoid) }

// NewTanh returns torch.nn.Tanh.
func NewTanh() *Activation { return NewActivation(kernels.Tanh) }

// NewGELU returns torch.nn.GELU with the exact normal CDF.
func NewGELU() *Activation { return NewActivation(kernels.GELU) }

// Forward applies the function to every element of x.
func (a *Activation) Forward(x *autograd.Tensor) *autograd.Tensor {
	return autograd.Activate(x, a.Fn)
}
