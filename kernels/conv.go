package kernels

import (
	"fmt"
	"math"
)

// 2-D convolution: its parameters, the choice of algorithm, the entry points
// and the direct-loop references.
//
// Layout, as in PyTorch (all contiguous float32, row-major):
//
//	x    input    N × C × H × W
//	w    weight   K × C/G × R × S      (K output channels, R×S kernel, G groups)
//	bias          K                    (optional)
//	y    output   N × K × OH × OW
//
// Groups split the input and output channels into G equal blocks; output
// channel k belongs to block g = k / (K/G) and sees only input channels
// [g·C/G, (g+1)·C/G). Each output element is
//
//	y[n,k,oh,ow] = bias[k] + Σ_{c<C/G, r<R, s<S} w[k,c,r,s] ·
//	               x[n, g·C/G + c, oh·StrideH − PadH + r·DilH, ow·StrideW − PadW + s·DilW]
//
// where x reads as 0 outside the image (zero padding). The backward kernels
// compute the gradients of a loss with respect to x, w and bias from dy, the
// gradient with respect to y, and ADD them into dx, dw and db, so a tensor used
// by several ops accumulates its gradient.
//
// Four algorithms implement this (ChooseConvAlgo picks one):
//
//	Pointwise  1×1 kernel, stride 1, no padding, one group: y_n = w · x_n is a
//	           GEMM on the image as it lies in memory (im2col.go)
//	Depthwise  one input channel per group (G = C, K a multiple of C): direct
//	           loops over each channel plane, in assembly for 3×3 and 5×5
//	           filters with stride 1 or 2 (depthwise.go)
//	Winograd   3×3 kernel, stride 1, one group, with enough channels and
//	           pixels: Winograd's F(2×2, 3×3), 16 GEMMs over transformed
//	           tiles with 2.25× fewer multiply-adds (winograd.go)
//	Im2col     everything else: unfold the input into a column buffer, then
//	           one GEMM per group over it (im2col.go)

// ConvParams describes one 2-D convolution. Every field must be set: strides
// and dilations are at least 1, groups at least 1 (see Validate).
type ConvParams struct {
	N, C, H, W       int // input: batch, channels, height, width
	K, R, S          int // output channels, kernel height, kernel width
	StrideH, StrideW int
	PadH, PadW       int
	DilH, DilW       int
	Groups           int
}

// OutH returns the output height, ⌊(H + 2·PadH − DilH·(R−1) − 1) / StrideH⌋ + 1.
func (p ConvParams) OutH() int { return convOut(p.H, p.R, p.StrideH, p.PadH, p.DilH) }

// OutW returns the output width, ⌊(W + 2·PadW − DilW·(S−1) − 1) / StrideW⌋ + 1.
func (p ConvParams) OutW() int { return convOut(p.W, p.S, p.StrideW, p.PadW, p.DilW) }

func convOut(in, k, stride, pad, dil int) int {
	if stride < 1 {
		return 0
	}
	return floorDiv(in+2*pad-dil*(k-1)-1, stride) + 1
}

// floorDiv is ⌊a / b⌋ for b > 0 (Go's / truncates towards zero).
func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// Validate reports whether the parameters describe a convolution the kernels
// can run.
func (p ConvParams) Validate() error {
	switch {
	case p.N < 0 || p.C < 1 || p.H < 1 || p.W < 1:
		return fmt.Errorf("kernels: %v: the input must have N ≥ 0 and C, H, W ≥ 1", p)
	case p.K < 1 || p.R < 1 || p.S < 1:
		return fmt.Errorf("kernels: %v: the weight must have K, R, S ≥ 1", p)
	case p.StrideH < 1 || p.StrideW < 1 || p.DilH < 1 || p.DilW < 1:
		return fmt.Errorf("kernels: %v: strides and dilations must be ≥ 1", p)
	case p.PadH < 0 || p.PadW < 0:
		return fmt.Errorf("kernels: %v: padding must be ≥ 0", p)
	case p.Groups < 1 || p.C%p.Groups != 0 || p.K%p.Groups != 0:
		return fmt.Errorf("kernels: %v: groups must divide both the %d input and the %d output channels", p, p.C, p.K)
	case p.OutH() < 1 || p.OutW() < 1:
		return fmt.Errorf("kernels: %v: the kernel does not fit in the padded input (output %d×%d)", p, p.OutH(), p.OutW())
	case !countFits(p.N, p.C, p.H, p.W) || !countFits(p.K, p.C/p.Groups, p.R, p.S) || !countFits(p.N, p.K, p.OutH(), p.OutW()):
		return fmt.Errorf("kernels: %v: the tensors have more elements than an int can count", p)
	}
	return nil
}

