package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// The assembly reads SGDCoeffs and AdamCoeffs at fixed offsets
// (optim_update_amd64.s).
func TestUpdateCoeffsLayout(t *testing.T) {
	var s SGDCoeffs
	got := []uintptr{unsafe.Offsetof(s.Decay), unsafe.Offsetof(s.Momentum), unsafe.Offsetof(s.Keep), unsafe.Offsetof(s.NegLR),
		unsafe.Offsetof(s.UseDecay), unsafe.Offsetof(s.UseMomentum), unsafe.Offsetof(s.First), unsafe.Offsetof(s.Nesterov)}
	if want := []uintptr{0, 4, 8, 12, 16, 17, 18, 19}; !slices.Equal(got, want) {
		t.Errorf("SGDCoeffs field offsets %v, the assembly expects %v", got, want)
	}
	var c AdamCoeffs
	got = []uintptr{unsafe.Offsetof(c.AddDecay), unsafe.Offsetof(c.Shrink), unsafe.Offsetof(c.Decay),
		unsafe.Offsetof(c.Factor), unsafe.Offsetof(c.Beta1), unsafe.Offsetof(c.Beta2), unsafe.Offsetof(c.Keep1),
		unsafe.Offsetof(c.Keep2), unsafe.Offsetof(c.NegStepSize), unsafe.Offsetof(c.BC2Sqrt), unsafe.Offsetof(c.Eps)}
	if want := []uintptr{0, 1, 4, 8, 12, 16, 20, 24, 28, 32, 36}; !slices.Equal(got, want) {
		t.Errorf("AdamCoeffs field offsets %v, the assembly expects %v", got, want)
	}
}

// adamValues returns n values of mixed magnitudes (1e-30 to 1e4, both
// signs), with zeros of both signs, denormals and, if withInf, infinities
// among them. A gradient of 1e-20 makes a denormal second moment.
func adamValues(rng *rand.Rand, n int, nonNegative, withInf bool) []float32 {
	x := make([]float32, n)
	for i := range x {
		var v float32
		switch r := rng.IntN(40); {
		case r == 0:
			v = 0
		case r == 1:
			v = float32(math.Copysign(0, -1))
		case r == 2:
			v = 3e-40 // denormal
		case r == 3 && withInf:
			v = float32(math.Inf(1))
		case r < 8:
			v = float32(math.Pow(10, -30+rng.Float64()*15)) // 1e-30 … 1e-15
		default:
			v = float32(math.Pow(10, -6+rng.Float64()*10)) // 1e-6 … 1e4
		}
		if !nonNegative && rng.IntN(2) == 0 {
			v = -v
		}
		x[i] = v
	}
	return x
}

// flush32 is what the MXCSR's DAZ does to an operand and FTZ to a result:
// a denormal becomes a zero of its sign.
func flush32(x float32) float32 {
	if x != 0 && math.Abs(float64(x)) < 0x1p-126 {
		return float32(math.Copysign(0, float64(x)))
	}
	return x
}

// updatesFlush says whether the current path's updates flush denormals
// (the vector kernels, not AMSGrad's loop).
func updatesFlush(amsgrad bool) bool { return CurrentPath() != Generic && !amsgrad }

// adamSpanFlushed is adamSpanRef as the vector kernels compute it: every
// operand of an arithmetic step and every result flushed.
func adamSpanFlushed(c AdamCoeffs, param, grad, m, v []float32) {
	f := flush32
	for i := range param {
		g, p := grad[i], param[i]
		if c.AddDecay {
			g = f(fma32(f(p), c.Decay, f(g)))
		}
		if c.Shrink {
			p = f(f(p) * c.Factor)
		}
		m[i] = f(fma32(f(g), c.Keep1, f(f(m[i])*c.Beta1)))
		v[i] = f(fma32(f(c.Keep2*f(g)), f(g), f(f(v[i])*c.Beta2)))
		root := f(float32(math.Sqrt(float64(v[i]))))
		den := f(f(root/c.BC2Sqrt) + c.Eps)
		param[i] = f(f(p) + f(f(c.NegStepSize*m[i])/den))
	}
}

