package kernels

// The AVX2 and AVX-512 run primitives (im2col_amd64.s); see im2col_runs.go
// for what each computes, in Go. Each call handles rows runs of n floats,
// 8 or 16 lanes at a time with the last vector of a run masked; the
// stride-2 copy loads twice as many floats and keeps the even lanes
// (VSHUFPS and VPERMPD, or VPERMT2PS), the stride-2 add spreads a vector
// over the even lanes of two (VPERMPS) and stores those lanes only; the
// permutation of a tiny plane is one masked load, VPERMPS and masked store
// per image.
// Rows times n is at most a tile's share of a column-matrix row, so a call
// stays in the microseconds, as assembly (which cannot be preempted) should.

//go:noescape
func runCopy1AVX512(dst, src *float32, rows, n, dstStep, srcStep int)

//go:noescape
func runCopy2AVX512(dst, src *float32, rows, n, dstStep, srcStep int)

//go:noescape
func runZeroAVX512(dst *float32, rows, n, dstStep int)

//go:noescape
func runAdd1AVX512(dst, src *float32, rows, n, dstStep, srcStep int)

//go:noescape
func runAdd2AVX512(dst, src *float32, rows, n, dstStep, srcStep int)

//go:noescape
func runCopy1AVX2(dst, src *float32, rows, n, dstStep, srcStep int)

//go:noescape
func runCopy2AVX2(dst, src *float32, rows, n, dstStep, srcStep int)

//go:noescape
func runZeroAVX2(dst *float32, rows, n, dstStep int)

//go:noescape
func runAdd1AVX2(dst, src *float32, rows, n, dstStep, srcStep int)

//go:noescape
func runAdd2AVX2(dst, src *float32, rows, n, dstStep, srcStep int)

//go:noescape
func runPermAVX512(dst, src *float32, tap *int32, rows, dstStep, srcStep int, masks uint64)

//go:noescape
func runPermAVX2(dst, src *float32, tap *int32, rows, dstStep, srcStep int, masks uint64)

// runSets holds the assembly run primitives of each path that has them;
// the generic path uses the Go loops.
var runSets = map[Path]*runKernels{
	AVX2: {copy1: runCopy1AVX2, copy2: runCopy2AVX2, zero: runZeroAVX2, add1: runAdd1AVX2, add2: runAdd2AVX2,
		perm: runPermAVX2, permLanes: 8},
	AVX512: {copy1: runCopy1AVX512, copy2: runCopy2AVX512, zero: runZeroAVX512, add1: runAdd1AVX512, add2: runAdd2AVX512,
		perm: runPermAVX512, permLanes: 16},
}