// countFits reports whether the product of dims (each ≥ 0) fits in an int.
func countFits(dims ...int) bool {
	n := 1
	for _, d := range dims {
		if d != 0 && n > math.MaxInt/d {
			return false
		}
		n *= d
	}
	return true
}

// String describes the convolution as input ∗ weight with its options.
func (p ConvParams) String() string {
	g := max(p.Groups, 1)
	return fmt.Sprintf("conv %d×%d×%d×%d ∗ %d×%d×%d×%d stride %d×%d pad %d×%d dilation %d×%d groups %d",
		p.N, p.C, p.H, p.W, p.K, p.C/g, p.R, p.S, p.StrideH, p.StrideW, p.PadH, p.PadW, p.DilH, p.DilW, p.Groups)
}

// ConvAlgo names an algorithm for computing a convolution.
type ConvAlgo int

// The convolution algorithms; see the comment at the top of conv.go.
const (
	Im2col ConvAlgo = iota
	Pointwise
	Depthwise
	Winograd
)

func (a ConvAlgo) String() string {
	switch a {
	case Im2col:
		return "im2col"
	case Pointwise:
		return "pointwise"
	case Depthwise:
		return "depthwise"
	case Winograd:
		return "winograd"
	}
	return fmt.Sprintf("ConvAlgo(%d)", int(a))
}

// fits reports whether algorithm a can compute p. Im2col computes every
// convolution; the others are the special cases they are named after.
func (a ConvAlgo) fits(p ConvParams) bool {
	switch a {
	case Im2col:
		return true
	case Pointwise:
		return p.R == 1 && p.S == 1 && p.StrideH == 1 && p.StrideW == 1 && p.PadH == 0 && p.PadW == 0 && p.Groups == 1
	case Depthwise:
		return p.Groups == p.C && p.Groups > 1
	case Winograd:
		return p.winogradFits()
	}
	return false
}

// ChooseConvAlgo returns the algorithm Conv2dForward and the backward kernels
// use for p: Pointwise for 1×1 stride-1 unpadded ungrouped convolutions,
// Depthwise when every group has one input channel (a depth multiplier
// K/C > 1 included), Winograd for 3×3 stride-1 ungrouped convolutions where
// it is the faster (see winogradPays), Im2col otherwise.
func ChooseConvAlgo(p ConvParams) ConvAlgo {
	for _, a := range []ConvAlgo{Pointwise, Depthwise} {
		if a.fits(p) {
			return a
		}
	}
	if Winograd.fits(p) && p.winogradPays() {
		return Winograd
	}
	return Im2col
}

// ConvWorkspaceSize returns how many float32s of scratch space the
// convolution kernels need for p (the same for forward and both backward
// kernels). It is bounded whatever the batch and image size: large images
// are unfolded a tile of output pixels at a time, small tiles run at most
// convSlots at once, each with its own share, and the most the
// backward-data pass adds is one copy of the weight.
func ConvWorkspaceSize(p ConvParams) int { return convWorkspaceSize(p, ChooseConvAlgo(p)) }

func convWorkspaceSize(p ConvParams, algo ConvAlgo) int {
	switch {
	case algo == Depthwise:
		return depthwiseWorkspaceSize(p)
	case algo == Winograd: // the input gradient without dataConv is Im2col's
		ws := max(winogradWorkspace(p), planConv(p, Im2col).workspace(p))
		if p.winogradDataByConv() {
			ws = max(ws, p.winogradDataWorkspace())
		}
		return ws
	case algo == Im2col && p.dataByConv():
		return max(planConv(p, algo).workspace(p), dataConvWorkspace(p))
	}
	return planConv(p, algo).workspace(p)
}

