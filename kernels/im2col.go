package kernels

import "unsafe"

// The GEMM algorithms for convolution: Im2col and Pointwise.
//
// Im2col unfolds the input into a column matrix with one row per (input
// channel c, kernel tap r, s) and one column per output pixel q = oh·OW + ow:
//
//	col[(c·R + r)·S + s, q] = x[c, oh·StrideH − PadH + r·DilH, ow·StrideW − PadW + s·DilW]
//
// (0 where that falls in the padding). Group g owns the C/G·R·S consecutive
// rows of its input channels, so with the weight of group g viewed as a
// K/G × (C/G·R·S) matrix W_g, the convolution is one GEMM per group:
//
//	forward          Y_g  = W_g · col_g
//	backward data    dcol_g = W_gᵀ · dY_g,  then col2im adds dcol back onto dx
//	backward filter  dW_g += dY_g · col_gᵀ
//
// With stride 1, the input gradient is itself a convolution: dy correlated
// with the filter turned by 180° and its input and output channels swapped,
// padded by Dil·(R−1) − Pad (dataConv). When the batch has many output
// pixels per output channel, that is cheaper than col2im, whose scattered
// adds cost more than the unfolding of dy and the turning of the filter
// (dataByConv).
//
// Pointwise is the case where col is the image itself (C rows, H·W columns),
// so the GEMMs read x, y, dx and dy where they lie and no column buffer is
// needed.
//
// Tiles keep the workspace bounded and the GEMMs well shaped (convTiling).
// A large image is processed a band of output pixels at a time, so the column
// buffer never exceeds about colBufferFloats. Images with few output pixels
// (the late layers of a network, down to 1×1) are folded together: the columns
// of several images sit side by side, so one GEMM covers them all instead of a
// matrix-vector product per image. Folded tiles compute into (or gather dy
// into) a K × columns buffer, because their outputs are not contiguous in y.

// colBufferFloats bounds the column buffer of one tile: half of the L2
// cache, so the GEMM packs the columns from L2 right after im2col wrote
// them there.
var colBufferFloats = max(caches.l2/2/4, 1<<16)

// minTileCols is the fewest GEMM columns (output pixels) worth a GEMM call:
// images with fewer output pixels are folded together up to this width.
const minTileCols = 256

// tapTableWidth: images whose output rows are narrower than this are
// unfolded (and folded back) through a table of the input offset of every
// (tap, output pixel), computed once per call, rather than a row segment at
// a time: segments of a few pixels cost more in bookkeeping than in copying.
const tapTableWidth = 16

// convTiling says how the output pixels of a convolution are cut into tiles.
type convTiling struct {
	images int  // images per tile; more than one only when their pixels are folded together
	pixels int  // output pixels per image in one tile (all OH·OW when images > 1)
	packed bool // the columns are unfolded into the workspace (false: Pointwise reading x in place)
	taps   bool // im2col and col2im go through the tap table (convTaps)
}

// planConv chooses the tiling of a GEMM-based convolution.
func planConv(p ConvParams, algo ConvAlgo) convTiling {
	pix := p.OutH() * p.OutW()
	rows := p.C * p.R * p.S
	taps := p.OutW() < tapTableWidth
	if pix < minTileCols && p.N > 1 {
		nb := min(p.N, (minTileCols+pix-1)/pix, colBufferFloats/(rows*pix))
		if nb > 1 {
			return convTiling{images: nb, pixels: pix, packed: true, taps: taps}
		}
	}
	if algo == Pointwise {
		return convTiling{images: 1, pixels: pix}
	}
	return convTiling{images: 1, pixels: min(pix, max(minTileCols, colBufferFloats/rows)), packed: true, taps: taps}
}

// workspace returns the scratch floats the tiling needs: the column buffer
// (C·R·S rows), for folded tiles a K-row buffer for y or dy, and the tap
// table (R·S·OH·OW 32-bit offsets).
func (t convTiling) workspace(p ConvParams) int {
	cols := t.images * t.pixels
	n := 0
	if t.packed {
		n += p.C * p.R * p.S * cols
	}
	if t.images > 1 {
		n += p.K * cols
	}
	if t.taps {
		n += p.R * p.S * p.OutH() * p.OutW()
	}
	return n
}

