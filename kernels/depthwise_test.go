package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// The assembly depthwise kernels against the direct-loop references, on
// every path of this machine. Inputs are small integers, so every product
// and sum is exact in float32 and the kernels must match the references
// bit for bit whatever order they add in: a single lane read from the wrong
// place, or a padding tap not skipped, shows. The planes sit between NaN
// guards, so a read outside them poisons the result and a write outside
// them is seen.

func dwConv(n, c, m, h, w, k, stride, padH, padW int) ConvParams {
	return ConvParams{N: n, C: c, H: h, W: w, K: c * m, R: k, S: k,
		StrideH: stride, StrideW: stride, PadH: padH, PadW: padW, DilH: 1, DilW: 1, Groups: c}
}

// dwCases covers both filter sizes and strides, every padding the fast
// kernels take, widths below, at and around a vector (and a pair of
// vectors) of either path, one-row and one-column images, depth multipliers,
// batches, calls of one and of several planes, and planes large enough to
// be cut into bands.
func dwCases(rng *rand.Rand) []ConvParams {
	widths := []int{1, 2, 3, 5, 7, 8, 9, 14, 15, 16, 17, 23, 31, 32, 33, 40, 47, 49, 63, 65, 71, 100}
	var ps []ConvParams
	for _, k := range []int{3, 5} {
		for _, stride := range []int{1, 2} {
			for pad := range k {
				for i, w := range widths {
					h := 1 + (i*7+pad)%9
					p := dwConv(1+i%2, 1+(i+pad)%3, 1+i%3/2, h, w, k, stride, pad, (pad+i)%k)
					if p.Validate() == nil {
						ps = append(ps, p)
					}
				}
			}
		}
	}
	for range 40 {
		k := 3 + 2*rng.IntN(2)
		p := dwConv(1+rng.IntN(2), 1+rng.IntN(3), 1+rng.IntN(2), 1+rng.IntN(20), 1+rng.IntN(90), k, 1+rng.IntN(2), rng.IntN(k), rng.IntN(k))
		if p.Validate() == nil {
			ps = append(ps, p)
		}
	}
	return append(ps,
		// 5×5 filters whose outer taps meet only padding (dwCentre3x3).
		dwConv(2, 3, 1, 2, 2, 5, 1, 2, 2),
		dwConv(3, 4, 1, 1, 1, 5, 1, 2, 2),
		dwConv(1, 3, 2, 2, 1, 5, 1, 2, 2),
		dwConv(2, 2, 1, 3, 3, 5, 1, 1, 1),
		dwConv(1, 2, 1, 3, 2, 5, 1, 1, 2),
		dwConv(1, 12, 1, 45, 47, 3, 1, 1, 1),  // 7 planes per call, then 5
		dwConv(3, 1, 1, 100, 90, 5, 1, 2, 2),  // one plane per call, the filter gradient summed over 3 calls
		dwConv(1, 1, 1, 150, 140, 3, 1, 1, 1), // more than dwBandPixels outputs
		dwConv(1, 1, 1, 260, 131, 5, 2, 2, 2),
		dwConv(1, 2, 1, 112, 112, 3, 2, 1, 1),
	)
}

const dwGuard = 64

// guarded is a slice with NaN guards before and after it.
type guarded []float32

func newGuarded(n int) guarded {
	g := make(guarded, n+2*dwGuard)
	for i := range g {
		g[i] = float32(math.NaN())
	}
	return g
}

func (g guarded) data() []float32 { return g[dwGuard : len(g)-dwGuard] }

// intact reports whether the guards are untouched.
func (g guarded) intact() bool {
	for _, v := range append(append([]float32(nil), g[:dwGuard]...), g[len(g)-dwGuard:]...) {
		if !math.IsNaN(float64(v)) {
			return false
		}
	}
	return true
}

// intSlice returns n small integers as floats, inside NaN guards.
func intSlice(rng *rand.Rand, n int) []float32 {
	s := newGuarded(n).data()
	for i := range s {
		s[i] = float32(rng.IntN(9) - 4)
	}
	return s
}

