package kernels

// The vector optimiser updates (optim_update_amd64.s): the AVX512 kernels
// take 8 elements a step, the AVX2 ones 4, each doing for its first n
// elements (a multiple of its step) what sgdSpanRef or adamSpanRef (without
// AMSGrad) does, bit for bit. buf may be nil when c.UseMomentum is false.

//go:noescape
func sgdAVX512(c *SGDCoeffs, param, grad, buf *float32, n int)

//go:noescape
func sgdAVX2(c *SGDCoeffs, param, grad, buf *float32, n int)

//go:noescape
func adamAVX512(c *AdamCoeffs, param, grad, m, v *float32, n int)

//go:noescape
func adamAVX2(c *AdamCoeffs, param, grad, m, v *float32, n int)

// adamVec updates the leading elements that the current path's kernel
// takes and returns how many that was.
func adamVec(c *AdamCoeffs, param, grad, m, v []float32) int {
	n := updateVecLen(len(param))
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

// updateVecLen returns how many of n leading elements the current path's
// update kernels take.
func updateVecLen(n int) int {
	switch impl.path {
	case AVX512:
		return n &^ 7
	case AVX2:
		return n &^ 3
	}
	return 0
}

// sgdVec is adamVec for SGD.
func sgdVec(c *SGDCoeffs, param, grad, buf []float32) int {
	n := updateVecLen(len(param))
	if n == 0 {
		return 0
	}
	_ = grad[n-1] // the assembly stays within these
	var b *float32
	if buf != nil {
		_ = buf[n-1]
		b = &buf[0]
	}
	if impl.path == AVX512 {
		sgdAVX512(c, &param[0], &grad[0], b, n)
	} else {
		sgdAVX2(c, &param[0], &grad[0], b, n)
	}
	return n
}
