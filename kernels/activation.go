package kernels

import (
	"fmt"
	"math"
)

// Element-wise activations, forward and backward.
//
// An activation maps a flat slice x to a slice y of the same length, one
// element at a time, so the layout of the tensor (NCHW or anything else) does
// not matter. The backward pass adds dy·f'(x) into dx. Where f has a kink the
// derivative follows PyTorch 1.13 exactly, so a gradient computed here at
// x = 0, ±3 or 6 is the one PyTorch computes:
//
//	ReLU        f'(0) = 0
//	ReLU6       f'(0) = f'(6) = 0
//	Hardsigmoid f'(−3) = f'(3) = 0 (1/6 strictly between)
//	Hardswish   f'(x) = 0 for x < −3, x/3 + 1/2 for −3 ≤ x < 3 (so f'(−3) = −1/2),
//	            1 for x ≥ 3 (so f'(3) = 1)
//
// Hardswish at x = 3 needs a word: PyTorch 1.13's CPU kernel disagrees with
// itself there. Its vectorised loop gives f'(3) = 1; the scalar loop that
// finishes the last few elements of each run (fewer than one vector pair,
// 16 floats with AVX2, so all of a tensor that small) gives 3/2. gocnn follows
// the vectorised loop: it is what PyTorch computes for the bulk of any real
// activation tensor, and what later PyTorch releases give everywhere (they
// also move f'(−3) to 0; 1.13 gives −1/2 in both loops).
//
// ReLU, ReLU6, Hardswish and Hardsigmoid are exact float32 computations:
// comparisons, v+3, (v·c)/6 with c = clamp(v+3) (a true division, since
// multiplying by 1/6 rounds differently for about a third of the c in
// [0, 6]), v/3 + 1/2, and dy·f' rounded before it is added to dx. Every path
// gives the result of the reference loops below bit for bit: NaN behaves as
// the Go comparisons make it (forward NaN → NaN; backward, NaN adds nothing
// for ReLU, ReLU6 and Hardsigmoid and adds dy for Hardswish, whose last case
// is "otherwise"), and where f' = 0 dx keeps its bits (−0 stays −0). ReLU
// and ReLU6 do so on every input, denormals included; the vector kernels of
// Hardswish and Hardsigmoid flush denormal operands and results to zero
// (a microcode assist each otherwise: 24 times slower on inputs of 1e−40),
// so they agree with the loops wherever no denormal is involved. The generic
// path runs branch-free Go loops (activation_piecewise.go), the AVX2 and
// AVX-512 paths vector kernels (activation_amd64.s).
//
// Sigmoid, SiLU, Tanh and tanh-approximated GELU are evaluated in float32
// with an exponential of their own (range reduction, a polynomial and 2^n
// built from exponent bits: activation_f32.go), vectorised with AVX2 or
// AVX-512 where the CPU has them (activation_amd64.s). Sigmoid, SiLU and Tanh
// stay within 2.4 to 3.2 ulp of the exact values (activation_f32.go gives the
// measured figures), and all four saturate cleanly: a huge finite |x| gives
// exactly 0 or 1 for σ, ±1 for tanh, x or −0 for SiLU and GELUTanh, never an
// infinity or NaN; ±Inf gives the limits and NaN gives NaN.
// GELU with the exact normal CDF is evaluated in float64 (math.Erf) and
// rounded once. The float64 formulas of every activation are kept as the
// reference (actForwardRef, actBackwardRef) that the tests compare against.

// Act names an element-wise activation function.
type Act int

// The activations, with PyTorch's definitions.
const (
	ReLU        Act = iota // max(x, 0)
	ReLU6                  // min(max(x, 0), 6)
	Hardswish              // x·ReLU6(x+3)/6
	Hardsigmoid            // ReLU6(x+3)/6
	SiLU                   // x·σ(x), also called swish
	Sigmoid                // σ(x) = 1/(1+e^(−x))
	Tanh                   // tanh(x)
	GELU                   // x·Φ(x) with the exact normal CDF Φ (PyTorch's default GELU)
	GELUTanh               // GELU with Φ approximated by tanh (PyTorch's approximate="tanh")
	numActs
)

// noAct stands for no activation where a kernel applies one optionally
// (BatchNormTrainForwardAct's relatives).
const noAct Act = -1

var actNames = [numActs]string{"ReLU", "ReLU6", "Hardswish", "Hardsigmoid", "SiLU", "Sigmoid", "Tanh", "GELU", "GELUTanh"}

