package kernels

import "sync"

// Depthwise convolutions on tiny planes: the late layers of MobileNetV3 and
// EfficientNet on small images (4×4 maps and below at 32×32 input), where
// the row kernels of depthwise_fast.go fill a few lanes of a vector per row
// and spend most of their time on edges: 10–90 ns per plane and pass on
// 1×1 to 4×4 planes, a fifth of a training step of those models.
//
// When a channel's input and output planes both fit in one vector (16
// floats with AVX-512, 8 with AVX2), several consecutive channels of one
// image, whose planes lie side by side in NCHW, are one vector (group =
// lanes / the larger plane size: with AVX-512, 16 channels of 1×1, 4 of
// 2×2, 1 of 3×3 or 4×4). Each filter tap is then a
// permutation of that vector (which input lane each output lane reads, none
// where the tap meets padding) followed by a multiply-add with the tap's
// weights spread over the lanes of each channel (several images at a time,
// so that as many chains of multiply-adds overlap):
//
//	forward          y  = bias + Σ_t w_t ⊙ perm_t(x)
//	backward data    dx = (dx +) Σ_t w_t ⊙ perm_t⁻¹(dy)      (each tap meets an input pixel at most once per output pixel, so perm_t is one-to-one)
//	backward filter  acc_t += dy ⊙ perm_t(x) over the images; then dw[c, t] += the sum of channel c's lanes of acc_t
//
// Only the taps that reach a real pixel for some output are kept. The
// permutations depend only on the shapes; one call of the assembly kernel
// walks every image of one group of channels, and threads take groups, so
// the sums of every output run in the same order whatever the number of
// threads. The plain loops of depthwise.go are the reference.

// dwTinyMaxTaps bounds the filter taps of a tiny-plane convolution (7×7).
const dwTinyMaxTaps = 49

// dwTinyArgs is one call of an assembly kernel (field offsets are fixed in
// depthwise_tiny_amd64.s).
type dwTinyArgs struct {
	in, out             *float32 // one image's group of planes read through the taps, and the group written (filter: read)
	w                   *float32 // taps × 16 spread weights (filter: taps × 16 accumulators, added into; AVX2 uses the first 8 of each 16)
	idx                 *int32   // taps × 16 lane indices, dwTinyNone for none (likewise)
	init                *float32 // 16 floats the sums start from when beta = 0
	taps, images        int
	inStride, outStride int // bytes from one image's group to the next
	inMask, outMask     int // lanes of a group loaded from in and stored to (read from) out
	beta                int // 1: the sums start from out
}

// dwTinyNone is the lane index of an output lane whose tap meets padding:
// the AVX-512 kernels permute the input vector and a zero one side by side
// (VPERMI2PS), where lane 16 is the zero vector's first; the AVX2 ones clear
// the lanes whose index is 8 or more.
const dwTinyNone = 16

// dwTinyPlan is the permutations of one pass: for each kept tap, its filter
// index and, for every output lane, the input lane it reads.
type dwTinyPlan struct {
	group             int // channels per vector
	inLanes, outLanes int // floats of one channel's plane on the input and output side
	taps              int
	tap               [dwTinyMaxTaps]int
	idx               [dwTinyMaxTaps][16]int32
}

// dwTinyFits reports whether the current path runs p with the tiny-plane
// kernels: one input channel per output channel, both planes at most one
// vector (dwTinyLanes: 16 floats with AVX-512, 8 with AVX2), at most
// dwTinyMaxTaps taps.
func dwTinyFits(p ConvParams) bool {
	lanes := dwTinyLanes[impl.path]
	return lanes > 0 && p.Groups == p.C && p.K == p.C &&
		p.H*p.W <= lanes && p.OutH()*p.OutW() <= lanes && p.R*p.S <= dwTinyMaxTaps
}

// newDwTinyPlan returns the permutations of the forward and filter passes
// (inverse false: output pixel q reads input pixel idx[q]) or of the data
// pass (inverse true: input pixel j gathers from output pixel q where the
// forward one has idx[q] = j).
func newDwTinyPlan(p ConvParams, inverse bool, lanes int) *dwTinyPlan {
	hw, pix := p.H*p.W, p.OutH()*p.OutW()
	pl := &dwTinyPlan{group: lanes / max(hw, pix), inLanes: hw, outLanes: pix}
	if inverse {
		pl.inLanes, pl.outLanes = pix, hw
	}
	for t := range p.R * p.S {
		var src [16]int32 // per output lane of one channel, its input lane or −1
		for i := range src {
			src[i] = -1
		}
		any := false
		for q := range pix {
			j, in := p.tapSource(t, q)
			switch {
			case !in:
				continue
			case inverse:
				src[j] = int32(q)
			default:
				src[q] = int32(j)
			}
			any = true
		}
		if !any {
			continue
		}
		k := pl.taps
		pl.tap[k] = t
		for l := range pl.idx[k] {
			pl.idx[k][l] = dwTinyNone
		}
		for g := range pl.group {
			for l := range pl.outLanes {
				if s := src[l]; s >= 0 {
					pl.idx[k][g*pl.outLanes+l] = int32(g*pl.inLanes) + s
				}
			}
		}
		pl.taps++
	}
	return pl
}

