package autograd

import (
	"fmt"

	"github.com/gocnn/gocnn/kernels"
)

// ConvSpec holds the options of a 2-D convolution, as (height, width) pairs.
// Zero values mean PyTorch's defaults: stride 1, padding 0, dilation 1 and
// one group, so ConvSpec{} is a plain unpadded convolution and
// ConvSpec{Padding: [2]int{1, 1}} a "same" 3×3 one.
type ConvSpec struct {
	Stride, Padding, Dilation [2]int
	Groups                    int
}

// params fills in the defaults and describes the convolution of x by w.
func (s ConvSpec) params(x, w *Tensor) kernels.ConvParams {
	orOne := func(v int) int {
		if v == 0 {
			return 1
		}
		return v
	}
	return kernels.ConvParams{
		N: x.shape[0], C: x.shape[1], H: x.shape[2], W: x.shape[3],
		K: w.shape[0], R: w.shape[2], S: w.shape[3],
		StrideH: orOne(s.Stride[0]), StrideW: orOne(s.Stride[1]),
		PadH: s.Padding[0], PadW: s.Padding[1],
		DilH: orOne(s.Dilation[0]), DilW: orOne(s.Dilation[1]),
		Groups: orOne(s.Groups),
	}
}

// Conv2d returns the 2-D convolution (cross-correlation, as in every deep
// learning framework) of x, shaped (N, C, H, W), with the weight w, shaped
// (K, C/groups, R, S), plus an optional bias of shape (K): PyTorch's
// nn.functional.conv2d. The result is (N, K, OH, OW); see kernels.ConvParams
// for the output size and kernels.ChooseConvAlgo for how it is computed.
//
// Backward: the kernels' backward-data, backward-filter and backward-bias
// functions add dL/dx, dL/dw and dL/dbias into the inputs' gradients. The
// scratch space each call needs comes from the buffer pool and goes back at
// once, so concurrent inference calls never share it.
func Conv2d(x, w, bias *Tensor, spec ConvSpec) *Tensor {
	if len(x.shape) != 4 || len(w.shape) != 4 {
		panic(fmt.Sprintf("autograd.Conv2d: input %v and weight %v must both have 4 dimensions (N, C, H, W) and (K, C/groups, R, S)", x.shape, w.shape))
	}
	p := spec.params(x, w)
	if w.shape[1]*p.Groups != p.C {
		panic(fmt.Sprintf("autograd.Conv2d: weight %v with %d groups expects %d input channels, input %v has %d", w.shape, p.Groups, w.shape[1]*p.Groups, x.shape, p.C))
	}
	if bias != nil && (len(bias.shape) != 1 || bias.shape[0] != p.K) {
		panic(fmt.Sprintf("autograd.Conv2d: bias %v does not fit weight %v (want (%d))", bias.shape, w.shape, p.K))
	}
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("autograd.Conv2d: input %v, weight %v, %+v: %v", x.shape, w.shape, spec, err))
	}
	out := newResult([]int{p.N, p.K, p.OutH(), p.OutW()}, x, w, bias)
	var biasData []float32
	if bias != nil {
		biasData = bias.data
	}
	ws := alloc(kernels.ConvWorkspaceSize(p))
	kernels.Conv2dForward(p, x.data, w.data, biasData, out.data, ws)
	release(ws)
	if out.recording() {
		out.backward(func() {
			if x.needsGrad() || w.needsGrad() {
				ws := alloc(kernels.ConvWorkspaceSize(p))
				if x.needsGrad() {
					if dx, add := x.gradTarget(); add {
						kernels.Conv2dBackwardData(p, out.grad, w.data, dx, ws)
					} else {
						kernels.Conv2dBackwardDataSet(p, out.grad, w.data, dx, ws)
					}
				}
				if w.needsGrad() {
					kernels.Conv2dBackwardFilter(p, x.data, out.grad, w.gradBuf(), ws)
				}
				release(ws)
			}
			if bias.needsGrad() {
				kernels.Conv2dBackwardBias(p, out.grad, bias.gradBuf())
			}
		})
	}
	return out
}
