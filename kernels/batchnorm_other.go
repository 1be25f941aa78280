//go:build !amd64

package kernels

// Outside amd64 the batch-norm column kernels are the Go loops of
// batchnorm_rows.go on every path.

func bnColSums(x []float32, stride, rows int, k, s1, s2 []float64) {
	bnColSumsGo(x, stride, rows, k, s1, s2)
}

func bnColDots(dy, x []float32, stride, rows int, k, s1, s2 []float64) {
	bnColDotsGo(dy, x, stride, rows, k, s1, s2)
}

func bnNormRows(x, y []float32, stride, rows int, mu, s, t []float32) {
	bnNormRowsGo(x, y, stride, rows, mu, s, t)
}

func bnDxRows(dy, x, dx []float32, stride, rows int, mu, md, p, a []float32, add bool) {
	bnDxRowsGo(dy, x, dx, stride, rows, mu, md, p, a, add)
}