// spread writes, for each kept tap, channel c0+g's value of v (one value
// per channel and filter tap, taps apart; taps = 0: one per channel) into
// the lanes of channel g of a 16-float vector, for the channels c0 … c0+n−1,
// and zeros into the lanes of the channels absent from a last group.
func (pl *dwTinyPlan) spread(dst [][16]float32, v []float32, taps, c0, n int) {
	l := pl.outLanes
	for k := range dst {
		row := dst[k][:]
		for g := range n {
			val := v[c0+g]
			if taps > 0 {
				val = v[(c0+g)*taps+pl.tap[k]]
			}
			seg := row[g*l : g*l+l]
			for i := range seg {
				seg[i] = val
			}
		}
		clear(row[n*l:])
	}
}

// dwTinyPlans caches the plans by shape and pass: a training step asks for
// the same few every time, and a plan is a few KiB to fill.
var dwTinyPlans sync.Map // dwTinyKey → *dwTinyPlan

type dwTinyKey struct {
	p       ConvParams
	inverse bool
	lanes   int
}

// dwTinyPlanFor returns the plan of p's forward and filter passes (inverse
// false) or of its data pass, for the current path's vectors.
func dwTinyPlanFor(p ConvParams, inverse bool) *dwTinyPlan {
	p.N = 0 // the plan does not depend on the batch
	key := dwTinyKey{p, inverse, dwTinyLanes[impl.path]}
	if pl, ok := dwTinyPlans.Load(key); ok {
		return pl.(*dwTinyPlan)
	}
	pl, _ := dwTinyPlans.LoadOrStore(key, newDwTinyPlan(p, inverse, key.lanes))
	return pl.(*dwTinyPlan)
}

// firstLanes returns the mask of the first n lanes.
func firstLanes(n int) int { return 1<<n - 1 }

// dwTinyRun runs the forward or the data pass of p, whichever pl is the
// plan of: out planes from in planes, plus bias (forward; nil for none), or
// added into out when accumulate is set.
func dwTinyRun(p ConvParams, pl *dwTinyPlan, in, w, bias, out []float32, accumulate bool) {
	taps := p.R * p.S
	groups := (p.C + pl.group - 1) / pl.group
	inPlane, outPlane := pl.inLanes, pl.outLanes
	Parallel(groups, GrainFor(groups, 2*p.N*pl.taps*16), func(lo, hi int) {
		var wsp [dwTinyMaxTaps][16]float32
		var init [1][16]float32
		for gi := lo; gi < hi; gi++ {
			c0 := gi * pl.group
			n := min(pl.group, p.C-c0)
			init[0] = [16]float32{}
			if bias != nil && !accumulate {
				pl.spread(init[:], bias, 0, c0, n)
			}
			switch {
			case pl.taps > 0:
				pl.spread(wsp[:pl.taps], w, taps, c0, n)
				a := dwTinyArgs{
					in: &in[c0*inPlane], out: &out[c0*outPlane], w: &wsp[0][0], idx: &pl.idx[0][0], init: &init[0][0],
					taps: pl.taps, images: p.N,
					inStride: 4 * p.C * inPlane, outStride: 4 * p.C * outPlane,
					inMask: firstLanes(n * inPlane), outMask: firstLanes(n * outPlane),
				}
				if accumulate {
					a.beta = 1
				}
				dwTinySum(&a)
			case !accumulate: // every tap meets only padding: the bias, or 0
				for i := range p.N {
					row := out[(i*p.C+c0)*outPlane:][:n*outPlane]
					copy(row, init[0][:len(row)])
				}
			}
		}
	})
}

// dwTinyFilter adds dL/dw into dw.
func dwTinyFilter(p ConvParams, pl *dwTinyPlan, x, dy, dw []float32) {
	taps := p.R * p.S
	groups := (p.C + pl.group - 1) / pl.group
	hw, pix := pl.inLanes, pl.outLanes
	if pl.taps == 0 {
		return
	}
	Parallel(groups, GrainFor(groups, 2*p.N*pl.taps*16), func(lo, hi int) {
		var acc [dwTinyMaxTaps][16]float32
		for gi := lo; gi < hi; gi++ {
			c0 := gi * pl.group
			n := min(pl.group, p.C-c0)
			clear(acc[:pl.taps])
			a := dwTinyArgs{
				in: &x[c0*hw], out: &dy[c0*pix], w: &acc[0][0], idx: &pl.idx[0][0],
				taps: pl.taps, images: p.N,
				inStride: 4 * p.C * hw, outStride: 4 * p.C * pix,
				inMask: firstLanes(n * hw), outMask: firstLanes(n * pix),
			}
			dwTinyFilterSum(&a)
			for k := range pl.taps {
				for g := range n {
					var s float32
					for _, v := range acc[k][g*pix : (g+1)*pix] {
						s += v
					}
					dw[(c0+g)*taps+pl.tap[k]] += s
				}
			}
		}
	})
}
