package kernels

// The vector row kernels of Binary, Scale, AddScalar and Axpy
// (elementwise_amd64.s).

//go:noescape
func rowOpAVX512(op int, out, a *float32, stepA int, b *float32, stepB int, n int)

//go:noescape
func rowOpAVX2(op int, out, a *float32, stepA int, b *float32, stepB int, n int)

// binaryRowVec computes binaryRow's row with the current path's kernel and
// reports true, or reports false when there is none or the row is short.
// An operand that repeats one value (stride 0) is read from a vector filled
// with it. Calls cover at most streamBlock elements.
func binaryRowVec(op BinaryOp, out, a []float32, sa int, b []float32, sb int) bool {
	n := len(out)
	if n < minVecRow || (impl.path != AVX512 && impl.path != AVX2) {
		return false
	}
	var fillA, fillB [16]float32
	if sa == 0 {
		for i := range fillA {
			fillA[i] = a[0]
		}
	} else {
		a = a[:n] // the assembly stays within a[:n]
	}
	if sb == 0 {
		for i := range fillB {
			fillB[i] = b[0]
		}
	} else {
		b = b[:n]
	}
	for lo := 0; lo < n; lo += streamBlock {
		pa, pb := &fillA[0], &fillB[0]
		if sa != 0 {
			pa = &a[lo]
		}
		if sb != 0 {
			pb = &b[lo]
		}
		if impl.path == AVX512 {
			rowOpAVX512(int(op), &out[lo], pa, sa, pb, sb, min(streamBlock, n-lo))
		} else {
			rowOpAVX2(int(op), &out[lo], pa, sa, pb, sb, min(streamBlock, n-lo))
		}
	}
	return true
}
