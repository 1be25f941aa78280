package kernels

//go:generate go run depthwise_gen.go

// The assembly depthwise kernels (depthwise_amd64.s, written by
// depthwise_gen.go) and the kernel sets of the AVX2 and AVX-512 paths.
//
// What one call computes, in Go, for the forward kernels (stride st, a k×k
// filter f = a.w, x = a.in, y = a.out, reading 0 outside x's inH×inW):
//
//	for i := a.i0; i < a.i1; i++ {
//		for j := 0; j < a.outW; j++ {
//			sum := *a.bias
//			if a.beta == 1 {
//				sum += y[i*a.outW+j]
//			}
//			for r := 0; r < k; r++ {
//				for s := 0; s < k; s++ {
//					sum += f[r*k+s] * x[(i*st+a.row0+r)*a.inW + j*st+a.col0+s]
//				}
//			}
//			y[i*a.outW+j] = sum
//		}
//	}
//
// The filter kernels (x = a.in, dy = a.out) add, for each of the a.rows
// filter rows r of the call, Σ_{i,j} dy[i*a.outW+j] · x[(i*st+a.row0+r)*a.inW + j*st+a.col0+s]
// into a.w[r*k+s]. The stride-2 data kernels (dy = a.in, dx = a.out) add into
// dx[ih*a.outW+iw] the sum over taps with ih+a.row0−r and iw+(k−1)/2+2·a.col0−s
// even of f[r*k+s] · dy[(ih+a.row0−r)/2 * a.inW + (iw+(k−1)/2+2·a.col0−s)/2].
// In all of them a.outW is the row length of out and vectors of a row past
// a.nl and before a.mid read and write without masks; the table at a.masks
// holds the masks of the others (dwEdgeMasks). A call does this for a.planes
// planes in turn, in, out, w and bias stepping on by a.inPlane, a.outPlane,
// a.wPlane and a.biasPlane bytes after each (the filter kernels sum over all
// of them before adding into a.w, whose step is 0).

//go:noescape
func dwForward3x3s1AVX2(a dwArgs)

//go:noescape
func dwFilter3x3s1AVX2(a dwArgs)

//go:noescape
func dwForward3x3s2AVX2(a dwArgs)

//go:noescape
func dwFilter3x3s2AVX2(a dwArgs)

//go:noescape
func dwData3x3s2AVX2(a dwArgs)

//go:noescape
func dwForward5x5s1AVX2(a dwArgs)

//go:noescape
func dwFilter5x5s1AVX2(a dwArgs)

//go:noescape
func dwForward5x5s2AVX2(a dwArgs)

//go:noescape
func dwFilter5x5s2AVX2(a dwArgs)

//go:noescape
func dwData5x5s2AVX2(a dwArgs)

//go:noescape
func dwForward3x3s1AVX512(a dwArgs)

//go:noescape
func dwFilter3x3s1AVX512(a dwArgs)

//go:noescape
func dwForward3x3s2AVX512(a dwArgs)

//go:noescape
func dwFilter3x3s2AVX512(a dwArgs)

//go:noescape
func dwData3x3s2AVX512(a dwArgs)

//go:noescape
func dwForward5x5s1AVX512(a dwArgs)

//go:noescape
func dwFilter5x5s1AVX512(a dwArgs)

//go:noescape
func dwForward5x5s2AVX512(a dwArgs)

//go:noescape
func dwFilter5x5s2AVX512(a dwArgs)

//go:noescape
func dwData5x5s2AVX512(a dwArgs)

var dwFastSets = map[Path]*dwFastKernels{
	AVX2: {
		lanes:      8,
		forward:    [2][2]func(dwArgs){{dwForward3x3s1AVX2, dwForward3x3s2AVX2}, {dwForward5x5s1AVX2, dwForward5x5s2AVX2}},
		filter:     [2][2]func(dwArgs){{dwFilter3x3s1AVX2, dwFilter3x3s2AVX2}, {dwFilter5x5s1AVX2, dwFilter5x5s2AVX2}},
		filterRows: [2][2]int{{3, 3}, {2, 2}}, // 16 registers: 25 accumulators do not fit
		data2:      [2]func(dwArgs){dwData3x3s2AVX2, dwData5x5s2AVX2},
	},
	AVX512: {
		lanes:      16,
		wide:       true,
		forward:    [2][2]func(dwArgs){{dwForward3x3s1AVX512, dwForward3x3s2AVX512}, {dwForward5x5s1AVX512, dwForward5x5s2AVX512}},
		filter:     [2][2]func(dwArgs){{dwFilter3x3s1AVX512, dwFilter3x3s2AVX512}, {dwFilter5x5s1AVX512, dwFilter5x5s2AVX512}},
		filterRows: [2][2]int{{3, 3}, {5, 5}},
		data2:      [2]func(dwArgs){dwData3x3s2AVX512, dwData5x5s2AVX512},
	},
}
