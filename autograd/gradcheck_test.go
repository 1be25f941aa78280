package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Helpers shared by the op tests: random tensors and a finite-difference
// gradient check.

// randTensor returns a leaf of the given shape with values uniform in [lo, hi).
func randTensor(rng *rand.Rand, lo, hi float32, shape ...int) *Tensor {
	t := Zeros(shape...)
	for i := range t.data {
		t.data[i] = lo + (hi-lo)*rng.Float32()
	}
	return t
}

// param returns a random leaf that requires a gradient.
func param(rng *rand.Rand, shape ...int) *Tensor {
	return randTensor(rng, -1, 1, shape...).SetRequiresGrad(true)
}

// weightedSum returns Σ out[i]·r[i] in float64, the scalar the gradient check
// differentiates (random weights make every output element matter).
func weightedSum(out []float32, r []float64) float64 {
	var s float64
	for i, v := range out {
		s += float64(v) * r[i]
	}
	return s
}

// gradCheck compares the gradients Backward computes for f at the inputs that
// require one with central finite differences of L = Σ f(inputs)·r for fixed
// random r. It checks at most maxPoints elements of each input (all if fewer).
// An analytic value a passes against the numeric n when
// |a − n| ≤ tol·(1 + |n|). Inputs must stay away from kinks by more than h.
func gradCheck(t *testing.T, name string, f func(in []*Tensor) *Tensor, inputs []*Tensor, h float32, tol float64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 11))
	for _, in := range inputs {
		in.ZeroGrad()
	}
	out := f(inputs)
	r := make([]float64, out.Numel())
	for i := range r {
		r[i] = rng.Float64()*2 - 1
	}
	weightedLoss(out, r).Backward()

	eval := func() float64 {
		noGrad := make([]*Tensor, len(inputs))
		for i, in := range inputs {
			noGrad[i] = NoGrad(in)
		}
		o := f(noGrad)
		s := weightedSum(o.Data(), r)
		Release(o)
		return s
	}
	const maxPoints = 48
	for k, in := range inputs {
		if !in.requiresGrad {
			continue
		}
		if in.grad == nil {
			t.Fatalf("%s: input %d got no gradient", name, k)
		}
		idx := rng.Perm(in.Numel())
		if len(idx) > maxPoints {
			idx = idx[:maxPoints]
		}
		for _, i := range idx {
			old := in.data[i]
			in.data[i] = old + h
			plus := eval()
			in.data[i] = old - h
			minus := eval()
			in.data[i] = old
			num := (plus - minus) / (2 * float64(h))
			ana := float64(in.grad[i])
			if math.Abs(ana-num) > tol*(1+math.Abs(num)) {
				t.Errorf("%s: d/d input%d[%d]: backward %.6g, finite difference %.6g", name, k, i, ana, num)
			}
		}
	}
}

// weightedLoss is the scalar Σ x[i]·r[i] as a recorded op, so gradCheck
// depends on no op other than the one under test.
func weightedLoss(x *Tensor, r []float64) *Tensor {
	out := newResult(nil, x)
	out.data[0] = float32(weightedSum(x.data, r))
	if out.recording() {
		out.backward(func() {
			g := x.gradBuf()
			for i := range g {
				g[i] += out.grad[0] * float32(r[i])
			}
		})
	}
	return out
}

func toF32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// closeSlices reports the first element where got and want differ by more
// than atol + rtol·|want|.
func closeSlices(got, want []float32, atol, rtol float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("length %d, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(g) != math.IsNaN(w) || math.Abs(g-w) > atol+rtol*math.Abs(w) {
			return fmt.Errorf("element %d: got %.7g, want %.7g", i, g, w)
		}
	}
	return nil
}
