package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/gocnn/gocnn/autograd"
)

// Conv2d: the convolution module. Tensors are NCHW; the weight is
// (out, in/groups, kh, kw) as in PyTorch, so torchvision weights load as they
// are. The arithmetic is autograd.Conv2d's; this file holds the parameters,
// their initialisation and the options.

// Conv2d is torch.nn.Conv2d with square kernel, stride, padding and
// dilation: it maps (N, in, H, W) to (N, out, H', W') with
// H' = ⌊(H + 2·padding − dilation·(kernel−1) − 1)/stride⌋ + 1 (W' alike).
//
// Parameters: weight of shape (out, in/groups, kernel, kernel) and, if
// requested, bias of shape (out).
type Conv2d struct {
	Base
	Weight *autograd.Tensor
	Bias   *autograd.Tensor // nil without a bias
	Spec   autograd.ConvSpec
}

// WithBias and NoBias spell the bias choice where a bare bool would not
// read: layers.NewLinear(rng, 512, 10, layers.WithBias).
const (
	WithBias = true
	NoBias   = false
)

// ConvOpts configures a Conv2d. The zero value is stride 1, no padding,
// dilation 1, one group and no bias. Bias is off unless asked for (PyTorch's
// default is on) because the convolutions of these networks are followed by
// batch norm, which makes a bias redundant.
type ConvOpts struct {
	Stride   int  // 0 means 1
	Padding  int  // zero padding on every side
	Dilation int  // 0 means 1
	Groups   int  // 0 means 1; in and out must be multiples of it
	Bias     bool // WithBias adds a learned bias per output channel
}

// NewConv2d returns a convolution from in to out channels with a kernel×kernel
// window, initialised like PyTorch (ResetParameters) from rng.
//
// A nil rng draws nothing: the weight and bias stay zero, for a caller that
// initialises them itself (a model builder applying its own scheme, or one
// about to load a state dict), which saves drawing every value twice.
func NewConv2d(rng *rand.Rand, in, out, kernel int, opts ConvOpts) *Conv2d {
	groups := max(opts.Groups, 1)
	if in <= 0 || out <= 0 || kernel <= 0 || in%groups != 0 || out%groups != 0 {
		panic(fmt.Sprintf("layers.NewConv2d: cannot make a convolution from %d to %d channels with kernel %d and %d groups", in, out, kernel, groups))
	}
	c := &Conv2d{Spec: autograd.ConvSpec{
		Stride:   [2]int{max(opts.Stride, 1), max(opts.Stride, 1)},
		Padding:  [2]int{opts.Padding, opts.Padding},
		Dilation: [2]int{max(opts.Dilation, 1), max(opts.Dilation, 1)},
		Groups:   groups,
	}}
	c.Weight = c.AddParam("weight", autograd.Zeros(out, in/groups, kernel, kernel))
	if opts.Bias {
		c.Bias = c.AddParam("bias", autograd.Zeros(out))
	}
	if rng != nil {
		c.ResetParameters(rng)
	}
	return c
}

// ResetParameters redraws the weight and bias with PyTorch's default
// (Conv2d.reset_parameters): weight kaiming-uniform with a = √5, that is
// U(−1/√fan_in, 1/√fan_in), then the bias from the same range.
func (c *Conv2d) ResetParameters(rng *rand.Rand) { defaultInit(rng, c.Weight, c.Bias) }

// Forward convolves x of shape (N, in, H, W).
func (c *Conv2d) Forward(x *autograd.Tensor) *autograd.Tensor {
	return autograd.Conv2d(x, c.Weight, c.Bias, c.Spec)
}
