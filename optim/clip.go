package optim

import (
	"math"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/kernels"
)

// normChunk is the fixed number of gradient elements whose squares are summed
// into one partial result; partials are added in order, so the norm has the
// same bits on any number of threads.
const normChunk = 1 << 14

// ClipGradNorm scales the gradients of params together so that their global
// L2 norm (over all elements of all gradients, accumulated in float64) is at
// most maxNorm, like torch.nn.utils.clip_grad_norm_: every gradient is
// multiplied by maxNorm/(norm + 1e-6) when that is below 1. Parameters
// without a gradient are ignored. It returns the norm before clipping; a
// non-finite norm is returned as is, and, as in PyTorch, the gradients are
// then scaled by 0 (infinite norm) or NaN (NaN norm).
func ClipGradNorm(params []*autograd.Tensor, maxNorm float64) float64 {
	total := 0.0
	for _, p := range params {
		if g := p.Grad(); g != nil {
			total += sumSquares(g)
		}
	}
	norm := math.Sqrt(total)
	coef := maxNorm / (norm + 1e-6)
	if !(coef < 1) && !math.IsNaN(coef) {
		return norm
	}
	scale := float32(coef)
	for _, p := range params {
		if g := p.Grad(); g != nil {
			elementwise(len(g), 1, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					g[i] *= scale
				}
			})
		}
	}
	return norm
}

// sumSquares returns Σ g[i]² in float64, summed in fixed chunks.
func sumSquares(g []float32) float64 {
	partial := make([]float64, (len(g)+normChunk-1)/normChunk)
	kernels.Parallel(len(g), normChunk, func(lo, hi int) {
		s := 0.0
		for _, v := range g[lo:hi] {
			s += float64(v) * float64(v)
		}
		partial[lo/normChunk] = s
	})
	total := 0.0
	for _, s := range partial {
		total += s
	}
	return total
}
