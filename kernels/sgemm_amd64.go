package kernels

// The assembly SGEMM micro-kernels (sgemm_avx2_amd64.s, sgemm_avx512_amd64.s)
// and their Go entry points. Both read A and B with arbitrary strides (see
// microKernel.tile in sgemm.go); each call is one tile, or one row of at most
// nc/nr tiles, over at most kc steps, so the time spent in assembly, where
// the goroutine cannot be preempted, stays in the tens of microseconds.

// sgemmTileAVX2 computes a 6×16 tile (mr ≤ 6 rows and nr ≤ 16 columns of it
// are stored) with AVX2 and FMA3. A full tile can also pack the B rows it
// reads (pack ≠ nil) or fetch nextRows rows at next into L2 (nextRows > 0),
// as sgemmTileAVX512 does.
//
//go:noescape
func sgemmTileAVX2(kc int, a *float32, rsA, csA int, b *float32, rsB int, c *float32, ldc int, alpha, beta float32, mr, nr int, pack, next *float32, nextStride, nextRows, tiles, bStep int)

// sgemmTileAVX512 computes a 12×32 tile (mr ≤ 12 rows, and the columns whose
// bit is set in nmask, are stored) with AVX-512F. A full tile can also pack
// the B rows it reads (pack ≠ nil) or fetch nextRows rows at next into L2
// (nextRows > 0); see the header of sgemm_avx512_amd64.s.
//
//go:noescape
func sgemmTileAVX512(kc int, a *float32, rsA, csA int, b *float32, rsB int, c *float32, ldc int, alpha, beta float32, mr int, nmask uint32, pack, next *float32, nextStride, nextRows, tiles, bStep int)

// packCopyAVX2 and packGatherAVX2 build packed panels (sgemm_pack_amd64.s);
// see copyPanel and gatherPanel in sgemm_pack.go. width ≤ 32.
// packTransposeAVX2 is packGatherAVX2 for full panels whose width is a
// multiple of 8, over a multiple of 8 steps, with the panel's rows ldd
// floats apart (transposeAVX2 uses it for whole matrices).
//
//go:noescape
func packCopyAVX2(dst, src *float32, lds, kc, w, width int)

//go:noescape
func packGatherAVX2(dst, src *float32, lds, kc, w, width int)

//go:noescape
func packTransposeAVX2(dst, src *float32, lds, ldd, kc8, width int)

var avx2MicroKernel = microKernel{mr: 6, nr: 16, strided: true, tile: tileAVX2, tiles: tilesAVX2, copyPanel: copyPanelAVX2, gatherPanel: gatherPanelAVX2, transpose: transposeAVX2,
	packingTile: packingTileAVX2, fetchingTile: fetchingTileAVX2}

var avx512MicroKernel = microKernel{mr: 12, nr: 32, strided: true, tile: tileAVX512, tiles: tilesAVX512, copyPanel: copyPanelAVX2, gatherPanel: gatherPanelAVX2, transpose: transposeAVX2,
	packingTile: packingTileAVX512, fetchingTile: fetchingTileAVX512}

func tileAVX2(kc int, a []float32, rsA, csA int, b []float32, rsB int, c []float32, ldc int, alpha, beta float32, mr, nr int) {
	sgemmTileAVX2(kc, &a[0], rsA, csA, &b[0], rsB, &c[0], ldc, alpha, beta, mr, nr, nil, nil, 0, 0, 1, 0)
}

func tilesAVX2(n, kc int, a []float32, rsA, csA int, b []float32, rsB, bStep int, c []float32, ldc int, alpha, beta float32, mr int) {
	_, _ = b[(n-1)*bStep+(kc-1)*rsB+15], c[(mr-1)*ldc+n*16-1] // the assembly stays within these
	sgemmTileAVX2(kc, &a[0], rsA, csA, &b[0], rsB, &c[0], ldc, alpha, beta, mr, 16, nil, nil, 0, 0, n, bStep)
}

func packingTileAVX2(kc int, a []float32, rsA, csA int, b []float32, rsB int, c []float32, ldc int, alpha, beta float32, pack []float32) {
	_, _ = b[(kc-1)*rsB+15], pack[kc*16-1] // the assembly stays within these
	sgemmTileAVX2(kc, &a[0], rsA, csA, &b[0], rsB, &c[0], ldc, alpha, beta, 6, 16, &pack[0], nil, 0, 0, 1, 0)
}