// buffers splits the workspace into the column buffer, the K-row buffer and
// the tap table, which it fills.
func (t convTiling) buffers(p ConvParams, ws []float32) (col, rowsK []float32, taps []int32) {
	cols := t.images * t.pixels
	if t.packed {
		col = ws[:p.C*p.R*p.S*cols]
	}
	if t.images > 1 {
		rowsK = ws[len(col):][:p.K*cols]
	}
	if t.taps {
		rest := ws[len(col)+len(rowsK):][:p.R*p.S*p.OutH()*p.OutW()]
		taps = unsafe.Slice((*int32)(unsafe.Pointer(&rest[0])), len(rest))
		convTaps(p, taps)
	}
	return col, rowsK, taps
}

// convTaps fills taps[t·OH·OW + q] with the offset within an input plane
// that output pixel q reads through kernel tap t = r·S + s, or −1 where that
// falls in the padding.
func convTaps(p ConvParams, taps []int32) {
	oh, ow := p.OutH(), p.OutW()
	for r := range p.R {
		for s := range p.S {
			row := taps[(r*p.S+s)*oh*ow:][:oh*ow]
			for i := range oh {
				ih := i*p.StrideH - p.PadH + r*p.DilH
				for j := range ow {
					iw := j*p.StrideW - p.PadW + s*p.DilW
					row[i*ow+j] = -1
					if ih >= 0 && ih < p.H && iw >= 0 && iw < p.W {
						row[i*ow+j] = int32(ih*p.W + iw)
					}
				}
			}
		}
	}
}

// forEach calls fn for every tile in a fixed order: images [n0, n0+nb), and
// output pixels [q0, q1) of each of them.
func (t convTiling) forEach(p ConvParams, fn func(n0, nb, q0, q1 int)) {
	pix := p.OutH() * p.OutW()
	if t.images > 1 {
		for n0 := 0; n0 < p.N; n0 += t.images {
			fn(n0, min(t.images, p.N-n0), 0, pix)
		}
		return
	}
	for n := range p.N {
		for q0 := 0; q0 < pix; q0 += t.pixels {
			fn(n, 1, q0, min(q0+t.pixels, pix))
		}
	}
}

// columns returns the GEMM operand holding a tile's columns and its leading
// dimension: the unfolded input in col, or x itself for Pointwise.
func (t convTiling) columns(p ConvParams, x, col []float32, taps []int32, n0, nb, q0, q1 int) ([]float32, int) {
	hw := p.H * p.W
	if !t.packed {
		return x[n0*p.C*hw+q0:], hw
	}
	im2col(p, x, col, taps, n0, nb, q0, q1)
	return col, nb * (q1 - q0)
}

// outGrad returns dy for a tile as a K-row matrix and its leading dimension:
// in place for one image, gathered into rowsK for folded images.
func (t convTiling) outGrad(p ConvParams, dy, rowsK []float32, n0, nb, q0, q1 int) ([]float32, int) {
	pix := p.OutH() * p.OutW()
	if t.images == 1 {
		return dy[n0*p.K*pix+q0:], pix
	}
	cols := nb * pix
	Parallel(p.K, GrainFor(p.K, cols), func(lo, hi int) {
		for k := lo; k < hi; k++ {
			for i := range nb {
				copy(rowsK[k*cols+i*pix:][:pix], dy[((n0+i)*p.K+k)*pix:][:pix])
			}
		}
	})
	return rowsK, cols
}

