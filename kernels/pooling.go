package kernels

import (
	"fmt"
	"math"
)

// Pooling: max, average and adaptive average pooling over N×C×H×W inputs,
// forward and backward, with PyTorch's (ATen's CPU kernels') semantics.
//
// Every (image, channel) plane is pooled on its own, so the work is shared
// out by planes and each plane's gradient is summed by one goroutine in scan
// order: results are the same for any number of threads. The backward
// kernels ADD into dx.
//
// Windows of MaxPool2d and AvgPool2d: output (oh, ow) covers input rows
// [oh·StrideH − PadH, … + KH) and the matching columns, clipped to the image.
// The output size follows PyTorch:
//
//	OH = ⌊(H + 2·PadH − KH) / StrideH⌋ + 1           (floor mode)
//	OH = ⌈(H + 2·PadH − KH) / StrideH⌉ + 1           (ceil mode), minus 1 if the
//	     last window would start at or beyond H + PadH (so it starts inside the
//	     image or its left padding)
//
// and the padding may be at most half the kernel, so no window is empty.

// PoolParams describes MaxPool2d or AvgPool2d (dilation 1). CountIncludePad
// matters only to average pooling.
type PoolParams struct {
	N, C, H, W       int // input: batch, channels, height, width
	KH, KW           int // window
	StrideH, StrideW int
	PadH, PadW       int
	CeilMode         bool // round the output size up, as ceil_mode=True
	CountIncludePad  bool // average pooling divides by the window size including padding
}

// OutH returns the output height.
func (p PoolParams) OutH() int { return poolOut(p.H, p.KH, p.StrideH, p.PadH, p.CeilMode) }

// OutW returns the output width.
func (p PoolParams) OutW() int { return poolOut(p.W, p.KW, p.StrideW, p.PadW, p.CeilMode) }

func poolOut(in, k, stride, pad int, ceil bool) int {
	if stride < 1 {
		return 0
	}
	num := in + 2*pad - k
	if ceil {
		num += stride - 1
	}
	out := floorDiv(num, stride) + 1
	if ceil && (out-1)*stride >= in+pad {
		out--
	}
	return out
}

// Validate reports whether the parameters describe a pooling the kernels can
// run, with the limits PyTorch imposes.
func (p PoolParams) Validate() error {
	switch {
	case p.N < 0 || p.C < 1 || p.H < 1 || p.W < 1:
		return fmt.Errorf("kernels: %v: the input must have N ≥ 0 and C, H, W ≥ 1", p)
	case p.KH < 1 || p.KW < 1 || p.StrideH < 1 || p.StrideW < 1:
		return fmt.Errorf("kernels: %v: window and stride must be ≥ 1", p)
	case p.PadH < 0 || p.PadW < 0 || 2*p.PadH > p.KH || 2*p.PadW > p.KW:
		return fmt.Errorf("kernels: %v: padding must be between 0 and half the window", p)
	case p.OutH() < 1 || p.OutW() < 1:
		return fmt.Errorf("kernels: %v: the window does not fit in the padded input (output %d×%d)", p, p.OutH(), p.OutW())
	}
	return nil
}

// String describes the pooling.
func (p PoolParams) String() string {
	return fmt.Sprintf("pool %d×%d×%d×%d window %d×%d stride %d×%d pad %d×%d ceil %v include-pad %v",
		p.N, p.C, p.H, p.W, p.KH, p.KW, p.StrideH, p.StrideW, p.PadH, p.PadW, p.CeilMode, p.CountIncludePad)
}

func (p PoolParams) check(op string, x, y int) {
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("kernels.%s: %v", op, err))
	}
	checkLen(op, "the input", x, p.N*p.C*p.H*p.W, p)
	checkLen(op, "the output", y, p.N*p.C*p.OutH()*p.OutW(), p)
}

// window returns the input rows (or columns) [lo, hi) of output position o,
// clipped to the image.
func window(o, stride, pad, k, size int) (lo, hi int) {
	lo = o*stride - pad
	return max(lo, 0), min(lo+k, size)
}

