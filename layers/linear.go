package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/gocnn/gocnn/autograd"
)

// The fully connected layer. Inputs are rows of features, (N, in); the
// weight is stored (out, in) like PyTorch's, so classifier weights from
// torchvision load unchanged.

// Linear is torch.nn.Linear: it maps (N, in) to (N, out) as x·Wᵀ + b.
//
// Parameters: weight of shape (out, in) and, if requested, bias of shape (out).
type Linear struct {
	Base
	Weight *autograd.Tensor
	Bias   *autograd.Tensor // nil without a bias
}

// NewLinear returns a fully connected layer from in to out features,
// initialised like PyTorch (ResetParameters) from rng. Pass WithBias or
// NoBias.
//
// A nil rng draws nothing: the weight and bias stay zero, for a caller that
// initialises them itself.
func NewLinear(rng *rand.Rand, in, out int, bias bool) *Linear {
	if in <= 0 || out <= 0 {
		panic(fmt.Sprintf("layers.NewLinear: cannot make a layer from %d to %d features", in, out))
	}
	l := &Linear{}
	l.Weight = l.AddParam("weight", autograd.Zeros(out, in))
	if bias {
		l.Bias = l.AddParam("bias", autograd.Zeros(out))
	}
	if rng != nil {
		l.ResetParameters(rng)
	}
	return l
}

// ResetParameters redraws the weight and bias with PyTorch's default
// (Linear.reset_parameters): weight U(−1/√in, 1/√in) (kaiming-uniform with
// a = √5), then the bias from the same range.
func (l *Linear) ResetParameters(rng *rand.Rand) { defaultInit(rng, l.Weight, l.Bias) }

// Forward applies the layer to x of shape (N, in).
func (l *Linear) Forward(x *autograd.Tensor) *autograd.Tensor {
	return autograd.Linear(x, l.Weight, l.Bias)
}