// sgdSpanFlushed is sgdSpanRef the same way. Moves (the first momentum
// buffer, d = buf) copy a denormal as it is.
func sgdSpanFlushed(c SGDCoeffs, param, grad, buf []float32) {
	f := flush32
	for i, p := range param {
		d := grad[i]
		if c.UseDecay {
			d = f(fma32(f(p), c.Decay, f(d)))
		}
		if c.UseMomentum {
			if c.First {
				buf[i] = d
			} else {
				buf[i] = f(fma32(f(d), c.Keep, f(f(buf[i])*c.Momentum)))
			}
			if c.Nesterov {
				d = f(fma32(f(buf[i]), c.Momentum, f(d)))
			} else {
				d = buf[i]
			}
		}
		param[i] = f(fma32(f(d), c.NegLR, f(p)))
	}
}

// The vector kernels give the bits of the Go loop with denormals flushed as
// the MXCSR flushes them (the generic path and AMSGrad: the loop itself):
// every variant (L2 decay, decoupled decay, AMSGrad), lengths around the
// vector widths, values from 1e-30 to 1e4 with denormals among them, three
// steps in a row, on every path, with one and two threads.
func TestAdamUpdateMatchesReference(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(41, 42))
		for _, n := range []int{1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33, 1001, 70001} {
			for variant := range 8 {
				c := AdamCoeffs{AddDecay: variant&1 != 0, Shrink: variant&2 != 0, Decay: 0.05, Factor: float32(1 - 1e-3*0.05),
					Beta1: 0.9, Beta2: 0.999, Keep1: float32(1 - 0.9), Keep2: float32(1 - 0.999), Eps: 1e-8}
				amsgrad := variant&4 != 0
				withInf := n == 1001
				param := adamValues(rng, n, false, withInf)
				m, v := adamValues(rng, n, false, false), adamValues(rng, n, true, false)
				var vmax []float32
				if amsgrad {
					vmax = adamValues(rng, n, true, false)
				}
				want := [][]float32{slices.Clone(param), slices.Clone(m), slices.Clone(v), slices.Clone(vmax)}
				for step := 1; step <= 3; step++ {
					c.NegStepSize = float32(-(1e-3 / (1 - math.Pow(0.9, float64(step)))))
					c.BC2Sqrt = float32(math.Sqrt(1 - math.Pow(0.999, float64(step))))
					grad := adamValues(rng, n, false, withInf)
					if updatesFlush(amsgrad) {
						adamSpanFlushed(c, want[0], grad, want[1], want[2])
					} else {
						adamSpanRef(c, want[0], grad, want[1], want[2], want[3])
					}
					withThreads(1+step%2, func() { AdamUpdate(c, param, grad, m, v, vmax) })
					for k, got := range [][]float32{param, m, v, vmax} {
						if i := sameBits(got, want[k]); i >= 0 {
							t.Fatalf("n %d, %+v, AMSGrad %v, step %d: %s[%d] = %v, want %v",
								n, c, amsgrad, step, []string{"param", "m", "v", "vmax"}[k], i, got[i], want[k][i])
						}
					}
				}
			}
		}
	})
}