// MaxPool2dForward sets y to the maximum of each window; the padding counts
// as −∞ and a NaN wins (the last NaN of the window in row-major scan order).
// When idx is not nil it receives, for each output, the position ih·W + iw
// of that maximum in its input plane, the first one in row-major scan order
// when several are equal (PyTorch's indices), which MaxPool2dBackward needs.
//
// The work is done by maxPool2dForwardFast (pooling_fast.go), which gives
// the same values and indices bit for bit as maxPool2dForwardRef below.
func MaxPool2dForward(p PoolParams, x, y []float32, idx []int32) {
	p.check("MaxPool2dForward", len(x), len(y))
	if idx != nil {
		checkLen("MaxPool2dForward", "idx", len(idx), len(y), p)
	}
	maxPool2dForwardFast(p, x, y, idx)
}

// maxPool2dForwardRef is the plain reference of MaxPool2dForward (arguments
// already checked): every output pixel clips its window and scans it.
func maxPool2dForwardRef(p PoolParams, x, y []float32, idx []int32) {
	oh, ow := p.OutH(), p.OutW()
	pix, hw := oh*ow, p.H*p.W
	Parallel(p.N*p.C, GrainFor(p.N*p.C, pix*p.KH*p.KW), func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			plane := x[nc*hw:][:hw]
			out := y[nc*pix:][:pix]
			for i := range oh {
				for j := range ow {
					best, at := maxPoolWindow(p, plane, i, j)
					out[i*ow+j] = best
					if idx != nil {
						idx[nc*pix+i*ow+j] = int32(at)
					}
				}
			}
		}
	})
}

// maxPoolWindow returns the maximum of output (i, j)'s window in plane,
// clipped to the image, and its position ih·W + iw: the scan starts from −∞
// at the window's first pixel, and a later pixel replaces the maximum if it
// is greater or NaN.
func maxPoolWindow(p PoolParams, plane []float32, i, j int) (best float32, at int) {
	h0, h1 := window(i, p.StrideH, p.PadH, p.KH, p.H)
	w0, w1 := window(j, p.StrideW, p.PadW, p.KW, p.W)
	best, at = float32(math.Inf(-1)), h0*p.W+w0
	for ih := h0; ih < h1; ih++ {
		for iw := w0; iw < w1; iw++ {
			if v := plane[ih*p.W+iw]; v > best || v != v {
				best, at = v, ih*p.W+iw
			}
		}
	}
	return best, at
}

// MaxPool2dBackward adds each output's gradient into dx at the input
// position MaxPool2dForward recorded in idx.
func MaxPool2dBackward(p PoolParams, dy []float32, idx []int32, dx []float32) {
	p.check("MaxPool2dBackward", len(dx), len(dy))
	pix, hw := p.OutH()*p.OutW(), p.H*p.W
	checkLen("MaxPool2dBackward", "idx", len(idx), len(dy), p)
	Parallel(p.N*p.C, GrainFor(p.N*p.C, pix), func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			plane := dx[nc*hw:][:hw]
			for q, g := range dy[nc*pix:][:pix] {
				plane[idx[nc*pix+q]] += g
			}
		}
	})
}

// avgDivisor returns what AvgPool2d divides output (oh, ow)'s window sum by,
// following ATen: the window clipped to the padded input (which in ceil mode
// may still hang over its far edge) when CountIncludePad, otherwise the
// number of real pixels in it.
func (p PoolParams) avgDivisor(h0, h1, w0, w1, i, j int) float32 {
	if !p.CountIncludePad {
		return float32((h1 - h0) * (w1 - w0))
	}
	ph0 := i*p.StrideH - p.PadH
	pw0 := j*p.StrideW - p.PadW
	ph1 := min(ph0+p.KH, p.H+p.PadH)
	pw1 := min(pw0+p.KW, p.W+p.PadW)
	return float32((ph1 - ph0) * (pw1 - pw0))
}

// AvgPool2dForward sets y to the mean of each window (see avgDivisor for
// what the sum is divided by).
func AvgPool2dForward(p PoolParams, x, y []float32) {
	p.check("AvgPool2dForward", len(x), len(y))
	oh, ow := p.OutH(), p.OutW()
	pix, hw := oh*ow, p.H*p.W
	Parallel(p.N*p.C, GrainFor(p.N*p.C, pix*p.KH*p.KW), func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			plane := x[nc*hw:][:hw]
			out := y[nc*pix:][:pix]
			for i := range oh {
				h0, h1 := window(i, p.StrideH, p.PadH, p.KH, p.H)
				for j := range ow {
					w0, w1 := window(j, p.StrideW, p.PadW, p.KW, p.W)
					var sum float32
					for ih := h0; ih < h1; ih++ {
						for _, v := range plane[ih*p.W+w0 : ih*p.W+w1] {
							sum += v
						}
					}
					out[i*ow+j] = sum / p.avgDivisor(h0, h1, w0, w1, i, j)
				}
			}
		}
	})
}

