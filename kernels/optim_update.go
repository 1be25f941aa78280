package kernels

import "math"

// The optimisers' parameter updates (torch.optim.SGD, Adam and AdamW, as
// package optim drives them): one pass over a parameter, its gradient and
// its state buffers, each element on its own. In float32, except where
// fma32(x, y, z) says: x·y + z rounded once to float64 and then to float32,
// which is what PyTorch's vectorised kernels get from a float32 multiply-add
// except where the float64 value falls exactly halfway between two float32
// values.
//
// SGD, for each element:
//
//	d := grad[i]
//	if UseDecay { d = fma32(param[i], Decay, d) }          // L2 decay into the gradient
//	if UseMomentum {
//		buf[i] = d on the first step, else fma32(d, Keep, buf[i]·Momentum)   // Keep = 1 − dampening
//		d = fma32(buf[i], Momentum, d) with Nesterov, else buf[i]
//	}
//	param[i] = fma32(d, NegLR, param[i])
//
// Adam and AdamW:
//
//	g := grad[i]; p := param[i]
//	if AddDecay { g = fma32(p, Decay, g) }     // Adam: L2 decay into the gradient
//	if Shrink   { p = p·Factor }               // AdamW: decoupled decay, 1 − lr·λ
//	m[i] = fma32(g, Keep1, m[i]·Beta1)         // first moment
//	v[i] = fma32(Keep2·g, g, v[i]·Beta2)       // second moment
//	s := v[i]; with AMSGrad: vmax[i] = max(vmax[i], v[i]); s = vmax[i]
//	param[i] = p + NegStepSize·m[i] / (√s / BC2Sqrt + Eps)
//
// Every other step is one IEEE float32 operation in this order, and the
// vector kernels (optim_update_amd64.s) do the same operations: fma32
// becomes a conversion to float64, a float64 multiply-add and a conversion
// back; the square root of a float32 rounded once through float64 is the
// float32 square root. They give the bits of the loops below (sgdSpanRef,
// adamSpanRef) except where a denormal is involved: like the GEMM kernels,
// they flush denormal operands and results to zero, which a decaying second
// moment would otherwise make 15–30 times slower. The loops, used on the
// generic path and for AMSGrad, keep denormals.
//
// The loops cost 7–15 ns per parameter in plain Go on one thread (0.8 s of
// a VGG-16 training step on two, for its 138 M parameters); the vector
// kernels stream the buffers at about memory speed, 0.6–1.1 ns per
// parameter (BenchmarkAdamUpdate, BenchmarkSGDUpdate).

// AdamCoeffs are the constants of one update; see the loop above.
type AdamCoeffs struct {
	AddDecay, Shrink bool
	Decay, Factor    float32
	Beta1, Beta2     float32
	Keep1, Keep2     float32 // 1 − Beta1, 1 − Beta2
	NegStepSize      float32 // −lr / (1 − β₁ᵗ)
	BC2Sqrt          float32 // √(1 − β₂ᵗ)
	Eps              float32
}

// AdamUpdate applies one update to param, given grad and the moment buffers
// m and v (updated in place), and vmax for AMSGrad (nil otherwise). All
// slices have the same length. The elements are independent, so the result
// does not depend on the number of threads.
func AdamUpdate(c AdamCoeffs, param, grad, m, v, vmax []float32) {
	n := len(param)
	if len(grad) != n || len(m) != n || len(v) != n || (vmax != nil && len(vmax) != n) {
		panic("kernels.AdamUpdate: param, grad, m, v (and vmax) differ in length")
	}
	Parallel(n, GrainFor(n, 16), func(lo, hi int) {
		if vmax != nil { // AMSGrad has no vector kernel
			adamSpanRef(c, param[lo:hi], grad[lo:hi], m[lo:hi], v[lo:hi], vmax[lo:hi])
			return
		}
		if !adamVec(&c, param[lo:hi], grad[lo:hi], m[lo:hi], v[lo:hi]) {
			adamSpanRef(c, param[lo:hi], grad[lo:hi], m[lo:hi], v[lo:hi], nil)
		}
	})
}

// adamSpanRef is the update in plain Go, the reference of the vector kernels.
func adamSpanRef(c AdamCoeffs, param, grad, m, v, vmax []float32) {
	grad, m, v = grad[:len(param)], m[:len(param)], v[:len(param)]
	for i, p := range param {
		g := grad[i]
		if c.AddDecay {
			g = fma32(p, c.Decay, g)
		}
		if c.Shrink {
			p = float32(p * c.Factor) // rounded here: never fused with the add below
		}
		m[i] = fma32(g, c.Keep1, m[i]*c.Beta1)
		v[i] = fma32(c.Keep2*g, g, v[i]*c.Beta2)
		second := v[i]
		if vmax != nil {
			vmax[i] = max(vmax[i], v[i])
			second = vmax[i]
		}
		param[i] = p + c.NegStepSize*m[i]/(float32(math.Sqrt(float64(second)))/c.BC2Sqrt+c.Eps)
	}
}

// fma32 returns x·y + z rounded once to float64 (math.FMA) and then to
// float32: see the top of this file.
func fma32(x, y, z float32) float32 {
	return float32(math.FMA(float64(x), float64(y), float64(z)))
}

// SGDCoeffs are the constants of one SGD update; see the loop above.
type SGDCoeffs struct {
	Decay, Momentum float32
	Keep            float32 // 1 − dampening
	NegLR           float32
	UseDecay        bool
	UseMomentum     bool
	First           bool // the momentum buffer starts as d
	Nesterov        bool
}

// SGDUpdate applies one SGD update to param, given grad and the momentum
// buffer buf (updated in place; unused, and may be nil, without momentum).
// All slices have the same length; the result does not depend on the
// number of threads.
func SGDUpdate(c SGDCoeffs, param, grad, buf []float32) {
	n := len(param)
	if len(grad) != n || (c.UseMomentum && len(buf) != n) {
		panic("kernels.SGDUpdate: param, grad (and the momentum buffer) differ in length")
	}
	if !c.UseMomentum {
		buf = nil
	}
	Parallel(n, GrainFor(n, 8), func(lo, hi int) {
		var b []float32
		if buf != nil {
			b = buf[lo:hi]
		}
		if !sgdVec(&c, param[lo:hi], grad[lo:hi], b) {
			sgdSpanRef(c, param[lo:hi], grad[lo:hi], b)
		}
	})
}

// sgdSpanRef is the SGD update in plain Go, the reference of the vector
// kernels.
func sgdSpanRef(c SGDCoeffs, param, grad, buf []float32) {
	grad = grad[:len(param)]
	for i, p := range param {
		d := grad[i]
		if c.UseDecay {
			d = fma32(p, c.Decay, d)
		}
		if c.UseMomentum {
			if c.First {
				buf[i] = d
			} else {
				buf[i] = fma32(d, c.Keep, buf[i]*c.Momentum)
			}
			if c.Nesterov {
				d = fma32(buf[i], c.Momentum, d)
			} else {
				d = buf[i]
			}
		}
		param[i] = fma32(d, c.NegLR, p)
	}
}
