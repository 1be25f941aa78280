package autograd

import (
	"fmt"
	"math"
	"slices"

	"github.com/gocnn/gocnn/kernels"
)

// Reductions: Sum and Mean of all elements (0-dimensional results, like
// torch.sum(x) and torch.mean(x)), and SumAxes and MeanAxes over chosen
// dimensions (torch.sum(x, dim, keepdim)). Every sum is accumulated in
// float64 in an order that does not depend on the number of threads.
//
// Backward: each input element receives the gradient of the output element
// it was summed into (divided by the count for the means).

// Sum returns the sum of all elements of x as a 0-dimensional tensor.
func Sum(x *Tensor) *Tensor {
	out := newResult(nil, x)
	out.data[0] = float32(kernels.Sum(x.data))
	if out.recording() {
		out.backward(func() {
			g := x.gradBuf()
			kernels.AddScalar(g, g, out.grad[0])
		})
	}
	return out
}

// Mean returns the mean of all elements of x as a 0-dimensional tensor (NaN
// for an empty x, as in PyTorch).
func Mean(x *Tensor) *Tensor {
	out := newResult(nil, x)
	out.data[0] = float32(kernels.Mean(x.data))
	if out.recording() {
		out.backward(func() {
			g := x.gradBuf()
			kernels.AddScalar(g, g, out.grad[0]/float32(len(x.data)))
		})
	}
	return out
}

// SumAxes returns the sum of x over the given axes (negative axes count from
// the end; no axes means all of them). With keepdim the summed axes stay as
// size 1, so SumAxes(x, true, 2, 3) of a (N, C, H, W) tensor is (N, C, 1, 1);
// without it they are removed. It panics on an axis out of range or repeated.
func SumAxes(x *Tensor, keepdim bool, axes ...int) *Tensor {
	return reduceAxes("SumAxes", x, keepdim, false, axes)
}

// MeanAxes returns the mean of x over the given axes, with the same rules as
// SumAxes; MeanAxes(x, true, 2, 3) is global average pooling.
func MeanAxes(x *Tensor, keepdim bool, axes ...int) *Tensor {
	return reduceAxes("MeanAxes", x, keepdim, true, axes)
}

// reduceAxes sums (mean: averages) x over axes. The result's values are laid
// out as x's shape with 1 on the summed axes (keepShape); without keepdim
// only the shape drops those axes.
func reduceAxes(name string, x *Tensor, keepdim, mean bool, axes []int) *Tensor {
	nd := len(x.shape)
	summed := make([]bool, nd)
	if len(axes) == 0 {
		for i := range summed {
			summed[i] = true
		}
	}
	for _, a := range axes {
		if a < 0 {
			a += nd
		}
		if a < 0 || a >= nd || summed[a] {
			panic(fmt.Sprintf("autograd.%s: axes %v are out of range or repeated for shape %v", name, axes, x.shape))
		}
		summed[a] = true
	}
	keepShape := slices.Clone(x.shape)
	var outShape []int
	count := 1
	for i, s := range summed {
		if s {
			count *= x.shape[i]
			keepShape[i] = 1
		} else {
			outShape = append(outShape, x.shape[i])
		}
	}
	if keepdim {
		outShape = keepShape
	}
	alpha := float32(1)
	if mean {
		alpha = 1 / float32(count)
	}
	out := newResult(outShape, x)
	clear(out.data)
	kernels.SumToShape(alpha, x.data, x.shape, nil, nil, out.data, keepShape)
	if mean && count == 0 { // the mean of nothing is NaN, as in PyTorch
		for i := range out.data {
			out.data[i] = float32(math.NaN())
		}
	}
	if out.recording() {
		out.backward(func() {
			g := x.gradBuf()
			if !mean {
				kernels.Binary(kernels.OpAdd, g, x.shape, out.grad, keepShape, g)
				return
			}
			share := alloc(len(out.grad))
			for i, v := range out.grad {
				share[i] = v / float32(count)
			}
			kernels.Binary(kernels.OpAdd, g, x.shape, share, keepShape, g)
			release(share)
		})
	}
	return out
}
