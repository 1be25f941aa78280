package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Convolution kernels against the direct-loop references (conv.go), for every
// algorithm that fits each shape, on every kernel path, and for tilings that
// force ragged bands of pixels and folded images, run in turn or in parallel
// groups, plus bit-identical results for 1, 2 and 3 threads.

// conv builds ConvParams with the same stride, padding and dilation along
// both axes.
func conv(n, c, h, w, k, r, s, stride, pad, dil, groups int) ConvParams {
	return ConvParams{N: n, C: c, H: h, W: w, K: k, R: r, S: s,
		StrideH: stride, StrideW: stride, PadH: pad, PadW: pad, DilH: dil, DilW: dil, Groups: groups}
}

type convCase struct {
	name string
	p    ConvParams
	algo ConvAlgo // what ChooseConvAlgo must pick
}

func convCases() []convCase {
	rect := conv(2, 4, 9, 10, 6, 2, 3, 1, 0, 1, 2)
	rect.StrideW = 2
	asym := conv(1, 3, 8, 7, 5, 3, 3, 1, 0, 1, 1)
	asym.StrideH, asym.PadW = 2, 2
	dwRect := conv(2, 4, 10, 9, 4, 3, 2, 2, 1, 2, 4)
	dwRect.PadW = 0
	return []convCase{
		{"3x3 s1 p1", conv(1, 3, 7, 9, 4, 3, 3, 1, 1, 1, 1), Im2col},
		{"3x3 s2 p1 odd batch 3", conv(3, 4, 9, 7, 6, 3, 3, 2, 1, 1, 1), Im2col},
		{"groups 2 dilation 2", conv(2, 4, 11, 10, 6, 3, 3, 1, 2, 2, 2), Im2col},
		{"1x1 batch 3 folded", conv(3, 5, 6, 7, 8, 1, 1, 1, 0, 1, 1), Pointwise},
		{"1x1 batch 1", conv(1, 3, 17, 19, 4, 1, 1, 1, 0, 1, 1), Pointwise},
		{"1x1 large maps", conv(2, 3, 17, 19, 4, 1, 1, 1, 0, 1, 1), Pointwise},
		{"1x1 stride 2", conv(2, 4, 9, 9, 3, 1, 1, 2, 0, 1, 1), Im2col},
		{"1x1 pad 2", conv(1, 2, 3, 4, 3, 1, 1, 1, 2, 1, 1), Im2col},
		{"1x1 groups 2", conv(2, 4, 5, 5, 6, 1, 1, 1, 0, 1, 2), Im2col},
		{"5x5 s1 p2", conv(1, 2, 8, 6, 3, 5, 5, 1, 2, 1, 1), Im2col},
		{"kernel wider than image", conv(2, 2, 2, 3, 3, 5, 5, 1, 2, 1, 1), Im2col},
		{"depthwise 3x3 s2 p1", conv(3, 6, 9, 11, 6, 3, 3, 2, 1, 1, 6), Depthwise},
		{"depthwise 5x5 p2 multiplier 2", conv(2, 3, 7, 8, 6, 5, 5, 1, 2, 1, 3), Depthwise},
		{"depthwise 3x2 s2 dilation 2", dwRect, Depthwise},
		{"output 1x1", conv(3, 4, 5, 5, 5, 5, 5, 1, 0, 1, 1), Im2col},
		{"output 1x1 stride 2", conv(1, 3, 3, 3, 2, 3, 3, 2, 0, 1, 1), Im2col},
		{"rectangular kernel stride 1x2", rect, Im2col},
		{"stride 2x1 pad 0x2", asym, Im2col},
		{"many chunks", conv(2, 8, 20, 20, 16, 3, 3, 1, 1, 1, 1), Im2col},
		{"1x1 on 1x1 images (dense)", conv(5, 7, 1, 1, 6, 1, 1, 1, 0, 1, 1), Pointwise},
		{"3x3 p1 on 1x1 images", conv(4, 3, 1, 1, 5, 3, 3, 1, 1, 1, 1), Im2col},
		{"3x3 p1 on 2x2 images, batch 9", conv(9, 5, 2, 2, 6, 3, 3, 1, 1, 1, 1), Im2col},
		{"7x7 s2 p3 stem", conv(2, 3, 12, 13, 4, 7, 7, 2, 3, 1, 1), Im2col},
		{"3x3 s3 p1", conv(2, 2, 11, 10, 3, 3, 3, 3, 1, 1, 1), Im2col},
		{"3x3 s2 p1 wide rows", conv(1, 2, 7, 70, 3, 3, 3, 2, 1, 1, 1), Im2col},
		{"3x3 s1 p1 wide rows", conv(2, 2, 5, 41, 3, 3, 3, 1, 1, 1, 1), Im2col},
		{"3x3 s1 p0 (repeated runs)", conv(2, 3, 8, 9, 4, 3, 3, 1, 0, 1, 1), Im2col},
		{"3x3 s2 p2 dilation 2", conv(2, 3, 13, 12, 4, 3, 3, 2, 2, 2, 1), Im2col},
		{"depthwise many chunks", conv(2, 16, 24, 24, 16, 3, 3, 1, 1, 1, 16), Depthwise},
	}
}

