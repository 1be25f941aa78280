package kernels

// The tiny-plane depthwise kernels (depthwise_tiny_amd64.s); see
// depthwise_tiny.go. In Go, for a = *args, with the lanes of in beyond
// a.inMask read as 0 and acc a vector of 16 floats:
//
//	dwTinyAVX512:       for each of a.images images:
//	                        acc = a.beta == 1 ? out : init   (the lanes of a.outMask)
//	                        for t < a.taps: acc[l] += w[t][l] · (idx[t][l] < 16 ? in[idx[t][l]] : 0)
//	                        out = acc                        (the lanes of a.outMask)
//	dwTinyFilterAVX512: for each image: w[t][l] += out[l] · (idx[t][l] < 16 ? in[idx[t][l]] : 0)
//
// where each += of a product is one fused multiply-add (one rounding).
//
// in and out stepping on by a.inStride and a.outStride bytes from one image
// to the next.

//go:noescape
func dwTinyAVX512(a *dwTinyArgs)

//go:noescape
func dwTinyFilterAVX512(a *dwTinyArgs)

// dwTinyAVX2 and dwTinyFilterAVX2 do the same with 8 lanes (the first 8
// of each 16 in w and idx), four images at a time.
//
//go:noescape
func dwTinyAVX2(a *dwTinyArgs)

//go:noescape
func dwTinyFilterAVX2(a *dwTinyArgs)

// dwTinyLanes holds the lanes of a vector on the paths that have tiny-plane
// kernels.
var dwTinyLanes = map[Path]int{AVX512: 16, AVX2: 8}

// dwTinySum and dwTinyFilterSum call the kernels directly, not through
// function values, so that the arguments and buffers they point into stay
// on the caller's stack.
func dwTinySum(a *dwTinyArgs) {
	if impl.path == AVX512 {
		dwTinyAVX512(a)
	} else {
		dwTinyAVX2(a)
	}
}

func dwTinyFilterSum(a *dwTinyArgs) {
	if impl.path == AVX512 {
		dwTinyFilterAVX512(a)
	} else {
		dwTinyFilterAVX2(a)
	}
}
