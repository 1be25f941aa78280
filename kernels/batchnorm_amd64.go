package kernels

// The batch-norm column kernels on amd64 (batchnorm_amd64.s) and the
// functions that pick them. Each assembly kernel does what its Go twin in
// batchnorm_rows.go does, on the first cols columns (a multiple of its
// vector width: 16 columns with AVX-512, 8 with AVX2), with the same
// operations in the same order, so the bits agree (except that the assembly
// flushes denormals to zero, see batchnorm_amd64.s). The remaining columns
// go through the kernel again as part of a last strip that overlaps columns
// already done (bnLastStrip), or through the Go twin when the block is
// narrower than a strip or the strip cannot be redone in place. x (and dy, y, dx) point at the first value of row 0
// of the block, whose rows lie stride values apart; rows ≥ 1.

//go:noescape
func bnColSumsAVX512(x *float32, stride, rows, cols int, k, s1, s2 *float64)

//go:noescape
func bnColSumsAVX2(x *float32, stride, rows, cols int, k, s1, s2 *float64)

//go:noescape
func bnColDotsAVX512(dy, x *float32, stride, rows, cols int, k, s1, s2 *float64)

//go:noescape
func bnColDotsAVX2(dy, x *float32, stride, rows, cols int, k, s1, s2 *float64)

//go:noescape
func bnNormRowsAVX512(x, y *float32, stride, rows, cols int, mu, s, t *float32)

//go:noescape
func bnNormRowsAVX2(x, y *float32, stride, rows, cols int, mu, s, t *float32)

//go:noescape
func bnDxRowsAVX512(dy, x, dx *float32, stride, rows, cols int, mu, md, p, a *float32, add int)

//go:noescape
func bnDxRowsAVX2(dy, x, dx *float32, stride, rows, cols int, mu, md, p, a *float32, add int)

// bnSIMDCols returns how many of cols columns the assembly kernels of the
// current path take (0 on the generic path).
func bnSIMDCols(cols, rows int) int {
	if rows <= 0 {
		return 0
	}
	switch impl.path {
	case AVX512:
		return cols &^ 15
	case AVX2:
		return cols &^ 7
	}
	return 0
}

// bnLastStrip returns where a last strip of one vector's width starts when
// the kernels have done the first done of cols columns and left a ragged
// part: the strip does those columns again together with some already done.
// It returns −1 when there is no ragged part, or no strip was possible
// (done = 0: no kernel, or cols narrower than a vector).
func bnLastStrip(cols, done int) (start int) {
	if done == 0 || done == cols {
		return -1
	}
	if impl.path == AVX512 {
		return cols - 16
	}
	return cols - 8
}

// bnBlockLen panics unless a block of rows × cols values starting stride
// apart fits in s; the kernels below then index freely.
func bnBlockLen(s []float32, stride, rows, cols int) {
	if rows > 0 && cols > 0 && len(s) < (rows-1)*stride+cols {
		panic("kernels: batch-norm block out of range")
	}
}

// bnColSums is bnColSumsGo on the fastest path.
func bnColSums(x []float32, stride, rows int, k, s1, s2 []float64) {
	cols := len(k)
	bnBlockLen(x, stride, rows, cols)
	done := bnSIMDCols(cols, rows)
	if done > 0 {
		_, _ = s1[done-1], s2[done-1]
		if impl.path == AVX512 {
			bnColSumsAVX512(&x[0], stride, rows, done, &k[0], &s1[0], &s2[0])
		} else {
			bnColSumsAVX2(&x[0], stride, rows, done, &k[0], &s1[0], &s2[0])
		}
	}
	if start := bnLastStrip(cols, done); start >= 0 {
		// The overlapped columns' sums must not be added twice: the strip
		// sums into copies, of which only the ragged columns are kept.
		var t1, t2 [16]float64
		copy(t1[:], s1[start:])
		copy(t2[:], s2[start:])
		if impl.path == AVX512 {
			bnColSumsAVX512(&x[start], stride, rows, cols-start, &k[start], &t1[0], &t2[0])
		} else {
			bnColSumsAVX2(&x[start], stride, rows, cols-start, &k[start], &t1[0], &t2[0])
		}
		copy(s1[done:], t1[done-start:])
		copy(s2[done:], t2[done-start:])
	} else if done < cols {
		bnColSumsGo(x[done:], stride, rows, k[done:], s1[done:], s2[done:])
	}
}