// actCost is the rough number of floating-point operations per element, used
// to size the chunks handed to the worker pool, for the plain Go loops.
var actCost = [numActs]int{1, 2, 4, 3, 25, 20, 25, 30, 35}

// actVecCost replaces actCost for the vectorised kernels: at 8 or 16 lanes
// an element of SiLU costs about what a scalar ReLU6 does, and the
// piecewise activations cost little more than the memory they move.
var actVecCost = [numActs]int{ReLU: 1, ReLU6: 1, Hardswish: 1, Hardsigmoid: 1, SiLU: 3, Sigmoid: 3, Tanh: 3, GELUTanh: 3}

// actChunkCost is the cost per element that sizes Parallel's chunks for a on
// the current path.
func actChunkCost(a Act) int {
	if k := actVecSets[impl.path]; k != nil && k.fwd[a] != nil {
		return actVecCost[a]
	}
	return actCost[a]
}

// String returns the activation's PyTorch module name (GELUTanh for the
// tanh-approximated GELU).
func (a Act) String() string {
	if a < 0 || a >= numActs {
		return fmt.Sprintf("Act(%d)", int(a))
	}
	return actNames[a]
}

// ParseAct returns the activation named s (as printed by String).
func ParseAct(s string) (Act, error) {
	for a, name := range actNames {
		if name == s {
			return Act(a), nil
		}
	}
	return 0, fmt.Errorf("kernels: unknown activation %q (have %v)", s, actNames)
}

func checkAct(op string, a Act) {
	if a < 0 || a >= numActs {
		panic(fmt.Sprintf("kernels.%s: unknown activation %d", op, int(a)))
	}
}

// ActForward sets y[i] = f(x[i]) for the activation f. y may be x (in place).
func ActForward(a Act, x, y []float32) {
	checkAct("ActForward", a)
	if len(y) != len(x) {
		panic(fmt.Sprintf("kernels.ActForward(%v): x has %d elements, y has %d", a, len(x), len(y)))
	}
	Parallel(len(x), GrainFor(len(x), actChunkCost(a)), func(lo, hi int) {
		actForwardSpan(a, x[lo:hi], y[lo:hi])
	})
}

// AddAct sets out[i] = f(a[i] + b[i]) for the activation f: a residual
// sum and the activation after it, in one pass, each chunk of the sum going
// through the activation while it is in cache. out may be a or b. The bits
// are those of Binary(OpAdd, …) and then ActForward(a, out, out).
func AddAct(act Act, a, b, out []float32) {
	checkAct("AddAct", act)
	if len(a) != len(out) || len(b) != len(out) {
		panic(fmt.Sprintf("kernels.AddAct(%v): a, b, out have %d, %d, %d elements", act, len(a), len(b), len(out)))
	}
	Parallel(len(out), GrainFor(len(out), 1+actChunkCost(act)), func(lo, hi int) {
		binaryRow(OpAdd, out[lo:hi], a[lo:hi], 1, b[lo:hi], 1)
		actForwardSpan(act, out[lo:hi], out[lo:hi])
	})
}

// ActBackward adds dy[i]·f'(x[i]) into dx[i], where x is the input of
// ActForward and y its output. Sigmoid and Tanh read their derivative from y
// (σ' = y(1−y), tanh' = 1−y²), as PyTorch does; the others read x. All four
// slices have the same length; dx may be dy.
func ActBackward(a Act, x, y, dy, dx []float32) {
	checkAct("ActBackward", a)
	if len(y) != len(x) || len(dy) != len(x) || len(dx) != len(x) {
		panic(fmt.Sprintf("kernels.ActBackward(%v): x, y, dy, dx have %d, %d, %d, %d elements", a, len(x), len(y), len(dy), len(dx)))
	}
	Parallel(len(x), GrainFor(len(x), actChunkCost(a)+1), func(lo, hi int) {
		actBackwardSpan(a, x[lo:hi], y[lo:hi], dy[lo:hi], dx[lo:hi])
	})
}