// poisonUnread sets to +Inf every input pixel that no output reads (the
// last rows and columns of an image that a stride steps over): the
// references never touch them, so neither may the kernels, even in lanes
// whose results are thrown away.
func poisonUnread(p ConvParams, x []float32) {
	read := func(size, out, stride, pad, k, dil int) []bool {
		r := make([]bool, size)
		for o := range out {
			for t := range k {
				if i := o*stride - pad + t*dil; i >= 0 && i < size {
					r[i] = true
				}
			}
		}
		return r
	}
	rows := read(p.H, p.OutH(), p.StrideH, p.PadH, p.R, p.DilH)
	cols := read(p.W, p.OutW(), p.StrideW, p.PadW, p.S, p.DilW)
	for i := range x {
		if ih, iw := i/p.W%p.H, i%p.W; !rows[ih] || !cols[iw] {
			x[i] = float32(math.Inf(1))
		}
	}
}

func newIntConvInputs(rng *rand.Rand, p ConvParams) convInputs {
	pix := p.OutH() * p.OutW()
	return convInputs{
		x:    intSlice(rng, p.N*p.C*p.H*p.W),
		w:    intSlice(rng, p.K*p.C/p.Groups*p.R*p.S),
		bias: intSlice(rng, p.K),
		dy:   intSlice(rng, p.N*p.K*pix),
		dx0:  intSlice(rng, p.N*p.C*p.H*p.W),
		dw0:  intSlice(rng, p.K*p.C/p.Groups*p.R*p.S),
		db0:  intSlice(rng, p.K),
	}
}

// freshGuarded is fresh with every output inside NaN guards, which it
// also returns by name.
func (in convInputs) freshGuarded() (convResults, map[string]guarded) {
	g := map[string]guarded{
		"y": newGuarded(len(in.dy)), "y without bias": newGuarded(len(in.dy)),
		"dx": newGuarded(len(in.dx0)), "dw": newGuarded(len(in.dw0)),
	}
	r := convResults{y: g["y"].data(), yNoBias: g["y without bias"].data(), dx: g["dx"].data(), dw: g["dw"].data(), db: make([]float32, len(in.db0))}
	copy(r.dx, in.dx0)
	copy(r.dw, in.dw0)
	return r, g
}

// runFast runs the fast kernels of the current path and fails when they do
// not take p.
func runFast(t *testing.T, p ConvParams, in convInputs, out convResults) {
	t.Helper()
	f := dwFastFor(p)
	if f == nil {
		t.Fatalf("%v: no fast kernel on %s", p, CurrentPath())
	}
	ws := nanSlice(depthwiseWorkspaceSize(p))
	ok := f.runForward(p, in.x, in.w, in.bias, out.y, ws) &&
		f.runForward(p, in.x, in.w, nil, out.yNoBias, ws) &&
		f.runBackwardFilter(p, in.x, in.dy, out.dw, ws)
	if !ok {
		t.Fatalf("%v: a fast kernel declined on %s", p, CurrentPath())
	}
	// The stride-2 data kernel takes paddings of the parity of (S−1)/2
	// (TestDepthwiseData2Padding); the others go to the plain loops.
	if !f.runBackwardData(p, in.dy, in.w, out.dx, ws, true) {
		if p.StrideW == 2 && (p.PadW-(p.S-1)/2)%2 != 0 {
			depthwiseBackwardDataPlain(p, in.dy, in.w, out.dx, true)
		} else {
			t.Fatalf("%v: the backward-data kernel declined on %s", p, CurrentPath())
		}
	}
}

// fastPaths returns the paths of this machine that have assembly depthwise
// kernels.
func fastPaths(t *testing.T) []Path {
	var ps []Path
	for _, p := range Paths() {
		if dwFastSets[p] != nil {
			ps = append(ps, p)
		}
	}
	if len(ps) == 0 {
		t.Skip("no assembly depthwise kernels on this machine")
	}
	return ps
}

func usePath(t testing.TB, p Path) {
	t.Helper()
	old, err := UsePath(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { UsePath(old) })
}

func TestDepthwiseFastMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	cases := dwCases(rng)
	for _, path := range fastPaths(t) {
		t.Run(string(path), func(t *testing.T) {
			usePath(t, path)
			for _, p := range cases {
				in := newIntConvInputs(rng, p)
				poisonUnread(p, in.x)
				want := referenceConv(p, in)
				got, guards := in.freshGuarded()
				runFast(t, p, in, got)
				got.db = want.db // the bias gradient has no fast kernel
				if err := got.compare(want, 0, 0); err != nil {
					t.Errorf("%v: %v", p, err)
				}
				for name, g := range guards {
					if !g.intact() {
						t.Errorf("%v: %s: written outside its slice", p, name)
					}
				}
			}
		})
	}
}

// On random (non-integer) data the fast kernels agree with the references
// within float32 rounding, and the dispatching entry points pick them.
func TestDepthwiseFastRandomData(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	shapes := []ConvParams{
		dwConv(2, 3, 1, 19, 37, 3, 1, 1, 1),
		dwConv(1, 2, 2, 23, 29, 5, 2, 2, 2),
		dwConv(2, 2, 1, 14, 14, 5, 1, 2, 2),
		dwConv(1, 3, 1, 7, 7, 3, 2, 1, 1),
	}
	for _, path := range fastPaths(t) {
		t.Run(string(path), func(t *testing.T) {
			usePath(t, path)
			for _, p := range shapes {
				in := newConvInputs(rng, p)
				want := referenceConv(p, in)
				if err := runConv(p, Depthwise, convTiling{}, in).compare(want, 1e-5, 1e-5); err != nil {
					t.Errorf("%v: %v", p, err)
				}
			}
		})
	}
}

func TestDepthwiseThreadsBitIdentical(t *testing.T) {
	old := SetThreads(1)
	defer SetThreads(old)
	rng := rand.New(rand.NewPCG(11, 12))
	p := dwConv(2, 5, 1, 30, 33, 3, 1, 1, 1)
	q := dwConv(2, 4, 2, 29, 40, 5, 2, 2, 2)
	tiny := []ConvParams{dwConv(9, 70, 1, 2, 2, 5, 1, 2, 2), dwConv(5, 40, 1, 4, 4, 3, 2, 1, 1), dwConv(3, 100, 1, 1, 1, 3, 1, 1, 1)}
	for _, path := range Paths() {
		usePath(t, path)
		for _, p := range append([]ConvParams{p, q}, tiny...) {
			in := newConvInputs(rng, p)
			SetThreads(1)
			one := runConv(p, Depthwise, convTiling{}, in)
			SetThreads(2)
			two := runConv(p, Depthwise, convTiling{}, in)
			if err := two.compare(one, 0, 0); err != nil {
				t.Errorf("%s %v: 2 threads differ from 1: %v", path, p, err)
			}
		}
	}
}

// Shapes outside the fast kernels (other filter sizes, dilation, unequal
// strides, large padding) go to the plain loops and still match.
func TestDepthwiseFallbackShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	dil := dwConv(1, 2, 1, 9, 11, 3, 1, 2, 2)
	dil.DilH, dil.DilW = 2, 2
	rect := dwConv(1, 2, 1, 9, 11, 3, 2, 1, 1)
	rect.StrideH = 1
	for _, p := range []ConvParams{dwConv(1, 2, 1, 9, 11, 7, 1, 3, 3), dil, rect, dwConv(1, 2, 1, 9, 11, 3, 1, 3, 3), dwConv(1, 2, 1, 9, 11, 3, 3, 1, 1)} {
		if dwFastFor(p) != nil {
			t.Errorf("%v: taken by the fast kernels", p)
		}
		in := newIntConvInputs(rng, p)
		want := referenceConv(p, in)
		if err := runConv(p, Depthwise, convTiling{}, in).compare(want, 0, 0); err != nil {
			t.Errorf("%v: %v", p, err)
		}
	}
}

// The stride-2 backward-data kernel is written for the padding (k−1)/2 and
// shifts to others of the same parity; the rest go to the plain loops.
func TestDepthwiseData2Padding(t *testing.T) {
	for _, path := range fastPaths(t) {
		f := dwFastSets[path]
		for _, k := range []int{3, 5} {
			for pad := range k {
				p := dwConv(1, 1, 1, 12, 12, k, 2, pad, pad)
				ws := make([]float32, depthwiseWorkspaceSize(p))
				dy, w, dx := make([]float32, p.OutH()*p.OutW()), make([]float32, k*k), make([]float32, 144)
				want := (pad-(k-1)/2)%2 == 0
				if got := f.runBackwardData(p, dy, w, dx, ws, true); got != want {
					t.Errorf("%s %v: runBackwardData = %v, want %v", path, p, got, want)
				}
			}
		}
	}
}

