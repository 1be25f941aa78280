package layers

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"

	"github.com/gocnn/gocnn/autograd"
)

// Random modules: Dropout and StochasticDepth, active in training mode only.
// Each owns a PCG generator, seeded from the rand.Rand given to its
// constructor (so a model built from one seed is fully determined) and
// resettable with Reseed (so a resumed run draws the same masks as an
// uninterrupted one).

// Reseeder is a module that draws random numbers during Forward and can
// restart its generator from a seed. Reseed reaches every Reseeder in a model.
type Reseeder interface {
	Reseed(seed uint64)
}

// Reseed restarts the generator of every Reseeder in m (m itself included)
// from seed. Each module gets its own stream, derived from seed and its
// dotted name alone, so two dropout layers draw independent masks and a
// module's masks do not depend on how many random modules precede it.
func Reseed(m Module, seed uint64) {
	for _, nm := range Modules(m) {
		if r, ok := nm.Module.(Reseeder); ok {
			h := fnv.New64a()
			h.Write([]byte(nm.Name))
			r.Reseed(rand.New(rand.NewPCG(seed, h.Sum64())).Uint64())
		}
	}
}

// randomState is the generator a random module owns.
type randomState struct {
	pcg *rand.PCG
	rng *rand.Rand
}

func newRandomState(rng *rand.Rand) randomState {
	pcg := rand.NewPCG(rng.Uint64(), rng.Uint64())
	return randomState{pcg, rand.New(pcg)}
}

// streamTag is the second PCG word a module's Reseed uses (the seed is the
// first). Any constant works as long as it never changes; this one is the
// 64-bit golden-ratio constant.
const streamTag = 0x9e3779b97f4a7c15

// Reseed restarts the generator from seed.
func (r *randomState) Reseed(seed uint64) { r.pcg.Seed(seed, streamTag) }

func checkProbability(op string, p float64) {
	if !(p >= 0 && p <= 1) {
		panic(fmt.Sprintf("layers.%s: probability %v is outside [0, 1]", op, p))
	}
}

// Dropout is torch.nn.Dropout: in training mode it zeroes each element with
// probability P and scales the rest by 1/(1−P); in evaluation mode it returns
// its input.
type Dropout struct {
	Base
	randomState
	P float64
}

// NewDropout returns dropout with probability p, its generator seeded from rng.
func NewDropout(rng *rand.Rand, p float64) *Dropout {
	checkProbability("NewDropout", p)
	return &Dropout{randomState: newRandomState(rng), P: p}
}

// Forward applies dropout to x (any shape).
func (d *Dropout) Forward(x *autograd.Tensor) *autograd.Tensor {
	return autograd.Dropout(x, d.P, d.Training(), d.rng)
}

// StochasticDepth is torchvision.ops.StochasticDepth in "row" mode: in
// training mode it drops each sample of the batch (a whole residual branch)
// with probability P and scales the survivors by 1/(1−P); in evaluation mode
// it returns its input.
type StochasticDepth struct {
	Base
	randomState
	P float64
}

// NewStochasticDepth returns stochastic depth with probability p, its
// generator seeded from rng.
func NewStochasticDepth(rng *rand.Rand, p float64) *StochasticDepth {
	checkProbability("NewStochasticDepth", p)
	return &StochasticDepth{randomState: newRandomState(rng), P: p}
}

// Forward applies stochastic depth to x of shape (N, …).
func (s *StochasticDepth) Forward(x *autograd.Tensor) *autograd.Tensor {
	return autograd.StochasticDepth(x, s.P, s.Training(), s.rng)
}
