package kernels

//go:generate go run pooling_gen.go

// The assembly max-pooling row kernels (pooling_amd64.s, written by
// pooling_gen.go): maxPoolS{stride}{Val|Idx}{AVX2|AVX512}, for strides 1 and
// 2, without and with indices, 8 lanes at a time with AVX2, 16 with AVX-512.
// What one call computes, in Go (n = vecs·lanes + rem outputs of one row; x
// points at the first output's window corner, position base in its plane;
// rows·kw is the window, w the input's row length; the Val kernels ignore idx
// and base):
//
//	for j := 0; j < n; j++ {
//		c := j * stride
//		best, at := x[c], 0
//		for r := 0; r < rows; r++ {
//			for s := 0; s < kw; s++ {
//				if v := x[c+r*w+s]; v > best || v != v {
//					best, at = v, r*w+s
//				}
//			}
//		}
//		y[j] = best
//		idx[j] = int32(base + c + at)
//	}
//
// which is maxPoolRowGo. remA and remB are the lanes of the last (partial)
// vector's two loads per tap (see maxPoolRowVec).

//go:noescape
func maxPoolS1ValAVX2(x, y *float32, idx *int32, rows, kw, w, vecs, base, rem, remA, remB int)

//go:noescape
func maxPoolS1IdxAVX2(x, y *float32, idx *int32, rows, kw, w, vecs, base, rem, remA, remB int)

//go:noescape
func maxPoolS2ValAVX2(x, y *float32, idx *int32, rows, kw, w, vecs, base, rem, remA, remB int)

//go:noescape
func maxPoolS2IdxAVX2(x, y *float32, idx *int32, rows, kw, w, vecs, base, rem, remA, remB int)

//go:noescape
func maxPoolS1ValAVX512(x, y *float32, idx *int32, rows, kw, w, vecs, base, rem, remA, remB int)

//go:noescape
func maxPoolS1IdxAVX512(x, y *float32, idx *int32, rows, kw, w, vecs, base, rem, remA, remB int)

//go:noescape
func maxPoolS2ValAVX512(x, y *float32, idx *int32, rows, kw, w, vecs, base, rem, remA, remB int)

//go:noescape
func maxPoolS2IdxAVX512(x, y *float32, idx *int32, rows, kw, w, vecs, base, rem, remA, remB int)

var maxPoolVecSets = map[Path]*maxPoolVecKernels{
	AVX2: {lanes: 8, row: [2][2]maxPoolRowKernel{
		{maxPoolS1ValAVX2, maxPoolS1IdxAVX2},
		{maxPoolS2ValAVX2, maxPoolS2IdxAVX2},
	}},
	AVX512: {lanes: 16, row: [2][2]maxPoolRowKernel{
		{maxPoolS1ValAVX512, maxPoolS1IdxAVX512},
		{maxPoolS2ValAVX512, maxPoolS2IdxAVX512},
	}},
}
