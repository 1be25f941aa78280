package layers

import (
	"fmt"

	"github.com/gocnn/gocnn/autograd"
)

// Pooling modules over the spatial dimensions of NCHW tensors, each channel
// of each image on its own: max and average pooling with a square window, and
// adaptive average pooling to a fixed output size. They have no parameters;
// the arithmetic is autograd's.

// PoolOpts configures MaxPool2d and AvgPool2d. The zero value is PyTorch's
// default: stride equal to the window, no padding, floor rounding, and
// (average pooling) padding counted in the divisor.
type PoolOpts struct {
	Stride   int  // 0 means the window size
	Padding  int  // on every side; max pooling pads with −∞, average with 0
	CeilMode bool // round the output size up, as ceil_mode=True
	// CountExcludePad divides each average by the number of input pixels
	// under the window rather than the window size (count_include_pad=False).
	// Max pooling ignores it.
	CountExcludePad bool
}

func (o PoolOpts) spec(op string, kernel int) autograd.PoolSpec {
	if kernel <= 0 || o.Stride < 0 || o.Padding < 0 || 2*o.Padding > kernel {
		panic(fmt.Sprintf("layers.%s: window %d, stride %d, padding %d (padding may be at most half the window)", op, kernel, o.Stride, o.Padding))
	}
	stride := o.Stride
	if stride == 0 {
		stride = kernel
	}
	return autograd.PoolSpec{
		Kernel:          [2]int{kernel, kernel},
		Stride:          [2]int{stride, stride},
		Padding:         [2]int{o.Padding, o.Padding},
		CeilMode:        o.CeilMode,
		CountIncludePad: !o.CountExcludePad,
	}
}

// MaxPool2d is torch.nn.MaxPool2d with a square window.
type MaxPool2d struct {
	Base
	Spec autograd.PoolSpec
}

// NewMaxPool2d returns max pooling over kernel×kernel windows.
func NewMaxPool2d(kernel int, opts PoolOpts) *MaxPool2d {
	return &MaxPool2d{Spec: opts.spec("NewMaxPool2d", kernel)}
}

// Forward pools x of shape (N, C, H, W).
func (p *MaxPool2d) Forward(x *autograd.Tensor) *autograd.Tensor {
	return autograd.MaxPool2d(x, p.Spec)
}

// AvgPool2d is torch.nn.AvgPool2d with a square window.
type AvgPool2d struct {
	Base
	Spec autograd.PoolSpec
}

// NewAvgPool2d returns average pooling over kernel×kernel windows.
func NewAvgPool2d(kernel int, opts PoolOpts) *AvgPool2d {
	return &AvgPool2d{Spec: opts.spec("NewAvgPool2d", kernel)}
}

// Forward pools x of shape (N, C, H, W).
func (p *AvgPool2d) Forward(x *autograd.Tensor) *autograd.Tensor {
	return autograd.AvgPool2d(x, p.Spec)
}

// AdaptiveAvgPool2d is torch.nn.AdaptiveAvgPool2d: it averages (N, C, H, W)
// down to (N, C, OutH, OutW) whatever H and W are; output cell i covers input
// rows [⌊i·H/OutH⌋, ⌈(i+1)·H/OutH⌉) (columns alike). (1, 1) is global
// average pooling.
type AdaptiveAvgPool2d struct {
	Base
	OutH, OutW int
}

// NewAdaptiveAvgPool2d returns adaptive average pooling to outH×outW.
func NewAdaptiveAvgPool2d(outH, outW int) *AdaptiveAvgPool2d {
	if outH <= 0 || outW <= 0 {
		panic(fmt.Sprintf("layers.NewAdaptiveAvgPool2d: output size %d×%d", outH, outW))
	}
	return &AdaptiveAvgPool2d{OutH: outH, OutW: outW}
}

// Forward pools x of shape (N, C, H, W).
func (p *AdaptiveAvgPool2d) Forward(x *autograd.Tensor) *autograd.Tensor {
	return autograd.AdaptiveAvgPool2d(x, p.OutH, p.OutW)
}
