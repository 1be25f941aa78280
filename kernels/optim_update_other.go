//go:build !amd64

package kernels

// Outside amd64 the updates are the loops of optim_update.go on every path.
func adamVec(c *AdamCoeffs, param, grad, m, v []float32) bool { return false }

func sgdVec(c *SGDCoeffs, param, grad, buf []float32) bool { return false }
