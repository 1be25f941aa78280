package autograd

import (
	"fmt"
	"math/rand/v2"

	"github.com/gocnn/gocnn/kernels"
)

// Random regularisers: Dropout (one coin per element) and StochasticDepth
// (one coin per sample, torchvision's "row" mode, used to drop whole residual
// branches in EfficientNet).
//
// Both are "inverted": in training the values that survive are scaled by
// 1/(1−p), so the expected output equals the input and evaluation needs no
// rescaling; outside training, or with p = 0, they return x itself. The
// random draws come from the caller's *rand.Rand in a fixed order (element
// by element, sample by sample), so the same seed gives the same masks.
//
// The mask is stored as the factor each element was multiplied by (0 or the
// scale) in a pooled buffer that the op holds until its backward has run;
// the backward multiplies the gradient by the same mask.

// Dropout zeroes each element of x with probability p and scales the others
// by 1/(1−p) when training (torch.nn.functional.dropout; p = 1 gives zeros).
// It panics if p is outside [0, 1], or if rng is nil when a mask is needed.
func Dropout(x *Tensor, p float64, training bool, rng *rand.Rand) *Tensor {
	checkDropProbability("Dropout", p)
	if !training || p == 0 {
		return x
	}
	if rng == nil {
		panic("autograd.Dropout: training with p > 0 needs a random source")
	}
	keep := 1 - p
	var scale float32 // PyTorch: 1/(1−p) in float, 1−p rounded first; 0 when p = 1
	if keep > 0 {
		scale = 1 / float32(keep)
	}
	mask := alloc(len(x.data))
	for i := range mask {
		if rng.Float64() < keep {
			mask[i] = scale
		} else {
			mask[i] = 0
		}
	}
	out := newResult(x.shape, x)
	kernels.Binary(kernels.OpMul, x.data, x.shape, mask, x.shape, out.data)
	if out.recording() {
		out.backward(func() { mulInto(out, x, mask, x.shape) })
	}
	out.hold(mask)
	return out
}

// StochasticDepth drops whole samples of x (first dimension) with
// probability p and scales the surviving samples by 1/(1−p) when training:
// torchvision.ops.stochastic_depth in "row" mode. With p = 1 every sample is
// dropped. It panics if p is outside [0, 1], x has no dimensions, or rng is
// nil when a mask is needed.
func StochasticDepth(x *Tensor, p float64, training bool, rng *rand.Rand) *Tensor {
	checkDropProbability("StochasticDepth", p)
	if len(x.shape) == 0 {
		panic("autograd.StochasticDepth: x needs a sample dimension, got a 0-dimensional tensor")
	}
	if !training || p == 0 {
		return x
	}
	if rng == nil {
		panic("autograd.StochasticDepth: training with p > 0 needs a random source")
	}
	survival := 1 - p
	scale := float32(1) // torchvision divides the float32 noise by the survival rate when it is > 0
	if survival > 0 {
		scale = 1 / float32(survival)
	}
	n := x.shape[0]
	maskShape := make([]int, len(x.shape)) // (N, 1, 1, …)
	for i := range maskShape {
		maskShape[i] = 1
	}
	maskShape[0] = n
	mask := alloc(n)
	for i := range mask {
		if rng.Float64() < survival {
			mask[i] = scale
		} else {
			mask[i] = 0
		}
	}
	out := newResult(x.shape, x)
	kernels.Binary(kernels.OpMul, x.data, x.shape, mask, maskShape, out.data)
	if out.recording() {
		out.backward(func() { mulInto(out, x, mask, maskShape) })
	}
	out.hold(mask)
	return out
}

func checkDropProbability(op string, p float64) {
	if !(p >= 0 && p <= 1) {
		panic(fmt.Sprintf("autograd.%s: drop probability %v is outside [0, 1]", op, p))
	}
}
