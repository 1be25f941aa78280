package autograd

import (
	"fmt"

	"github.com/gocnn/gocnn/kernels"
)

// AddAct returns act(a + b) for a and b of the same shape, as one op with
// the bits of Activate(Add(a, b), act): a residual block's sum and the ReLU
// after it, in one pass (kernels.AddAct). act must be an activation whose
// derivative can be read from its result (ReLU or ReLU6, as for
// BatchNorm2dAct), so the sum is never kept: the graph holds one tensor
// where Add and Activate hold two.
//
// Backward: the sum's gradient, dOut·act'(result), goes to a and to b as
// Add's backward would send it: written as the first gradient of each, or
// added to the gradient it already has. When a's is written, it is made
// there directly and b's copied or added from it; otherwise it is made in a
// scratch buffer.
func AddAct(a, b *Tensor, act kernels.Act) *Tensor {
	if !ActGradFromResult(act) {
		panic(fmt.Sprintf("autograd.AddAct: %v's derivative cannot be read from its result; use Add and Activate", act))
	}
	if !sameShape(a.shape, b.shape) {
		panic(fmt.Sprintf("autograd.AddAct: shapes %v and %v differ", a.shape, b.shape))
	}
	out := newResult(a.shape, a, b)
	kernels.AddAct(act, a.data, b.data, out.data)
	if out.recording() {
		out.backward(func() {
			grad := func(dst []float32) { kernels.ActBackwardSet(act, out.data, out.data, out.grad, dst) }
			var sum []float32 // the sum's gradient, once made
			if a.needsGrad() {
				switch dst, add := a.gradTarget(); {
				case add:
					sum = alloc(len(out.data))
					defer release(sum)
					grad(sum)
					kernels.Axpy(dst, sum, 1)
				default:
					grad(dst)
					sum = dst
				}
			}
			if b.needsGrad() {
				dst, add := b.gradTarget()
				if sum == nil {
					sum = alloc(len(out.data))
					defer release(sum)
					grad(sum)
				}
				if add {
					kernels.Axpy(dst, sum, 1)
				} else {
					kernels.Copy(dst, sum)
				}
			}
		})
	}
	return out
}
