package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestFullTilesMatchTile checks each path's row of tiles (microKernel.tiles)
// against the same tiles computed one call at a time: the same bits in C,
// with packed and in-place operands, every row count, beta 0, 1 and
// another, and nothing written beside the tiles.
func TestFullTilesMatchTile(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, set := range sets {
		d := set.gemm
		if d.tiles == nil {
			continue
		}
		for trial := range 300 {
			n, kc, mr := 1+r.IntN(5), 1+r.IntN(70), 1+r.IntN(d.mr)
			inPlace := trial%2 == 1 && d.strided
			beta := []float32{0, 1, 0.5}[trial%3]
			ldc := n*d.nr + r.IntN(9)
			a, rsA, csA := randSlice(r, d.mr*kc), 1, d.mr
			if inPlace {
				a, rsA, csA = randSlice(r, d.mr*kc+5*(d.mr-1)), kc+5, 1
			}
			b, rsB, bStep := randSlice(r, n*kc*d.nr), d.nr, kc*d.nr
			if inPlace {
				rsB = n*d.nr + r.IntN(7)
				b, bStep = randSlice(r, kc*rsB), d.nr
			}
			c0 := randSlice(r, d.mr*ldc)
			c0[0] = float32(math.NaN()) // ignored when beta is 0
			want, got := append([]float32(nil), c0...), append([]float32(nil), c0...)
			for i := range n {
				d.tile(kc, a, rsA, csA, b[i*bStep:], rsB, want[i*d.nr:], ldc, 1.5, beta, mr, d.nr)
			}
			d.tiles(n, kc, a, rsA, csA, b, rsB, bStep, got, ldc, 1.5, beta, mr)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s n=%d kc=%d mr=%d in place %v beta %v: C[%d] = %v, one tile at a time %v", set.path, n, kc, mr, inPlace, beta, i, got[i], want[i])
				}
			}
		}
	}
}

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
//   - k16: the same over 16 steps, as for a pointwise convolution with 16
//     input channels, where what a tile does besides its steps counts most.
func BenchmarkSgemmMicroKernel(b *testing.B) {
	for _, set := range sets {
		d := set.gemm
		for _, c := range []struct {
			name   string
			kc, nc int
		}{
			{"k16", 16, d.nc},
			{"l1", 128, d.nr},
			{"l2", d.kc, d.nc},
		} {
			b.Run(fmt.Sprintf("%s/%s", set.path, c.name), func(b *testing.B) {
				benchMicroKernel(b, d, c.kc, c.nc/d.nr*d.nr)
			})
		}
	}
}

// benchMicroKernel runs d's tiles over an mr×kc A panel and the nc/nr B
// panels of a kc×nc block, as the macro-kernel does, 16 passes per
// iteration, accumulating into C.
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
	ldc := nc + 16 // padded, so that the rows of C are not a multiple of 4 KiB apart and do not share L1 sets
	c := random(d.mr * ldc)
	const passes = 16
	for b.Loop() {
		for range passes {
			d.fullTiles(nc/d.nr, kc, a, 1, d.mr, bp, d.nr, kc*d.nr, c, ldc, 1, 1, d.mr)
		}
	}
	flops := float64(b.N) * passes * float64(2*d.mr*nc*kc)
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
