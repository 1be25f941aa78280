package bench

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/gocnn/gocnn/kernels"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// SGEMM benchmarks: C = A·B (no transposes, beta = 0, row-major, tight
// leading dimensions) at square sizes and at the GEMM shapes of the zoo's
// convolutions, on every kernel path of this machine and on gonum's pure-Go
// Sgemm, with 1 and 2 threads. Each reports GFLOP/s (2·m·n·k per call, per
// wall-clock second), GFLOP/cpu-s (per CPU second of the whole process: the
// rate of one busy core, which other work on the machine disturbs much less
// than the wall-clock rate) and %peak, the share of the single-core FMA peak
// measured by this suite (peak.go) that one busy core reaches: GFLOP/cpu-s ÷
// peak, or where CPU time is not measured, GFLOP/s ÷ (threads × peak). scripts/bench_openblas.py measures OpenBLAS at the same
// shapes; docs/PERF.md puts the figures side by side.

// gemmShape is one benchmark GEMM: C is m×n, the inner dimension k.
type gemmShape struct {
	name    string
	m, n, k int
}

// gemmShapes are the benchmark shapes, as convolutions (C = W·col, with m
// output channels, k = input channels · kernel taps, n = batch · output pixels).
var gemmShapes = []gemmShape{
	{"2048cube", 2048, 2048, 2048},
	{"1024cube", 1024, 1024, 1024},
	{"r50_3x3_56", 64, 3136, 576},        // ResNet layer1 3×3, 64 channels, 56×56
	{"r50_3x3_56_c256", 256, 3136, 2304}, // 3×3 on 256 channels at 56×56
	{"r50_3x3_28_c512", 512, 784, 4608},  // 3×3 on 512 channels at 28×28
	{"vgg_conv1_224", 64, 50176, 27},     // VGG's first conv at 224×224: k = 3·3·3
	{"fc_1000_b32", 1000, 32, 2048},      // ResNet50 classifier, batch 32, as W·xᵀ
	// Late layers of a 32×32 input (feature maps of 1×1 to 4×4, batch 32
	// folded into n):
	{"late_3x3_2x2_c512", 512, 32 * 4, 4608},   // 3×3, 512→512 channels on 2×2 maps
	{"late_1x1_1x1_c2048", 2048, 32, 512},      // 1×1, 512→2048 channels on 1×1 maps
	{"late_1x1_4x4_c1024", 1024, 32 * 16, 256}, // 1×1, 256→1024 channels on 4×4 maps
}

func BenchmarkFMAPeak(b *testing.B) {
	loops := fmaLoops()
	if len(loops) == 0 {
		b.Skip("no FMA loop for this architecture")
	}
	for _, l := range loops {
		b.Run(l.name, func(b *testing.B) {
			const iters = 1 << 14
			cpu := processCPUTime()
			for b.Loop() {
				l.run(iters)
			}
			flops := float64(b.N) * iters * float64(l.flopsPerIter)
			b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			if cpu := processCPUTime() - cpu; cpu > 0 {
				b.ReportMetric(flops/cpu.Seconds()/1e9, "GFLOP/cpu-s")
			}
		})
	}
}

func BenchmarkSgemm(b *testing.B) {
	peak := singleCorePeak()
	if peak > 0 {
		b.Logf("single-core FMA peak: %.1f GFLOP/s", peak)
	}
	for _, s := range gemmShapes {
		b.Run(s.name, func(b *testing.B) { benchSgemmShape(b, s, peak) })
	}
}

// benchSgemmShape runs one shape on every path and gonum, with 1 and 2 threads.
func benchSgemmShape(b *testing.B, s gemmShape, peak float64) {
	rng := rand.New(rand.NewPCG(1, uint64(s.m)))
	x, y, z := randomFloats(rng, s.m*s.k), randomFloats(rng, s.k*s.n), make([]float32, s.m*s.n)
	flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
	report := func(b *testing.B, threads int, cpu time.Duration) {
		gflops := flops * float64(b.N) / b.Elapsed().Seconds() / 1e9
		b.ReportMetric(gflops, "GFLOP/s")
		perCore := gflops / float64(threads)
		if cpu > 0 {
			perCore = flops * float64(b.N) / cpu.Seconds() / 1e9
			b.ReportMetric(perCore, "GFLOP/cpu-s")
		}
		if peak > 0 {
			b.ReportMetric(100*perCore/peak, "%peak")
		}
	}
	for _, threads := range []int{1, 2} {
		for _, p := range kernels.Paths() {
			b.Run(fmt.Sprintf("%s/t%d", p, threads), func(b *testing.B) {
				old, _ := kernels.UsePath(p)
				defer kernels.UsePath(old)
				defer kernels.SetThreads(kernels.SetThreads(threads))
				kernels.Sgemm(false, false, s.m, s.n, s.k, 1, x, s.k, y, s.n, 0, z, s.n) // workspaces, caches
				cpu := processCPUTime()
				for b.Loop() {
					kernels.Sgemm(false, false, s.m, s.n, s.k, 1, x, s.k, y, s.n, 0, z, s.n)
				}
				report(b, threads, processCPUTime()-cpu)
			})
		}
		b.Run(fmt.Sprintf("gonum/t%d", threads), func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
			cpu := processCPUTime()
			for b.Loop() {
				gonum.Implementation{}.Sgemm(blas.NoTrans, blas.NoTrans, s.m, s.n, s.k, 1, x, s.k, y, s.n, 0, z, s.n)
			}
			report(b, threads, processCPUTime()-cpu)
		})
	}
}

func randomFloats(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = rng.Float32()*2 - 1
	}
	return x
}

// BenchmarkSgemmDenormal multiplies 256×256 matrices of ordinary values and
// of values around 1e-20, whose products (about 1e-40) are denormal. A
// denormal costs the FPU a microcode assist of about a hundred cycles unless
// it is flushed to zero, as the assembly kernels do (and plain Go cannot).
func BenchmarkSgemmDenormal(b *testing.B) {
	const n = 256
	rng := rand.New(rand.NewPCG(3, 4))
	x, y, z := randomFloats(rng, n*n), randomFloats(rng, n*n), make([]float32, n*n)
	tiny := func(v []float32) []float32 {
		t := make([]float32, len(v))
		for i := range v {
			t[i] = v[i] * 1e-20
		}
		return t
	}
	xt, yt := tiny(x), tiny(y)
	for _, p := range kernels.Paths() {
		for _, c := range []struct {
			name string
			a, b []float32
		}{{"normal", x, y}, {"tiny", xt, yt}} {
			b.Run(fmt.Sprintf("%s/%s", p, c.name), func(b *testing.B) {
				old, _ := kernels.UsePath(p)
				defer kernels.UsePath(old)
				defer kernels.SetThreads(kernels.SetThreads(1))
				for b.Loop() {
					kernels.Sgemm(false, false, n, n, n, 1, c.a, n, c.b, n, 0, z, n)
				}
				b.ReportMetric(2*n*n*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
