//go:build !amd64

package kernels

// Outside amd64 the Adam update is the loop of adam.go on every path.
func adamVec(c *AdamCoeffs, param, grad, m, v []float32) int { return 0 }

func sgdVec(c *SGDCoeffs, param, grad, buf []float32) int { return 0 }
