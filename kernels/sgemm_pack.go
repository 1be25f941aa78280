package kernels

// Packing for the blocked SGEMM (sgemm.go).
//
// packA copies an mc×kc block of op(A) into micro-panels of mr rows: panel q
// holds rows q·mr … q·mr+mr−1 of the block, stored column after column, so
// that element (i, p) of the panel is panel[p·mr + i] and the micro-kernel
// reads the mr values of one column of op(A) from consecutive addresses.
// packB does the same for a kc×nc block of op(B) with micro-panels of nr
// columns stored row after row: element (p, j) of the panel is panel[p·nr + j].
// Rows or columns beyond the block edge are zero in the last panel.
//
// Either way a panel is built by one of two primitives, depending on whether
// the panel's rows (of width mr or nr) are contiguous in the source:
//
//	copyPanel:   dst[p·width + j] = src[p·lds + j]   (transposed A, plain B)
//	gatherPanel: dst[p·width + j] = src[j·lds + p]   (plain A, transposed B)
//
// for p < kc and j < w, and dst[p·width + j] = 0 for w ≤ j < width. Each
// micro-kernel comes with its own pair: plain Go on the generic path, AVX2
// assembly (masked moves and gathers, sgemm_pack_amd64.s) on the others.

// panelPacker is copyPanel or gatherPanel.
type panelPacker func(dst, src []float32, lds, kc, w, width int)

// packA packs op(A)[i0:i0+mc, p0:p0+kc] into dst (at least ⌈mc/mr⌉·mr·kc floats).
func (uk *microKernel) packA(dst, a []float32, lda int, transA bool, i0, p0, mc, kc int) {
	mr := uk.mr
	for ip := 0; ip < mc; ip += mr {
		panel := dst[ip*kc : ip*kc+mr*kc]
		if transA {
			uk.copyPanel(panel, a[p0*lda+i0+ip:], lda, kc, min(mr, mc-ip), mr)
		} else {
			uk.gatherPanel(panel, a[(i0+ip)*lda+p0:], lda, kc, min(mr, mc-ip), mr)
		}
	}
}

// packB packs op(B)[p0:p0+kc, j0:j0+nc] into dst (at least kc·⌈nc/nr⌉·nr floats).
func (uk *microKernel) packB(dst, b []float32, ldb int, transB bool, p0, j0, kc, nc int) {
	nr := uk.nr
	if transB {
		for jp := 0; jp < nc; jp += nr {
			panel := dst[jp*kc : jp*kc+nr*kc]
			uk.gatherPanel(panel, b[(j0+jp)*ldb+p0:], ldb, kc, min(nr, nc-jp), nr)
		}
		return
	}
	// The rows of B are contiguous: copy packRowsB of them at a time into
	// every panel, so that the block is read row after row, in streams the
	// hardware prefetchers follow, rather than one narrow column strip of
	// kc rows after another (each row a new page when ldb is large): a
	// 512×512 block of a 2048-column B packs 1.3× as fast.
	for pp := 0; pp < kc; pp += packRowsB {
		rows := min(packRowsB, kc-pp)
		for jp := 0; jp < nc; jp += nr {
			panel := dst[jp*kc+pp*nr : jp*kc+nr*kc]
			uk.copyPanel(panel, b[(p0+pp)*ldb+j0+jp:], ldb, rows, min(nr, nc-jp), nr)
		}
	}
}

// packRowsB is how many rows of a plain B packB copies into each panel
// before moving to the next rows.
const packRowsB = 32

// copyPanelGo is copyPanel in plain Go.
func copyPanelGo(dst, src []float32, lds, kc, w, width int) {
	for p := range kc {
		row := dst[p*width : p*width+width]
		copy(row, src[p*lds:p*lds+w])
		clear(row[w:])
	}
}

// gatherPanelGo is gatherPanel in plain Go.
func gatherPanelGo(dst, src []float32, lds, kc, w, width int) {
	dst = dst[:kc*width]
	for j := range w {
		for p, v := range src[j*lds : j*lds+kc] {
			dst[p*width+j] = v
		}
	}
	if w < width {
		for p := range kc {
			clear(dst[p*width+w : p*width+width])
		}
	}
}
