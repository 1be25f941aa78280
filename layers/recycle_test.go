package layers

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/kernels"
)

// Inference passes through Sequential and SqueezeExcitation give their
// intermediate results back to the buffer pool (Step). The results must be
// exactly those of a recorded pass, which releases nothing; the caller's
// input must survive; and a second pass must find its buffers in the pool.

// recycleNet is a Sequential with every kind of step a chaining module
// meets: fresh results (Conv2d, BatchNorm2d, activations, Linear), a module
// that chains others itself (SqueezeExcitation, a nested Sequential), and
// modules that return their input or a view of it (Identity, Dropout in
// evaluation mode, Flatten), first, in the middle and last. It is in
// evaluation mode, with running statistics that are not the identity.
func recycleNet() *Sequential {
	rng := rand.New(rand.NewPCG(7, 7))
	bn := NewBatchNorm2d(4, BatchNormOpts{})
	for i := range 4 {
		bn.RunningMean.Data()[i] = float32(rng.NormFloat64())
		bn.RunningVar.Data()[i] = 0.5 + rng.Float32()
	}
	s := NewSequential(
		NewIdentity(),
		NewConv2d(rng, 3, 4, 3, ConvOpts{Padding: 1}),
		bn, NewReLU(), NewDropout(rng, 0.5),
		NewSqueezeExcitation(rng, 4, 2, kernels.ReLU, kernels.Sigmoid),
		NewSequential(NewIdentity(), NewConv2d(rng, 4, 4, 1, ConvOpts{Bias: WithBias}), NewHardswish()),
		NewFlatten(), NewIdentity(),
		NewLinear(rng, 4*6*6, 5, WithBias),
		NewDropout(rng, 0.5),
	)
	SetTraining(s, false)
	return s
}

// recycleInput returns an inference result (pooled storage, as a caller's
// own intermediate would be) of shape (2, 3, 6, 6) drawn from seed.
func recycleInput(seed uint64) *autograd.Tensor {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := autograd.Zeros(2, 3, 6, 6)
	for i := range x.Data() {
		x.Data()[i] = float32(rng.NormFloat64())
	}
	return autograd.Scale(autograd.NoGrad(x), 1)
}

func TestSequentialInferenceRecyclesSafely(t *testing.T) {
	s := recycleNet()
	xa, xb := recycleInput(1), recycleInput(2)
	a0, b0 := slices.Clone(xa.Data()), slices.Clone(xb.Data())
	// The reference: a recorded pass (the parameters require gradients)
	// keeps every result for a Backward that never comes.
	wantA := s.Forward(autograd.New(slices.Clone(a0), xa.Shape()...)).Data()
	wantB := s.Forward(autograd.New(slices.Clone(b0), xb.Shape()...)).Data()
	// Back to back and interleaved, holding some results while later passes
	// reuse the pool.
	ga := s.Forward(xa)
	gb := s.Forward(xb)
	for i, c := range []struct {
		got  *autograd.Tensor
		want []float32
	}{{ga, wantA}, {gb, wantB}, {s.Forward(xa), wantA}, {s.Forward(xb), wantB}, {s.Forward(xb), wantB}, {s.Forward(xa), wantA}} {
		if !slices.Equal(c.got.Data(), c.want) {
			t.Errorf("inference pass %d: %v, want %v", i, c.got.Data(), c.want)
		}
		autograd.Release(c.got)
	}
	if !slices.Equal(xa.Data(), a0) || !slices.Equal(xb.Data(), b0) {
		t.Error("the passes changed their inputs")
	}
	// Each module run by hand on an input the test holds leaves it alone.
	var held []*autograd.Tensor
	var values [][]float32
	h := xa
	for _, c := range Children(s) {
		held, values = append(held, h), append(values, slices.Clone(h.Data()))
		h = c.Module.Forward(h)
	}
	autograd.Release(s.Forward(xb)) // churn the pool
	if !slices.Equal(h.Data(), wantA) {
		t.Errorf("by hand: %v, want %v", h.Data(), wantA)
	}
	for i, in := range held {
		if !slices.Equal(in.Data(), values[i]) {
			t.Errorf("the input of module %d changed", i)
		}
	}
}

// A Sequential of modules that only pass their input on (or view it) returns
// the caller's storage and must release none of it.
func TestSequentialOfViewsKeepsItsInput(t *testing.T) {
	x := recycleInput(3)
	want := slices.Clone(x.Data())
	s := NewSequential(NewIdentity(), NewFlatten(), NewDropout(rand.New(rand.NewPCG(1, 2)), 0.5), NewIdentity())
	SetTraining(s, false)
	out := s.Forward(x)
	autograd.Release(recycleNet().Forward(recycleInput(4))) // churn the pool
	if !slices.Equal(out.Data(), want) || !slices.Equal(x.Data(), want) {
		t.Error("the input or the view returned changed")
	}
}

func TestSequentialInferenceReusesBuffers(t *testing.T) {
	s := recycleNet()
	x := recycleInput(5)
	autograd.Release(s.Forward(x)) // warm-up: the pool learns the sizes
	before := autograd.Stats()
	autograd.Release(s.Forward(x))
	after := autograd.Stats()
	if fresh, reused := after.Fresh-before.Fresh, after.Reused-before.Reused; fresh != 0 || reused < 10 {
		t.Errorf("second pass: %d fresh buffers and %d reused, want 0 fresh and at least 10 reused", fresh, reused)
	}
}
