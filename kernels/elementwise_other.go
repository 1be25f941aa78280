//go:build !amd64

package kernels

// Outside amd64 every row of Binary is a Go loop.
func binaryRowVec(op BinaryOp, out, a []float32, sa int, b []float32, sb int) bool { return false }
