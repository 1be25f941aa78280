package kernels

import "math"

// Float32 Sigmoid, SiLU, Tanh and tanh-approximated GELU: the algorithm of
// the vectorised kernels (activation_amd64.s, written by activation_gen.go),
// here in plain Go for the generic path. The float64 formulas in
// activation.go (actForwardRef, actBackwardRef) are the reference they are
// tested against.
//
// Everything rests on one exponential of a non-positive argument,
// e^t for t = −|x| (σ) or t = −2|x| (tanh):
//
//  1. Clamp t to [−88, 0]. From t ≈ −87.7 down (n = −127 below) the result
//     is exactly 0 (the true value is under float32's smallest normal
//     number), so huge |x| saturates σ to exactly 0 or 1 and tanh to exactly
//     ±1, with no overflow anywhere.
//  2. Range reduction: t = n·ln2 + r with n = round(t/ln2), |r| ≤ ln2/2.
//     Adding the "magic" 1.5·2²³ rounds t/ln2 to an integer in the low
//     mantissa bits; r = t − n·ln2 is computed with ln2 split in two
//     (Cody–Waite) so that n·ln2hi is exact.
//  3. e^r − 1 ≈ r + r²·P(r), with P the degree-5 polynomial of expf in
//     Stephen L. Moshier's Cephes library (its approximation error on
//     |r| ≤ ln2/2 is under 0.05·2^−24 relative; the roundings dominate).
//  4. 2^n is built directly as float32 bits: exponent field n + 127 (the
//     magic constant carries the +127). n = −127 gives the bits of +0.
//
// so e^t = 2^n·(e^r − 1) + 2^n, and e^t − 1 = 2^n·(e^r − 1) + (2^n − 1) keeps
// its accuracy near t = 0, where tanh needs it. From e = e^(−|x|):
//
//	σ(x)   = 1/(1+e) for x ≥ 0,  e/(1+e) for x < 0 (never 1 − small, so no cancellation)
//	1−σ(x) = e/(1+e) for x ≥ 0,  1/(1+e) for x < 0
//	tanh x = sign(x)·(−m)/(2+m) with m = e^(−2|x|) − 1
//
// SiLU multiplies σ(x) by x, and tanh-approximated GELU is x·σ(z) with
// z = 2·√(2/π)·(x + 0.044715x³), since (1 + tanh(z/2))/2 = σ(z). The
// backward passes: SiLU'(x) = σ(x)·(1 + x·(1−σ(x))) and
// GELUTanh'(x) = σ(z)·(1 + x·(1−σ(z))·z') from x; σ' = y(1−y) and
// tanh' = 1−y² from the output y, as in PyTorch.
//
// NaN propagates (the clamps keep NaN), ±Inf gives the limits: σ → 0 or 1,
// tanh → ±1, SiLU and GELUTanh of +Inf = +Inf and of −Inf = −0 (where the
// float64 formulas give NaN), derivatives → 0 or 1.
//
// Measured error against the exact (float64) values, sampling every 23rd
// float32 with |x| ≤ 100 (about 97 million inputs per function), the same on
// every path unless two figures are given (generic / AVX2 and AVX-512, which
// fuse multiply-adds):
//
//	Sigmoid    2.4 ulp
//	Tanh       2.5 ulp
//	SiLU       3.2 ulp; SiLU' 4.1 ulp of |σ| + |x·σ·(1−σ)| (the size of its
//	           terms: SiLU' itself crosses zero at x ≈ −1.28)
//	GELUTanh   15 / 13 ulp for |x| ≤ 3, 182 / 147 ulp near x = −9, where
//	           y ≈ −1e−34: rounding z to float32 moves σ(z) by about |z|·(1−σ)
//	           ulp (PyTorch's float32 1 + tanh loses all digits there);
//	           GELUTanh' the same, in ulp of the size of its terms
//
// Results under 2^−100 count as exact when they are within 2^−100: e^t is 0
// below t ≈ −87.7 and the assembly flushes denormals to zero, so for example
// SiLU(x) is −0 for x < −87.7 where the exact value is under 1e−36.

// Constants of the float32 exponential.
const (
	expLo    = -88.0               // clamp of the argument: e^t < 2^−126 below −87.34
	log2e    = 1.44269504088896341 // 1/ln2
	expMagic = 12583039            // 1.5·2²³ + 127: rounds to an integer; +127 biases the exponent
	ln2Hi    = 0.693359375         // ln2 in 9 bits, so n·ln2Hi is exact for |n| < 2^15
	ln2Lo    = -2.12194440e-4      // ln2 − ln2Hi
	expP0    = 1.9875691500e-4     // Cephes expf: e^r ≈ 1 + r + r²·(((((P0·r + P1)·r + P2)·r + P3)·r + P4)·r + P5)
	expP1    = 1.3981999507e-3
	expP2    = 8.3334519073e-3
	expP3    = 4.1665795894e-2
	expP4    = 1.6666665459e-1
	expP5    = 5.0000001201e-1
	signBit  = 1 << 31

	// GELUTanh: z = x·(geluK0 + geluK1·x²) = 2·√(2/π)·(x + 0.044715x³).
	geluK0 = 2 * sqrt2OverPi
	geluK1 = 2 * sqrt2OverPi * geluCoeff
	// geluLo clamps x: for |x| ≥ 12, |z| > 88 and σ(z) is exactly 0 or 1, so
	// the clamp changes nothing but keeps x·(1−σ)·z' finite at ±Inf.
	geluLo = -12.0
	geluHi = 12.0
	expHi  = -expLo // upper clamp of x in SiLU's derivative, for the same reason
)

