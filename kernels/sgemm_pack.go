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

// packA packs op(A)[i0:i0+mc, p0:p0+kc] into dst (at least ⌈mc/mr⌉·mr·kc floats).
func packA(dst, a []float32, lda int, transA bool, i0, p0, mc, kc, mr int) {
	for ip := 0; ip < mc; ip += mr {
		rows := min(mr, mc-ip)
		panel := dst[ip*kc : ip*kc+mr*kc]
		if transA { // op(A)[i, p] = a[p·lda + i]: each column of the panel is contiguous in a
			for p := range kc {
				col := panel[p*mr : p*mr+mr]
				copy(col, a[(p0+p)*lda+i0+ip:][:rows])
				clear(col[rows:])
			}
			continue
		}
		for i := range rows { // op(A)[i, p] = a[i·lda + p]: each row of the panel is contiguous in a
			for p, v := range a[(i0+ip+i)*lda+p0:][:kc] {
				panel[p*mr+i] = v
			}
		}
		if rows < mr {
			for p := range kc {
				clear(panel[p*mr+rows : p*mr+mr])
			}
		}
	}
}

// packB packs op(B)[p0:p0+kc, j0:j0+nc] into dst (at least kc·⌈nc/nr⌉·nr floats).
func packB(dst, b []float32, ldb int, transB bool, p0, j0, kc, nc, nr int) {
	for jp := 0; jp < nc; jp += nr {
		cols := min(nr, nc-jp)
		panel := dst[jp*kc : jp*kc+nr*kc]
		if !transB { // op(B)[p, j] = b[p·ldb + j]: each row of the panel is contiguous in b
			for p := range kc {
				row := panel[p*nr : p*nr+nr]
				copy(row, b[(p0+p)*ldb+j0+jp:][:cols])
				clear(row[cols:])
			}
			continue
		}
		for j := range cols { // op(B)[p, j] = b[j·ldb + p]: each column of the panel is contiguous in b
			for p, v := range b[(j0+jp+j)*ldb+p0:][:kc] {
				panel[p*nr+j] = v
			}
		}
		if cols < nr {
			for p := range kc {
				clear(panel[p*nr+cols : p*nr+nr])
			}
		}
	}
}