// gemmConvForward computes y = conv(x, w) + bias with Im2col or Pointwise,
// or, when accumulate is set, adds conv(x, w) into y (bias must be nil).
func gemmConvForward(p ConvParams, t convTiling, x, w, bias, y, ws []float32, accumulate bool) {
	pix := p.OutH() * p.OutW()
	cg, kg := p.C/p.Groups, p.K/p.Groups
	crs := cg * p.R * p.S
	col, rowsK, taps := t.buffers(p, ws)
	beta := float32(0)
	if accumulate {
		beta = 1
	} else if bias != nil && t.images == 1 { // tiles of one image accumulate onto the bias
		fillPlanes(y, bias, p.N, p.K, pix)
		beta = 1
	}
	t.forEach(p, func(n0, nb, q0, q1 int) {
		b, ldb := t.columns(p, x, col, taps, n0, nb, q0, q1)
		ncols := nb * (q1 - q0)
		out, ldo, outBeta := y[n0*p.K*pix+q0:], pix, beta
		if t.images > 1 {
			out, ldo, outBeta = rowsK, ncols, 0
		}
		for g := range p.Groups {
			Sgemm(false, false, kg, ncols, crs, 1, w[g*kg*crs:], crs, b[g*crs*ldb:], ldb, outBeta, out[g*kg*ldo:], ldo)
		}
		if t.images > 1 {
			Parallel(p.K, GrainFor(p.K, ncols), func(lo, hi int) {
				for k := lo; k < hi; k++ {
					var bk float32
					if bias != nil {
						bk = bias[k]
					}
					for i := range nb {
						dst := y[((n0+i)*p.K+k)*pix:][:pix]
						src := rowsK[k*ncols+i*pix:][:pix]
						if accumulate {
							axpy(1, src, dst)
							continue
						}
						for q, v := range src {
							dst[q] = v + bk
						}
					}
				}
			})
		}
	})
}

// dataConv returns the convolution whose forward pass, run on dy, gives the
// input gradient of p, and whether there is one (stride 1, and padding at
// most Dil·(R−1) on each axis): dy's K channels in, C channels out, the
// filter dataFilter makes from w.
func (p ConvParams) dataConv() (ConvParams, bool) {
	ph, pw := p.DilH*(p.R-1)-p.PadH, p.DilW*(p.S-1)-p.PadW
	if p.StrideH != 1 || p.StrideW != 1 || ph < 0 || pw < 0 {
		return p, false
	}
	return ConvParams{N: p.N, C: p.K, H: p.OutH(), W: p.OutW(), K: p.C, R: p.R, S: p.S,
		StrideH: 1, StrideW: 1, PadH: ph, PadW: pw, DilH: p.DilH, DilW: p.DilW, Groups: p.Groups}, true
}

// dataByConv reports whether the Im2col input gradient of p runs as the
// forward pass of dataConv: when the batch has at least dataConvMinPixels
// output pixels per output channel of a group, so that turning the filter
// costs little next to the col2im it saves.
func (p ConvParams) dataByConv() bool {
	_, ok := p.dataConv()
	return ok && p.N*p.OutH()*p.OutW() >= dataConvMinPixels*(p.K/p.Groups)
}

// dataConvMinPixels: see dataByConv.
const dataConvMinPixels = 2

// dataFilter writes the filter of dataConv into wt (C × K/G × R × S): for
// input channel c = g·C/G + j and output channel k = g·K/G + i,
// wt[c, i, r, s] = w[k, j, R−1−r, S−1−s].
func dataFilter(p ConvParams, w, wt []float32) {
	cg, kg, taps := p.C/p.Groups, p.K/p.Groups, p.R*p.S
	Parallel(p.C, GrainFor(p.C, kg*taps), func(lo, hi int) {
		for c := lo; c < hi; c++ {
			g, j := c/cg, c%cg
			for i := range kg {
				src := w[((g*kg+i)*cg+j)*taps:][:taps]
				dst := wt[(c*kg+i)*taps:][:taps]
				for t, v := range src {
					dst[taps-1-t] = v
				}
			}
		}
	})
}

// dataConvWorkspace is the scratch of the input gradient by dataConv: the
// turned filter, then the workspace of the forward pass.
func dataConvWorkspace(p ConvParams) int {
	q, _ := p.dataConv()
	return p.K*p.C/p.Groups*p.R*p.S + planConv(q, Im2col).workspace(q)
}