// expParts splits e^t for t ≤ 0 (or NaN): it returns s = 2^n and
// q ≈ e^r − 1 with t = n·ln2 + r, so that e^t = s·q + s and
// e^t − 1 = s·q + (s − 1). t below expLo is treated as expLo.
func expParts(t float32) (s, q float32) {
	t = max(t, expLo) // max keeps NaN
	v := t*log2e + expMagic
	n := v - expMagic
	s = math.Float32frombits(math.Float32bits(v) << 23)
	r := t - n*ln2Hi
	r = r - n*ln2Lo
	p := ((((expP0*r+expP1)*r+expP2)*r+expP3)*r+expP4)*r + expP5
	q = r*r*p + r
	return s, q
}

// negAbs returns −|x|.
func negAbs(x float32) float32 { return math.Float32frombits(math.Float32bits(x) | signBit) }

// negative reports whether x's sign bit is set.
func negative(x float32) bool { return math.Float32bits(x)&signBit != 0 }

// sigmoidParts returns σ(x) = num/den and 1−σ(x) = other/den.
func sigmoidParts(x float32) (num, other, den float32) {
	s, q := expParts(negAbs(x))
	e := s*q + s
	if negative(x) {
		return e, 1, 1 + e
	}
	return 1, e, 1 + e
}

func sigmoid32(x float32) float32 {
	num, _, den := sigmoidParts(x)
	return num / den
}

func silu32(x float32) float32 {
	num, _, den := sigmoidParts(x)
	return (max(x, expLo) * num) / den
}

// siluGrad32 is SiLU'(x) = σ(x)·(1 + x·(1−σ(x))).
func siluGrad32(x float32) float32 {
	num, other, den := sigmoidParts(x)
	rd := 1 / den
	return (min(max(x, expLo), expHi)*(other*rd) + 1) * (num * rd)
}

func tanh32(x float32) float32 {
	s, q := expParts(2 * negAbs(x))
	m := s*q + (s - 1)
	y := -m / (2 + m)
	return math.Float32frombits(math.Float32bits(y)&^signBit | math.Float32bits(x)&signBit)
}

func geluTanh32(x float32) float32 {
	x = max(x, geluLo)
	num, _, den := sigmoidParts(x * (x*x*geluK1 + geluK0))
	return (x * num) / den
}

// geluTanhGrad32 is σ(z)·(1 + x·(1−σ(z))·z') with z' = geluK0 + 3·geluK1·x².
func geluTanhGrad32(x float32) float32 {
	x = min(max(x, geluLo), geluHi)
	xx := x * x
	num, other, den := sigmoidParts(x * (xx*geluK1 + geluK0))
	rd := 1 / den
	dz := xx*(3*geluK1) + geluK0
	return (x*(other*rd)*dz + 1) * (num * rd)
}

// actForward32 applies a vectorisable activation (Sigmoid, SiLU, Tanh,
// GELUTanh) to one chunk in plain Go; it reports false for the others.
func actForward32(a Act, x, y []float32) bool {
	y = y[:len(x)]
	switch a {
	case Sigmoid:
		for i, v := range x {
			y[i] = sigmoid32(v)
		}
	case SiLU:
		for i, v := range x {
			y[i] = silu32(v)
		}
	case Tanh:
		for i, v := range x {
			y[i] = tanh32(v)
		}
	case GELUTanh:
		for i, v := range x {
			y[i] = geluTanh32(v)
		}
	default:
		return false
	}
	return true
}

// actBackward32 is the backward pass of actForward32: it adds dy·f' into
// dx, reading x (SiLU, GELUTanh) or y (Sigmoid, Tanh).
func actBackward32(a Act, x, y, dy, dx []float32) bool {
	switch a {
	case SiLU:
		dy, dx = dy[:len(x)], dx[:len(x)]
		for i, v := range x {
			dx[i] += dy[i] * siluGrad32(v)
		}
	case GELUTanh:
		dy, dx = dy[:len(x)], dx[:len(x)]
		for i, v := range x {
			dx[i] += dy[i] * geluTanhGrad32(v)
		}
	case Sigmoid:
		dy, dx = dy[:len(y)], dx[:len(y)]
		for i, s := range y {
			dx[i] += dy[i] * (1 - s) * s
		}
	case Tanh:
		dy, dx = dy[:len(y)], dx[:len(y)]
		for i, t := range y {
			dx[i] += dy[i] * (1 - t*t)
		}
	default:
		return false
	}
	return true
}