// tilings returns the tilings to try for a GEMM algorithm: the planned one,
// bands of 5 pixels (ragged, crossing output rows), and folds of 2 images,
// each with its tiles run in turn and in 3 parallel groups of tasks (two
// when the batch has two images); for Pointwise also the images read in
// place and, on 1×1 images, the dense tiling. Depthwise has no tiling: one
// (ignored) entry.
func tilings(p ConvParams, algo ConvAlgo) []convTiling {
	pix := p.OutH() * p.OutW()
	if algo == Depthwise || algo == Winograd {
		return []convTiling{{}}
	}
	ts := []convTiling{{images: 1, pixels: min(5, pix), packed: true, slots: 1}}
	if p.N > 1 {
		ts = append(ts, convTiling{images: 2, pixels: pix, packed: true, slots: 1})
	}
	if algo == Pointwise {
		ts = append(ts, convTiling{images: 1, pixels: pix, slots: 1})
	}
	for _, t := range ts {
		if tasks := t.tasks(p); tasks > 1 {
			t.slots = min(tasks, 3)
			ts = append(ts, t)
		}
	}
	if algo == Pointwise && p.H*p.W == 1 {
		ts = append(ts, convTiling{images: p.N, pixels: 1, dense: true, slots: 1})
	}
	return append(ts, planConv(p, algo))
}

func describe(algo ConvAlgo, t convTiling) string {
	if algo == Depthwise || algo == Winograd {
		return algo.String()
	}
	return fmt.Sprintf("%v, tiling %+v", algo, t)
}

func convRandSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = 2*rng.Float32() - 1
	}
	return s
}

// convResults holds every output of one run of the four kernels, the
// backward ones accumulated onto the same random start values.
type convResults struct{ y, yNoBias, dx, dw, db []float32 }

type convInputs struct{ x, w, bias, dy, dx0, dw0, db0 []float32 }

func newConvInputs(rng *rand.Rand, p ConvParams) convInputs {
	pix := p.OutH() * p.OutW()
	return convInputs{
		x:    convRandSlice(rng, p.N*p.C*p.H*p.W),
		w:    convRandSlice(rng, p.K*p.C/p.Groups*p.R*p.S),
		bias: convRandSlice(rng, p.K),
		dy:   convRandSlice(rng, p.N*p.K*pix),
		dx0:  convRandSlice(rng, p.N*p.C*p.H*p.W),
		dw0:  convRandSlice(rng, p.K*p.C/p.Groups*p.R*p.S),
		db0:  convRandSlice(rng, p.K),
	}
}

// fresh returns outputs ready for one run: the backward ones hold the
// shared start values they accumulate onto.
func (in convInputs) fresh() convResults {
	return convResults{
		y:       make([]float32, len(in.dy)),
		yNoBias: make([]float32, len(in.dy)),
		dx:      append([]float32(nil), in.dx0...),
		dw:      append([]float32(nil), in.dw0...),
		db:      append([]float32(nil), in.db0...),
	}
}

