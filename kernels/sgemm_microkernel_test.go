package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkSgemmMicroKernel times each path's micro-kernel on its own, on
// packed panels that stay in the caches: the rate the tile's inner loop
// reaches before packing, L3 and memory take their share of a whole product.
// Run it beside BenchmarkFMAPeak (./bench) to read it as a fraction of the
// core's peak (docs/PERF.md, "Where the 2048³ time goes").
//
//   - l1: one mr×kc A panel against one kc×nr B panel, both in L1 (kc = 128
//     keeps them under half of a 48 KiB L1d for every path), tile after tile
//     into a small C.
//   - l2: one A panel against a whole kc×nc B block with the driver's kc and
//     nc, which streams from L2 as it does in the macro-kernel.
func BenchmarkSgemmMicroKernel(b *testing.B) {
	for _, set := range sets {
		d := set.gemm
		for _, c := range []struct {
			name   string
			kc, nc int
		}{
			{"l1", 128, d.nr},
			{"l2", d.kc, d.nc},
		} {
			b.Run(fmt.Sprintf("%s/%s", set.path, c.name), func(b *testing.B) {
				benchMicroKernel(b, d, c.kc, c.nc/d.nr*d.nr)
			})
		}
	}
}

// benchMicroKernel runs d's tile over an mr×kc A panel and the nc/nr B
// panels of a kc×nc block, 16 passes per iteration, accumulating into C.
func benchMicroKernel(b *testing.B, d *gemmDriver, kc, nc int) {
	r := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []float32 {
		s := alignedFloats(n)
		for i := range s {
			s[i] = r.Float32() - 0.5
		}
		return s
	}
	a, bp := random(d.mr*kc), random(kc*nc)
	ldc := nc + 16 // rows of C 64 bytes off a multiple of 4 KiB, so they do not share L1 sets
	c := random(d.mr * ldc)
	const passes = 16
	for b.Loop() {
		for range passes {
			for jr := 0; jr < nc; jr += d.nr {
				d.tile(kc, a, 1, d.mr, bp[jr*kc:], d.nr, c[jr:], ldc, 1, 1, d.mr, d.nr)
			}
		}
	}
	flops := float64(b.N) * passes * float64(2*d.mr*nc*kc)
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
