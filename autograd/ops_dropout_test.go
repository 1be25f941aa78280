package autograd

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// Tests of Dropout and StochasticDepth: keep rates, exact scaling, per-sample
// masks, seeding, and gradients through the same mask.

func TestDropoutStatisticsAndScale(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	const n, p = 200_000, 0.45
	x := randTensor(rng, 0.5, 1.5, n) // no zeros, so a zero output means dropped
	out := Dropout(x, p, true, rand.New(rand.NewPCG(1, 1)))
	// PyTorch's scale at p = 0.45 (torch.nn.functional.dropout of ones):
	// 1/float32(0.55) in float32, one ulp below float32(1/0.55).
	scale := float32(1.8181817531585693)
	kept := 0
	for i, v := range out.Data() {
		switch v {
		case 0:
		case x.Data()[i] * scale:
			kept++
		default:
			t.Fatalf("element %d: %v is neither 0 nor x·%v = %v", i, v, scale, x.Data()[i]*scale)
		}
	}
	// The kept fraction has standard deviation √(p(1−p)/n) ≈ 0.0011: allow 5σ.
	if rate := float64(kept) / n; math.Abs(rate-(1-p)) > 5*math.Sqrt(p*(1-p)/n) {
		t.Errorf("kept %.4f of the elements, want %.2f", rate, 1-p)
	}
}

func TestDropoutIdentityAndExtremes(t *testing.T) {
	rng := rand.New(rand.NewPCG(53, 54))
	x := param(rng, 4, 5)
	if Dropout(x, 0.5, false, rng) != x || Dropout(x, 0, true, rng) != x {
		t.Error("Dropout in eval mode or with p = 0 should return x itself")
	}
	if StochasticDepth(x, 0.5, false, rng) != x || StochasticDepth(x, 0, true, rng) != x {
		t.Error("StochasticDepth in eval mode or with p = 0 should return x itself")
	}
	for name, out := range map[string]*Tensor{
		"Dropout":         Dropout(x, 1, true, rng),
		"StochasticDepth": StochasticDepth(x, 1, true, rng),
	} {
		if slices.ContainsFunc(out.Data(), func(v float32) bool { return v != 0 }) {
			t.Errorf("%s with p = 1: %v, want zeros", name, out.Data())
		}
		x.ZeroGrad()
		Sum(out).Backward()
		if slices.ContainsFunc(x.Grad(), func(v float32) bool { return v != 0 }) {
			t.Errorf("%s with p = 1: gradient %v, want zeros", name, x.Grad())
		}
	}
	for _, msg := range []string{
		panicMessage(func() { Dropout(x, 1.2, true, rng) }),
		panicMessage(func() { StochasticDepth(x, -0.1, true, rng) }),
	} {
		if !strings.Contains(msg, "outside [0, 1]") {
			t.Errorf("bad p: panic %q", msg)
		}
	}
	if msg := panicMessage(func() { Dropout(x, 0.5, true, nil) }); !strings.Contains(msg, "random source") {
		t.Errorf("nil rng: panic %q", msg)
	}
}

func TestStochasticDepthDropsWholeSamples(t *testing.T) {
	rng := rand.New(rand.NewPCG(55, 56))
	const n, p = 20_000, 0.2
	x := randTensor(rng, 0.5, 1.5, n, 3, 2)
	out := StochasticDepth(x, p, true, rand.New(rand.NewPCG(2, 2)))
	scale := 1 / float32(1-p) // torchvision divides float32 noise by the survival rate
	survived := 0
	for s := range n {
		in, o := x.Data()[s*6:(s+1)*6], out.Data()[s*6:(s+1)*6]
		if o[0] != 0 {
			survived++
		}
		for i := range o {
			if (o[0] == 0 && o[i] != 0) || (o[0] != 0 && o[i] != in[i]*scale) {
				t.Fatalf("sample %d: %v from %v is neither all dropped nor all scaled by %v", s, o, in, scale)
			}
		}
	}
	// Standard deviation √(0.16/n) ≈ 0.0028: allow 5σ.
	if rate := float64(survived) / n; math.Abs(rate-(1-p)) > 0.015 {
		t.Errorf("%.4f of the samples survived, want %.2f", rate, 1-p)
	}
}

func TestRandomMasksFollowTheSeed(t *testing.T) {
	x := randTensor(rand.New(rand.NewPCG(57, 58)), 1, 2, 64, 8)
	drop := func(seed uint64) []float32 { return Dropout(x, 0.5, true, rand.New(rand.NewPCG(seed, 0))).Data() }
	depth := func(seed uint64) []float32 {
		return StochasticDepth(x, 0.5, true, rand.New(rand.NewPCG(seed, 0))).Data()
	}
	if !slices.Equal(drop(7), drop(7)) || slices.Equal(drop(7), drop(8)) {
		t.Error("Dropout masks should repeat with the seed and change with it")
	}
	if !slices.Equal(depth(7), depth(7)) || slices.Equal(depth(7), depth(8)) {
		t.Error("StochasticDepth masks should repeat with the seed and change with it")
	}
}

// The gradient is the output gradient times the mask used in the forward
// pass: gradCheck replays the same seed for every evaluation.
func TestRandomMaskGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(59, 60))
	x := param(rng, 6, 2, 3, 3)
	gradCheck(t, "Dropout", func(in []*Tensor) *Tensor {
		return Dropout(in[0], 0.4, true, rand.New(rand.NewPCG(3, 3)))
	}, []*Tensor{x}, 1e-2, 1e-3)
	gradCheck(t, "StochasticDepth", func(in []*Tensor) *Tensor {
		return StochasticDepth(in[0], 0.5, true, rand.New(rand.NewPCG(4, 4)))
	}, []*Tensor{x}, 1e-2, 1e-3)

	// And directly: d(Σ out·r)/dx = r where kept (times the scale), 0 where dropped.
	x.ZeroGrad()
	out := Dropout(x, 0.5, true, rand.New(rand.NewPCG(5, 5))).Retain()
	r := randTensor(rng, -1, 1, x.Shape()...)
	Sum(Mul(out, r)).Backward()
	for i, g := range x.Grad() {
		want := float32(0)
		if out.Data()[i] != 0 {
			want = r.Data()[i] * 2
		}
		if g != want {
			t.Fatalf("element %d: gradient %v, want %v", i, g, want)
		}
	}
}

// Under NoGrad the mask goes straight back to the pool and nothing records.
func TestDropoutInference(t *testing.T) {
	x := NoGrad(randTensor(rand.New(rand.NewPCG(61, 62)), 1, 2, 10, 10))
	out := Dropout(x, 0.5, true, rand.New(rand.NewPCG(6, 6)))
	if out.RequiresGrad() || out.op != nil {
		t.Fatal("Dropout under NoGrad recorded an op")
	}
	Release(out)
}