func ExampleConv2dForward_depthwise() {
	// A 3×3 depthwise convolution (groups = channels) of two 4×4 channels,
	// padding 1: each output is the sum of the 3×3 neighbourhood.
	p := ConvParams{N: 1, C: 2, H: 4, W: 4, K: 2, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 2}
	x := make([]float32, 2*16)
	for i := range x {
		x[i] = 1
	}
	w := make([]float32, 2*9)
	for i := range w {
		w[i] = 1
	}
	y := make([]float32, 2*16)
	Conv2dForward(p, x, w, nil, y, make([]float32, ConvWorkspaceSize(p)))
	for i := range 4 {
		fmt.Println(y[4*i : 4*i+4])
	}
	// Output:
	// [4 6 6 4]
	// [6 9 9 6]
	// [6 9 9 6]
	// [4 6 6 4]
}

// The assembly kernels treat denormal inputs as zero and flush denormal
// results (denormals cost a microcode assist per instruction), and give the
// caller its floating-point state back: Go code after them still computes
// denormals.
func TestDepthwiseFlushesDenormals(t *testing.T) {
	p := dwConv(1, 2, 1, 9, 20, 3, 1, 1, 1)
	x := make([]float32, 2*9*20)
	for i := range x {
		x[i] = 1e-40
	}
	w := make([]float32, 2*9)
	for i := range w {
		w[i] = 1
	}
	for _, path := range fastPaths(t) {
		y := make([]float32, len(x))
		if !dwFastSets[path].runForward(p, x, w, nil, y, make([]float32, depthwiseWorkspaceSize(p))) {
			t.Fatalf("%s: the fast kernel declined %v", path, p)
		}
		for i, v := range y {
			if v != 0 {
				t.Fatalf("%s: y[%d] = %g, want 0 (denormal inputs read as zero)", path, i, v)
			}
		}
		if tiny := x[0] * w[0]; tiny == 0 {
			t.Fatalf("%s: after the kernel, Go flushes denormals: the caller's MXCSR was not restored", path)
		}
	}
}

// The tiny-plane kernels against the references on exact integer data, for
// every filter size, stride, padding and dilation that leaves planes of at
// most 16 floats, channel counts that leave a partial group, and batches
// that use the kernels' eight- and four-image loops and their remainders;
// the dw and dx passes also add into what the slices held.
func TestDepthwiseTinyPlanes(t *testing.T) {
	var paths []Path
	for _, path := range Paths() {
		if dwTinyLanes[path] > 0 {
			paths = append(paths, path)
		}
	}
	if len(paths) == 0 {
		t.Skip("no tiny-plane depthwise kernels on this machine")
	}
	rng := rand.New(rand.NewPCG(15, 16))
	var cases []ConvParams
	for _, hw := range [][2]int{{1, 1}, {2, 2}, {1, 2}, {2, 3}, {3, 3}, {4, 4}, {2, 8}, {1, 16}} {
		for _, k := range []int{1, 3, 5, 7} {
			for _, sp := range [][4]int{{1, 0, 0, 1}, {1, 1, 1, 1}, {1, 2, 2, 1}, {2, 1, 1, 1}, {2, 2, 1, 1}, {1, 2, 2, 2}, {3, 3, 0, 1}} {
				for _, c := range []int{1, 3, 16, 21} {
					p := ConvParams{N: []int{1, 4, 9, 13}[(c+k+sp[0])%4], C: c, H: hw[0], W: hw[1], K: c, R: k, S: k,
						StrideH: sp[0], StrideW: sp[0], PadH: sp[1], PadW: sp[2], DilH: sp[3], DilW: sp[3], Groups: c}
					if p.Validate() == nil && p.H*p.W <= 16 && p.OutH()*p.OutW() <= 16 {
						cases = append(cases, p)
					}
				}
			}
		}
	}
	if len(cases) < 200 {
		t.Fatalf("only %d tiny cases", len(cases))
	}
	for _, path := range paths {
		usePath(t, path)
		for _, p := range cases {
			if !dwTinyFits(p) {
				continue
			}
			in := newIntConvInputs(rng, p)
			poisonUnread(p, in.x)
			want := referenceConv(p, in)
			// x and dy end at an inaccessible page: a load past them crashes.
			in.x = append(guardedFloats(t, len(in.x))[:0], in.x...)
			in.dy = append(guardedFloats(t, len(in.dy))[:0], in.dy...)
			got, guards := in.freshGuarded()
			ws := nanSlice(depthwiseWorkspaceSize(p))
			depthwiseForward(p, in.x, in.w, in.bias, got.y, ws)
			depthwiseForward(p, in.x, in.w, nil, got.yNoBias, ws)
			depthwiseBackwardData(p, in.dy, in.w, got.dx, ws, true)
			depthwiseBackwardFilter(p, in.x, in.dy, got.dw, ws)
			got.db = want.db
			if err := got.compare(want, 0, 0); err != nil {
				t.Errorf("%s %v: %v", path, p, err)
			}
			for name, g := range guards {
				if !g.intact() {
					t.Errorf("%v: %s: written outside its slice", p, name)
				}
			}
			set := make([]float32, len(got.dx))
			fillRandom(rng, set)
			depthwiseBackwardData(p, in.dy, in.w, set, ws, false)
			zero := make([]float32, len(got.dx))
			depthwiseBackwardDataPlain(p, in.dy, in.w, zero, true)
			checkBits(t, fmt.Sprintf("%s %v: data pass without accumulate", path, p), set, zero)
		}
	}
}