func referenceConv(p ConvParams, in convInputs) convResults {
	r := in.fresh()
	Conv2dForwardRef(p, in.x, in.w, in.bias, r.y)
	Conv2dForwardRef(p, in.x, in.w, nil, r.yNoBias)
	Conv2dBackwardDataRef(p, in.dy, in.w, r.dx)
	Conv2dBackwardFilterRef(p, in.x, in.dy, r.dw)
	pix := p.OutH() * p.OutW()
	for k := range p.K {
		var sum float64
		for n := range p.N {
			for _, v := range in.dy[(n*p.K+k)*pix:][:pix] {
				sum += float64(v)
			}
		}
		r.db[k] = float32(float64(r.db[k]) + sum)
	}
	return r
}

// runConv runs the kernels with the given algorithm and tiling (the tiling
// is ignored by Depthwise and Winograd).
func runConv(p ConvParams, algo ConvAlgo, t convTiling, in convInputs) convResults {
	r := in.fresh()
	switch algo {
	case Winograd:
		ws := nanSlice(convWorkspaceSize(p, algo))
		conv2dForward(p, algo, in.x, in.w, in.bias, r.y, ws)
		conv2dForward(p, algo, in.x, in.w, nil, r.yNoBias, ws)
		conv2dBackwardData(p, algo, in.dy, in.w, r.dx, ws, true)
		conv2dBackwardFilter(p, algo, in.x, in.dy, r.dw, ws)
	case Depthwise:
		ws := nanSlice(depthwiseWorkspaceSize(p))
		depthwiseForward(p, in.x, in.w, in.bias, r.y, ws)
		depthwiseForward(p, in.x, in.w, nil, r.yNoBias, ws)
		depthwiseBackwardData(p, in.dy, in.w, r.dx, ws, true)
		depthwiseBackwardFilter(p, in.x, in.dy, r.dw, ws)
	default:
		ws := nanSlice(t.workspace(p))
		f := t.forward(p)
		gemmConvForward(p, f, in.x, in.w, in.bias, r.y, ws, false)
		gemmConvForward(p, f, in.x, in.w, nil, r.yNoBias, ws, false)
		gemmConvBackwardData(p, t, in.dy, in.w, r.dx, ws, true)
		gemmConvBackwardFilter(p, t, in.x, in.dy, r.dw, ws)
	}
	Conv2dBackwardBias(p, in.dy, r.db)
	return r
}

// nanSlice returns scratch space full of NaN: kernels must not read stale
// scratch.
func nanSlice(n int) []float32 {
	ws := make([]float32, n)
	for i := range ws {
		ws[i] = float32(math.NaN())
	}
	return ws
}

func convClose(got, want []float32, atol, rtol float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("length %d, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(g) != math.IsNaN(w) || math.Abs(g-w) > atol+rtol*math.Abs(w) {
			return fmt.Errorf("element %d: got %.7g, want %.7g", i, g, w)
		}
	}
	return nil
}

// convTol is the absolute tolerance against the float64 reference: 1e-5
// for the small cases, growing as the square root of the longest sum of
// products of numbers in [−1, 1] that a result element takes (the
// 64-channel cases sum 576), as float32's rounding error of such a sum does.
func convTol(p ConvParams) float64 {
	terms := max(p.C/p.Groups*p.R*p.S, p.K/p.Groups*p.R*p.S, p.N*p.OutH()*p.OutW())
	return 1e-5 * math.Sqrt(max(1, float64(terms)/50))
}

func (r convResults) compare(want convResults, atol, rtol float64) error {
	for _, f := range []struct {
		name      string
		got, want []float32
	}{{"y", r.y, want.y}, {"y without bias", r.yNoBias, want.yNoBias}, {"dx", r.dx, want.dx}, {"dw", r.dw, want.dw}, {"db", r.db, want.db}} {
		if err := convClose(f.got, f.want, atol, rtol); err != nil {
			return fmt.Errorf("%s: %v", f.name, err)
		}
	}
	return nil
}

func TestConvMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range convCases() {
		p := tc.p
		if err := p.Validate(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := ChooseConvAlgo(p); got != tc.algo {
			t.Errorf("%s: ChooseConvAlgo = %v, want %v", tc.name, got, tc.algo)
		}
		in := newConvInputs(rng, p)
		want := referenceConv(p, in)
		for _, path := range Paths() {
			usePath(t, path)
			for _, algo := range []ConvAlgo{Im2col, Pointwise, Depthwise, Winograd} {
				if !algo.fits(p) {
					continue
				}
				for _, tl := range tilings(p, algo) {
					if err := runConv(p, algo, tl, in).compare(want, convTol(p), 1e-5); err != nil {
						t.Errorf("%s (%v) on %s: %v: %v", tc.name, p, path, describe(algo, tl), err)
					}
				}
			}
		}
	}
}

