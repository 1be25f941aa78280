package kernels

import "math"

// Branch-free ReLU, ReLU6, Hardswish and Hardsigmoid in plain Go: the
// generic path's counterpart of their vector kernels (activation_amd64.s).
//
// The reference loops (actForwardRef, actBackwardRef in activation.go) take
// an if for every element. The signs of activations are as good as random,
// so the processor mispredicts about every other one of those branches, at
// some 15 cycles each. These loops compute every candidate and then select:
//
//   - forward, the clamps are the builtins max and min, which the compiler
//     implements without branches. max(v, 0) is the reference's
//     "if v <= 0 { v = 0 }" for every v: NaN stays NaN, −0 becomes +0.
//   - backward, choose selects between dx and its update with a conditional
//     move (see choose), and the conditions are the reference's own
//     comparisons, so NaN takes the same side.
//
// The results are those of the reference loops bit for bit (the tests check
// it on every input class, NaN, infinities and denormals included). On
// random-sign data this is 2 to 5 times as fast as the reference loops
// (BenchmarkActivation, path "generic" against "ref").

// clamp06 is clampReLU6 of activation.go without branches.
func clamp06(v float32) float32 { return min(max(v, 0), 6) }

// choose returns a if c, else b. It selects the bits, as integers, because
// the Go compiler turns an if between two integers into a conditional move
// (CMOV on amd64) but, on amd64, branches between two floats.
func choose(c bool, a, b float32) float32 {
	ra, r := math.Float32bits(a), math.Float32bits(b)
	if c {
		r = ra
	}
	return math.Float32frombits(r)
}

// actForwardPiecewise sets y = f(x) for ReLU, ReLU6, Hardswish and
// Hardsigmoid; it reports false for the other activations.
func actForwardPiecewise(a Act, x, y []float32) bool {
	y = y[:len(x)]
	switch a {
	case ReLU:
		for i, v := range x {
			y[i] = max(v, 0)
		}
	case ReLU6:
		for i, v := range x {
			y[i] = clamp06(v)
		}
	case Hardswish:
		for i, v := range x {
			y[i] = v * clamp06(v+3) / 6
		}
	case Hardsigmoid:
		for i, v := range x {
			y[i] = clamp06(v+3) / 6
		}
	default:
		return false
	}
	return true
}

// actBackwardPiecewise adds dy·f'(x) into dx for ReLU, ReLU6, Hardswish and
// Hardsigmoid; it reports false for the other activations.
func actBackwardPiecewise(a Act, x, dy, dx []float32) bool {
	dy, dx = dy[:len(x)], dx[:len(x)]
	switch a {
	case ReLU:
		for i, v := range x {
			d := dx[i]
			dx[i] = choose(v > 0, d+dy[i], d)
		}
	case ReLU6:
		for i, v := range x {
			d := dx[i]
			dx[i] = choose(v > 0, choose(v < 6, d+dy[i], d), d)
		}
	case Hardswish:
		for i, v := range x {
			d, g := dx[i], dy[i]
			g = choose(v < 3, float32(g*(v/3+0.5)), g) // dy·f' for v < 3, else dy
			dx[i] = choose(v < -3, d, d+g)
		}
	case Hardsigmoid:
		for i, v := range x {
			d := dx[i]
			dx[i] = choose(v > -3, choose(v < 3, d+float32(dy[i]*(1.0/6)), d), d)
		}
	default:
		return false
	}
	return true
}
