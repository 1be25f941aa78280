package kernels

import "fmt"

// Reductions: sums of all elements, and sums over broadcast dimensions.
//
// Sum and SumSquaredDiff cut the input into chunks whose boundaries depend
// only on its length, add each chunk in float64, and then add the chunk
// results in chunk order, so the answer has the same bits on any number of
// threads.
//
// SumToShape is the adjoint of broadcasting: it folds a (…, N, C, H, W)
// tensor down to a shape that broadcasts to it, such as (1, C, 1, 1) for a
// bias gradient or (N, C, 1, 1) for a global average. Each output element is
// accumulated in float64 by one goroutine, walking its inputs in a fixed
// order, which again makes the result independent of the thread count.

// maxSumChunks bounds the number of chunks of a full sum, so the partial
// sums fit in a small fixed array.
const maxSumChunks = 64

// sumChunkMin is the smallest chunk of a full sum worth a goroutine.
const sumChunkMin = 1 << 14

// sumChunk returns the chunk length for a full reduction of n elements.
func sumChunk(n int) int {
	return max(sumChunkMin, (n+maxSumChunks-1)/maxSumChunks)
}

// chunkedSum runs part over fixed chunks of [0, n) and adds the partial
// results in chunk order.
func chunkedSum(n int, part func(lo, hi int) float64) float64 {
	var partials [maxSumChunks]float64
	chunk := sumChunk(n)
	Parallel(n, chunk, func(lo, hi int) {
		partials[lo/chunk] = part(lo, hi)
	})
	var s float64
	for _, p := range partials[:(n+chunk-1)/chunk] {
		s += p
	}
	return s
}

// Sum returns the sum of x's elements, accumulated in float64.
func Sum(x []float32) float64 {
	return chunkedSum(len(x), func(lo, hi int) float64 { return sumRun(x[lo:hi]) })
}

// Mean returns the mean of x's elements (NaN for an empty slice, as in
// PyTorch), accumulated in float64.
func Mean(x []float32) float64 { return Sum(x) / float64(len(x)) }

// SumSquaredDiff returns Σ (a[i] − b[i])², accumulated in float64.
func SumSquaredDiff(a, b []float32) float64 {
	checkSameLen("SumSquaredDiff", a, b)
	return chunkedSum(len(a), func(lo, hi int) float64 {
		x, y := a[lo:hi], b[lo:hi]
		var s0, s1 float64
		i := 0
		for ; i+1 < len(x); i += 2 {
			d0 := float64(x[i]) - float64(y[i])
			d1 := float64(x[i+1]) - float64(y[i+1])
			s0 += d0 * d0
			s1 += d1 * d1
		}
		if i < len(x) {
			d := float64(x[i]) - float64(y[i])
			s0 += d * d
		}
		return s0 + s1
	})
}

