package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestTranspose checks each path's transpose against transposeGo on ragged
// shapes (whole 8×8 blocks, a rest, or either alone) with padded leading
// dimensions, and that it writes nothing outside the rows×cols corner.
func TestTranspose(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, set := range sets {
		uk := set.gemm.microKernel
		for _, rows := range []int{1, 7, 8, 9, 16, 23, 64} {
			for _, cols := range []int{1, 5, 8, 15, 32, 70} {
				for _, pad := range []int{0, 3} {
					lds, ldd := cols+pad, rows+2*pad
					src := gemmRandom(rng, rows*lds)
					want, got := make([]float32, cols*ldd), make([]float32, cols*ldd)
					for i := range got {
						want[i], got[i] = gemmSentinel, gemmSentinel
					}
					transposeGo(want, src, rows, cols, ldd, lds)
					uk.transpose(got, src, rows, cols, ldd, lds)
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%s: %d×%d, lds %d, ldd %d: element %d is %v, want %v", set.path, rows, cols, lds, ldd, i, got[i], want[i])
						}
					}
					for j := range cols {
						for i := range rows {
							if want[j*ldd+i] != src[i*lds+j] {
								t.Fatalf("transposeGo: %d×%d: element (%d, %d) wrong", rows, cols, i, j)
							}
						}
					}
				}
			}
		}
	}
}

// TestSgemmSwappedSameBits checks that the products the driver swaps (C =
// A·Bᵀ with B wide and k deep, sgemm_swap.go) give the bits of the
// unswapped blocked algorithm, with and without beta, on 1 to 3 threads,
// and that a swapped call allocates nothing once its scratch exists.
func TestSgemmSwappedSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	swaps := 0
	for _, set := range sets {
		d := set.gemm
		if !d.strided {
			if d.swapPays(false, true, 8, 1000, 4096, 4096, 4096) {
				t.Fatalf("%s: a path whose micro-kernel packs every operand swaps", set.path)
			}
			continue
		}
		for _, s := range [][3]int{{5, 70, swapMinK}, {13, 100, swapMinK + 37}, {64, 300, swapMinK + 8}, {1, 40, 2 * swapMinK}} {
			for _, pad := range []int{0, 3} {
				gc := gemmCase{m: s[0], n: s[1], k: s[2], transB: true, pad: pad, alpha: 0.75, beta: float32(pad) / 2}
				o := newGemmOperands(rng, gc)
				if !d.swapPays(false, true, gc.m, gc.n, gc.k, o.lda, o.ldb) {
					t.Fatalf("%s %v: not swapped", set.path, gc)
				}
				swaps++
				for threads := 1; threads <= 3; threads++ {
					want, got := append([]float32(nil), o.c...), append([]float32(nil), o.c...)
					withThreads(threads, func() {
						d.blocked(false, true, gc.m, gc.n, gc.k, gc.alpha, o.a, o.lda, o.b, o.ldb, gc.beta, want, o.ldc)
						d.sgemm(false, true, gc.m, gc.n, gc.k, gc.alpha, o.a, o.lda, o.b, o.ldb, gc.beta, got, o.ldc)
					})
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%s %v, %d threads: C[%d] = %v swapped, %v not", set.path, gc, threads, i, got[i], want[i])
						}
					}
				}
				withThreads(1, func() {
					c := append([]float32(nil), o.c...)
					call := func() { d.sgemm(false, true, gc.m, gc.n, gc.k, gc.alpha, o.a, o.lda, o.b, o.ldb, gc.beta, c, o.ldc) }
					call()
					if allocs := testing.AllocsPerRun(3, call); allocs != 0 {
						t.Errorf("%s %v: %v allocations per swapped call", set.path, gc, allocs)
					}
				})
			}
		}
		// Not swapped: a B no wider than swapMinRatio·m, a shallow k, a
		// small B, a transposed A, an untransposed B.
		for _, c := range []struct {
			transA, transB bool
			m, n, k        int
		}{{false, true, 100, 399, 4096}, {false, true, 8, 1000, swapMinK - 1}, {false, true, 2, 10, 4096}, {true, true, 8, 1000, 4096}, {false, false, 8, 1000, 4096}} {
			if d.swapPays(c.transA, c.transB, c.m, c.n, c.k, c.k+1, c.k+1) {
				t.Errorf("%s: %+v swapped", set.path, c)
			}
		}
	}
	if swaps == 0 && len(sets) > 1 {
		t.Fatal("no product swapped")
	}
}