// The exported entry points choose the algorithm themselves and accept a
// workspace of exactly ConvWorkspaceSize.
func TestConvEntryPoints(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range convCases() {
		p := tc.p
		in := newConvInputs(rng, p)
		want := referenceConv(p, in)
		r := in.fresh()
		ws := make([]float32, ConvWorkspaceSize(p))
		Conv2dForward(p, in.x, in.w, in.bias, r.y, ws)
		Conv2dForward(p, in.x, in.w, nil, r.yNoBias, ws)
		Conv2dBackwardData(p, in.dy, in.w, r.dx, ws)
		Conv2dBackwardFilter(p, in.x, in.dy, r.dw, ws)
		Conv2dBackwardBias(p, in.dy, r.db)
		if err := r.compare(want, convTol(p), 1e-5); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// Conv2dBackwardDataSet overwrites whatever dx held (NaN here) with what
// Conv2dBackwardData adds to zeros, on every algorithm and path; the values
// are equal (a −0 may stay −0 where adding it to +0 gave +0).
func TestConvBackwardDataSet(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, tc := range convCases() {
			p := tc.p
			in := newConvInputs(rng, p)
			ws := make([]float32, ConvWorkspaceSize(p))
			want := make([]float32, p.N*p.C*p.H*p.W)
			Conv2dBackwardData(p, in.dy, in.w, want, ws)
			got := nanSlice(len(want))
			Conv2dBackwardDataSet(p, in.dy, in.w, got, ws)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%s: dx[%d] = %v, want %v", tc.name, i, got[i], want[i])
				}
			}
		}
	})
}

func TestConvThreadsBitIdentical(t *testing.T) {
	old := SetThreads(1)
	defer SetThreads(old)
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range convCases() {
		p := tc.p
		in := newConvInputs(rng, p)
		for _, path := range Paths() {
			usePath(t, path)
			for _, algo := range []ConvAlgo{Im2col, Pointwise, Depthwise, Winograd} {
				if !algo.fits(p) {
					continue
				}
				for _, tl := range tilings(p, algo) {
					SetThreads(1)
					one := runConv(p, algo, tl, in)
					for _, threads := range []int{2, 3} {
						SetThreads(threads)
						if err := runConv(p, algo, tl, in).compare(one, 0, 0); err != nil {
							t.Errorf("%s on %s: %v: %d threads differ from 1: %v", tc.name, path, describe(algo, tl), threads, err)
						}
					}
				}
			}
		}
	}
}