// bnColDots is bnColDotsGo on the fastest path.
func bnColDots(dy, x []float32, stride, rows int, k, s1, s2 []float64) {
	cols := len(k)
	bnBlockLen(x, stride, rows, cols)
	bnBlockLen(dy, stride, rows, cols)
	done := bnSIMDCols(cols, rows)
	if done > 0 {
		_, _ = s1[done-1], s2[done-1]
		if impl.path == AVX512 {
			bnColDotsAVX512(&dy[0], &x[0], stride, rows, done, &k[0], &s1[0], &s2[0])
		} else {
			bnColDotsAVX2(&dy[0], &x[0], stride, rows, done, &k[0], &s1[0], &s2[0])
		}
	}
	if start := bnLastStrip(cols, done); start >= 0 {
		var t1, t2 [16]float64 // as in bnColSums
		copy(t1[:], s1[start:])
		copy(t2[:], s2[start:])
		if impl.path == AVX512 {
			bnColDotsAVX512(&dy[start], &x[start], stride, rows, cols-start, &k[start], &t1[0], &t2[0])
		} else {
			bnColDotsAVX2(&dy[start], &x[start], stride, rows, cols-start, &k[start], &t1[0], &t2[0])
		}
		copy(s1[done:], t1[done-start:])
		copy(s2[done:], t2[done-start:])
	} else if done < cols {
		bnColDotsGo(dy[done:], x[done:], stride, rows, k[done:], s1[done:], s2[done:])
	}
}

// bnNormRows is bnNormRowsGo on the fastest path.
func bnNormRows(x, y []float32, stride, rows int, mu, s, t []float32) {
	cols := len(mu)
	bnBlockLen(x, stride, rows, cols)
	bnBlockLen(y, stride, rows, cols)
	done := bnSIMDCols(cols, rows)
	if done > 0 {
		_, _ = s[done-1], t[done-1]
		if impl.path == AVX512 {
			bnNormRowsAVX512(&x[0], &y[0], stride, rows, done, &mu[0], &s[0], &t[0])
		} else {
			bnNormRowsAVX2(&x[0], &y[0], stride, rows, done, &mu[0], &s[0], &t[0])
		}
	}
	// The last strip redoes some columns with the same result, unless y is x
	// (normalised in place: those columns would be normalised twice).
	if start := bnLastStrip(cols, done); start >= 0 && &x[0] != &y[0] {
		if impl.path == AVX512 {
			bnNormRowsAVX512(&x[start], &y[start], stride, rows, cols-start, &mu[start], &s[start], &t[start])
		} else {
			bnNormRowsAVX2(&x[start], &y[start], stride, rows, cols-start, &mu[start], &s[start], &t[start])
		}
	} else if done < cols {
		bnNormRowsGo(x[done:], y[done:], stride, rows, mu[done:], s[done:], t[done:])
	}
}

// bnDxRows is bnDxRowsGo on the fastest path.
func bnDxRows(dy, x, dx []float32, stride, rows int, mu, md, p, a []float32, add bool) {
	cols := len(mu)
	bnBlockLen(x, stride, rows, cols)
	bnBlockLen(dy, stride, rows, cols)
	bnBlockLen(dx, stride, rows, cols)
	done := bnSIMDCols(cols, rows)
	if done > 0 {
		_, _, _ = md[done-1], p[done-1], a[done-1]
		addInt := 0
		if add {
			addInt = 1
		}
		if impl.path == AVX512 {
			bnDxRowsAVX512(&dy[0], &x[0], &dx[0], stride, rows, done, &mu[0], &md[0], &p[0], &a[0], addInt)
		} else {
			bnDxRowsAVX2(&dy[0], &x[0], &dx[0], stride, rows, done, &mu[0], &md[0], &p[0], &a[0], addInt)
		}
	}
	// The last strip redoes some columns with the same result when it writes
	// dx, not when it adds into it or dx is one of its inputs.
	if start := bnLastStrip(cols, done); start >= 0 && !add && &dx[0] != &dy[0] && &dx[0] != &x[0] {
		if impl.path == AVX512 {
			bnDxRowsAVX512(&dy[start], &x[start], &dx[start], stride, rows, cols-start, &mu[start], &md[start], &p[start], &a[start], 0)
		} else {
			bnDxRowsAVX2(&dy[start], &x[start], &dx[start], stride, rows, cols-start, &mu[start], &md[start], &p[start], &a[start], 0)
		}
	} else if done < cols {
		bnDxRowsGo(dy[done:], x[done:], dx[done:], stride, rows, mu[done:], md[done:], p[done:], a[done:], add)
	}
}
