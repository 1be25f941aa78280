package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Tests of the activation kernels: PyTorch's values at the kinks, backward
// against float64 finite differences of forward elsewhere, and thread-count
// determinism.

// allActs lists every activation.
func allActs() []Act {
	var acts []Act
	for a := range numActs {
		acts = append(acts, a)
	}
	return acts
}

// TestActKinks checks forward and backward at the points where PyTorch's
// conventions matter, against values printed by PyTorch 1.13
// (y = f(x), dx = gradient of f(x).sum(); for Hardswish'(3), the value
// PyTorch's vectorised loop gives, see activation.go). The transcendental ones are
// compared within 3e-7 absolute plus one float32 ulp: PyTorch evaluates them in float32, where for
// negative x the 1 + erf(x/√2) (or 1 + tanh) of GELU cancels and loses about
// 2e-7, while these kernels evaluate in float64 and round once.
func TestActKinks(t *testing.T) {
	x := []float32{-3, -6, 0, 3, 6}
	cases := []struct {
		act    Act
		y, dx  []float32
		approx bool // transcendental: compare within 3e-7 + 1 ulp instead of exactly
	}{
		{ReLU, []float32{0, 0, 0, 3, 6}, []float32{0, 0, 0, 1, 1}, false},
		{ReLU6, []float32{0, 0, 0, 3, 6}, []float32{0, 0, 0, 1, 0}, false},
		{Hardswish, []float32{0, 0, 0, 3, 6}, []float32{-0.5, 0, 0.5, 1, 1}, false},
		{Hardsigmoid, []float32{0, 0, 0.5, 1, 1}, []float32{0, 0, 1.0 / 6, 0, 0}, false},
		{SiLU, []float32{-0.14227761, -0.014835739, 0, 2.8577225, 5.9851646}, []float32{-0.088104106, -0.012326431, 0.5, 1.0881041, 1.0123262}, true},
		{Sigmoid, []float32{0.047425874, 0.002472623, 0.5, 0.95257413, 0.9975274}, []float32{0.045176659, 0.0024665091, 0.25, 0.045176655, 0.0024664658}, true},
		{Tanh, []float32{-0.99505478, -0.99998772, 0, 0.99505478, 0.99998772}, []float32{0.0098659815, 2.4556963e-05, 1, 0.0098659815, 2.4556963e-05}, true},
		{GELU, []float32{-0.0040498674, 0, 0, 2.9959502, 6}, []float32{-0.011945605, 0, 0.5, 1.0119456, 1}, true},
		{GELUTanh, []float32{-0.003637433, 0, 0, 2.9963627, 6}, []float32{-0.011584297, 0, 0.5, 1.0115843, 1}, true},
	}
	for _, tc := range cases {
		y := make([]float32, len(x))
		ActForward(tc.act, x, y)
		dx := make([]float32, len(x))
		ActBackward(tc.act, x, y, onesLike(x), dx)
		for i := range x {
			for _, c := range []struct {
				what      string
				got, want float32
			}{{"f", y[i], tc.y[i]}, {"f'", dx[i], tc.dx[i]}} {
				tol := 0.0
				if tc.approx {
					tol = 3e-7 + 1.2e-7*math.Abs(float64(c.want))
				}
				if math.Abs(float64(c.got-c.want)) > tol {
					t.Errorf("%v: %s(%g) = %.9g, PyTorch %.9g", tc.act, c.what, x[i], c.got, c.want)
				}
			}
		}
	}
}

func onesLike(x []float32) []float32 {
	o := make([]float32, len(x))
	for i := range o {
		o[i] = 1
	}
	return o
}