// gemmConvBackwardDataByConv adds dL/dx into dx as the forward pass of
// dataConv on dy.
func gemmConvBackwardDataByConv(p ConvParams, dy, w, dx, ws []float32) {
	q, _ := p.dataConv()
	wt := ws[:p.K*p.C/p.Groups*p.R*p.S]
	dataFilter(p, w, wt)
	gemmConvForward(q, planConv(q, Im2col), dy, wt, nil, dx, ws[len(wt):], true)
}

// gemmConvBackwardData adds dL/dx into dx with Im2col or Pointwise, through
// col2im.
func gemmConvBackwardData(p ConvParams, t convTiling, dy, w, dx, ws []float32) {
	hw := p.H * p.W
	cg, kg := p.C/p.Groups, p.K/p.Groups
	crs := cg * p.R * p.S
	col, rowsK, taps := t.buffers(p, ws)
	t.forEach(p, func(n0, nb, q0, q1 int) {
		d, ldd := t.outGrad(p, dy, rowsK, n0, nb, q0, q1)
		ncols := nb * (q1 - q0)
		if !t.packed { // Pointwise: dx_n += wᵀ · dy_n straight into dx
			Sgemm(true, false, p.C, ncols, p.K, 1, w, p.C, d, ldd, 1, dx[n0*p.C*hw+q0:], hw)
			return
		}
		for g := range p.Groups {
			Sgemm(true, false, crs, ncols, kg, 1, w[g*kg*crs:], crs, d[g*kg*ldd:], ldd, 0, col[g*crs*ncols:], ncols)
		}
		col2im(p, col, dx, taps, n0, nb, q0, q1)
	})
}

// gemmConvBackwardFilter adds dL/dw into dw with Im2col or Pointwise. Tiles
// add their share in a fixed order, so the sum does not depend on threads.
func gemmConvBackwardFilter(p ConvParams, t convTiling, x, dy, dw, ws []float32) {
	cg, kg := p.C/p.Groups, p.K/p.Groups
	crs := cg * p.R * p.S
	col, rowsK, taps := t.buffers(p, ws)
	t.forEach(p, func(n0, nb, q0, q1 int) {
		b, ldb := t.columns(p, x, col, taps, n0, nb, q0, q1)
		d, ldd := t.outGrad(p, dy, rowsK, n0, nb, q0, q1)
		ncols := nb * (q1 - q0)
		for g := range p.Groups {
			Sgemm(false, true, kg, crs, ncols, 1, d[g*kg*ldd:], ldd, b[g*crs*ldb:], ldb, 1, dw[g*kg*crs:], crs)
		}
	})
}

// fillPlanes sets every plane (n, k) of an N×K×pix tensor to v[k].
func fillPlanes(y, v []float32, n, k, pix int) {
	Parallel(n*k, GrainFor(n*k, pix), func(lo, hi int) {
		for nk := lo; nk < hi; nk++ {
			bk := v[nk%k]
			plane := y[nk*pix:][:pix]
			for i := range plane {
				plane[i] = bk
			}
		}
	})
}

// im2col unfolds output pixels [q0, q1) of images [n0, n0+nb) into col, a
// C·R·S × nb·(q1−q0) matrix whose columns hold image n0 first, then n0+1, …,
// a row segment at a time or, given a tap table, a pixel at a time.
func im2col(p ConvParams, x, col []float32, taps []int32, n0, nb, q0, q1 int) {
	rows, rs, pix := p.C*p.R*p.S, p.R*p.S, p.OutH()*p.OutW()
	chw, hw := p.C*p.H*p.W, p.H*p.W
	span := q1 - q0
	ld := nb * span
	Parallel(nb*rows, GrainFor(nb*rows, span), func(lo, hi int) {
		for item := lo; item < hi; item++ {
			i, row := item/rows, item%rows
			dst := col[row*ld+i*span:][:span]
			if taps == nil {
				im2colRow(p, x[(n0+i)*chw:][:chw], row, q0, q1, dst)
				continue
			}
			plane := x[(n0+i)*chw+row/rs*hw:][:hw]
			for j, at := range taps[row%rs*pix+q0:][:span] {
				dst[j] = 0
				if at >= 0 {
					dst[j] = plane[at]
				}
			}
		}
	})
}