// TestConvUnfoldIntoPanelsSameBits checks that unfolding straight into the
// GEMM's packed panels (panelUnfolder) gives the bits of unfolding into the
// column matrix, on every path and thread count, for tiles run in turn, in
// parallel groups and as bands, folded images and groups, with and without
// bias and accumulating. The shapes have more output channels than the
// assembly kernels read B in place for (directBRows), so their GEMMs pack.
func TestConvUnfoldIntoPanelsSameBits(t *testing.T) {
	defer SetThreads(SetThreads(1))
	defer func() { unfoldIntoPanels = true }()
	rng := rand.New(rand.NewPCG(11, 12))
	shapes := []ConvParams{
		conv(2, 8, 12, 11, 80, 3, 3, 1, 1, 1, 1),
		conv(1, 5, 30, 29, 72, 3, 3, 2, 1, 1, 1),
		conv(4, 16, 3, 3, 70, 3, 3, 1, 1, 1, 1),   // folded images
		conv(17, 128, 4, 4, 72, 3, 3, 1, 1, 1, 1), // nine folds of two, the last of one
		conv(2, 8, 9, 10, 140, 3, 3, 1, 2, 2, 2),  // groups, dilation
		conv(1, 3, 40, 37, 96, 5, 5, 1, 2, 1, 1),
		conv(1, 64, 10, 9, 72, 3, 3, 1, 1, 1, 1),  // 576 rows: two k blocks
		conv(2, 128, 6, 5, 160, 3, 3, 1, 1, 1, 2), // and in each of two groups
	}
	directFolds := map[Path]bool{} // folds run as tasks with no column buffer
	for _, p := range shapes {
		in := newConvInputs(rng, p)
		crs := p.C / p.Groups * p.R * p.S
		for _, path := range Paths() {
			usePath(t, path)
			engaged := false
			ts := tilings(p, Im2col)
			ts = append(ts, convTiling{images: 1, pixels: max(1, p.OutH()*p.OutW()/4), packed: true, slots: 1})
			for _, tl := range ts {
				f := tl.forward(p)
				engaged = engaged || impl.gemm.fillsB(p.K/p.Groups, f.images*f.pixels, crs, crs, f.images*f.pixels)
				directFolds[path] = directFolds[path] || f.direct
				ws := nanSlice(tl.workspace(p))
				for _, threads := range []int{1, 2, 3} {
					SetThreads(threads)
					run := func(unfold bool) convResults {
						unfoldIntoPanels = unfold
						f := tl.forward(p) // folds in turn become tasks without column buffers only when they unfold
						r := in.fresh()
						gemmConvForward(p, f, in.x, in.w, in.bias, r.y, ws, false)
						copy(r.yNoBias, in.dy) // accumulate onto something nonzero
						gemmConvForward(p, f, in.x, in.w, nil, r.yNoBias, ws, true)
						return r
					}
					want, got := run(false), run(true)
					for _, c := range []struct {
						name      string
						got, want []float32
					}{{"y", got.y, want.y}, {"accumulated y", got.yNoBias, want.yNoBias}} {
						for i := range c.got {
							if math.Float32bits(c.got[i]) != math.Float32bits(c.want[i]) {
								t.Fatalf("%v on %s, tiling %+v, %d threads: %s element %d is %v unfolded into panels, %v through the column matrix", p, path, tl, threads, c.name, i, c.got[i], c.want[i])
							}
						}
					}
				}
			}
			if !engaged {
				t.Errorf("%v on %s: no tiling unfolds into panels; the test checks nothing", p, path)
			}
		}
	}
	for _, path := range Paths() {
		if !directFolds[path] {
			t.Errorf("%s: no tiling ran folds as tasks without column buffers", path)
		}
	}
}

// The forward pass with an image's bands as parallel tasks
// (convTiling.forward) gives the bits of the same tiling run in turn, on
// every path and thread count, with and without bias and accumulating,
// for tilings whose bands are ragged and whose GEMMs are large; on the
// assembly paths also when it narrows the bands to whole cache lines.
func TestConvForwardBandsBitIdentical(t *testing.T) {
	old := SetThreads(1)
	defer SetThreads(old)
	rng := rand.New(rand.NewPCG(7, 8))
	shapes := []ConvParams{
		conv(1, 16, 23, 19, 24, 3, 3, 1, 1, 1, 1),
		conv(2, 3, 40, 37, 16, 7, 7, 2, 3, 1, 1),
		conv(1, 3, 45, 50, 8, 3, 3, 2, 1, 1, 1),
		conv(1, 8, 13, 29, 12, 3, 3, 1, 2, 2, 2),
		conv(3, 64, 15, 15, 64, 3, 3, 1, 1, 1, 1),
		conv(1, 8, 40, 41, 12, 3, 3, 1, 1, 1, 1), // bands of pix/3 = 546 columns, which the forward pass rounds to 544
	}
	for _, tc := range convCases() {
		shapes = append(shapes, tc.p)
	}
	for _, p := range shapes {
		if !Im2col.fits(p) {
			continue
		}
		in := newConvInputs(rng, p)
		pix := p.OutH() * p.OutW()
		for _, width := range []int{5, 37, pix / 3, planConv(p, Im2col).pixels} {
			serial := convTiling{images: 1, pixels: max(1, min(width, pix)), packed: true, slots: 1}
			bands := serial.forward(p)
			if !bands.bands {
				continue
			}
			ws := nanSlice(serial.workspace(p))
			for _, path := range Paths() {
				usePath(t, path)
				SetThreads(1)
				// The forward pass may narrow the bands to whole cache
				// lines (lineFloats). The assembly paths give every
				// column the same bits whatever band it falls in; the
				// generic one hands small GEMMs (a short last band) to
				// sgemmGo, so there the reference runs the same bands.
				ref := serial
				if path == Generic {
					ref.pixels = bands.pixels
				}
				want := in.fresh()
				gemmConvForward(p, ref, in.x, in.w, in.bias, want.y, ws, false)
				copy(want.yNoBias, in.dy) // accumulate onto something nonzero
				gemmConvForward(p, ref, in.x, in.w, nil, want.yNoBias, ws, true)
				for _, threads := range []int{1, 2, 3} {
					SetThreads(threads)
					got := in.fresh()
					gemmConvForward(p, bands, in.x, in.w, in.bias, got.y, ws, false)
					copy(got.yNoBias, in.dy)
					gemmConvForward(p, bands, in.x, in.w, nil, got.yNoBias, ws, true)
					what := fmt.Sprintf("%v on %s, bands of %d (serial %d), %d threads", p, path, bands.pixels, serial.pixels, threads)
					checkBits(t, what+": y", got.y, want.y)
					checkBits(t, what+": accumulated y", got.yNoBias, want.yNoBias)
				}
			}
		}
	}
}