// ActBackwardSet writes dy[i]·f'(x[i]) into dx[i] instead of adding it,
// whatever dx held, so a fresh buffer needs no zeros: ReLU never reads dx
// (dx = dy where x > 0, +0 elsewhere); the other activations write what
// ActBackward adds to a dx of +0 (the vector kernels start from a zeroed
// register, the Go loops zero dx first). dx may not be dy.
func ActBackwardSet(a Act, x, y, dy, dx []float32) {
	checkAct("ActBackwardSet", a)
	if len(y) != len(x) || len(dy) != len(x) || len(dx) != len(x) {
		panic(fmt.Sprintf("kernels.ActBackwardSet(%v): x, y, dy, dx have %d, %d, %d, %d elements", a, len(x), len(y), len(dy), len(dx)))
	}
	Parallel(len(x), GrainFor(len(x), actChunkCost(a)+1), func(lo, hi int) {
		actBackwardSetSpan(a, x[lo:hi], y[lo:hi], dy[lo:hi], dx[lo:hi])
	})
}

// actBackwardSetSpan is ActBackwardSet on one chunk, with the current
// path's vectorised kernel where it has one.
func actBackwardSetSpan(a Act, x, y, dy, dx []float32) {
	switch k := actVecSets[impl.path]; {
	case k != nil && k.bwdSet[a] != nil:
		actGradBlocks(k.bwdSet[a], a, x, y, dy, dx)
	case a == ReLU:
		actBackwardSetRef(x, dy, dx)
	default:
		clear(dx)
		actBackwardSpan(a, x, y, dy, dx)
	}
}

// actBackwardSetRef is ReLU's ActBackwardSet in plain Go.
func actBackwardSetRef(x, dy, dx []float32) {
	dy, dx = dy[:len(x)], dx[:len(x)]
	for i, v := range x {
		dx[i] = choose(v > 0, dy[i], 0)
	}
}

// Constants of the GELU formulas.
const (
	invSqrt2Pi  = 0.3989422804014327 // 1/√(2π)
	sqrt2OverPi = 0.7978845608028654 // √(2/π)
	geluCoeff   = 0.044715           // the cubic term of GELU's tanh approximation
)

