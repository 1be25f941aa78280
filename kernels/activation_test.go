package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Tests of the activation kernels: PyTorch's values at the kinks, backward
// against float64 finite differences of forward elsewhere, thread-count
// determinism, the float32 Sigmoid, SiLU, Tanh and GELUTanh of every kernel
// path against the float64 reference loops (actForwardRef, actBackwardRef)
// on random, ragged and extreme inputs, and ReLU, ReLU6, Hardswish and
// Hardsigmoid of every path bit for bit against the same reference loops.

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
// 2e-7, while these kernels stay within a few ulp (GELU in float64, the others
// with activation_f32.go's float32 exponential).
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

// fastActs are the activations with float32 kernels (activation_f32.go and
// the assembly of activation_amd64.s).
var fastActs = []Act{Sigmoid, SiLU, Tanh, GELUTanh}

// actExtremes are inputs where the kernels must saturate, propagate NaN or
// keep tiny values: ±0, tiny normal and denormal numbers, the points where
// e^(−|x|) leaves float32's normal range, huge values and infinities.
var actExtremes = []float64{0, math.Copysign(0, -1), 1e-30, -1e-30, 1e-40, -1e-40, 1e-3, -1e-3,
	9, -9, 12, -12, 17, -17, 20, -20, 44, -44, 87.3, -87.3, 88, -88, 89, -89, 100, -100,
	1e30, -1e30, math.MaxFloat32, -math.MaxFloat32, math.Inf(1), math.Inf(-1), math.NaN()}

// actInputs returns n inputs: mostly normal with standard deviation 4 (the
// range where every activation bends), every seventh an extreme.
func actInputs(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		if i%7 == 3 {
			x[i] = float32(actExtremes[rng.IntN(len(actExtremes))])
		} else {
			x[i] = float32(rng.NormFloat64() * 4)
		}
	}
	return x
}

// ulp32 is the spacing of float32 numbers at |v|, and at least that of
// float32's smallest normal numbers.
func ulp32(v float64) float64 {
	_, e := math.Frexp(math.Abs(v))
	return math.Ldexp(1, max(e, -125)-24)
}

// actTiny is the absolute error allowed everywhere: results under about
// 1e−36 may come out as 0 (e^t is 0 below t = −87.7, and the assembly
// flushes denormals to zero).
const actTiny = 1e-33

// geluZ is z = 2·√(2/π)·(x + 0.044715x³) of GELUTanh = x·σ(z), in float64.
func geluZ(x float64) float64 { return 2 * sqrt2OverPi * (x + geluCoeff*x*x*x) }

// fastActFwdTol is the error allowed in f(x) against the float64 reference
// value ref: a few ulp (see activation_f32.go for the measured maxima); for
// GELUTanh also the effect of rounding z to float32, which moves σ(z) by
// about |z|·(1−σ(z)) float32 ulp, and the float64 reference's own
// cancellation in 1 + tanh.
func fastActFwdTol(a Act, x, ref float64) float64 {
	switch a {
	case Sigmoid, Tanh:
		return 3.5*ulp32(ref) + actTiny
	case SiLU:
		return 4*ulp32(ref) + actTiny
	}
	z := geluZ(x)
	return (4+3*math.Abs(z)*(1-sigmoid64(z)))*ulp32(ref) + 2.3e-16*math.Abs(x) + actTiny
}

// fastActGradTol is the error allowed in dx = dx0 + dy·f'(x) from x (SiLU,
// GELUTanh), in ulp of the sizes of the terms that make up f', plus the
// float64 reference's own cancellation for GELUTanh.
func fastActGradTol(a Act, x, dx0, ref, dy float64) float64 {
	if math.IsInf(x, 0) {
		return ulp32(ref) + actTiny
	}
	var s, part, extra float64
	if a == SiLU {
		s = sigmoid64(x)
		part = x * (1 - s)
	} else {
		z := geluZ(x)
		s = sigmoid64(z)
		dz := 2 * sqrt2OverPi * (1 + 3*geluCoeff*x*x)
		part = x * (1 - s) * dz
		extra = 2.3e-16 * (1 + math.Abs(x*dz)) * math.Abs(dy)
		part *= 1 + 3*math.Abs(z)*(1-s) // rounding of z, as in fastActFwdTol
	}
	return ulp32(ref) + ulp32(dx0) + 6*ulp32(math.Abs(dy)*(s+math.Abs(s*part))) + extra + actTiny
}