// TestActBackwardMatchesForward compares each derivative with a float64
// central difference of the forward formula, away from the kinks, and checks
// that ActBackward accumulates into dx.
func TestActBackwardMatchesForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	const n = 400
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.Float64()*16 - 8)
		for _, k := range []float32{-3, 0, 3, 6} {
			if math.Abs(float64(x[i]-k)) < 0.05 {
				x[i] += 0.1
			}
		}
	}
	dy := make([]float32, n)
	for i := range dy {
		dy[i] = float32(rng.Float64()*2 - 1)
	}
	for _, a := range allActs() {
		y := make([]float32, n)
		ActForward(a, x, y)
		dx := make([]float32, n)
		for i := range dx {
			dx[i] = 0.25
		}
		ActBackward(a, x, y, dy, dx)
		for i, v := range x {
			const h = 1e-4
			num := (actForward64(a, float64(v)+h) - actForward64(a, float64(v)-h)) / (2 * h)
			want := 0.25 + float64(dy[i])*num
			if math.Abs(float64(dx[i])-want) > 1e-5*(1+math.Abs(want)) {
				t.Errorf("%v at x=%g: dx = %.7g, want 0.25 + dy·f' = %.7g", a, v, dx[i], want)
				break
			}
			if got := float64(y[i]); math.Abs(got-actForward64(a, float64(v))) > 2e-7*(1+math.Abs(got)) {
				t.Errorf("%v(%g) = %.8g, float64 formula %.8g", a, v, got, actForward64(a, float64(v)))
				break
			}
		}
	}
}

// actForward64 is each activation's textbook formula in float64.
func actForward64(a Act, x float64) float64 {
	relu6 := func(v float64) float64 { return math.Min(math.Max(v, 0), 6) }
	sigmoid := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	switch a {
	case ReLU:
		return math.Max(x, 0)
	case ReLU6:
		return relu6(x)
	case Hardswish:
		return x * relu6(x+3) / 6
	case Hardsigmoid:
		return relu6(x+3) / 6
	case SiLU:
		return x * sigmoid(x)
	case Sigmoid:
		return sigmoid(x)
	case Tanh:
		return math.Tanh(x)
	case GELU:
		return x * 0.5 * math.Erfc(-x/math.Sqrt2)
	case GELUTanh:
		return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
	}
	panic("unknown activation")
}

// TestActExtremes: huge inputs give finite, saturated values (no NaN from
// overflowing exponentials).
func TestActExtremes(t *testing.T) {
	x := []float32{-1e30, -100, 100, 1e30}
	for _, a := range []Act{Sigmoid, SiLU, Tanh, GELU, GELUTanh} {
		y := make([]float32, len(x))
		ActForward(a, x, y)
		dx := make([]float32, len(x))
		ActBackward(a, x, y, onesLike(x), dx)
		for i := range x {
			if math.IsNaN(float64(y[i])) || math.IsNaN(float64(dx[i])) {
				t.Errorf("%v(%g) = %g, f' = %g", a, x[i], y[i], dx[i])
			}
		}
	}
}

func TestActDeterministicAcrossThreads(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	const n = 200_003 // several chunks, ragged tail
	x, dy := make([]float32, n), make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 4)
		dy[i] = float32(rng.NormFloat64())
	}
	run := func(threads int, a Act) ([]float32, []float32) {
		defer SetThreads(SetThreads(threads))
		y, dx := make([]float32, n), make([]float32, n)
		ActForward(a, x, y)
		ActBackward(a, x, y, dy, dx)
		return y, dx
	}
	for _, a := range allActs() {
		y1, dx1 := run(1, a)
		y2, dx2 := run(2, a)
		if !slices.Equal(y1, y2) || !slices.Equal(dx1, dx2) {
			t.Errorf("%v: results differ between 1 and 2 threads", a)
		}
	}
}

func TestParseAct(t *testing.T) {
	for _, a := range allActs() {
		got, err := ParseAct(a.String())
		if err != nil || got != a {
			t.Errorf("ParseAct(%q) = %v, %v", a.String(), got, err)
		}
	}
	if _, err := ParseAct("Swish"); err == nil {
		t.Error("ParseAct accepted an unknown name")
	}
}