// AvgPool2dBackward adds each output's gradient, divided like the forward
// sum, into every input pixel of its window.
func AvgPool2dBackward(p PoolParams, dy, dx []float32) {
	p.check("AvgPool2dBackward", len(dx), len(dy))
	oh, ow := p.OutH(), p.OutW()
	pix, hw := oh*ow, p.H*p.W
	Parallel(p.N*p.C, GrainFor(p.N*p.C, pix*p.KH*p.KW), func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			plane := dx[nc*hw:][:hw]
			grad := dy[nc*pix:][:pix]
			for i := range oh {
				h0, h1 := window(i, p.StrideH, p.PadH, p.KH, p.H)
				for j := range ow {
					w0, w1 := window(j, p.StrideW, p.PadW, p.KW, p.W)
					g := grad[i*ow+j] / p.avgDivisor(h0, h1, w0, w1, i, j)
					for ih := h0; ih < h1; ih++ {
						row := plane[ih*p.W+w0 : ih*p.W+w1]
						for k := range row {
							row[k] += g
						}
					}
				}
			}
		}
	})
}

// AdaptiveParams describes adaptive average pooling of an N×C×H×W input to
// an OutH×OutW output. Output row i averages input rows
// [⌊i·H/OutH⌋, ⌈(i+1)·H/OutH⌉), and likewise for columns, so neighbouring
// windows may overlap by one pixel.
type AdaptiveParams struct {
	N, C, H, W int
	OutH, OutW int
}

// String describes the pooling.
func (p AdaptiveParams) String() string {
	return fmt.Sprintf("adaptive pool %d×%d×%d×%d to %d×%d", p.N, p.C, p.H, p.W, p.OutH, p.OutW)
}

func (p AdaptiveParams) check(op string, x, y int) {
	if p.N < 0 || p.C < 1 || p.H < 1 || p.W < 1 || p.OutH < 1 || p.OutW < 1 {
		panic(fmt.Sprintf("kernels.%s: %v: every size must be ≥ 1 (N ≥ 0)", op, p))
	}
	checkLen(op, "the input", x, p.N*p.C*p.H*p.W, p)
	checkLen(op, "the output", y, p.N*p.C*p.OutH*p.OutW, p)
}

// adaptiveBin returns input range [⌊i·in/out⌋, ⌈(i+1)·in/out⌉) of output i.
func adaptiveBin(i, in, out int) (lo, hi int) {
	return i * in / out, ((i+1)*in + out - 1) / out
}

// AdaptiveAvgPool2dForward sets y to the mean of each adaptive bin. A bin
// can be a whole plane (global average pooling, squeeze-excitation), so the
// sum is kept in float64: one float32 sum over thousands of pixels loses
// several bits, which PyTorch's vectorised sums do not.
func AdaptiveAvgPool2dForward(p AdaptiveParams, x, y []float32) {
	p.check("AdaptiveAvgPool2dForward", len(x), len(y))
	pix, hw := p.OutH*p.OutW, p.H*p.W
	switch {
	case pix == 1:
		Parallel(p.N*p.C, GrainFor(p.N*p.C, hw), func(lo, hi int) { globalAvgPool(x, y, hw, lo, hi) })
		return
	case hw == 1: // every bin is the one pixel (VGG's 7×7 pooling of a 1×1 map): its mean is itself
		Parallel(p.N*p.C, GrainFor(p.N*p.C, pix), func(lo, hi int) {
			for nc := lo; nc < hi; nc++ {
				out := y[nc*pix:][:pix]
				for i := range out {
					out[i] = x[nc]
				}
			}
		})
		return
	}
	Parallel(p.N*p.C, GrainFor(p.N*p.C, hw+pix), func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			plane := x[nc*hw:][:hw]
			out := y[nc*pix:][:pix]
			for i := range p.OutH {
				h0, h1 := adaptiveBin(i, p.H, p.OutH)
				for j := range p.OutW {
					w0, w1 := adaptiveBin(j, p.W, p.OutW)
					var sum float64
					for ih := h0; ih < h1; ih++ {
						for _, v := range plane[ih*p.W+w0 : ih*p.W+w1] {
							sum += float64(v)
						}
					}
					out[i*p.OutW+j] = float32(sum / float64((h1-h0)*(w1-w0)))
				}
			}
		}
	})
}