// Conv2dForward computes y = conv(x, w) + bias (bias may be nil). ws must
// hold at least ConvWorkspaceSize(p) floats; its contents are overwritten.
func Conv2dForward(p ConvParams, x, w, bias, y, ws []float32) {
	conv2dForward(p, ChooseConvAlgo(p), x, w, bias, y, ws)
}

// Conv2dBackwardData adds the gradient with respect to the input, computed
// from dy and the weight, into dx.
func Conv2dBackwardData(p ConvParams, dy, w, dx, ws []float32) {
	conv2dBackwardData(p, ChooseConvAlgo(p), dy, w, dx, ws, true)
}

// Conv2dBackwardDataSet writes that gradient into dx instead, whatever dx
// held, so a fresh buffer needs no zeros: where the algorithm produces dx
// whole (1×1 convolutions read in place, stride-1 ones computed as a
// convolution of dy, and depthwise ones where the SIMD kernels cover them)
// it never reads dx; otherwise it zeroes dx (the plain depthwise loops one
// plane at a time) and adds.
func Conv2dBackwardDataSet(p ConvParams, dy, w, dx, ws []float32) {
	conv2dBackwardData(p, ChooseConvAlgo(p), dy, w, dx, ws, false)
}

// Conv2dBackwardFilter adds the gradient with respect to the weight, computed
// from the input x and dy, into dw. The sum over images runs in a fixed order,
// so the result does not depend on the number of threads.
func Conv2dBackwardFilter(p ConvParams, x, dy, dw, ws []float32) {
	conv2dBackwardFilter(p, ChooseConvAlgo(p), x, dy, dw, ws)
}

// Conv2dBackwardBias adds the gradient with respect to the bias, the sum of dy
// over images and pixels for each output channel, into db.
func Conv2dBackwardBias(p ConvParams, dy, db []float32) {
	const op = "Conv2dBackwardBias"
	mustValidate(op, p)
	pix := p.OutH() * p.OutW()
	checkLen(op, "dy", len(dy), p.N*p.K*pix, p)
	checkLen(op, "db", len(db), p.K, p)
	if pix == 1 {
		// dy is an N×K matrix: its column sums, a row at a time, so that the
		// channels' chains of additions overlap (one chain per channel ran
		// at the latency of an addition per image). Each channel still
		// adds its images in order, each as 0 + v like a plane's sum below.
		Parallel(p.K, GrainFor(p.K, p.N), func(lo, hi int) {
			acc := db[lo:hi]
			for n := range p.N {
				for j, v := range dy[n*p.K+lo : n*p.K+hi] {
					acc[j] += 0 + v
				}
			}
		})
		return
	}
	// Each plane is summed in one chain, pixels in order; four images'
	// planes at a time, so that four chains overlap, then added into db[k]
	// in image order.
	plane := func(n, k int) []float32 { return dy[(n*p.K+k)*pix:][:pix] }
	Parallel(p.K, GrainFor(p.K, p.N*pix), func(lo, hi int) {
		for k := lo; k < hi; k++ {
			n := 0
			for ; n+4 <= p.N; n += 4 {
				a, b, c, d := plane(n, k), plane(n+1, k), plane(n+2, k), plane(n+3, k)
				var sa, sb, sc, sd float32
				for i, v := range a {
					sa += v
					sb += b[i]
					sc += c[i]
					sd += d[i]
				}
				db[k] += sa
				db[k] += sb
				db[k] += sc
				db[k] += sd
			}
			for ; n < p.N; n++ {
				var sum float32
				for _, v := range plane(n, k) {
					sum += v
				}
				db[k] += sum
			}
		}
	})
}

func conv2dForward(p ConvParams, algo ConvAlgo, x, w, bias, y, ws []float32) {
	const op = "Conv2dForward"
	checkConv(op, p, algo, ws)
	checkLen(op, "x", len(x), p.N*p.C*p.H*p.W, p)
	checkLen(op, "w", len(w), p.K*(p.C/p.Groups)*p.R*p.S, p)
	checkLen(op, "y", len(y), p.N*p.K*p.OutH()*p.OutW(), p)
	if bias != nil {
		checkLen(op, "bias", len(bias), p.K, p)
	}
	switch algo {
	case Depthwise:
		depthwiseForward(p, x, w, bias, y, ws)
	case Winograd:
		winogradForward(p, x, w, bias, y, ws, false)
	default:
		gemmConvForward(p, planConv(p, algo).forward(p), x, w, bias, y, ws, false)
	}
}

