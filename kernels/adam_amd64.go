package kernels

// The vector Adam updates (adam_amd64.s): adamAVX512 takes 8 elements a
// step, adamAVX2 4, each doing for its first n elements (a multiple of its
// step) what adamSpanRef does without AMSGrad, bit for bit.

//go:noescape
func adamAVX512(c *AdamCoeffs, param, grad, m, v *float32, n int)

//go:noescape
func adamAVX2(c *AdamCoeffs, param, grad, m, v *float32, n int)

// adamVec updates the leading elements that the current path's kernel
// takes and returns how many that was.
func adamVec(c *AdamCoeffs, param, grad, m, v []float32) int {
	var n int
	switch impl.path {
	case AVX512:
		n = len(param) &^ 7
	case AVX2:
		n = len(param) &^ 3
	}
	if n == 0 {
		return 0
	}
	_, _, _ = grad[n-1], m[n-1], v[n-1] // the assembly stays within these
	if impl.path == AVX512 {
		adamAVX512(c, &param[0], &grad[0], &m[0], &v[0], n)
	} else {
		adamAVX2(c, &param[0], &grad[0], &m[0], &v[0], n)
	}
	return n
}