// globalAvgPool sets y[nc] to the mean of plane nc of x (hw values) for
// planes lo..hi−1: the general loop's sums, in the same order, four planes
// at a time, so that four independent chains of float64 additions overlap
// (one chain waits on each addition's latency; a squeeze-excitation layer's
// planes are short and many).
func globalAvgPool(x, y []float32, hw, lo, hi int) {
	n := float64(hw)
	nc := lo
	for ; nc+4 <= hi; nc += 4 {
		p0, p1, p2, p3 := x[nc*hw:][:hw], x[(nc+1)*hw:][:hw], x[(nc+2)*hw:][:hw], x[(nc+3)*hw:][:hw]
		var s0, s1, s2, s3 float64
		for k := range p0 {
			s0 += float64(p0[k])
			s1 += float64(p1[k])
			s2 += float64(p2[k])
			s3 += float64(p3[k])
		}
		y[nc], y[nc+1], y[nc+2], y[nc+3] = float32(s0/n), float32(s1/n), float32(s2/n), float32(s3/n)
	}
	for ; nc < hi; nc++ {
		var sum float64
		for _, v := range x[nc*hw:][:hw] {
			sum += float64(v)
		}
		y[nc] = float32(sum / n)
	}
}

// AdaptiveAvgPool2dBackward adds each output's gradient, divided by its bin's
// size, into every input pixel of the bin.
func AdaptiveAvgPool2dBackward(p AdaptiveParams, dy, dx []float32) {
	p.check("AdaptiveAvgPool2dBackward", len(dx), len(dy))
	adaptiveAvgBackward(p, dy, dx, true)
}

// AdaptiveAvgPool2dBackwardSet writes into dx what AdaptiveAvgPool2dBackward
// adds to zeros, whatever dx held: for global pooling in one pass over dx
// instead of a clearing pass and an adding one.
func AdaptiveAvgPool2dBackwardSet(p AdaptiveParams, dy, dx []float32) {
	p.check("AdaptiveAvgPool2dBackwardSet", len(dx), len(dy))
	if p.OutH*p.OutW != 1 {
		Zero(dx)
	}
	adaptiveAvgBackward(p, dy, dx, p.OutH*p.OutW != 1)
}

// adaptiveAvgBackward is the backward of adaptive average pooling; add false
// writes the global pooling's gradient rather than adding it (0 + g is g,
// but for the sign of a zero).
func adaptiveAvgBackward(p AdaptiveParams, dy, dx []float32, add bool) {
	pix, hw := p.OutH*p.OutW, p.H*p.W
	switch {
	case pix == 1: // global: one bin, the whole plane
		Parallel(p.N*p.C, GrainFor(p.N*p.C, hw), func(lo, hi int) {
			for nc := lo; nc < hi; nc++ {
				g := dy[nc] / float32(hw)
				plane := dx[nc*hw:][:hw]
				if !add {
					for k := range plane {
						plane[k] = g
					}
					continue
				}
				for k := range plane {
					plane[k] += g
				}
			}
		})
		return
	case hw == 1: // every bin is the one pixel: its gradients added in bin order
		Parallel(p.N*p.C, GrainFor(p.N*p.C, pix), func(lo, hi int) {
			for nc := lo; nc < hi; nc++ {
				sum := dx[nc]
				for _, g := range dy[nc*pix:][:pix] {
					sum += g
				}
				dx[nc] = sum
			}
		})
		return
	}
	Parallel(p.N*p.C, GrainFor(p.N*p.C, hw+pix), func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			plane := dx[nc*hw:][:hw]
			grad := dy[nc*pix:][:pix]
			for i := range p.OutH {
				h0, h1 := adaptiveBin(i, p.H, p.OutH)
				for j := range p.OutW {
					w0, w1 := adaptiveBin(j, p.W, p.OutW)
					g := grad[i*p.OutW+j] / float32((h1-h0)*(w1-w0))
					for ih := h0; ih < h1; ih++ {
						row := plane[ih*p.W+w0 : ih*p.W+w1]
						for k := range row {
							row[k] += g
						}
					}
				}
			}
		}
	})
}
