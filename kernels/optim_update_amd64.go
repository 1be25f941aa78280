package kernels

// The vector optimiser updates (optim_update_amd64.s): the AVX512 kernels
// take 8 elements a step, the AVX2 ones 4, each doing for its first n
// elements (a multiple of its step) what sgdSpanRef or adamSpanRef (without
// AMSGrad) does, with denormals flushed to zero (see the assembly). buf may
// be nil when c.UseMomentum is false.

//go:noescape
func sgdAVX512(c *SGDCoeffs, param, grad, buf *float32, n int)

//go:noescape
func sgdAVX2(c *SGDCoeffs, param, grad, buf *float32, n int)

//go:noescape
func adamAVX512(c *AdamCoeffs, param, grad, m, v *float32, n int)

//go:noescape
func adamAVX2(c *AdamCoeffs, param, grad, m, v *float32, n int)

// updateTail is the widest step of the kernels: the last len mod
// updateTail elements of a span are copied into buffers of this length,
// updated there and copied back, so that every element of a span goes
// through the same instructions wherever the span starts and ends.
const updateTail = 8

// adamVec updates all of param with the current path's kernel, in calls of
// at most streamBlock elements, and reports true, or reports false when the
// path has none.
func adamVec(c *AdamCoeffs, param, grad, m, v []float32) bool {
	if impl.path != AVX512 && impl.path != AVX2 {
		return false
	}
	n := len(param) &^ (updateTail - 1)
	_, _, _ = grad[:n], m[:n], v[:n] // the assembly stays within these
	for lo := 0; lo < n; lo += streamBlock {
		adamKernel(c, &param[lo], &grad[lo], &m[lo], &v[lo], min(streamBlock, n-lo))
	}
	if n < len(param) {
		var p, g, mt, vt [updateTail]float32
		copy(p[:], param[n:])
		copy(g[:], grad[n:])
		copy(mt[:], m[n:])
		copy(vt[:], v[n:])
		adamKernel(c, &p[0], &g[0], &mt[0], &vt[0], updateTail)
		copy(param[n:], p[:])
		copy(m[n:], mt[:])
		copy(v[n:], vt[:])
	}
	return true
}

func adamKernel(c *AdamCoeffs, param, grad, m, v *float32, n int) {
	if impl.path == AVX512 {
		adamAVX512(c, param, grad, m, v, n)
	} else {
		adamAVX2(c, param, grad, m, v, n)
	}
}

// sgdVec is adamVec for SGD.
func sgdVec(c *SGDCoeffs, param, grad, buf []float32) bool {
	if impl.path != AVX512 && impl.path != AVX2 {
		return false
	}
	n := len(param) &^ (updateTail - 1)
	_ = grad[:n] // the assembly stays within these
	if buf != nil {
		_ = buf[:n]
	}
	for lo := 0; lo < n; lo += streamBlock {
		var b *float32
		if buf != nil {
			b = &buf[lo]
		}
		sgdKernel(c, &param[lo], &grad[lo], b, min(streamBlock, n-lo))
	}
	if n < len(param) {
		var p, g, bt [updateTail]float32
		copy(p[:], param[n:])
		copy(g[:], grad[n:])
		if buf != nil {
			copy(bt[:], buf[n:])
		}
		sgdKernel(c, &p[0], &g[0], &bt[0], updateTail)
		copy(param[n:], p[:])
		if buf != nil {
			copy(buf[n:], bt[:])
		}
	}
	return true
}

func sgdKernel(c *SGDCoeffs, param, grad, buf *float32, n int) {
	if impl.path == AVX512 {
		sgdAVX512(c, param, grad, buf, n)
	} else {
		sgdAVX2(c, param, grad, buf, n)
	}
}
