package layers

import (
	"math/rand/v2"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/kernels"
)

// Squeeze-and-excitation (Hu et al., 2018), as torchvision.ops.SqueezeExcitation
// builds it for MobileNetV3 and EfficientNet: each image's channels are
// averaged to one value each (N, C, 1, 1), squeezed through a 1×1
// convolution to fewer channels, activated, expanded back to C channels and
// squashed into per-channel scales, which multiply the input (broadcast over
// H and W).

// SqueezeExcitation is torchvision.ops.SqueezeExcitation. Its children are
// registered in torchvision's order and names: avgpool, fc1, fc2, activation,
// scale_activation, so the state dict keys are fc1.weight, fc1.bias,
// fc2.weight and fc2.bias.
type SqueezeExcitation struct {
	Base
	AvgPool         *AdaptiveAvgPool2d
	FC1, FC2        *Conv2d
	Activation      *Activation
	ScaleActivation *Activation
}

// NewSqueezeExcitation returns the block for in channels squeezed to squeeze
// channels. torchvision's defaults are act = kernels.ReLU and scale =
// kernels.Sigmoid; MobileNetV3 uses kernels.Hardsigmoid for scale and
// EfficientNet kernels.SiLU for act. fc1 and fc2 are drawn from rng as
// NewConv2d draws them (a nil rng leaves them zero).
func NewSqueezeExcitation(rng *rand.Rand, in, squeeze int, act, scale kernels.Act) *SqueezeExcitation {
	s := &SqueezeExcitation{}
	s.AvgPool = Add(&s.Base, "avgpool", NewAdaptiveAvgPool2d(1, 1))
	s.FC1 = Add(&s.Base, "fc1", NewConv2d(rng, in, squeeze, 1, ConvOpts{Bias: WithBias}))
	s.FC2 = Add(&s.Base, "fc2", NewConv2d(rng, squeeze, in, 1, ConvOpts{Bias: WithBias}))
	s.Activation = Add(&s.Base, "activation", NewActivation(act))
	s.ScaleActivation = Add(&s.Base, "scale_activation", NewActivation(scale))
	return s
}

// Forward rescales the channels of x of shape (N, C, H, W). In an inference
// pass the (N, C, 1, 1) intermediates go back to the buffer pool as they are
// read (see Step).
func (s *SqueezeExcitation) Forward(x *autograd.Tensor) *autograd.Tensor {
	scale := s.AvgPool.Forward(x)
	scale = Step(s.FC1, scale, x)
	scale = Step(s.Activation, scale, x)
	scale = Step(s.FC2, scale, x)
	scale = Step(s.ScaleActivation, scale, x)
	out := autograd.Mul(x, scale)
	autograd.ReleaseIntermediate(scale, x, out)
	return out
}
