package kernels

// The Depthwise algorithm: convolutions with one input channel per group
// (Groups = C), as in MobileNet and EfficientNet blocks.
//
// With a depth multiplier m = K/C, output channel k reads only input channel
// k/m through its own R×S filter w[k, 0, :, :] (the weight is K × 1 × R × S):
//
//	y[n,k,oh,ow] = bias[k] + Σ_{r,s} w[k,0,r,s] · x[n, k/m, oh·StrideH − PadH + r·DilH, ow·StrideW − PadW + s·DilW]
//
// An im2col GEMM would be one row deep per group, so these are direct loops
// over one channel plane at a time. Two implementations exist:
//
//   - the plain Go loops below (the Generic path, the fallback for every
//     shape, and the reference the fast kernels are tested against): per
//     output row, per kernel tap, a strided multiply-add along the row over
//     the part that lies inside the image (validRange), so no per-pixel
//     bounds checks;
//   - assembly kernels for 3×3 and 5×5 filters with stride 1 or 2
//     (depthwise_fast.go drives them, depthwise_amd64.s holds them), which
//     keep the filter in vector registers and compute a vector of output
//     columns at a time;
//   - on AVX-512, for planes of at most 16 floats, kernels that hold a few
//     channels' whole planes in one vector and permute it once per tap
//     (depthwise_tiny.go).
//
// Either way, work is shared out by whole planes and each plane's sums run
// in a fixed order, so results do not depend on the number of threads.

// depthwiseForward computes y = conv(x, w) + bias with the fast kernels of
// the current path when they cover p, the plain loops otherwise. ws holds
// at least depthwiseWorkspaceSize(p) floats.
func depthwiseForward(p ConvParams, x, w, bias, y, ws []float32) {
	if dwTinyFits(p) {
		dwTinyRun(p, dwTinyPlanFor(p, false), x, w, bias, y, false)
		return
	}
	if f := dwFastFor(p); f == nil || !f.runForward(p, x, w, bias, y, ws) {
		depthwiseForwardPlain(p, x, w, bias, y)
	}
}

// depthwiseBackwardData adds dL/dx into dx, or with accumulate false writes
// it there whatever dx held (fast kernels when they cover p).
func depthwiseBackwardData(p ConvParams, dy, w, dx, ws []float32, accumulate bool) {
	if dwTinyFits(p) {
		dwTinyRun(p, dwTinyPlanFor(p, true), dy, w, nil, dx, accumulate)
		return
	}
	if f := dwFastFor(p); f == nil || !f.runBackwardData(p, dy, w, dx, ws, accumulate) {
		depthwiseBackwardDataPlain(p, dy, w, dx, accumulate)
	}
}

// depthwiseBackwardFilter adds dL/dw into dw (fast kernels when they cover p).
func depthwiseBackwardFilter(p ConvParams, x, dy, dw, ws []float32) {
	if dwTinyFits(p) {
		dwTinyFilter(p, dwTinyPlanFor(p, false), x, dy, dw)
		return
	}
	if f := dwFastFor(p); f == nil || !f.runBackwardFilter(p, x, dy, dw, ws) {
		depthwiseBackwardFilterPlain(p, x, dy, dw)
	}
}

// depthwiseForwardPlain computes y = conv(x, w) + bias, one (image, output
// channel) plane per work item.
func depthwiseForwardPlain(p ConvParams, x, w, bias, y []float32) {
	oh, ow := p.OutH(), p.OutW()
	pix, hw, taps := oh*ow, p.H*p.W, p.R*p.S
	m := p.K / p.C
	Parallel(p.N*p.K, GrainFor(p.N*p.K, 2*pix*taps), func(lo, hi int) {
		for nk := lo; nk < hi; nk++ {
			n, k := nk/p.K, nk%p.K
			plane := x[(n*p.C+k/m)*hw:][:hw]
			filter := w[k*taps:][:taps]
			var b float32
			if bias != nil {
				b = bias[k]
			}
			out := y[nk*pix:][:pix]
			for i := range oh {
				orow := out[i*ow:][:ow]
				for j := range orow {
					orow[j] = b
				}
				for r := range p.R {
					ih := i*p.StrideH - p.PadH + r*p.DilH
					if ih < 0 || ih >= p.H {
						continue
					}
					xrow := plane[ih*p.W:][:p.W]
					for s := range p.S {
						off := s*p.DilW - p.PadW
						a, e := validRange(off, p.StrideW, p.W, ow)
						if a == e {
							continue
						}
						wv := filter[r*p.S+s]
						dst := orow[a:e]
						if p.StrideW == 1 {
							axpy(wv, xrow[a+off:e+off], dst)
							continue
						}
						src := xrow[a*p.StrideW+off:]
						for j := range dst {
							dst[j] += wv * src[j*p.StrideW]
						}
					}
				}
			}
		}
	})
}

