package bench

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gocnn/gocnn/kernels"
)

// Denormal inputs: on x86, an instruction that reads or produces a denormal
// float (|v| < 2^−126 ≈ 1.2e−38) can take a microcode assist costing a hundred
// cycles or more, so a layer whose activations or gradients have decayed to
// 1e−40 could run a hundred times slower than on ordinary values. Each
// benchmark runs a pass of a convolution (GEMM-based 3×3, pointwise 1×1,
// depthwise 3×3) with its data input scaled to about 1e−40 (x for the
// forward and filter passes, dy for the data pass), on every kernel path,
// one thread, and reports
//
//	GFLOP/s    on the tiny values
//	x_normal   its best time over the best time of the same pass on
//	           ordinary values (about 1), both measured after the timed
//	           loop: 1 means denormals cost nothing
//
//	go test -run '^$' -bench 'Denormal/' ./bench
//
// BenchmarkDenormalLayers does the same for batch norm in training
// (forward, and backward given dy), a broadcast multiply by one value per
// channel (kernels.Binary, as in squeeze-excitation) and MobileNetV3's
// Hardswish and Hardsigmoid (forward and backward), on 16 × 64 × 28 × 28
// values with x and dy scaled to about 1e−40. BenchmarkDenormalUpdate does
// it for the optimiser updates (adamw, and sgd with momentum and weight
// decay; 1M parameters) with gradients of about 1e−20, whose squares,
// Adam's second moments, are denormal (ordinary: about 1e−3).

var denormalShapes = []string{"3x3s1_c64_k64_56", "1x1s1_c256_k64_56", "dw3x3s1_c32_112"}

func BenchmarkDenormal(b *testing.B) {
	for _, name := range denormalShapes {
		var s convShape
		for _, c := range convShapes {
			if c.name == name {
				s = c
			}
		}
		p := s.params(1)
		normal := newConvBuffers(rand.New(rand.NewPCG(3, 4)), p)
		tiny := newConvBuffers(rand.New(rand.NewPCG(3, 4)), p)
		for _, v := range [][]float32{tiny.x, tiny.dy} {
			for i := range v {
				v[i] *= 1e-40
			}
		}
		for _, pass := range convPasses {
			for _, path := range kernels.Paths() {
				b.Run(fmt.Sprintf("%s/%s/%s", name, pass.name, path), func(b *testing.B) {
					old, err := kernels.UsePath(path)
					if err != nil {
						b.Fatal(err)
					}
					defer kernels.UsePath(old)
					defer kernels.SetThreads(kernels.SetThreads(1))
					for b.Loop() {
						pass.run(p, tiny)
					}
					per := b.Elapsed().Seconds() / float64(b.N)
					b.ReportMetric(convFlops(p)/per/1e9, "GFLOP/s")
					tinyTime := bestTime(func() { pass.run(p, tiny) })
					normalTime := bestTime(func() { pass.run(p, normal) })
					b.ReportMetric(tinyTime.Seconds()/normalTime.Seconds(), "x_normal")
				})
			}
		}
	}
}