// The same for SGD: every combination of decay, momentum (first step or
// later), dampening and Nesterov.
func TestSGDUpdateMatchesReference(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(45, 46))
		for _, n := range []int{1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33, 1001, 70001} {
			for variant := range 16 { // bits: decay, momentum, dampening, Nesterov
				c := SGDCoeffs{UseDecay: variant&1 != 0, UseMomentum: variant&2 != 0, Decay: 1e-4, Momentum: 0.9, Keep: 1, NegLR: -0.1}
				if variant&4 != 0 {
					c.Keep = float32(1 - 0.3)
				}
				c.Nesterov = variant&8 != 0 && c.UseMomentum
				param := adamValues(rng, n, false, n == 1001)
				var buf, wantBuf []float32
				if c.UseMomentum {
					buf = make([]float32, n)
				}
				want := slices.Clone(param)
				wantBuf = slices.Clone(buf)
				for step := 1; step <= 3; step++ {
					c.First = c.UseMomentum && step == 1
					grad := adamValues(rng, n, false, n == 1001)
					if updatesFlush(false) {
						sgdSpanFlushed(c, want, grad, wantBuf)
					} else {
						sgdSpanRef(c, want, grad, wantBuf)
					}
					withThreads(1+step%2, func() { SGDUpdate(c, param, grad, buf) })
					if i := sameBits(param, want); i >= 0 {
						t.Fatalf("n %d, %+v, step %d: param[%d] = %v, want %v", n, c, step, i, param[i], want[i])
					}
					if i := sameBits(buf, wantBuf); i >= 0 {
						t.Fatalf("n %d, %+v, step %d: buf[%d] = %v, want %v", n, c, step, i, buf[i], wantBuf[i])
					}
				}
			}
		}
	})
}

func TestAdamUpdateRejectsLengths(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a gradient shorter than the parameter")
		}
	}()
	AdamUpdate(AdamCoeffs{}, make([]float32, 4), make([]float32, 3), make([]float32, 4), make([]float32, 4), nil)
}

// BenchmarkAdamUpdate times AdamW updates of 4M parameters of typical
// magnitudes on one thread on every path and with the Go loop ("ref"), and
// reports GB/s (28 bytes per parameter: param, grad, m and v read, param, m
// and v written) and ns/param:
//
//	go test ./kernels -run '^$' -bench 'AdamUpdate|SGDUpdate'
func BenchmarkAdamUpdate(b *testing.B) {
	param, grad := updateBenchOperands()
	m, v := make([]float32, len(param)), make([]float32, len(param))
	c := AdamCoeffs{Shrink: true, Factor: 0.99995, Beta1: 0.9, Beta2: 0.999, Keep1: 0.1, Keep2: 0.001, NegStepSize: -1e-3, BC2Sqrt: 0.03, Eps: 1e-8}
	benchUpdate(b, len(param), 28,
		func() { AdamUpdate(c, param, grad, m, v, nil) },
		func() { adamSpanRef(c, param, grad, m, v, nil) })
}

// BenchmarkSGDUpdate does the same for SGD with momentum and weight decay
// (20 bytes per parameter: param, grad and buf read, param and buf written).
func BenchmarkSGDUpdate(b *testing.B) {
	param, grad := updateBenchOperands()
	buf := make([]float32, len(param))
	c := SGDCoeffs{UseDecay: true, UseMomentum: true, Decay: 1e-4, Momentum: 0.9, Keep: 1, NegLR: -0.1}
	benchUpdate(b, len(param), 20,
		func() { SGDUpdate(c, param, grad, buf) },
		func() { sgdSpanRef(c, param, grad, buf) })
}

// updateBenchOperands returns 4M parameters and gradients of typical
// magnitudes, with which no denormal ever appears.
func updateBenchOperands() (param, grad []float32) {
	const n = 4 << 20
	rng := rand.New(rand.NewPCG(43, 44))
	param, grad = make([]float32, n), make([]float32, n)
	for i := range param {
		param[i], grad[i] = float32(0.05*rng.NormFloat64()), float32(1e-3*rng.NormFloat64())
	}
	return param, grad
}

// benchUpdate runs update on every path and ref, on one thread.
func benchUpdate(b *testing.B, n, bytesPerParam int, update, ref func()) {
	variants := []string{"ref"}
	for _, p := range Paths() {
		variants = append(variants, string(p))
	}
	defer SetThreads(SetThreads(1))
	for _, variant := range variants {
		b.Run(variant, func(b *testing.B) {
			run := update
			if variant == "ref" {
				run = ref
			} else if old, err := UsePath(Path(variant)); err == nil {
				defer UsePath(old)
			}
			b.SetBytes(int64(bytesPerParam * n))
			for b.Loop() {
				run()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/param")
		})
	}
}