// sumRun adds a contiguous run in float64 with four independent
// accumulators (the adds of one accumulator would wait on each other).
func sumRun(x []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+3 < len(x); i += 4 {
		s0 += float64(x[i])
		s1 += float64(x[i+1])
		s2 += float64(x[i+2])
		s3 += float64(x[i+3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// dotRun returns Σ x[i]·y[i] over a contiguous run in float64, with four
// independent accumulators like sumRun.
func dotRun(x, y []float32) float64 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+3 < len(x); i += 4 {
		s0 += float64(x[i]) * float64(y[i])
		s1 += float64(x[i+1]) * float64(y[i+1])
		s2 += float64(x[i+2]) * float64(y[i+2])
		s3 += float64(x[i+3]) * float64(y[i+3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i]) * float64(y[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// checkSumTo panics unless x (when present) and dst broadcast to gShape and
// every slice holds its shape.
func checkSumTo(name string, g []float32, gShape []int, x []float32, xShape []int, dst []float32, dstShape []int) {
	if len(gShape) > MaxDims || !Broadcastable(dstShape, gShape) || (x != nil && !Broadcastable(xShape, gShape)) {
		panic(fmt.Sprintf("kernels.%s: destination %v and operand %v must broadcast to %v", name, dstShape, xShape, gShape))
	}
	if len(g) != numElements(gShape) || len(dst) != numElements(dstShape) || (x != nil && len(x) != numElements(xShape)) {
		panic(fmt.Sprintf("kernels.%s: slices of %d, %d and %d elements for shapes %v, %v and %v", name, len(g), len(x), len(dst), gShape, xShape, dstShape))
	}
}

// SumToShape adds to dst the sum of alpha·g·x over the dimensions along which
// dst is broadcast to g's shape:
//
//	dst[j] += alpha · Σ_{i : i reads dst[j]} g[i]·x[i]
//
// where i runs over the elements of g (shape gShape), dst (shape dstShape)
// and x (shape xShape) broadcast to gShape, and x = nil means x[i] = 1. It is
// the backward of broadcasting: the gradient of b in a + b is SumToShape of
// the result's gradient onto b's shape, and of b in a·b the same with x = a.
// With dst zeroed first it is also a sum over axes (dstShape has 1 on the
// summed axes). It panics if the shapes do not broadcast to gShape.
func SumToShape(alpha float32, g []float32, gShape []int, x []float32, xShape []int, dst []float32, dstShape []int) {
	checkSumTo("SumToShape", g, gShape, x, xShape, dst, dstShape)
	if len(g) == 0 {
		return
	}
	if len(dst) == 1 && x == nil {
		dst[0] += float32(float64(alpha) * Sum(g))
		return
	}
	if x == nil {
		xShape = nil
	}
	l := makeLayout(gShape, [3][]int{gShape, xShape, dstShape})
	// Split the merged dimensions into those dst keeps (its elements, in
	// order) and those it is summed over.
	var kept, red layout
	for i := range l.nd {
		part := &red
		if l.st[2][i] != 0 {
			part = &kept
		}
		part.dims[part.nd] = l.dims[i]
		part.st[0][part.nd], part.st[1][part.nd] = l.st[0][i], l.st[1][i]
		part.nd++
	}
	if red.nd == 0 {
		red.nd, red.dims[0] = 1, 1
	}
	inner := red.dims[red.nd-1]
	sg, sx := red.st[0][red.nd-1], red.st[1][red.nd-1]
	rows := red.count(red.nd - 1)
	if kept.nd == 1 && red.nd == 1 && sg == 1 && kept.st[0][0] == inner && (x == nil || sx == 1 && kept.st[1][0] == inner) {
		sumPlanes(alpha, g, x, dst, inner)
		return
	}
	Parallel(len(dst), GrainFor(len(dst), len(g)/len(dst)), func(lo, hi int) {
		kc := kept.cursorAt(kept.nd, lo)
		for j := lo; j < hi; j++ {
			var s float64
			rc := red.cursorAt(red.nd-1, 0)
			for range rows {
				og, ox := kc.off[0]+rc.off[0], kc.off[1]+rc.off[1]
				switch {
				case x == nil && sg == 1:
					s += sumRun(g[og : og+inner])
				case x == nil:
					for i := range inner {
						s += float64(g[og+i*sg])
					}
				case sg == 1 && sx == 1:
					s += dotRun(g[og:og+inner], x[ox:ox+inner])
				default:
					for i := range inner {
						s += float64(g[og+i*sg]) * float64(x[ox+i*sx])
					}
				}
				rc.next()
			}
			dst[j] += float32(float64(alpha) * s)
			kc.next()
		}
	})
}

// sumPlanes is SumToShape when each element of dst sums one contiguous run
// of n elements of g (times x's run beside it), run j for dst[j]: the
// backward of a per-channel scale or shift of planes. It adds what the
// general loop adds, without its cursors, which on 2×2 planes cost several
// times the sums.
func sumPlanes(alpha float32, g, x, dst []float32, n int) {
	Parallel(len(dst), GrainFor(len(dst), n), func(lo, hi int) {
		for j := lo; j < hi; j++ {
			var s float64 // 0 + the run's sum, as the general loop adds
			if x == nil {
				s += sumRun(g[j*n : (j+1)*n])
			} else {
				s += dotRun(g[j*n:(j+1)*n], x[j*n:(j+1)*n])
			}
			dst[j] += float32(float64(alpha) * s)
		}
	})
}

// SumToShapeRef is the reference for SumToShape: it walks g in memory order
// and adds each product into a float64 accumulator for its dst element.
func SumToShapeRef(alpha float32, g []float32, gShape []int, x []float32, xShape []int, dst []float32, dstShape []int) {
	checkSumTo("SumToShapeRef", g, gShape, x, xShape, dst, dstShape)
	acc := make([]float64, len(dst))
	for i, v := range g {
		p := float64(v)
		if x != nil {
			p *= float64(x[broadcastIndex(i, gShape, xShape)])
		}
		acc[broadcastIndex(i, gShape, dstShape)] += p
	}
	for j, s := range acc {
		dst[j] += float32(float64(alpha) * s)
	}
}