func BenchmarkDenormalLayers(b *testing.B) {
	const n, c, hw = 16, 64, 28 * 28
	rng := rand.New(rand.NewPCG(7, 8))
	normalX, normalDy := make([]float32, n*c*hw), make([]float32, n*c*hw)
	tinyX, tinyDy := make([]float32, n*c*hw), make([]float32, n*c*hw)
	for i := range normalX {
		normalX[i], normalDy[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		tinyX[i], tinyDy[i] = normalX[i]*1e-40, normalDy[i]*1e-40
	}
	gamma, beta := make([]float32, c), make([]float32, c)
	for i := range gamma {
		gamma[i] = 1
	}
	y, dx := make([]float32, n*c*hw), make([]float32, n*c*hw)
	mean, invStd, uv, dgamma, dbeta := make([]float32, c), make([]float32, c), make([]float32, c), make([]float32, c), make([]float32, c)
	type pass struct {
		name string
		run  func(x, dy []float32)
	}
	passes := []pass{
		{"batchnorm_fwd", func(x, _ []float32) {
			kernels.BatchNormTrainForward(n, c, hw, x, gamma, beta, 1e-5, y, mean, invStd, uv)
		}},
		{"batchnorm_bwd", func(x, dy []float32) {
			kernels.BatchNormBackward(true, n, c, hw, x, gamma, mean, invStd, dy, dx, dgamma, dbeta)
		}},
		{"channel_mul", func(x, _ []float32) { // a squeeze-excitation scale
			kernels.Binary(kernels.OpMul, x, []int{n, c, hw}, gamma, []int{1, c, 1}, y)
		}},
	}
	for _, a := range []kernels.Act{kernels.Hardswish, kernels.Hardsigmoid} {
		passes = append(passes,
			pass{fmt.Sprintf("%v_fwd", a), func(x, _ []float32) { kernels.ActForward(a, x, y) }},
			pass{fmt.Sprintf("%v_bwd", a), func(x, dy []float32) { kernels.ActBackward(a, x, y, dy, dx) }})
	}
	for _, pass := range passes {
		for _, path := range kernels.Paths() {
			b.Run(fmt.Sprintf("%s/%s", pass.name, path), func(b *testing.B) {
				old, err := kernels.UsePath(path)
				if err != nil {
					b.Fatal(err)
				}
				defer kernels.UsePath(old)
				defer kernels.SetThreads(kernels.SetThreads(1))
				tiny := func() { pass.run(tinyX, tinyDy) }
				for b.Loop() {
					tiny()
				}
				normal := func() { pass.run(normalX, normalDy) }
				b.ReportMetric(bestTime(tiny).Seconds()/bestTime(normal).Seconds(), "x_normal")
			})
		}
	}
}

func BenchmarkDenormalUpdate(b *testing.B) {
	const n = 1 << 20
	rng := rand.New(rand.NewPCG(5, 6))
	param, normalGrad, tinyGrad := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range param {
		param[i] = float32(0.05 * rng.NormFloat64())
		normalGrad[i] = float32(1e-3 * rng.NormFloat64())
		tinyGrad[i] = normalGrad[i] * 1e-17
	}
	adam := kernels.AdamCoeffs{Shrink: true, Factor: 0.99995, Beta1: 0.9, Beta2: 0.999, Keep1: 0.1, Keep2: 0.001, NegStepSize: -1e-3, BC2Sqrt: 0.03, Eps: 1e-8}
	sgd := kernels.SGDCoeffs{UseDecay: true, UseMomentum: true, Decay: 1e-4, Momentum: 0.9, Keep: 1, NegLR: -0.1}
	// Each update returns a function that steps a parameter of its own, with
	// its own state, on the given gradient: the tiny and the ordinary runs
	// must not share moments.
	updates := []struct {
		name string
		make func(grad []float32) func()
	}{
		{"adamw", func(grad []float32) func() {
			p, m, v := slices.Clone(param), make([]float32, n), make([]float32, n)
			return func() { kernels.AdamUpdate(adam, p, grad, m, v, nil) }
		}},
		{"sgd", func(grad []float32) func() {
			p, buf := slices.Clone(param), make([]float32, n)
			return func() { kernels.SGDUpdate(sgd, p, grad, buf) }
		}},
	}
	for _, u := range updates {
		for _, path := range kernels.Paths() {
			b.Run(fmt.Sprintf("%s/%s", u.name, path), func(b *testing.B) {
				old, err := kernels.UsePath(path)
				if err != nil {
					b.Fatal(err)
				}
				defer kernels.UsePath(old)
				defer kernels.SetThreads(kernels.SetThreads(1))
				tiny, normal := u.make(tinyGrad), u.make(normalGrad)
				for b.Loop() {
					tiny()
				}
				b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)/n*1e9, "ns/param")
				b.ReportMetric(bestTime(tiny).Seconds()/bestTime(normal).Seconds(), "x_normal")
			})
		}
	}
}

// bestTime returns the shortest time of f over up to five runs (fewer when
// they take more than a second together): the run least disturbed by other
// work on the machine.
func bestTime(f func()) time.Duration {
	best, total := time.Duration(1<<62), time.Duration(0)
	for i := 0; i < 5 && total < time.Second; i++ {
		start := time.Now()
		f()
		took := time.Since(start)
		best, total = min(best, took), total+took
	}
	return best
}