// sigmoid64 is σ(x) in float64; it never overflows to NaN.
func sigmoid64(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// actVecKernels is one path's set of vectorised activation kernels
// (activation_amd64.go): fwd[a] sets y[i] = f(x[i]) for i < n, bwd[a] adds
// dy[i]·f' into dx[i], reading x, or y where actGradFromY(a), and bwdSet[a]
// writes it there without reading dx. Entries are nil for the activations
// without one.
type actVecKernels struct {
	fwd    [numActs]func(x, y *float32, n int)
	bwd    [numActs]func(v, dy, dx *float32, n int)
	bwdSet [numActs]func(v, dy, dx *float32, n int)
}

// streamBlock is the number of elements one call of a streaming assembly
// kernel handles (activations, Binary's rows, the optimiser updates: a few
// microseconds): assembly cannot be preempted, so however large the chunk
// that Parallel hands out, no call holds its goroutine for long.
const streamBlock = 1 << 14

// actGradFromY reports whether the derivative of a is computed from the
// output y (σ' = y(1−y), tanh' = 1−y²) rather than from x.
func actGradFromY(a Act) bool { return a == Sigmoid || a == Tanh }

// actForwardSpan applies the activation to one chunk: with the current
// path's vectorised kernel if it has one, else with the float32 loops of
// activation_f32.go or the branch-free loops of activation_piecewise.go,
// else (GELU) with the reference loop.
func actForwardSpan(a Act, x, y []float32) {
	if k := actVecSets[impl.path]; k != nil && k.fwd[a] != nil {
		y = y[:len(x)]
		for lo := 0; lo < len(x); lo += streamBlock {
			k.fwd[a](&x[lo], &y[lo], min(streamBlock, len(x)-lo))
		}
		return
	}
	if !actForward32(a, x, y) && !actForwardPiecewise(a, x, y) {
		actForwardRef(a, x, y)
	}
}

// actGradBlocks runs a vectorised gradient kernel (actVecKernels' bwd or
// bwdSet) over one chunk, streamBlock elements a call, reading x, or y
// where actGradFromY(a).
func actGradBlocks(kernel func(v, dy, dx *float32, n int), a Act, x, y, dy, dx []float32) {
	v := x
	if actGradFromY(a) {
		v = y
	}
	dy, dx = dy[:len(v)], dx[:len(v)]
	for lo := 0; lo < len(v); lo += streamBlock {
		kernel(&v[lo], &dy[lo], &dx[lo], min(streamBlock, len(v)-lo))
	}
}

// actBackwardSpan adds dy·f' into dx for one chunk, choosing its loop as
// actForwardSpan does.
func actBackwardSpan(a Act, x, y, dy, dx []float32) {
	if k := actVecSets[impl.path]; k != nil && k.bwd[a] != nil {
		actGradBlocks(k.bwd[a], a, x, y, dy, dx)
		return
	}
	if !actBackward32(a, x, y, dy, dx) && !actBackwardPiecewise(a, x, dy, dx) {
		actBackwardRef(a, x, y, dy, dx)
	}
}

// actForwardRef is the reference forward pass of one chunk: the plain loops,
// with the transcendental activations evaluated in float64 and rounded once.
func actForwardRef(a Act, x, y []float32) {
	y = y[:len(x)]
	switch a {
	case ReLU:
		for i, v := range x {
			if v <= 0 {
				v = 0
			}
			y[i] = v
		}
	case ReLU6:
		for i, v := range x {
			y[i] = clampReLU6(v)
		}
	case Hardswish:
		for i, v := range x {
			y[i] = v * clampReLU6(v+3) / 6
		}
	case Hardsigmoid:
		for i, v := range x {
			y[i] = clampReLU6(v+3) / 6
		}
	case SiLU:
		for i, v := range x {
			d := float64(v)
			y[i] = float32(d * sigmoid64(d))
		}
	case Sigmoid:
		for i, v := range x {
			y[i] = float32(sigmoid64(float64(v)))
		}
	case Tanh:
		for i, v := range x {
			y[i] = float32(math.Tanh(float64(v)))
		}
	case GELU:
		for i, v := range x {
			d := float64(v)
			y[i] = float32(0.5 * d * (1 + math.Erf(d/math.Sqrt2)))
		}
	case GELUTanh:
		for i, v := range x {
			d := float64(v)
			y[i] = float32(0.5 * d * (1 + math.Tanh(sqrt2OverPi*(d+geluCoeff*d*d*d))))
		}
	}
}

// clampReLU6 clamps v to [0, 6] (NaN stays NaN).
func clampReLU6(v float32) float32 {
	switch {
	case v <= 0:
		return 0
	case v >= 6:
		return 6
	}
	return v
}

// actBackwardRef is the reference backward pass of one chunk: it adds
// dy·f' into dx, in float64 for the transcendental activations. Where
// Hardswish and Hardsigmoid multiply, the float32 conversion rounds dy·f'
// before the addition: Go may otherwise fuse dx + dy·f' into one
// multiply-add (the arm64 compiler does so with Sigmoid's line below), and
// the result would depend on the machine. Rounded first, it is also what
// PyTorch computes (the gradient dy·f', then its accumulation).
func actBackwardRef(a Act, x, y, dy, dx []float32) {
	y, dy, dx = y[:len(x)], dy[:len(x)], dx[:len(x)]
	switch a {
	case ReLU:
		for i, v := range x {
			if v > 0 {
				dx[i] += dy[i]
			}
		}
	case ReLU6:
		for i, v := range x {
			if v > 0 && v < 6 {
				dx[i] += dy[i]
			}
		}
	case Hardswish:
		for i, v := range x {
			switch {
			case v < -3:
			case v < 3:
				dx[i] += float32(dy[i] * (v/3 + 0.5))
			default:
				dx[i] += dy[i]
			}
		}
	case Hardsigmoid:
		for i, v := range x {
			if v > -3 && v < 3 {
				dx[i] += float32(dy[i] * (1.0 / 6))
			}
		}
	case SiLU:
		for i, v := range x {
			d := float64(v)
			s := sigmoid64(d)
			dx[i] += float32(float64(dy[i]) * s * (1 + d*(1-s)))
		}
	case Sigmoid:
		for i, s := range y {
			dx[i] += dy[i] * (1 - s) * s
		}
	case Tanh:
		for i, t := range y {
			dx[i] += dy[i] * (1 - t*t)
		}
	case GELU:
		for i, v := range x {
			d := float64(v)
			cdf := 0.5 * (1 + math.Erf(d/math.Sqrt2))
			pdf := invSqrt2Pi * math.Exp(-0.5*d*d)
			dx[i] += float32(float64(dy[i]) * (cdf + d*pdf))
		}
	case GELUTanh:
		for i, v := range x {
			d := float64(v)
			t := math.Tanh(sqrt2OverPi * (d + geluCoeff*d*d*d))
			dInner := sqrt2OverPi * (1 + 3*geluCoeff*d*d)
			dx[i] += float32(float64(dy[i]) * (0.5*(1+t) + 0.5*d*(1-t*t)*dInner))
		}
	}
}