// conv2dBackwardData adds the input gradient into dx, or with accumulate
// false writes it there.
func conv2dBackwardData(p ConvParams, algo ConvAlgo, dy, w, dx, ws []float32, accumulate bool) {
	const op = "Conv2dBackwardData"
	checkConv(op, p, algo, ws)
	checkLen(op, "dy", len(dy), p.N*p.K*p.OutH()*p.OutW(), p)
	checkLen(op, "w", len(w), p.K*(p.C/p.Groups)*p.R*p.S, p)
	checkLen(op, "dx", len(dx), p.N*p.C*p.H*p.W, p)
	switch {
	case algo == Depthwise:
		depthwiseBackwardData(p, dy, w, dx, ws, accumulate)
	case algo == Im2col && p.dataByConv():
		gemmConvBackwardDataByConv(p, dy, w, dx, ws, accumulate)
	case algo == Winograd && p.winogradDataByConv():
		winogradBackwardData(p, dy, w, dx, ws, accumulate)
	case algo == Winograd:
		gemmConvBackwardData(p, planConv(p, Im2col).backward(p), dy, w, dx, ws, accumulate)
	default:
		gemmConvBackwardData(p, planConv(p, algo).backward(p), dy, w, dx, ws, accumulate)
	}
}

func conv2dBackwardFilter(p ConvParams, algo ConvAlgo, x, dy, dw, ws []float32) {
	const op = "Conv2dBackwardFilter"
	checkConv(op, p, algo, ws)
	checkLen(op, "x", len(x), p.N*p.C*p.H*p.W, p)
	checkLen(op, "dy", len(dy), p.N*p.K*p.OutH()*p.OutW(), p)
	checkLen(op, "dw", len(dw), p.K*(p.C/p.Groups)*p.R*p.S, p)
	switch algo {
	case Depthwise:
		depthwiseBackwardFilter(p, x, dy, dw, ws)
	case Winograd:
		winogradBackwardFilter(p, x, dy, dw, ws)
	default:
		gemmConvBackwardFilter(p, planConv(p, algo).backward(p), x, dy, dw, ws)
	}
}

// mustValidate panics when p is not a valid convolution: the callers
// (autograd ops, layers) check user-facing shapes before they get here.
func mustValidate(op string, p ConvParams) {
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("kernels.%s: %v", op, err))
	}
}

func checkConv(op string, p ConvParams, algo ConvAlgo, ws []float32) {
	mustValidate(op, p)
	if !algo.fits(p) {
		panic(fmt.Sprintf("kernels.%s: the %v algorithm cannot compute %v", op, algo, p))
	}
	checkLen(op, "the workspace", len(ws), convWorkspaceSize(p, algo), p)
}

// checkLen panics unless a slice is long enough for its role in the op.
func checkLen(op, name string, have, want int, p fmt.Stringer) {
	if have < want {
		panic(fmt.Sprintf("kernels.%s: %s has %d elements, want %d for %v", op, name, have, want, p))
	}
}

// Direct-loop references: the definition at the top of this file, one output
// (or gradient) element at a time, accumulated in float64. They are the
// yardstick for the tests, not meant to be fast.

// Conv2dForwardRef computes y = conv(x, w) + bias by the definition.
func Conv2dForwardRef(p ConvParams, x, w, bias, y []float32) {
	oh, ow := p.OutH(), p.OutW()
	cg, kg := p.C/p.Groups, p.K/p.Groups
	for n := range p.N {
		for k := range p.K {
			g := k / kg
			for i := range oh {
				for j := range ow {
					var sum float64
					if bias != nil {
						sum = float64(bias[k])
					}
					for c := range cg {
						for r := range p.R {
							ih := i*p.StrideH - p.PadH + r*p.DilH
							for s := range p.S {
								iw := j*p.StrideW - p.PadW + s*p.DilW
								if ih < 0 || ih >= p.H || iw < 0 || iw >= p.W {
									continue
								}
								xv := x[((n*p.C+g*cg+c)*p.H+ih)*p.W+iw]
								sum += float64(w[((k*cg+c)*p.R+r)*p.S+s]) * float64(xv)
							}
						}
					}
					y[((n*p.K+k)*oh+i)*ow+j] = float32(sum)
				}
			}
		}
	}
}