// actLimit is f(x) or f'(x) where the float64 formula gives NaN for a
// non-NaN x (∞·0 at x = ±∞): the limit, which the kernels give.
func actLimit(a Act, x float64, grad bool) float64 {
	switch {
	case grad && x > 0:
		return 1
	case grad, x < 0:
		return 0
	}
	return x
}

// TestActFastMatchesReference runs the float32 activations of every path on
// ragged lengths (the masked tails of the assembly, and more than streamBlock
// elements) and compares them with the float64 reference: forward, backward
// from x (SiLU, GELUTanh) and backward from y (Sigmoid, Tanh, where both
// read the same y). Nothing past the end of y or dx may be written.
func TestActFastMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	lengths := []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 1000, 1037, 2*streamBlock + 21}
	for _, path := range Paths() {
		t.Run(string(path), func(t *testing.T) {
			usePath(t, path)
			for _, a := range fastActs {
				for _, n := range lengths {
					x, dy := actInputs(rng, n), actInputs(rng, n)
					for i := range dy {
						if i%5 == 0 || math.IsInf(float64(dy[i]), 0) || math.IsNaN(float64(dy[i])) || math.Abs(float64(dy[i])) > 1e3 {
							dy[i] = float32(rng.NormFloat64())
						}
					}
					name := fmt.Sprintf("%v n=%d", a, n)
					y := sentinelled(n)
					actForwardSpan(a, x, y[:n])
					checkSentinel(t, name+" forward", y, n)
					yRef := make([]float32, n)
					if actFlushes(a) {
						actForwardFlushedRef(a, x, yRef)
					} else {
						actForwardRef(a, x, yRef)
					}
					for i, v := range x {
						if !actClose(float64(y[i]), float64(yRef[i]), float64(v), a, false, fastActFwdTol(a, float64(v), float64(yRef[i]))) {
							t.Errorf("%s: f(%g) = %g, reference %g", name, v, y[i], yRef[i])
							break
						}
					}

					dx0 := make([]float32, n)
					for i := range dx0 {
						dx0[i] = float32(rng.NormFloat64())
					}
					dx, dxRef := sentinelled(n), slices.Clone(dx0)
					copy(dx, dx0)
					actBackwardSpan(a, x, y[:n], dy, dx[:n])
					checkSentinel(t, name+" backward", dx, n)
					actBackwardRef(a, x, y[:n], dy, dxRef)
					for i, v := range x {
						ref := float64(dxRef[i])
						if math.IsNaN(ref) && !math.IsNaN(float64(v)) && !math.IsNaN(float64(y[i])) {
							ref = float64(dx0[i]) + float64(dy[i])*actLimit(a, float64(v), true)
						}
						var tol float64
						if actGradFromY(a) {
							tol = ulp32(ref) + ulp32(ref-float64(dx0[i])) + actTiny
						} else {
							tol = fastActGradTol(a, float64(v), float64(dx0[i]), ref, float64(dy[i]))
						}
						if !actClose(float64(dx[i]), ref, float64(v), a, true, tol) {
							t.Errorf("%s: at x=%g (y=%g, dy=%g) dx = %.9g + dy·f' = %.9g, reference %.9g", name, v, y[i], dy[i], dx0[i], dx[i], ref)
							break
						}
					}
				}
			}
		})
	}
}

// actClose reports whether got is within tol of the reference ref at x: NaN
// where the reference is NaN for a NaN input, the limit where the float64
// formula has ∞·0, equal infinities.
func actClose(got, ref, x float64, a Act, grad bool, tol float64) bool {
	if math.IsNaN(x) {
		return math.IsNaN(got)
	}
	if math.IsNaN(ref) && !grad {
		ref = actLimit(a, x, false)
	}
	if math.IsInf(ref, 0) || math.IsInf(got, 0) {
		return got == ref
	}
	return math.Abs(got-ref) <= tol
}

