package kernels

// The fast max-pooling forward pass.
//
// Output row i of a plane reads the input rows [h0, h1) of its window
// (clipped to the image); output column j reads the columns
// [j·StrideW − PadW, … + KW). In the columns [jlo, jhi) of a row that window
// lies wholly inside the image's width (the interior), so every output there
// scans the same taps: the pixel at offset r·W + s from its window's top-left
// corner (row h0), for r < h1 − h0 and s < KW, in row-major order.
//
// Interior outputs go to a row kernel: for strides 1 and 2 the assembly of
// the current path (pooling_amd64.s, a vector of outputs at a time, walking
// the taps by window row and column), otherwise maxPoolRowGo (every path
// but AVX2 and AVX-512 takes it for all strides), which reads the offsets
// from a list made once per chunk of planes (maxPoolTaps); a row clipped at
// the top or bottom uses a prefix of it. The few columns at the left and
// right edges, whose windows are clipped, go to maxPoolWindow, the
// reference's own scan. All keep the reference's rule exactly: a tap
// replaces the maximum when it is greater or NaN, so ties keep the first
// tap, −0 and +0 count as equal, and the last NaN wins; the value is the
// winning tap's own bits.

// maxPoolFastTaps bounds the window size (KH·KW) the fast pass handles; the
// tap offsets live on the stack. Larger windows take the reference.
const maxPoolFastTaps = 64

// maxPoolRowKernel is an assembly row kernel; see pooling_amd64.go for its
// arguments.
type maxPoolRowKernel func(x, y *float32, idx *int32, rows, kw, w, vecs, base, rem, remA, remB int)

// maxPoolVecKernels is one path's set of assembly row kernels.
type maxPoolVecKernels struct {
	lanes int
	// row[stride−1][0] writes values only, row[stride−1][1] also indices.
	row [2][2]maxPoolRowKernel
}

// maxPoolColumns returns the interior output columns [jlo, jhi) of p: those
// whose window lies wholly inside the input's width.
func maxPoolColumns(p PoolParams) (jlo, jhi int) {
	ow := p.OutW()
	jlo = min((p.PadW+p.StrideW-1)/p.StrideW, ow)
	jhi = max(jlo, min(ow, floorDiv(p.W-p.KW+p.PadW, p.StrideW)+1))
	return jlo, jhi
}

// maxPoolTaps writes the offset r·W + s of every tap of a KH×KW window, in
// row-major order, into offs.
func maxPoolTaps(p PoolParams, offs []int32) {
	for r := range p.KH {
		for s := range p.KW {
			offs[r*p.KW+s] = int32(r*p.W + s)
		}
	}
}

// maxPool2dForwardFast does MaxPool2dForward (arguments already checked).
func maxPool2dForwardFast(p PoolParams, x, y []float32, idx []int32) {
	taps := p.KH * p.KW
	if taps > maxPoolFastTaps {
		maxPool2dForwardRef(p, x, y, idx)
		return
	}
	vec := maxPoolVecSets[impl.path]
	if p.StrideW > 2 { // the assembly covers strides 1 and 2
		vec = nil
	}
	oh, ow := p.OutH(), p.OutW()
	pix, hw := oh*ow, p.H*p.W
	Parallel(p.N*p.C, GrainFor(p.N*p.C, pix*taps), func(lo, hi int) {
		var offs [maxPoolFastTaps]int32
		maxPoolTaps(p, offs[:taps])
		for nc := lo; nc < hi; nc++ {
			var planeIdx []int32
			if idx != nil {
				planeIdx = idx[nc*pix:][:pix]
			}
			maxPoolPlane(p, vec, offs[:taps], x[nc*hw:][:hw], y[nc*pix:][:pix], planeIdx)
		}
	})
}

// maxPoolPlane pools one plane into out (and its indices into idx when not
// nil), row by row: edge columns by maxPoolWindow, the interior by the
// assembly kernels of vec when not nil, otherwise by maxPoolRowGo.
func maxPoolPlane(p PoolParams, vec *maxPoolVecKernels, offs []int32, plane, out []float32, idx []int32) {
	ow := p.OutW()
	jlo, jhi := maxPoolColumns(p)
	edge := func(i, j int) {
		best, at := maxPoolWindow(p, plane, i, j)
		out[i*ow+j] = best
		if idx != nil {
			idx[i*ow+j] = int32(at)
		}
	}
	for i := range p.OutH() {
		for j := range jlo {
			edge(i, j)
		}
		if n := jhi - jlo; n > 0 {
			h0, h1 := window(i, p.StrideH, p.PadH, p.KH, p.H)
			base := h0*p.W + jlo*p.StrideW - p.PadW // input position of the first interior window
			row := out[i*ow+jlo:][:n]
			var rowIdx []int32
			if idx != nil {
				rowIdx = idx[i*ow+jlo:][:n]
			}
			if vec != nil {
				maxPoolRowVec(vec, p.StrideW, plane[base:], h1-h0, p.KW, p.W, row, rowIdx, base)
			} else {
				maxPoolRowGo(plane[base:], p.StrideW, offs[:(h1-h0)*p.KW], row, rowIdx, base)
			}
		}
		for j := jhi; j < ow; j++ {
			edge(i, j)
		}
	}
}

