package kernels

// Run primitives: the inner loops of im2col and col2im (im2col.go).
//
// A run is n floats of a row; these functions handle the same run in rows
// rows that lie dstStep (and srcStep) floats apart, which is how one run of
// a kernel tap appears in every image of a folded tile (a row of the column
// matrix holds the images' segments side by side, and the images' planes of
// one channel lie C·H·W floats apart):
//
//	copyRuns  dst[i·dstStep + j]         = src[i·srcStep + j·stride]
//	zeroRuns  dst[i·dstStep + j]         = 0
//	addRuns   dst[i·dstStep + j·stride] += src[i·srcStep + j]
//
// for i < rows and j < n. The plain Go loops below are the reference and
// the generic path; on amd64 the AVX-512 path has assembly for strides 1 and
// 2 (im2col_amd64.s) that moves 16 floats per instruction, with masked
// loads and stores at the end of a run, so that a run of a few floats costs
// a few instructions rather than a call into memmove plus a loop.

// runKernels holds one path's assembly run primitives. Their arguments are
// those of the Go functions with pointers to the first element; rows and n
// are at least 1 and the callers have checked that every element lies
// inside its slice.
type runKernels struct {
	copy1, copy2 func(dst, src *float32, rows, n, dstStep, srcStep int)
	zero         func(dst *float32, rows, n, dstStep int)
	add1, add2   func(dst, src *float32, rows, n, dstStep, srcStep int)
	// perm is permuteRows for planes of at most permLanes floats (one
	// vector), given one tap's indices (the first permLanes of its
	// tinyPlane int32s) and masks: bits 0–15 the output lanes with a
	// source, 16–31 the first n lanes, 32–47 the first hw lanes.
	perm      func(dst, src *float32, tap *int32, rows, dstStep, srcStep int, masks uint64)
	permLanes int
}

// runKernelsFor returns the current path's run primitives, or nil where
// the Go loops serve.
func runKernelsFor() *runKernels { return runSets[impl.path] }

// copyRuns sets dst[i·dstStep + j] = src[i·srcStep + j·stride] for i < rows
// and j < n, with k's assembly when it has this stride.
func copyRuns(k *runKernels, dst, src []float32, rows, n, dstStep, srcStep, stride int) {
	if rows < 1 || n < 1 {
		return
	}
	if rows > 1 && dstStep == n && srcStep == n*stride { // the runs continue each other: one run
		rows, n = 1, rows*n
	}
	dst = dst[:(rows-1)*dstStep+n]
	src = src[:(rows-1)*srcStep+(n-1)*stride+1]
	switch {
	case k != nil && stride == 1:
		k.copy1(&dst[0], &src[0], rows, n, dstStep, srcStep)
	case k != nil && stride == 2:
		k.copy2(&dst[0], &src[0], rows, n, dstStep, srcStep)
	default:
		copyRunsGo(dst, src, rows, n, dstStep, srcStep, stride)
	}
}

// zeroRuns sets dst[i·dstStep + j] = 0 for i < rows and j < n.
func zeroRuns(k *runKernels, dst []float32, rows, n, dstStep int) {
	if rows < 1 || n < 1 {
		return
	}
	if rows > 1 && dstStep == n { // the runs continue each other: one run
		rows, n = 1, rows*n
	}
	dst = dst[:(rows-1)*dstStep+n]
	if k != nil {
		k.zero(&dst[0], rows, n, dstStep)
		return
	}
	zeroRunsGo(dst, rows, n, dstStep)
}

// addRuns adds src[i·srcStep + j] into dst[i·dstStep + j·stride] for
// i < rows and j < n.
func addRuns(k *runKernels, dst, src []float32, rows, n, dstStep, srcStep, stride int) {
	if rows < 1 || n < 1 {
		return
	}
	if rows > 1 && dstStep == n*stride && srcStep == n { // the runs continue each other: one run
		rows, n = 1, rows*n
	}
	dst = dst[:(rows-1)*dstStep+(n-1)*stride+1]
	src = src[:(rows-1)*srcStep+n]
	switch {
	case k != nil && stride == 1:
		k.add1(&dst[0], &src[0], rows, n, dstStep, srcStep)
	case k != nil && stride == 2:
		k.add2(&dst[0], &src[0], rows, n, dstStep, srcStep)
	default:
		addRunsGo(dst, src, rows, n, dstStep, srcStep, stride)
	}
}

// A tiny plane (im2col.go, "Tiny planes") is unfolded tap by tap with a
// permutation of the whole plane instead of runs:
//
//	permuteRows  dst[i·dstStep + q] = src[i·srcStep + tap[q]]  (0 where tap[q] < 0)
//
// for i < rows and q < n, reading only src[i·srcStep : i·srcStep+hw]
// (every tap[q] < hw). tap holds tinyPlane indices and then the mask of
// the lanes q with tap[q] ≥ 0 (permTap). The AVX-512 path does one image
// per masked load, VPERMPS and masked store; AVX2 does planes of at most 8
// floats the same way, with mask vectors (permutes says which); the Go loop
// is the reference.
func permuteRows(k *runKernels, dst, src []float32, tap []int32, rows, n, hw, dstStep, srcStep int) {
	if rows < 1 || n < 1 {
		return
	}
	dst = dst[:(rows-1)*dstStep+n]
	src = src[:(rows-1)*srcStep+hw]
	tap = tap[:permTap]
	if k.permutes(hw, n) {
		masks := uint64(uint16(tap[tinyPlane])) | uint64(1<<n-1)<<16 | uint64(1<<hw-1)<<32
		k.perm(&dst[0], &src[0], &tap[0], rows, dstStep, srcStep, masks)
		return
	}
	permuteRowsGo(dst, src, tap, rows, n, dstStep, srcStep)
}

// permutes reports whether k's permutation takes planes of hw floats into
// rows of n (false for a nil k: the generic path).
func (k *runKernels) permutes(hw, n int) bool {
	return k != nil && hw <= k.permLanes && n <= k.permLanes
}

func permuteRowsGo(dst, src []float32, tap []int32, rows, n, dstStep, srcStep int) {
	for i := range rows {
		d, s := dst[i*dstStep:][:n], src[i*srcStep:]
		for q := range d {
			if j := tap[q]; j >= 0 {
				d[q] = s[j]
			} else {
				d[q] = 0
			}
		}
	}
}

// shortRun is the longest run the Go loops move element by element: the
// call into the runtime's memmove or memclr costs more than that many loads
// and stores.
const shortRun = 8

func copyRunsGo(dst, src []float32, rows, n, dstStep, srcStep, stride int) {
	for i := range rows {
		d := dst[i*dstStep:][:n]
		if stride == 1 && n > shortRun {
			copy(d, src[i*srcStep:])
			continue
		}
		s := src[i*srcStep:][:(n-1)*stride+1]
		for j := range d {
			d[j] = s[j*stride]
		}
	}
}

func zeroRunsGo(dst []float32, rows, n, dstStep int) {
	for i := range rows {
		d := dst[i*dstStep:][:n]
		if n > shortRun {
			clear(d)
			continue
		}
		for j := 0; j < len(d); j++ { // not a range loop, which the compiler turns into a memclr call
			d[j] = 0
		}
	}
}

func addRunsGo(dst, src []float32, rows, n, dstStep, srcStep, stride int) {
	for i := range rows {
		d, s := dst[i*dstStep:][:(n-1)*stride+1], src[i*srcStep:][:n]
		for j, v := range s {
			d[j*stride] += v
		}
	}
}
