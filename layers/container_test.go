package layers

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gocnn/gocnn/autograd"
)

func TestSequentialNamesAndIndexing(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	inner := NewSequential(NewLinear(rng, 3, 3, NoBias))
	s := NewSequential(NewLinear(rng, 2, 3, WithBias), NewReLU())
	s.Append(inner).Append(NewIdentity())
	var names []string
	for _, p := range Parameters(s) {
		names = append(names, p.Name)
	}
	if want := []string{"0.weight", "0.bias", "2.0.weight"}; !slices.Equal(names, want) {
		t.Errorf("parameter names %v, want %v", names, want)
	}
	var mods []string
	for _, m := range Modules(s) {
		mods = append(mods, m.Name)
	}
	if want := []string{"", "0", "1", "2", "2.0", "3"}; !slices.Equal(mods, want) {
		t.Errorf("module names %v, want %v", mods, want)
	}
	if s.Len() != 4 || s.At(2) != Module(inner) || s.At(-2) != Module(inner) {
		t.Errorf("Len %d, At(2) %T, At(-2) %T", s.Len(), s.At(2), s.At(-2))
	}
	defer func() {
		if recover() == nil {
			t.Error("At(4) on 4 modules did not panic")
		}
	}()
	s.At(4)
}

// Forward chains the modules: Linear, ReLU, Flatten and Identity by hand give
// the same numbers.
func TestSequentialForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	lin := NewLinear(rng, 4, 3, WithBias)
	s := NewSequential(NewFlatten(), lin, NewReLU(), NewIdentity())
	x := autograd.New([]float32{1, -2, 3, 0.5, -1, 0, 2, 2}, 2, 2, 2) // flattens to (2, 4)
	got := s.Forward(x)
	if !slices.Equal(got.Shape(), []int{2, 3}) {
		t.Fatalf("output shape %v, want [2 3]", got.Shape())
	}
	w, b := lin.Weight.Data(), lin.Bias.Data()
	for i := range 2 {
		for j := range 3 {
			v := b[j]
			for k := range 4 {
				v += x.Data()[4*i+k] * w[4*j+k]
			}
			if want := max(v, 0); abs(got.Data()[3*i+j]-want) > 1e-6 {
				t.Errorf("out[%d][%d] = %v, want %v", i, j, got.Data()[3*i+j], want)
			}
		}
	}
}

func abs(v float32) float32 { return max(v, -v) }

// SetTraining reaches nested modules, and BatchNorm2d follows the mode:
// training normalises with the batch and counts it, evaluation uses and keeps
// the running statistics.
func TestBatchNormModes(t *testing.T) {
	bn := NewBatchNorm2d(2, BatchNormOpts{Cumulative: true})
	m := NewSequential(NewSequential(bn))
	x := autograd.New([]float32{1, 2, 3, 4, 10, 20, 30, 40}, 1, 2, 2, 2)

	out := m.Forward(x).Data()
	for c := range 2 {
		var mean float32
		for _, v := range out[4*c : 4*c+4] {
			mean += v / 4
		}
		if abs(mean) > 1e-6 {
			t.Errorf("training output of channel %d has mean %v, want 0", c, mean)
		}
	}
	// Cumulative momentum: after one batch the running stats are that batch's.
	if got := bn.RunningMean.Data(); !slices.Equal(got, []float32{2.5, 25}) {
		t.Errorf("running_mean %v, want [2.5 25]", got)
	}
	if got := bn.NumBatchesTracked.Data()[0]; got != 1 {
		t.Errorf("num_batches_tracked %v, want 1", got)
	}

	SetTraining(m, false)
	if bn.Training() {
		t.Fatal("SetTraining(false) did not reach the nested BatchNorm2d")
	}
	runMean := slices.Clone(bn.RunningMean.Data())
	out = m.Forward(autograd.NoGrad(x)).Data()
	want := float32((1 - 2.5) / math.Sqrt(5.0/3)) // running_var holds the unbiased variance 5/3
	if abs(out[0]-want) > 1e-3 {
		t.Errorf("eval output %v, want %v from the running statistics", out[0], want)
	}
	if !slices.Equal(runMean, bn.RunningMean.Data()) || bn.NumBatchesTracked.Data()[0] != 1 {
		t.Error("an eval forward changed the running statistics")
	}
}

