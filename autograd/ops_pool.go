package autograd

import (
	"fmt"
	"unsafe"

	"github.com/gocnn/gocnn/kernels"
)

// PoolSpec holds the options of MaxPool2d and AvgPool2d, as (height, width)
// pairs. A zero Stride means the stride equals the kernel, PyTorch's default.
// CountIncludePad matters only to average pooling; note that PyTorch's
// nn.AvgPool2d defaults to count_include_pad=True, while the zero value here
// is false.
type PoolSpec struct {
	Kernel, Stride, Padding [2]int
	CeilMode                bool
	CountIncludePad         bool
}

// params describes the pooling of x, panicking with the op's name when x or
// the spec cannot be pooled.
func (s PoolSpec) params(op string, x *Tensor) kernels.PoolParams {
	if len(x.shape) != 4 {
		panic(fmt.Sprintf("autograd.%s: input %v must have 4 dimensions (N, C, H, W)", op, x.shape))
	}
	stride := s.Stride
	if stride == [2]int{} {
		stride = s.Kernel
	}
	p := kernels.PoolParams{
		N: x.shape[0], C: x.shape[1], H: x.shape[2], W: x.shape[3],
		KH: s.Kernel[0], KW: s.Kernel[1], StrideH: stride[0], StrideW: stride[1],
		PadH: s.Padding[0], PadW: s.Padding[1],
		CeilMode: s.CeilMode, CountIncludePad: s.CountIncludePad,
	}
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("autograd.%s: input %v, %+v: %v", op, x.shape, s, err))
	}
	return p
}

// MaxPool2d returns the maximum over each pooling window of x (N, C, H, W):
// PyTorch's nn.functional.max_pool2d with dilation 1. Padding counts as −∞.
//
// Backward: each output's gradient goes to the input position of its
// maximum, the first in the window's row-major scan when several are equal.
// Those positions are recorded during the forward pass, only when recording.
func MaxPool2d(x *Tensor, spec PoolSpec) *Tensor {
	p := spec.params("MaxPool2d", x)
	out := newResult([]int{p.N, p.C, p.OutH(), p.OutW()}, x)
	if !out.recording() {
		kernels.MaxPool2dForward(p, x.data, out.data, nil)
		return out
	}
	idxBuf := alloc(len(out.data))
	idx := int32View(idxBuf)
	out.hold(idxBuf)
	kernels.MaxPool2dForward(p, x.data, out.data, idx)
	out.backward(func() {
		if x.needsGrad() {
			kernels.MaxPool2dBackward(p, out.grad, idx, x.gradBuf())
		}
	})
	return out
}

// int32View reinterprets a pooled float32 buffer as int32s of the same
// length (both are 4 bytes), so the argmax indices of max pooling reuse
// memory from the buffer pool instead of a fresh allocation every step.
func int32View(buf []float32) []int32 {
	if len(buf) == 0 {
		return nil
	}
	return unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(buf))), len(buf))
}

// AvgPool2d returns the mean over each pooling window of x (N, C, H, W):
// PyTorch's nn.functional.avg_pool2d. The divisor follows ATen: with
// CountIncludePad, the window's size within the padded input; without, the
// number of real pixels in it.
//
// Backward: each output's gradient, divided the same way, is added to every
// input pixel of its window.
func AvgPool2d(x *Tensor, spec PoolSpec) *Tensor {
	p := spec.params("AvgPool2d", x)
	out := newResult([]int{p.N, p.C, p.OutH(), p.OutW()}, x)
	kernels.AvgPool2dForward(p, x.data, out.data)
	if out.recording() {
		out.backward(func() {
			if x.needsGrad() {
				kernels.AvgPool2dBackward(p, out.grad, x.gradBuf())
			}
		})
	}
	return out
}

// AdaptiveAvgPool2d averages x (N, C, H, W) down (or up) to (N, C, outH,
// outW): output row i averages input rows [⌊i·H/outH⌋, ⌈(i+1)·H/outH⌉), and
// likewise for columns, as PyTorch's nn.functional.adaptive_avg_pool2d.
// AdaptiveAvgPool2d(x, 1, 1) is global average pooling.
//
// Backward: each output's gradient, divided by its bin's size, is added to
// every input pixel of the bin.
func AdaptiveAvgPool2d(x *Tensor, outH, outW int) *Tensor {
	if len(x.shape) != 4 || outH < 1 || outW < 1 {
		panic(fmt.Sprintf("autograd.AdaptiveAvgPool2d: cannot pool input %v to %d×%d (want 4 dimensions and an output of at least 1×1)", x.shape, outH, outW))
	}
	p := kernels.AdaptiveParams{N: x.shape[0], C: x.shape[1], H: x.shape[2], W: x.shape[3], OutH: outH, OutW: outW}
	out := newResult([]int{p.N, p.C, outH, outW}, x)
	kernels.AdaptiveAvgPool2dForward(p, x.data, out.data)
	if out.recording() {
		out.backward(func() {
			if x.needsGrad() {
				if dx, add := x.gradTarget(); add {
					kernels.AdaptiveAvgPool2dBackward(p, out.grad, dx)
				} else {
					kernels.AdaptiveAvgPool2dBackwardSet(p, out.grad, dx)
				}
			}
		})
	}
	return out
}