// sentinelled returns a slice of n elements followed by 16 sentinels.
func sentinelled(n int) []float32 {
	s := make([]float32, n+16)
	for i := n; i < len(s); i++ {
		s[i] = 12345
	}
	return s
}

func checkSentinel(t *testing.T, what string, s []float32, n int) {
	t.Helper()
	for i := n; i < len(s); i++ {
		if s[i] != 12345 {
			t.Errorf("%s: wrote element %d past the end", what, i-n)
			return
		}
	}
}

// TestActFastLimits checks the exact values promised at the extremes, on
// every path: saturation to 0, 1, ±1, x or −0, NaN propagation, the sign of
// zeros.
func TestActFastLimits(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	negZero := float32(math.Copysign(0, -1))
	cases := []struct {
		act  Act
		x, y []float32
	}{
		{Sigmoid, []float32{-inf, -1e30, -100, 0, negZero, 20, 100, 1e30, inf, nan}, []float32{0, 0, 0, 0.5, 0.5, 1, 1, 1, 1, nan}},
		{Tanh, []float32{-inf, -100, -20, negZero, 0, 20, 100, inf, nan}, []float32{-1, -1, -1, negZero, 0, 1, 1, 1, nan}},
		{SiLU, []float32{-inf, -1e30, -100, negZero, 0, 100, 1e30, inf, nan}, []float32{negZero, negZero, negZero, negZero, 0, 100, 1e30, inf, nan}},
		{GELUTanh, []float32{-inf, -1e30, -100, negZero, 0, 100, 1e30, inf, nan}, []float32{negZero, negZero, negZero, negZero, 0, 100, 1e30, inf, nan}},
	}
	for _, path := range Paths() {
		t.Run(string(path), func(t *testing.T) {
			usePath(t, path)
			for _, c := range cases {
				// Repeat the inputs so that they land both in whole vectors
				// and in masked tails.
				x := slices.Repeat(c.x, 5)
				y := make([]float32, len(x))
				actForwardSpan(c.act, x, y)
				for i, v := range x {
					want := c.y[i%len(c.y)]
					if !sameFloat(y[i], want) {
						t.Errorf("%v(%g) = %g, want %g", c.act, v, y[i], want)
					}
				}
				if actGradFromY(c.act) {
					continue
				}
				dx := make([]float32, len(x))
				actBackwardSpan(c.act, x, y, onesLike(x), dx)
				for i, v := range x {
					want := float32(actLimit(c.act, float64(v), true))
					switch {
					case v != v:
						want = nan
					case math.Abs(float64(v)) < 1:
						want = 0.5 // f'(0) = 1/2 for both
					}
					if !sameFloat(dx[i], want) {
						t.Errorf("%v'(%g) = %g, want %g", c.act, v, dx[i], want)
					}
				}
			}
		})
	}
}

// sameFloat compares exactly, bit for bit (so +0 and −0 differ), with any
// NaN equal to any NaN.
func sameFloat(got, want float32) bool {
	if want != want {
		return got != got
	}
	return math.Float32bits(got) == math.Float32bits(want)
}

// piecewiseActs are the exact activations, the same bit for bit on every
// path (activation_piecewise.go and the assembly of activation_amd64.s),
// except that the vector kernels of Hardswish and Hardsigmoid flush
// denormals (actFlushes).
var piecewiseActs = []Act{ReLU, ReLU6, Hardswish, Hardsigmoid}

// tiny is 2^−140, a denormal float32 (the smallest normal one is 2^−126)
// whose products with 3 and 1/2 are exact.
var tiny = float32(math.Ldexp(1, -140))

