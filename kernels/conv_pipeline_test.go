package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// pipelineShapes are convolutions whose bands (of the widths the tests
// pick) run in turn: strides 1 and 2, padding, dilation, groups, batches
// of 1 and 2, dw narrow (pipeline) and wide (slices).
var pipelineShapes = []ConvParams{
	conv(1, 16, 23, 19, 24, 3, 3, 1, 1, 1, 1),  // dw 144 wide: slices
	conv(2, 3, 40, 37, 16, 7, 7, 2, 3, 1, 1),   // 147: slices, batch 2
	conv(1, 3, 45, 50, 8, 3, 3, 2, 1, 1, 1),    // 27: pipeline
	conv(1, 8, 13, 29, 12, 3, 3, 1, 2, 2, 2),   // groups 2, dilation 2
	conv(2, 32, 15, 14, 16, 3, 3, 2, 1, 1, 4),  // groups 4, stride 2, batch 2
	conv(1, 64, 15, 15, 64, 3, 3, 1, 1, 1, 1),  // 576: eight slices
	conv(1, 5, 30, 31, 7, 1, 1, 2, 0, 1, 1),    // strided 1×1
	conv(1, 6, 19, 17, 10, 5, 3, 2, 2, 1, 1),   // rectangular kernel
	conv(2, 24, 11, 12, 20, 3, 3, 1, 0, 1, 1),  // unpadded, batch 2
	conv(1, 40, 10, 9, 12, 2, 2, 1, 1, 2, 1),   // 160: two slices
	conv(1, 2, 50, 44, 3, 3, 3, 3, 1, 1, 1),    // stride 3, tiny dw
	conv(1, 12, 17, 16, 36, 3, 3, 2, 1, 1, 12), // one input channel per group
	conv(1, 4, 40, 40, 13, 3, 3, 1, 1, 1, 1),   // a slice 4 wide: sgemmGo on generic
}

// backwardBits runs both backward passes with tiling t on the given
// number of threads, onto the shared start values of in.
func backwardBits(p ConvParams, t convTiling, in convInputs, threads int) convResults {
	old := SetThreads(threads)
	defer SetThreads(old)
	r := in.fresh()
	ws := nanSlice(max(t.workspace(p), t.groups(p)*t.slotFloats(p), t.slicesWorkspace(p)))
	gemmConvBackwardData(p, t, in.dy, in.w, r.dx, ws, true)
	gemmConvBackwardFilter(p, t, in.x, in.dy, r.dw, ws)
	return r
}

// backwardVariants returns the ways to run the backward passes of tiling
// inTurn (one image, several bands, in turn) other than in turn: as the
// pipeline, with dw in 1 to 3 slices per group (at least two in all), and
// as backward chooses.
func backwardVariants(p ConvParams, inTurn convTiling) []convTiling {
	vs := []convTiling{inTurn.pipelined(p), inTurn.backward(p)}
	for per := 1; per <= 3; per++ {
		if p.Groups*per > 1 && inTurn.slicesLikeWhole(p, per) {
			v := inTurn
			v.slices = per
			vs = append(vs, v)
		}
	}
	return vs
}

// The backward passes as the pipeline or by slices of dw give the bits of
// the same tiles run in turn, on every path and on 1, 2 and 3 threads, for
// bands that are ragged, cross output rows and end with a short one. dx
// and dw start from random values, so an add made out of turn changes
// bits.
func TestConvBackwardPipelineBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	var piped, sliced, grouped int
	for _, p := range pipelineShapes {
		if err := p.Validate(); err != nil {
			t.Fatalf("%v: %v", p, err)
		}
		in := newConvInputs(rng, p)
		pix := p.OutH() * p.OutW()
		// Bands of 700 columns are more than one k block of the generic
		// GEMM (512), where sgemmGo sums in another order than it.
		for _, width := range []int{5, 37, pix/3 + 1, 700, planConv(p, Im2col).pixels} {
			inTurn := convTiling{images: 1, pixels: max(1, min(width, pix)), packed: true, slots: 1}
			if inTurn.bandsPerImage(p) < 2 {
				continue
			}
			for _, path := range Paths() {
				usePath(t, path)
				want := backwardBits(p, inTurn, in, 2)
				for _, v := range backwardVariants(p, inTurn) {
					for _, threads := range []int{1, 2, 3} {
						got := backwardBits(p, v, in, threads)
						what := fmt.Sprintf("%v on %s, bands of %d, pipeline %v, %d slices of dw, %d threads",
							p, path, v.pixels, v.pipe, v.slices, threads)
						checkBits(t, what+": dx", got.dx, want.dx)
						checkBits(t, what+": dw", got.dw, want.dw)
					}
				}
			}
			for _, v := range backwardVariants(p, inTurn) {
				switch {
				case v.pipe:
					piped++
				case v.slices > 1:
					sliced++
				case v.slices == 1:
					grouped++ // one slice per group of the convolution
				}
			}
		}
	}
	if piped < 10 || sliced < 10 || grouped < 4 {
		t.Errorf("%d pipelines, %d tilings with dw in slices, %d in one slice per group: want at least 10, 10, 4", piped, sliced, grouped)
	}
}

