package kernels

// The plain-Go micro-kernel of the generic path: a 4×4 tile of C in sixteen
// local variables, reading packed panels of A (a[p·4 + i]) and B (b[p·4 + j]).
// See sgemm.go for the algorithm around it.

var genericMicroKernel = microKernel{mr: 4, nr: 4, tile: sgemmTileGo, copyPanel: copyPanelGo, gatherPanel: gatherPanelGo, transpose: transposeGo}

// sgemmTileGo computes C[0:mr, 0:nr] = alpha·Â·B̂ + beta·C from packed panels
// (rsA = 1, csA = 4, rsB = 4, which is all the generic driver passes).
func sgemmTileGo(kc int, a []float32, _, _ int, b []float32, _ int, c []float32, ldc int, alpha, beta float32, mr, nr int) {
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 float32
	a, b = a[:4*kc], b[:4*kc]
	for p := 0; p+4 <= len(a); p += 4 {
		ap, bp := a[p:p+4:p+4], b[p:p+4:p+4]
		a0, a1, a2, a3 := ap[0], ap[1], ap[2], ap[3]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	acc := [4][4]float32{
		{c00, c01, c02, c03},
		{c10, c11, c12, c13},
		{c20, c21, c22, c23},
		{c30, c31, c32, c33},
	}
	for i := range mr {
		row := c[i*ldc : i*ldc+nr]
		for j := range row {
			row[j] = tileUpdate(acc[i][j], row[j], alpha, beta)
		}
	}
}

// tileUpdate is what every micro-kernel stores: alpha·acc + beta·old with
// each product rounded to float32 (never fused), or alpha·acc when beta is 0
// so that NaN or Inf in C is ignored. The assembly kernels do the same three
// operations, so paths differ only in how acc was summed.
func tileUpdate(acc, old, alpha, beta float32) float32 {
	if beta == 0 {
		return float32(alpha * acc)
	}
	return float32(alpha*acc) + float32(beta*old)
}