// piecewiseSpecials are the inputs where the piecewise activations can go
// wrong: the kinks and their neighbours, signed zeros, denormals (the
// reference does not flush them), huge values, infinities and NaNs (quiet,
// negative, with a payload, signalling).
var piecewiseSpecials = func() []float32 {
	s := []float32{0, float32(math.Copysign(0, -1)), tiny, -tiny, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32,
		1e-38, -1e-38, 1e30, -1e30, math.MaxFloat32, -math.MaxFloat32, float32(math.Inf(1)), float32(math.Inf(-1))}
	for _, k := range []float32{-6, -3, 3, 6} {
		s = append(s, k, math.Nextafter32(k, -10), math.Nextafter32(k, 10))
	}
	for _, nan := range []uint32{0x7fc00000, 0xffc00000, 0x7fc01234, 0x7f800001} {
		s = append(s, math.Float32frombits(nan))
	}
	return s
}()

// piecewiseInputs returns n inputs: normal with standard deviation 4 (both
// sides of every kink), every third a special value.
func piecewiseInputs(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		if i%3 == 1 {
			x[i] = piecewiseSpecials[rng.IntN(len(piecewiseSpecials))]
		} else {
			x[i] = float32(rng.NormFloat64() * 4)
		}
	}
	return x
}

// actFlushes says whether the current path's kernel of a flushes denormals
// although its Go loop keeps them: Hardswish and Hardsigmoid, whose vector
// kernels do arithmetic on x (activation_gen.go).
func actFlushes(a Act) bool {
	return CurrentPath() != Generic && (a == Hardswish || a == Hardsigmoid)
}

// actForwardFlushedRef and actBackwardFlushedRef are actForwardRef and
// actBackwardRef of Hardswish and Hardsigmoid as their vector kernels
// compute them: every operand of an arithmetic step and every result
// flushed (flush32), the comparisons and the lanes left alone as they are.
func actForwardFlushedRef(a Act, x, y []float32) {
	f := flush32
	for i, v := range x {
		c := clampReLU6(f(f(v) + 3))
		if a == Hardswish {
			y[i] = f(f(f(v)*c) / 6)
		} else {
			y[i] = f(c / 6)
		}
	}
}

func actBackwardFlushedRef(a Act, x, dy, dx []float32) {
	f := flush32
	for i, v := range x {
		switch {
		case a == Hardsigmoid:
			if v > -3 && v < 3 {
				dx[i] = f(f(dx[i]) + f(f(dy[i])*(1.0/6)))
			}
		case v < -3:
		case v < 3:
			dx[i] = f(f(dx[i]) + f(f(dy[i])*f(f(f(v)/3)+0.5)))
		default:
			dx[i] = f(f(dx[i]) + f(dy[i]))
		}
	}
}

// TestActPiecewiseMatchesReference runs ReLU, ReLU6, Hardswish and
// Hardsigmoid of every path on ragged lengths (the masked tails of the
// assembly, and more than streamBlock elements) and compares forward and
// backward with the reference loops bit for bit (with denormals flushed
// where the kernel flushes them), with special values in x, dy and dx
// alike. Only NaN payloads are not compared: which NaN operand an addition
// passes on depends on the order the compiler gives its operands.
func TestActPiecewiseMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	lengths := []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 1000, 1037, 2*streamBlock + 21}
	for _, path := range Paths() {
		t.Run(string(path), func(t *testing.T) {
			usePath(t, path)
			for _, a := range piecewiseActs {
				for _, n := range lengths {
					name := fmt.Sprintf("%v n=%d", a, n)
					x, dy, dx0 := piecewiseInputs(rng, n), piecewiseInputs(rng, n), piecewiseInputs(rng, n)
					y, yRef := sentinelled(n), make([]float32, n)
					actForwardSpan(a, x, y[:n])
					checkSentinel(t, name+" forward", y, n)
					if actFlushes(a) {
						actForwardFlushedRef(a, x, yRef)
					} else {
						actForwardRef(a, x, yRef)
					}
					for i, v := range x {
						if !sameFloat(y[i], yRef[i]) {
							t.Errorf("%s: f(%g) = %g (%#08x), reference %g (%#08x)", name, v, y[i], math.Float32bits(y[i]), yRef[i], math.Float32bits(yRef[i]))
							break
						}
					}
					dx, dxRef := sentinelled(n), slices.Clone(dx0)
					copy(dx, dx0)
					actBackwardSpan(a, x, y[:n], dy, dx[:n])
					checkSentinel(t, name+" backward", dx, n)
					if actFlushes(a) {
						actBackwardFlushedRef(a, x, dy, dxRef)
					} else {
						actBackwardRef(a, x, yRef, dy, dxRef)
					}
					for i, v := range x {
						if !sameFloat(dx[i], dxRef[i]) {
							t.Errorf("%s: at x=%g dx = %g + %g·f' = %g (%#08x), reference %g (%#08x)", name, v, dx0[i], dy[i], dx[i], math.Float32bits(dx[i]), dxRef[i], math.Float32bits(dxRef[i]))
							break
						}
					}
				}
			}
		})
	}
}