// col2im adds the columns of col (laid out as im2col writes them) back onto
// the input pixels they came from, in dx. Each (image, channel) plane is
// summed by one goroutine, taps in order, so the result is deterministic.
func col2im(p ConvParams, col, dx []float32, taps []int32, n0, nb, q0, q1 int) {
	hw, rs, pix := p.H*p.W, p.R*p.S, p.OutH()*p.OutW()
	span := q1 - q0
	ld := nb * span
	Parallel(nb*p.C, GrainFor(nb*p.C, p.R*p.S*span), func(lo, hi int) {
		for item := lo; item < hi; item++ {
			i, c := item/p.C, item%p.C
			plane := dx[((n0+i)*p.C+c)*hw:][:hw]
			if taps == nil {
				col2imPlane(p, col[i*span:], ld, c, q0, q1, plane)
				continue
			}
			for t := range rs {
				src := col[(c*rs+t)*ld+i*span:][:span]
				for j, at := range taps[t*pix+q0:][:span] {
					if at >= 0 {
						plane[at] += src[j]
					}
				}
			}
		}
	})
}

// im2colRow writes row (c·R + r)·S + s of one image's column matrix: for each
// output pixel q in [q0, q1), the input value it reads through kernel tap
// (r, s) of channel c, or 0 in the padding, into dst[q−q0].
func im2colRow(p ConvParams, img []float32, row, q0, q1 int, dst []float32) {
	c, r, s := row/(p.R*p.S), row/p.S%p.R, row%p.S
	plane := img[c*p.H*p.W:][:p.H*p.W]
	ow := p.OutW()
	offH, offW := r*p.DilH-p.PadH, s*p.DilW-p.PadW
	lo, hi := validRange(offW, p.StrideW, p.W, ow)
	for q := q0; q < q1; {
		oh, o0 := q/ow, q%ow
		o1 := min(ow, o0+q1-q)
		seg := dst[q-q0:][:o1-o0]
		q += o1 - o0
		ih := oh*p.StrideH + offH
		if ih < 0 || ih >= p.H {
			clear(seg)
			continue
		}
		a := min(max(lo, o0), o1)
		b := max(a, min(hi, o1))
		clear(seg[:a-o0])
		clear(seg[b-o0:])
		if a == b {
			continue
		}
		src := plane[ih*p.W+a*p.StrideW+offW:]
		mid := seg[a-o0 : b-o0]
		if p.StrideW == 1 {
			copy(mid, src)
			continue
		}
		for j := range mid {
			mid[j] = src[j*p.StrideW]
		}
	}
}

// col2imPlane adds the rows of channel c (every kernel tap, in order) of a
// column matrix with leading dimension ld onto that channel's plane of dx,
// skipping the entries that came from padding.
func col2imPlane(p ConvParams, col []float32, ld, c, q0, q1 int, plane []float32) {
	ow := p.OutW()
	for r := range p.R {
		for s := range p.S {
			src := col[((c*p.R+r)*p.S+s)*ld:][:q1-q0]
			offH, offW := r*p.DilH-p.PadH, s*p.DilW-p.PadW
			lo, hi := validRange(offW, p.StrideW, p.W, ow)
			for q := q0; q < q1; {
				oh, o0 := q/ow, q%ow
				o1 := min(ow, o0+q1-q)
				seg := src[q-q0:][:o1-o0]
				q += o1 - o0
				ih := oh*p.StrideH + offH
				a := min(max(lo, o0), o1)
				b := max(a, min(hi, o1))
				if ih < 0 || ih >= p.H || a == b {
					continue
				}
				dst := plane[ih*p.W+a*p.StrideW+offW:]
				for j, v := range seg[a-o0 : b-o0] {
					dst[j*p.StrideW] += v
				}
			}
		}
	}
}
