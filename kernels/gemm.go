package kernels

import "fmt"

// Sgemm computes C = alpha·op(A)·op(B) + beta·C on row-major matrices, as the
// BLAS routine of the same name does (with row-major storage):
//
//	op(A) is m×k: A is stored m×k (lda ≥ k), or k×m when transA (lda ≥ m)
//	op(B) is k×n: B is stored k×n (ldb ≥ n), or n×k when transB (ldb ≥ k)
//	C is m×n (ldc ≥ n)
//
// Element (i, j) of a matrix X with leading dimension ld is X[i·ld + j]. When
// beta is 0, C is overwritten and its old contents (even NaN) are ignored;
// when alpha is 0, A and B are not read (NaN there does not reach C), as in
// the BLAS.
//
// Sgemm checks its arguments, then runs the implementation selected for this
// CPU (see cpu.go); SgemmRef is the plain reference.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleRows(m, n, beta, c, ldc)
		return
	}
	impl.sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// checkGemm panics with a readable message when the sizes do not fit the slices.
func checkGemm(transA, transB bool, m, n, k, lenA, lda, lenB, ldb, lenC, ldc int) {
	rowsA, colsA := m, k
	if transA {
		rowsA, colsA = k, m
	}
	rowsB, colsB := k, n
	if transB {
		rowsB, colsB = n, k
	}
	need := func(name string, rows, cols, ld, have int) {
		if rows < 0 || cols < 0 || ld < max(cols, 1) {
			panic(fmt.Sprintf("kernels.Sgemm: %s is %d×%d with leading dimension %d", name, rows, cols, ld))
		}
		if rows > 0 && cols > 0 && have < (rows-1)*ld+cols {
			panic(fmt.Sprintf("kernels.Sgemm: %s is %d×%d (ld %d) but its slice has only %d elements", name, rows, cols, ld, have))
		}
	}
	need("A", rowsA, colsA, lda, lenA)
	need("B", rowsB, colsB, ldb, lenB)
	need("C", m, n, ldc, lenC)
}

// scaleRows sets C = beta·C (C = 0 when beta is 0) for an m×n matrix.
func scaleRows(m, n int, beta float32, c []float32, ldc int) {
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
		} else if beta != 1 {
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

// SgemmRef is the reference GEMM: the definition, one dot product per element
// of C, accumulated in float32 in the order p = 0, 1, …, k−1.
func SgemmRef(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := range m {
		for j := range n {
			var sum float32
			for p := range k {
				var x, y float32
				if transA {
					x = a[p*lda+i]
				} else {
					x = a[i*lda+p]
				}
				if transB {
					y = b[j*ldb+p]
				} else {
					y = b[p*ldb+j]
				}
				sum += x * y
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * sum
			} else {
				c[i*ldc+j] = alpha*sum + beta*c[i*ldc+j]
			}
		}
	}
}

// sgemmGo is the portable GEMM: rows of C are shared among the workers, and
// each row is built as a sum of scaled rows of op(B) (an "axpy" per element of
// A), which walks B and C with unit stride. When B is transposed, each element
// is a dot product of two contiguous rows instead.
func sgemmGo(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	Parallel(m, GrainFor(m, 2*n*k), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			crow := c[i*ldc : i*ldc+n]
			scaleRows(1, n, beta, crow, n)
			if transB {
				for j := range n {
					brow := b[j*ldb : j*ldb+k]
					var sum float32
					if transA {
						for p, y := range brow {
							sum += a[p*lda+i] * y
						}
					} else {
						sum = dot(a[i*lda:i*lda+k], brow)
					}
					crow[j] += alpha * sum
				}
				continue
			}
			for p := range k {
				var x float32
				if transA {
					x = a[p*lda+i]
				} else {
					x = a[i*lda+p]
				}
				axpy(alpha*x, b[p*ldb:p*ldb+n], crow) // even for x = 0: 0·Inf is NaN on every path
			}
		}
	})
}

// axpy computes y += alpha·x.
func axpy(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

// dot returns the sum of x[i]·y[i].
func dot(x, y []float32) float32 {
	y = y[:len(x)]
	var s float32
	for i, v := range x {
		s += v * y[i]
	}
	return s
}