// maxPoolRowGo pools the interior outputs y of one row: output j scans
// x[j·stride + offs[t]] for every tap t, starting from tap 0 (offset 0), and
// records the position base + j·stride + offs[t] of the winner in idx when
// not nil.
//
// It runs without branches on the data, which would be mispredicted half
// the time: the winner's offset at is updated by a mask, and the maximum it
// is compared with is kept by the builtin max (NaN once any tap was NaN, and
// +0 for a −0 tied with a +0, which compare the same), so the value written
// is the winning tap's own. Four outputs are pooled side by side to overlap
// their dependency chains.
func maxPoolRowGo(x []float32, stride int, offs []int32, y []float32, idx []int32, base int) {
	rest := offs[1:]
	j := 0
	for ; j+4 <= len(y); j += 4 {
		c := j * stride
		w0, w1, w2, w3 := x[c:], x[c+stride:], x[c+2*stride:], x[c+3*stride:]
		m0, m1, m2, m3 := w0[0], w1[0], w2[0], w3[0]
		var a0, a1, a2, a3 int32
		for _, o := range rest {
			v0, v1, v2, v3 := w0[o], w1[o], w2[o], w3[o]
			a0 ^= (a0 ^ o) & maxPoolWins(v0, m0)
			a1 ^= (a1 ^ o) & maxPoolWins(v1, m1)
			a2 ^= (a2 ^ o) & maxPoolWins(v2, m2)
			a3 ^= (a3 ^ o) & maxPoolWins(v3, m3)
			m0, m1, m2, m3 = max(m0, v0), max(m1, v1), max(m2, v2), max(m3, v3)
		}
		y[j], y[j+1], y[j+2], y[j+3] = w0[a0], w1[a1], w2[a2], w3[a3]
		if idx != nil {
			at := int32(base + c)
			s := int32(stride)
			idx[j], idx[j+1], idx[j+2], idx[j+3] = at+a0, at+s+a1, at+2*s+a2, at+3*s+a3
		}
	}
	for ; j < len(y); j++ {
		c := j * stride
		win := x[c:]
		m, at := win[0], int32(0)
		for _, o := range rest {
			v := win[o]
			at ^= (at ^ o) & maxPoolWins(v, m)
			m = max(m, v)
		}
		y[j] = win[at]
		if idx != nil {
			idx[j] = int32(base+c) + at
		}
	}
}

// maxPoolWins returns all ones if v replaces a maximum m (v > m or v is
// NaN), else 0, without a branch.
func maxPoolWins(v, m float32) int32 {
	var gt, nan int32
	if v > m {
		gt = 1
	}
	if v != v {
		nan = 1
	}
	return -(gt | nan)
}

// maxPoolRowVec pools the interior outputs y of one row with an assembly
// kernel of vec (stride 1 or 2), like maxPoolRowGo with the taps of a
// rows×kw window in an input of row length w.
// The kernel does len(y)/lanes whole vectors, then one of the rem left-over
// outputs with masked loads and stores: remA and remB are how many lanes of
// the two loads of a stride-2 tap (at the window's columns 0 and lanes − 1)
// that last vector needs.
func maxPoolRowVec(vec *maxPoolVecKernels, stride int, x []float32, rows, kw, w int, y []float32, idx []int32, base int) {
	l := vec.lanes
	vecs, rem := len(y)/l, len(y)%l
	remA, remB := rem, 0
	if stride == 2 && rem > 0 {
		remA, remB = min(l, 2*rem-1), max(0, 2*rem-l)
	}
	var ip *int32
	k := vec.row[stride-1][0]
	if idx != nil {
		ip, k = &idx[0], vec.row[stride-1][1]
	}
	k(&x[0], &y[0], ip, rows, kw, w, vecs, base, rem, remA, remB)
}