func fetchingTileAVX2(kc int, a []float32, rsA, csA int, b []float32, c []float32, ldc int, alpha, beta float32, next []float32, nextStride, nextRows int) {
	sgemmTileAVX2(kc, &a[0], rsA, csA, &b[0], 16, &c[0], ldc, alpha, beta, 6, 16, nil, &next[0], nextStride, nextRows, 1, 0)
}

func tileAVX512(kc int, a []float32, rsA, csA int, b []float32, rsB int, c []float32, ldc int, alpha, beta float32, mr, nr int) {
	sgemmTileAVX512(kc, &a[0], rsA, csA, &b[0], rsB, &c[0], ldc, alpha, beta, mr, uint32(1<<nr-1), nil, nil, 0, 0, 1, 0)
}

func tilesAVX512(n, kc int, a []float32, rsA, csA int, b []float32, rsB, bStep int, c []float32, ldc int, alpha, beta float32, mr int) {
	_, _ = b[(n-1)*bStep+(kc-1)*rsB+31], c[(mr-1)*ldc+n*32-1] // the assembly stays within these
	sgemmTileAVX512(kc, &a[0], rsA, csA, &b[0], rsB, &c[0], ldc, alpha, beta, mr, 1<<32-1, nil, nil, 0, 0, n, bStep)
}

func packingTileAVX512(kc int, a []float32, rsA, csA int, b []float32, rsB int, c []float32, ldc int, alpha, beta float32, pack []float32) {
	_, _ = b[(kc-1)*rsB+31], pack[kc*32-1] // the assembly stays within these
	sgemmTileAVX512(kc, &a[0], rsA, csA, &b[0], rsB, &c[0], ldc, alpha, beta, 12, 1<<32-1, &pack[0], nil, 0, 0, 1, 0)
}

func fetchingTileAVX512(kc int, a []float32, rsA, csA int, b []float32, c []float32, ldc int, alpha, beta float32, next []float32, nextStride, nextRows int) {
	sgemmTileAVX512(kc, &a[0], rsA, csA, &b[0], 32, &c[0], ldc, alpha, beta, 12, 1<<32-1, nil, &next[0], nextStride, nextRows, 1, 0)
}

func copyPanelAVX2(dst, src []float32, lds, kc, w, width int) {
	_, _ = dst[kc*width-1], src[(kc-1)*lds+w-1] // the assembly stays within these
	packCopyAVX2(&dst[0], &src[0], lds, kc, w, width)
}

func gatherPanelAVX2(dst, src []float32, lds, kc, w, width int) {
	if (w-1)*lds > 1<<31-1 { // beyond the reach of the gathers' 32-bit indices
		gatherPanelGo(dst, src, lds, kc, w, width)
		return
	}
	_, _ = dst[kc*width-1], src[(w-1)*lds+kc-1] // the assembly stays within these
	if w == width && width%8 == 0 && kc >= 8 {  // full panels: 8×8 transposes, then gathers for the last kc mod 8 steps
		kc8 := kc &^ 7
		packTransposeAVX2(&dst[0], &src[0], lds, width, kc8, width)
		if kc8 == kc {
			return
		}
		dst, src, kc = dst[kc8*width:], src[kc8:], kc-kc8
	}
	packGatherAVX2(&dst[0], &src[0], lds, kc, w, width)
}

// transposeAVX2 is transposeGo with 8×8 blocks in assembly: the rows and
// columns beyond the last whole block are done in Go.
func transposeAVX2(dst, src []float32, rows, cols, ldd, lds int) {
	rows8, cols8 := rows&^7, cols&^7
	if rows8 > 0 && cols8 > 0 {
		_, _ = dst[(cols8-1)*ldd+rows8-1], src[(rows8-1)*lds+cols8-1] // the assembly stays within these
		packTransposeAVX2(&dst[0], &src[0], lds, ldd, cols8, rows8)
	}
	if cols8 < cols {
		transposeGo(dst[cols8*ldd:], src[cols8:], rows8, cols-cols8, ldd, lds)
	}
	if rows8 < rows {
		transposeGo(dst[rows8:], src[rows8*lds:], rows-rows8, cols, ldd, lds)
	}
}