// The input gradient of stride-1 convolutions computed as a forward
// convolution of dy (dataConv) matches the reference, whether or not
// dataByConv would choose it, and gives the same bits on 1 and 2 threads.
func TestConvBackwardDataByConv(t *testing.T) {
	old := SetThreads(1)
	defer SetThreads(old)
	rng := rand.New(rand.NewPCG(15, 16))
	tried := 0
	for _, tc := range append(convCases(), convCase{"5x5 pad 1", conv(2, 3, 9, 8, 4, 5, 5, 1, 1, 1, 1), Im2col},
		convCase{"3x3 pad 0 whose dataConv is Winograd's", conv(2, 64, 16, 16, 64, 3, 3, 1, 0, 1, 1), Im2col}) {
		p := tc.p
		if _, ok := p.dataConv(); !ok || !Im2col.fits(p) {
			continue
		}
		tried++
		in := newConvInputs(rng, p)
		want := referenceConv(p, in)
		var runs [2][]float32
		for i, threads := range []int{1, 2} {
			SetThreads(threads)
			dx := append([]float32(nil), in.dx0...)
			gemmConvBackwardDataByConv(p, in.dy, in.w, dx, nanSlice(dataConvWorkspace(p)), true)
			if err := convClose(dx, want.dx, convTol(p), 1e-5); err != nil {
				t.Errorf("%s (%v): %v", tc.name, p, err)
			}
			runs[i] = dx
		}
		if err := convClose(runs[1], runs[0], 0, 0); err != nil {
			t.Errorf("%s: 2 threads differ from 1: %v", tc.name, err)
		}
	}
	if tried < 5 {
		t.Errorf("only %d cases have a dataConv", tried)
	}
}

// The workspace stays bounded however large the images or the batch: for
// each of at most convSlots groups of tiles, two column buffers of
// colBufferFloats, or of fewer than 2·minTileCols columns when the channels
// and taps make more rows than that holds (a fold of images reaches
// minTileCols columns by less than one image), and a partial weight
// gradient; and one copy of the weight.
func TestConvWorkspaceBounded(t *testing.T) {
	for _, p := range []ConvParams{
		conv(64, 3, 224, 224, 64, 3, 3, 1, 1, 1, 1),
		conv(64, 64, 224, 224, 64, 3, 3, 1, 1, 1, 1),
		conv(64, 512, 14, 14, 512, 3, 3, 1, 1, 1, 1),
		conv(256, 512, 7, 7, 512, 3, 3, 1, 1, 1, 1),
		conv(64, 512, 15, 15, 512, 3, 3, 1, 1, 1, 1), // 225 pixels: folds of two images, 450 columns
		conv(256, 2048, 7, 7, 512, 1, 1, 1, 0, 1, 1),
		conv(256, 1024, 1, 1, 1000, 1, 1, 1, 0, 1, 1),
	} {
		col := max(colBufferFloats, max(p.C, p.K)*p.R*p.S*2*minTileCols)
		weight := p.K * p.C / p.Groups * p.R * p.S
		bound := convSlots*(2*col+weight) + weight
		if ws := ConvWorkspaceSize(p); ws > bound {
			t.Errorf("%v: workspace %d floats, more than %d", p, ws, bound)
		}
	}
}