// The AVX2 and AVX-512 tiny-plane kernels add the same products in the same
// order (by tap for each output, by image for each filter lane), however
// many channels share a vector, so on random data they give the same bits.
func TestDepthwiseTinyPathsSameBits(t *testing.T) {
	if !slices.Contains(Paths(), AVX512) || !slices.Contains(Paths(), AVX2) || dwTinyLanes[AVX2] == 0 {
		t.Skip("needs the tiny-plane kernels of both AVX2 and AVX-512")
	}
	rng := rand.New(rand.NewPCG(17, 18))
	for _, p := range []ConvParams{dwConv(11, 37, 1, 2, 2, 5, 1, 2, 2), dwConv(9, 21, 1, 1, 1, 3, 1, 1, 1), dwConv(6, 13, 1, 2, 4, 3, 2, 1, 1)} {
		in := newConvInputs(rng, p)
		var res [2]convResults
		for i, path := range []Path{AVX2, AVX512} {
			usePath(t, path)
			if !dwTinyFits(p) {
				t.Fatalf("%s: %v is not a tiny-plane convolution", path, p)
			}
			res[i] = runConv(p, Depthwise, convTiling{}, in)
		}
		if err := res[1].compare(res[0], 0, 0); err != nil {
			t.Errorf("%v: AVX-512 differs from AVX2: %v", p, err)
		}
	}
}

// The assembly reads dwTinyArgs at fixed offsets (TINYARGS in
// depthwise_tiny_amd64.s).
func TestDwTinyArgsLayout(t *testing.T) {
	var a dwTinyArgs
	for _, f := range []struct {
		name      string
		got, want uintptr
	}{
		{"in", unsafe.Offsetof(a.in), 0}, {"out", unsafe.Offsetof(a.out), 8}, {"w", unsafe.Offsetof(a.w), 16},
		{"idx", unsafe.Offsetof(a.idx), 24}, {"init", unsafe.Offsetof(a.init), 32}, {"taps", unsafe.Offsetof(a.taps), 40},
		{"images", unsafe.Offsetof(a.images), 48}, {"inStride", unsafe.Offsetof(a.inStride), 56},
		{"outStride", unsafe.Offsetof(a.outStride), 64}, {"inMask", unsafe.Offsetof(a.inMask), 72},
		{"outMask", unsafe.Offsetof(a.outMask), 80}, {"beta", unsafe.Offsetof(a.beta), 88},
	} {
		if f.got != f.want {
			t.Errorf("dwTinyArgs.%s at offset %d, the assembly reads %d", f.name, f.got, f.want)
		}
	}
}
