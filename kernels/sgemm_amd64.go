package kernels

// The assembly SGEMM micro-kernels (sgemm_avx2_amd64.s, sgemm_avx512_amd64.s)
// and their Go entry points. Both read A and B with arbitrary strides (see
// microKernel.tile in sgemm.go); each call is one tile over at most kc steps,
// so the time spent in assembly, where the goroutine cannot be preempted,
// stays in the microseconds.

// sgemmTileAVX2 computes a 6×16 tile (mr ≤ 6 rows and nr ≤ 16 columns of it
// are stored) with AVX2 and FMA3.
//
//go:noescape
func sgemmTileAVX2(kc int, a *float32, rsA, csA int, b *float32, rsB int, c *float32, ldc int, alpha, beta float32, mr, nr int)

// sgemmTileAVX512 computes a 12×32 tile (mr ≤ 12 rows, and the columns whose
// bit is set in nmask, are stored) with AVX-512F.
//
//go:noescape
func sgemmTileAVX512(kc int, a *float32, rsA, csA int, b *float32, rsB int, c *float32, ldc int, alpha, beta float32, mr int, nmask uint32)

var avx2MicroKernel = microKernel{mr: 6, nr: 16, strided: true, tile: tileAVX2}

var avx512MicroKernel = microKernel{mr: 12, nr: 32, strided: true, tile: tileAVX512}

func tileAVX2(kc int, a []float32, rsA, csA int, b []float32, rsB int, c []float32, ldc int, alpha, beta float32, mr, nr int) {
	sgemmTileAVX2(kc, &a[0], rsA, csA, &b[0], rsB, &c[0], ldc, alpha, beta, mr, nr)
}

func tileAVX512(kc int, a []float32, rsA, csA int, b []float32, rsB int, c []float32, ldc int, alpha, beta float32, mr, nr int) {
	sgemmTileAVX512(kc, &a[0], rsA, csA, &b[0], rsB, &c[0], ldc, alpha, beta, mr, uint32(1<<nr-1))
}