// Conv2dBackwardDataRef adds dL/dx into dx: for each input element, the sum
// of w·dy over every (output element, kernel tap) pair that read it.
func Conv2dBackwardDataRef(p ConvParams, dy, w, dx []float32) {
	oh, ow := p.OutH(), p.OutW()
	cg, kg := p.C/p.Groups, p.K/p.Groups
	// tap returns the output index o with o·stride − pad + t·dil = i, if any.
	tap := func(i, t, stride, pad, dil, size int) (int, bool) {
		num := i + pad - t*dil
		if num < 0 || num%stride != 0 || num/stride >= size {
			return 0, false
		}
		return num / stride, true
	}
	for n := range p.N {
		for ci := range p.C {
			g, c := ci/cg, ci%cg
			for ih := range p.H {
				for iw := range p.W {
					var sum float64
					for k := g * kg; k < (g+1)*kg; k++ {
						for r := range p.R {
							i, ok := tap(ih, r, p.StrideH, p.PadH, p.DilH, oh)
							if !ok {
								continue
							}
							for s := range p.S {
								j, ok := tap(iw, s, p.StrideW, p.PadW, p.DilW, ow)
								if !ok {
									continue
								}
								sum += float64(w[((k*cg+c)*p.R+r)*p.S+s]) * float64(dy[((n*p.K+k)*oh+i)*ow+j])
							}
						}
					}
					at := ((n*p.C+ci)*p.H+ih)*p.W + iw
					dx[at] = float32(float64(dx[at]) + sum)
				}
			}
		}
	}
}

// Conv2dBackwardFilterRef adds dL/dw into dw: for each weight, the sum over
// images and output pixels of dy times the input element that weight met.
func Conv2dBackwardFilterRef(p ConvParams, x, dy, dw []float32) {
	oh, ow := p.OutH(), p.OutW()
	cg, kg := p.C/p.Groups, p.K/p.Groups
	for k := range p.K {
		g := k / kg
		for c := range cg {
			for r := range p.R {
				for s := range p.S {
					var sum float64
					for n := range p.N {
						for i := range oh {
							ih := i*p.StrideH - p.PadH + r*p.DilH
							if ih < 0 || ih >= p.H {
								continue
							}
							for j := range ow {
								iw := j*p.StrideW - p.PadW + s*p.DilW
								if iw < 0 || iw >= p.W {
									continue
								}
								sum += float64(dy[((n*p.K+k)*oh+i)*ow+j]) * float64(x[((n*p.C+g*cg+c)*p.H+ih)*p.W+iw])
							}
						}
					}
					at := ((k*cg+c)*p.R+r)*p.S + s
					dw[at] = float32(float64(dw[at]) + sum)
				}
			}
		}
	}
}

// tapSource returns the input pixel ih·W + iw that output pixel q (of the
// OutH × OutW plane) reads through filter tap t = r·S + s, and whether it
// lies inside the image (false: the tap meets padding there).
func (p ConvParams) tapSource(t, q int) (int, bool) {
	ow := p.OutW()
	ih := q/ow*p.StrideH + t/p.S*p.DilH - p.PadH
	iw := q%ow*p.StrideW + t%p.S*p.DilW - p.PadW
	return ih*p.W + iw, ih >= 0 && ih < p.H && iw >= 0 && iw < p.W
}

// validRange returns the output positions o in [lo, hi) ⊆ [0, n) whose input
// position o·stride + off lies inside [0, size): the part of an output row
// (or column) that reads real pixels rather than padding.
func validRange(off, stride, size, n int) (lo, hi int) {
	if off < 0 {
		lo = (-off + stride - 1) / stride
	}
	if last := size - 1 - off; last >= 0 {
		hi = last/stride + 1
	}
	hi = min(hi, n)
	lo = min(lo, hi)
	return lo, hi
}