// The backward passes as backward chooses and as the pipeline still match
// the direct-loop reference.
func TestConvBackwardPipelineMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, p := range pipelineShapes {
		in := newConvInputs(rng, p)
		want := referenceConv(p, in)
		pix := p.OutH() * p.OutW()
		inTurn := convTiling{images: 1, pixels: pix/3 + 1, packed: true, slots: 1}
		for _, v := range []convTiling{inTurn.backward(p), inTurn.pipelined(p)} {
			for _, path := range Paths() {
				usePath(t, path)
				got := backwardBits(p, v, in, 2)
				if err := convClose(got.dx, want.dx, 1e-5, 1e-5); err != nil {
					t.Errorf("%v on %s, %+v: dx: %v", p, path, v, err)
				}
				if err := convClose(got.dw, want.dw, 1e-5, 1e-5); err != nil {
					t.Errorf("%v on %s, %+v: dw: %v", p, path, v, err)
				}
			}
		}
	}
}

// The planned tilings of single large images take the measured choices,
// and ConvWorkspaceSize covers them.
func TestConvBackwardPipelinePlanned(t *testing.T) {
	for _, tc := range []struct {
		name   string
		p      ConvParams
		pipe   bool
		slices int
	}{
		{"7x7s2_c3_k64_224", conv(1, 3, 224, 224, 64, 7, 7, 2, 3, 1, 1), true, 0},
		{"3x3s1_c64_k64_56", conv(1, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1), false, 8},
		{"3x3s2_c128_k128_56", conv(1, 128, 56, 56, 128, 3, 3, 2, 1, 1, 1), false, 8},
		{"3x3s2_c3_k32_224 (two bands, dw narrow)", conv(1, 3, 224, 224, 32, 3, 3, 2, 1, 1, 1), false, 0},
	} {
		b := planConv(tc.p, Im2col).backward(tc.p)
		if b.pipe != tc.pipe || b.slices != tc.slices {
			t.Errorf("%s: pipeline %v, %d slices of dw; want %v, %d", tc.name, b.pipe, b.slices, tc.pipe, tc.slices)
		}
		if ws := ConvWorkspaceSize(tc.p); ws < b.groups(tc.p)*b.slotFloats(tc.p) || ws < b.slicesWorkspace(tc.p) {
			t.Errorf("%s: ConvWorkspaceSize %d is too small for %+v", tc.name, ws, b)
		}
	}
}

// BenchmarkConvBackwardBands times the backward passes of single large
// images with their bands in turn (each step split among threads), the
// input gradient as the pipeline and the weight gradient by slices of dw,
// on 1 and 2 threads: the measurements behind convTiling.backward.
//
//	go test -run '^$' -bench ConvBackwardBands -benchtime 0.2s ./kernels
func BenchmarkConvBackwardBands(b *testing.B) {
	for _, s := range []struct {
		name string
		p    ConvParams
	}{
		{"7x7s2_c3_k64_224", conv(1, 3, 224, 224, 64, 7, 7, 2, 3, 1, 1)},
		{"3x3s1_c3_k64_224", conv(1, 3, 224, 224, 64, 3, 3, 1, 1, 1, 1)},
		{"3x3s2_c3_k32_224", conv(1, 3, 224, 224, 32, 3, 3, 2, 1, 1, 1)},
		{"3x3s1_c64_k64_56", conv(1, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1)},
		{"3x3s2_c128_k128_56", conv(1, 128, 56, 56, 128, 3, 3, 2, 1, 1, 1)},
		{"3x3s1_c128_k128_28", conv(1, 128, 28, 28, 128, 3, 3, 1, 1, 1, 1)},
	} {
		p := s.p
		inTurn := planConv(p, Im2col)
		if inTurn.bandsPerImage(p) < 2 {
			b.Fatalf("%s: one band", s.name)
		}
		sliced := inTurn
		sliced.slices = max(inTurn.sliceCount(p), 2) // the 7×7 stem's two slices, measured though not chosen
		in := newConvInputs(rand.New(rand.NewPCG(1, 2)), p)
		r := in.fresh()
		pipe := inTurn.pipelined(p)
		ws := make([]float32, max(inTurn.workspace(p), pipe.groups(p)*pipe.slotFloats(p), sliced.slicesWorkspace(p)))
		for _, m := range []struct {
			pass, mode string
			t          convTiling
		}{{"bwd_data", "inturn", inTurn}, {"bwd_data", "pipeline", pipe}, {"bwd_filter", "inturn", inTurn}, {"bwd_filter", "slices", sliced}} {
			if _, stride1 := p.dataConv(); m.pass == "bwd_data" && stride1 {
				continue // the input gradient is a forward convolution (dataByConv)
			}
			if m.mode == "slices" && !inTurn.slicesLikeWhole(p, sliced.slices) {
				continue
			}
			for _, threads := range []int{1, 2} {
				b.Run(fmt.Sprintf("%s/%s/%s/t%d", s.name, m.pass, m.mode, threads), func(b *testing.B) {
					defer SetThreads(SetThreads(threads))
					for b.Loop() {
						if m.pass == "bwd_data" {
							gemmConvBackwardData(p, m.t, in.dy, in.w, r.dx, ws, true)
						} else {
							gemmConvBackwardFilter(p, m.t, in.x, in.dy, r.dw, ws)
						}
					}
				})
			}
		}
	}
}