// depthwiseBackwardDataPlain adds dL/dx into dx (or, with accumulate false,
// zeroes each plane first), one (image, input channel) plane per work item;
// the plane gathers from its m output channels in order.
func depthwiseBackwardDataPlain(p ConvParams, dy, w, dx []float32, accumulate bool) {
	oh, ow := p.OutH(), p.OutW()
	pix, hw, taps := oh*ow, p.H*p.W, p.R*p.S
	m := p.K / p.C
	Parallel(p.N*p.C, GrainFor(p.N*p.C, 2*m*pix*taps), func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			n, c := nc/p.C, nc%p.C
			plane := dx[nc*hw:][:hw]
			if !accumulate {
				clear(plane)
			}
			for k := c * m; k < (c+1)*m; k++ {
				grad := dy[(n*p.K+k)*pix:][:pix]
				filter := w[k*taps:][:taps]
				for i := range oh {
					grow := grad[i*ow:][:ow]
					for r := range p.R {
						ih := i*p.StrideH - p.PadH + r*p.DilH
						if ih < 0 || ih >= p.H {
							continue
						}
						xrow := plane[ih*p.W:][:p.W]
						for s := range p.S {
							off := s*p.DilW - p.PadW
							a, e := validRange(off, p.StrideW, p.W, ow)
							if a == e {
								continue
							}
							wv := filter[r*p.S+s]
							src := grow[a:e]
							if p.StrideW == 1 {
								axpy(wv, src, xrow[a+off:e+off])
								continue
							}
							dst := xrow[a*p.StrideW+off:]
							for j, g := range src {
								dst[j*p.StrideW] += wv * g
							}
						}
					}
				}
			}
		}
	})
}

// depthwiseBackwardFilterPlain adds dL/dw into dw, one output channel per
// work item. For each image and tap it sums dy·x over the plane, then adds
// that partial sum into dw, images in order.
func depthwiseBackwardFilterPlain(p ConvParams, x, dy, dw []float32) {
	oh, ow := p.OutH(), p.OutW()
	pix, hw, taps := oh*ow, p.H*p.W, p.R*p.S
	m := p.K / p.C
	Parallel(p.K, GrainFor(p.K, 2*p.N*pix*taps), func(lo, hi int) {
		for k := lo; k < hi; k++ {
			filterGrad := dw[k*taps:][:taps]
			for n := range p.N {
				plane := x[(n*p.C+k/m)*hw:][:hw]
				grad := dy[(n*p.K+k)*pix:][:pix]
				for r := range p.R {
					for s := range p.S {
						off := s*p.DilW - p.PadW
						a, e := validRange(off, p.StrideW, p.W, ow)
						if a == e {
							continue
						}
						var sum float32
						for i := range oh {
							ih := i*p.StrideH - p.PadH + r*p.DilH
							if ih < 0 || ih >= p.H {
								continue
							}
							xrow := plane[ih*p.W:][:p.W]
							grow := grad[i*ow+a : i*ow+e]
							if p.StrideW == 1 {
								sum += dot(grow, xrow[a+off:e+off])
								continue
							}
							src := xrow[a*p.StrideW+off:]
							for j, g := range grow {
								sum += g * src[j*p.StrideW]
							}
						}
						filterGrad[r*p.S+s] += sum
					}
				}
			}
		}
	})
}