// TestSequentialFusesNormAndActivation checks which pairs run as one op
// (a BatchNorm2d and a ReLU or ReLU6 directly after it), and that a
// Sequential and Steps give the bits of the modules run one by one: the
// result, the input's and the parameters' gradients and the running
// statistics, in training and in evaluation.
func TestSequentialFusesNormAndActivation(t *testing.T) {
	bn := NewBatchNorm2d(3, BatchNormOpts{})
	for _, c := range []struct {
		m, next Module
		fused   bool
	}{{bn, NewReLU(), true}, {bn, NewReLU6(), true}, {bn, NewSiLU(), false}, {bn, NewHardswish(), false},
		{bn, nil, false}, {NewReLU(), bn, false}, {NewIdentity(), NewReLU(), false}} {
		if _, _, ok := fusedNorm(c.m, c.next); ok != c.fused {
			t.Errorf("fusedNorm(%T, %T) = %v, want %v", c.m, c.next, ok, c.fused)
		}
	}

	build := func() []Module {
		rng := rand.New(rand.NewPCG(5, 5))
		bn1, bn2 := NewBatchNorm2d(4, BatchNormOpts{}), NewBatchNorm2d(4, BatchNormOpts{})
		for _, b := range []*BatchNorm2d{bn1, bn2} {
			for i := range 4 {
				b.Weight.Data()[i] = float32(0.5 + rng.Float64())
				b.Bias.Data()[i] = float32(rng.Float64() - 0.5)
			}
		}
		return []Module{NewConv2d(rng, 2, 4, 3, ConvOpts{Padding: 1}), bn1, NewReLU(), NewConv2d(rng, 4, 4, 1, ConvOpts{}), bn2, NewReLU6(), NewConv2d(rng, 4, 4, 1, ConvOpts{}), NewBatchNorm2d(4, BatchNormOpts{})}
	}
	for _, training := range []bool{true, false} {
		type outcome struct {
			out, dx []float32
			state   [][]float32
		}
		run := func(forward func(mods []Module, x *autograd.Tensor) *autograd.Tensor) outcome {
			mods := build()
			s := NewSequential(mods...)
			SetTraining(s, training)
			rng := rand.New(rand.NewPCG(6, 6))
			x := autograd.Zeros(3, 2, 5, 5).SetRequiresGrad(true)
			for i := range x.Data() {
				x.Data()[i] = float32(rng.NormFloat64())
			}
			out := forward(mods, x)
			o := outcome{out: slices.Clone(out.Data())} // Backward recycles the intermediate results
			autograd.Sum(autograd.Mul(out, out)).Backward()
			o.dx = x.Grad()
			for _, p := range Parameters(s) {
				o.state = append(o.state, p.Tensor.Grad())
			}
			for _, b := range Buffers(s) {
				o.state = append(o.state, b.Tensor.Data())
			}
			return o
		}
		oneByOne := run(func(mods []Module, x *autograd.Tensor) *autograd.Tensor {
			for _, m := range mods {
				x = m.Forward(x)
			}
			return x
		})
		for name, forward := range map[string]func(mods []Module, x *autograd.Tensor) *autograd.Tensor{
			"Sequential": func(mods []Module, x *autograd.Tensor) *autograd.Tensor { return NewSequential(mods...).Forward(x) },
			"Steps":      func(mods []Module, x *autograd.Tensor) *autograd.Tensor { return Steps(x, x, mods...) },
		} {
			got := run(forward)
			same := slices.Equal(got.out, oneByOne.out) && slices.Equal(got.dx, oneByOne.dx) && len(got.state) == len(oneByOne.state)
			for i := range got.state {
				same = same && slices.Equal(got.state[i], oneByOne.state[i])
			}
			if !same {
				t.Errorf("training %v: %s differs from the modules run one by one", training, name)
			}
		}
	}
}