// TestActBackwardSet checks, on every path and for every activation, that
// ActBackwardSet writes into dx (NaN before the call) what ActBackward adds
// to zeros, touching nothing past the end: the same bits, except that for
// ReLU, which writes dy rather than adding it to +0, a −0 where dy is −0
// counts as equal to the +0 that adding it gives.
func TestActBackwardSet(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	lengths := []int{0, 1, 7, 8, 9, 15, 16, 17, 33, 1037, 2*streamBlock + 21}
	for _, path := range Paths() {
		t.Run(string(path), func(t *testing.T) {
			usePath(t, path)
			for _, a := range allActs() {
				for _, n := range lengths {
					x, dy := piecewiseInputs(rng, n), actInputs(rng, n)
					y := make([]float32, n)
					ActForward(a, x, y)
					want := make([]float32, n)
					ActBackward(a, x, y, dy, want)
					got := sentinelled(n)
					for i := range n {
						got[i] = float32(math.NaN())
					}
					ActBackwardSet(a, x, y, dy, got[:n])
					checkSentinel(t, fmt.Sprintf("%v n=%d", a, n), got, n)
					for i := range n {
						same := math.Float32bits(got[i]) == math.Float32bits(want[i])
						if a == ReLU {
							same = got[i] == want[i] || (got[i] != got[i] && want[i] != want[i])
						}
						if !same {
							t.Fatalf("%v n=%d: at x=%g, dy=%g: dx = %g, ActBackward into zeros gives %g", a, n, x[i], dy[i], got[i], want[i])
						}
					}
				}
			}
		})
	}
}

// TestActPiecewiseKinks checks, on every path, the values that activation.go
// promises at the kinks, signed zeros, denormals, infinities and NaN, written
// out by hand rather than taken from the reference loops: forward, and
// backward with dy = 1 into dx = −0, so that a lane with f' = 0 must keep
// the −0.
func TestActPiecewiseKinks(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	negZero := float32(math.Copysign(0, -1))
	sixth := float32(1.0 / 6)
	x := []float32{negZero, 0, -3, 3, 6, nan, -inf, inf, tiny, -tiny}
	cases := []struct {
		act   Act
		y, dx []float32
	}{
		{ReLU, []float32{0, 0, 0, 3, 6, nan, 0, inf, tiny, 0}, []float32{negZero, negZero, negZero, 1, 1, negZero, negZero, 1, 1, negZero}},
		{ReLU6, []float32{0, 0, 0, 3, 6, nan, 0, 6, tiny, 0}, []float32{negZero, negZero, negZero, 1, negZero, negZero, negZero, negZero, 1, negZero}},
		{Hardsigmoid, []float32{0.5, 0.5, 0, 1, 1, nan, 0, 1, 0.5, 0.5}, []float32{sixth, sixth, negZero, negZero, negZero, negZero, negZero, negZero, sixth, sixth}},
		// Hardswish(−∞) = −∞·0/6 = NaN and Hardswish'(NaN) = 1 (NaN fails
		// both x < −3 and x < 3), as in the reference loops.
		{Hardswish, []float32{negZero, 0, negZero, 3, 6, nan, nan, inf, tiny / 2, -tiny / 2}, []float32{0.5, 0.5, -0.5, 1, 1, 1, negZero, 1, 0.5, 0.5}},
	}
	for _, path := range Paths() {
		t.Run(string(path), func(t *testing.T) {
			usePath(t, path)
			for _, c := range cases {
				if actFlushes(c.act) && c.act == Hardswish { // tiny·3/6 is denormal: flushed
					c.y = slices.Clone(c.y)
					c.y[8], c.y[9] = 0, negZero
				}
				// Repeated, the inputs land both in whole vectors and in
				// masked tails.
				xs := slices.Repeat(x, 5)
				y := make([]float32, len(xs))
				actForwardSpan(c.act, xs, y)
				dx := slices.Repeat([]float32{negZero}, len(xs))
				actBackwardSpan(c.act, xs, y, onesLike(xs), dx)
				for i, v := range xs {
					if want := c.y[i%len(x)]; !sameFloat(y[i], want) {
						t.Errorf("%v(%g) = %g, want %g", c.act, v, y[i], want)
					}
					if want := c.dx[i%len(x)]; !sameFloat(dx[i], want) {
						t.Errorf("%v: −0 + 1·f'(%g) = %g, want %g", c.act, v, dx[i], want)
					}
				}
			}
		})
	}
}