func TestConvParamsValidate(t *testing.T) {
	ok := conv(2, 4, 8, 8, 6, 3, 3, 1, 1, 1, 2)
	if err := ok.Validate(); err != nil {
		t.Fatalf("%v: %v", ok, err)
	}
	if oh, ow := conv(1, 1, 10, 9, 1, 3, 3, 2, 1, 2, 1).OutH(), conv(1, 1, 10, 9, 1, 3, 3, 2, 1, 2, 1).OutW(); oh != 4 || ow != 4 {
		t.Errorf("output %d×%d, want 4×4 (⌊(10+2−4−1)/2⌋+1, ⌊(9+2−4−1)/2⌋+1)", oh, ow)
	}
	bad := map[string]func(p *ConvParams){
		"groups do not divide C":    func(p *ConvParams) { p.Groups = 3 },
		"groups do not divide K":    func(p *ConvParams) { p.K = 5 },
		"zero stride":               func(p *ConvParams) { p.StrideW = 0 },
		"zero dilation":             func(p *ConvParams) { p.DilH = 0 },
		"negative padding":          func(p *ConvParams) { p.PadH = -1 },
		"kernel larger than input":  func(p *ConvParams) { p.R, p.PadH = 11, 1 },
		"no channels":               func(p *ConvParams) { p.C = 0 },
		"more elements than an int": func(p *ConvParams) { p.N, p.C, p.H, p.W, p.Groups = 1<<20, 1<<20, 1<<12, 1<<12, 1 },
	}
	for name, change := range bad {
		p := ok
		change(&p)
		if p.Validate() == nil {
			t.Errorf("%s: %v validated", name, p)
		}
	}
	convMustPanic(t, "short input", func() {
		Conv2dForward(ok, make([]float32, 10), make([]float32, 6*2*9), nil, make([]float32, 2*6*64), make([]float32, ConvWorkspaceSize(ok)))
	})
	convMustPanic(t, "short workspace", func() {
		Conv2dForward(ok, make([]float32, 2*4*64), make([]float32, 6*2*9), nil, make([]float32, 2*6*64), nil)
	})
}

func convMustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	f()
}

// TestConvBackwardBiasSums checks the bias gradient bit for bit against
// the plainest order of its sums: each image's plane summed in float32,
// pixels in order, then added into db[k] image after image. On 1×1 maps
// (column sums of dy, −0 counting as +0 as in 0 + v) and on larger ones
// (four images' planes at a time), with a batch that leaves a remainder,
// on 1 to 3 threads.
func TestConvBackwardBiasSums(t *testing.T) {
	defer SetThreads(SetThreads(1))
	negZero := float32(math.Copysign(0, -1))
	for _, s := range [][3]int{{1, 1, 1}, {7, 1, 1}, {120, 1, 1}, {1000, 1, 1}, {5, 3, 3}, {16, 5, 4}, {3, 32, 32}} {
		k, h, w := s[0], s[1], s[2]
		p := conv(37, 5, h, w, k, 1, 1, 1, 0, 1, 1)
		pix := h * w
		dy := make([]float32, p.N*k*pix)
		for i := range dy {
			dy[i] = float32(i%13)*0.37 - 2.1
			if i%7 == 0 {
				dy[i] = negZero
			}
		}
		want := make([]float32, k)
		for j := range want {
			if j%2 == 0 {
				want[j] = negZero
			}
			for n := range p.N {
				var sum float32
				for _, v := range dy[(n*k+j)*pix:][:pix] {
					sum += v
				}
				want[j] += sum
			}
		}
		for threads := 1; threads <= 3; threads++ {
			SetThreads(threads)
			db := make([]float32, k)
			for j := range db {
				if j%2 == 0 {
					db[j] = negZero
				}
			}
			Conv2dBackwardBias(p, dy, db)
			for j := range db {
				if math.Float32bits(db[j]) != math.Float32bits(want[j]) {
					t.Fatalf("K=%d, %d×%d maps, %d threads: db[%d] = %v, want %v", k, h, w, threads, j, db[j], want[j])
				}
			}
		}
	}
}