// BenchmarkActivation measures ReLU, ReLU6, Hardswish, Hardsigmoid, SiLU,
// Sigmoid and Tanh, forward then backward, on 1M random-sign elements on one
// thread (in streamBlock pieces, as Parallel's chunks would be), for every
// kernel path and for the reference loops ("ref": plain Go with a branch per
// element for the piecewise activations, float64 for the others), and
// reports ns per element (of forward + backward):
//
//	go test ./kernels -run '^$' -bench Activation -benchtime 0.3s
func BenchmarkActivation(b *testing.B) {
	const n = 1 << 20
	rng := rand.New(rand.NewPCG(9, 9))
	x, dy := make([]float32, n), make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 4)
		dy[i] = float32(rng.NormFloat64())
	}
	y, dx := make([]float32, n), make([]float32, n)
	variants := append([]string{"ref"}, func() []string {
		var s []string
		for _, p := range Paths() {
			s = append(s, string(p))
		}
		return s
	}()...)
	for _, a := range []Act{ReLU, ReLU6, Hardswish, Hardsigmoid, SiLU, Sigmoid, Tanh} {
		for _, v := range variants {
			b.Run(fmt.Sprintf("%v/%s", a, v), func(b *testing.B) {
				fwd, bwd := actForwardSpan, actBackwardSpan
				if v == "ref" {
					fwd, bwd = actForwardRef, actBackwardRef
				} else if old, err := UsePath(Path(v)); err == nil {
					defer UsePath(old)
				}
				b.SetBytes(4 * 6 * n) // forward: x read, y written; backward: x or y, dy, dx read, dx written
				for b.Loop() {
					for lo := 0; lo < n; lo += streamBlock {
						hi := min(lo+streamBlock, n)
						fwd(a, x[lo:hi], y[lo:hi])
						bwd(a, x[lo:hi], y[lo:hi], dy[lo:hi], dx[lo:hi])
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/elem")
			})
		}
	}
}

// TestAddActSameBits checks AddAct against Binary's add and ActForward in
// place, bit for bit, on every path, for lengths around the vector widths
// and the chunks of Parallel, in place (out = a) and not.
func TestAddActSameBits(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(51, 52))
		for _, n := range []int{1, 7, 16, 17, 100, 1000, 1 << 14, 1<<16 + 3} {
			a, b := make([]float32, n), make([]float32, n)
			for i := range a {
				a[i], b[i] = float32(rng.NormFloat64()*3), float32(rng.NormFloat64()*3)
			}
			for _, act := range []Act{ReLU, ReLU6, SiLU} {
				want := make([]float32, n)
				Binary(OpAdd, a, []int{n}, b, []int{n}, want)
				ActForward(act, want, want)
				got := make([]float32, n)
				AddAct(act, a, b, got)
				inPlace := slices.Clone(a)
				AddAct(act, inPlace, b, inPlace)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) || math.Float32bits(inPlace[i]) != math.Float32bits(want[i]) {
						t.Fatalf("n = %d, %v: element %d is %v (in place %v), want %v", n, act, i, got[i], inPlace[i], want[i])
					}
				}
			}
		}
	})
}
