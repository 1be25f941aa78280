package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// bitsDiffer describes the first element where got and want differ in
// their bits (NaNs included), or returns nil.
func bitsDiffer(got, want []float32) error {
	if i := sameBits(got, want); i >= 0 {
		return fmt.Errorf("element %d: got %v, want %v", i, got[i], want[i])
	}
	return nil
}

// TestWinogradRowKernels checks each path's transforms against the plain
// Go ones, bit for bit, on ragged tile counts: every value they should
// write, and nothing else (the rest of the output stays NaN, or, for the
// output transform, its old value).
func TestWinogradRowKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	ref := winogradKernels{filter: winogradFilterRun, filterGrad: winogradFilterGradRun, grad: winogradGradRow, input: winogradInputRow, output: winogradOutputRow}
	counts := []int{1, 2, 7, 15, 16, 17, 31, 32, 33, 40}
	for _, path := range Paths() {
		k := winogradKernelsFor(path)
		for _, n := range counts {
			kc := n + 3
			w := convRandSlice(rng, 9*n)
			got, want := nanSlice(16*kc), nanSlice(16*kc)
			k.filter(got, kc, w, n)
			ref.filter(want, kc, w, n)
			if err := bitsDiffer(got, want); err != nil {
				t.Errorf("%s: filter transform of %d filters: %v", path, n, err)
			}

			ldr, cs := 2*n+2, n+5
			rows := convRandSlice(rng, 4*ldr+winogradSlack)
			got, want = nanSlice(16*cs), nanSlice(16*cs)
			k.input(got, cs, rows, ldr, n)
			ref.input(want, cs, rows, ldr, n)
			if err := bitsDiffer(got, want); err != nil {
				t.Errorf("%s: input transform of %d tiles: %v", path, n, err)
			}

			du := convRandSlice(rng, 16*kc)
			dw0 := convRandSlice(rng, 9*n+4)
			got, want = append([]float32(nil), dw0...), append([]float32(nil), dw0...)
			k.filterGrad(got, kc, du, n)
			ref.filterGrad(want, kc, du, n)
			if err := bitsDiffer(got, want); err != nil {
				t.Errorf("%s: filter gradient transform of %d filters: %v", path, n, err)
			}

			ks, ldy := n+7, 2*n+3
			m := convRandSlice(rng, 16*ks)
			y0 := convRandSlice(rng, 2*ldy)
			bias := float32(rng.NormFloat64())
			for _, cols := range []int{2 * n, 2*n - 1} {
				for rowsOut := 1; rowsOut <= 2; rowsOut++ {
					got, want := nanSlice(16*ks), nanSlice(16*ks)
					k.grad(got, ks, y0, ldy, n, cols, rowsOut)
					ref.grad(want, ks, y0, ldy, n, cols, rowsOut)
					if err := bitsDiffer(got, want); err != nil {
						t.Errorf("%s: output gradient transform of %d tiles, %d columns, %d rows: %v", path, n, cols, rowsOut, err)
					}
					for _, acc := range []bool{false, true} {
						got, want := append([]float32(nil), y0...), append([]float32(nil), y0...)
						k.output(m, ks, got, ldy, n, cols, rowsOut, bias, acc)
						ref.output(m, ks, want, ldy, n, cols, rowsOut, bias, acc)
						if err := bitsDiffer(got, want); err != nil {
							t.Errorf("%s: output transform of %d tiles, %d columns, %d rows, accumulate %v: %v", path, n, cols, rowsOut, acc, err)
						}
					}
				}
			}
		}
	}
}

// TestWinogradMatchesReference runs the Winograd forward pass (with bias,
// and accumulating) and filter gradient (y0 as the output gradient) on
// small and ragged shapes (odd sizes, images smaller than a tile, padding 0
// to 2, rectangular padding) with chunks that split rows of tiles, on every
// path, against the direct-loop reference.
func TestWinogradMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	shapes := []ConvParams{
		conv(1, 1, 1, 1, 1, 3, 3, 1, 1, 1, 1),
		conv(2, 3, 5, 7, 4, 3, 3, 1, 1, 1, 1),
		conv(3, 5, 9, 8, 6, 3, 3, 1, 2, 1, 1),
		conv(2, 4, 6, 6, 3, 3, 3, 1, 0, 1, 1),
		conv(1, 7, 17, 13, 5, 3, 3, 1, 1, 1, 1),
		{N: 2, C: 3, H: 4, W: 11, K: 2, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 0, PadW: 2, DilH: 1, DilW: 1, Groups: 1},
		conv(2, 2, 2, 40, 3, 3, 3, 1, 1, 1, 1),
	}
	for _, p := range shapes {
		x := convRandSlice(rng, p.N*p.C*p.H*p.W)
		w := convRandSlice(rng, p.K*p.C*9)
		bias := convRandSlice(rng, p.K)
		y0 := convRandSlice(rng, p.N*p.K*p.OutH()*p.OutW())
		want := make([]float32, len(y0))
		Conv2dForwardRef(p, x, w, bias, want)
		wantAcc := make([]float32, len(y0))
		Conv2dForwardRef(p, x, w, nil, wantAcc)
		for i := range wantAcc {
			wantAcc[i] += y0[i]
		}
		dw0 := convRandSlice(rng, len(w))
		wantDW := append([]float32(nil), dw0...)
		Conv2dBackwardFilterRef(p, x, y0, wantDW)
		tiles := p.winogradTiles()
		for _, path := range Paths() {
			usePath(t, path)
			for _, tc := range []int{1, 5, 37, tiles} {
				ws := nanSlice(16*p.K*p.C + 16*(p.C+p.K)*tc)
				got := nanSlice(len(y0))
				winogradForwardChunks(p, tc, x, w, bias, got, ws, false)
				if err := convClose(got, want, 1e-5, 1e-5); err != nil {
					t.Errorf("%v on %s, chunks of %d tiles: %v", p, path, tc, err)
				}
				got = append([]float32(nil), y0...)
				winogradForwardChunks(p, tc, x, w, bias, got, ws, true)
				if err := convClose(got, wantAcc, 1e-5, 1e-5); err != nil {
					t.Errorf("%v on %s, chunks of %d tiles, accumulating: %v", p, path, tc, err)
				}
				gotDW := append([]float32(nil), dw0...)
				winogradBackwardFilterChunks(p, tc, x, y0, gotDW, ws)
				if err := convClose(gotDW, wantDW, convTol(p), 1e-5); err != nil {
					t.Errorf("%v on %s, chunks of %d tiles: filter gradient: %v", p, path, tc, err)
				}
			}
		}
	}
}

// TestWinogradChunksSameBits: the chunk size changes no bit of the output.
func TestWinogradChunksSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	p := conv(3, 6, 11, 9, 5, 3, 3, 1, 1, 1, 1)
	x := convRandSlice(rng, p.N*p.C*p.H*p.W)
	w := convRandSlice(rng, p.K*p.C*9)
	forEachPath(t, func(t *testing.T) {
		tiles := p.winogradTiles()
		want := make([]float32, p.N*p.K*p.OutH()*p.OutW())
		winogradForwardChunks(p, tiles, x, w, nil, want, make([]float32, 16*p.K*p.C+16*(p.C+p.K)*tiles), false)
		for _, tc := range []int{1, 6, 32} {
			got := make([]float32, len(want))
			winogradForwardChunks(p, tc, x, w, nil, got, make([]float32, 16*p.K*p.C+16*(p.C+p.K)*tc), false)
			if err := bitsDiffer(got, want); err != nil {
				t.Errorf("chunks of %d tiles: %v", tc, err)
			}
		}
	})
}

// TestWinogradChoice: ChooseConvAlgo picks Winograd only where winogradPays,
// and only for what winogradFits, on every path.
func TestWinogradChoice(t *testing.T) {
	cases := []struct {
		name string
		p    ConvParams
		want bool
	}{
		{"64 channels, 14×14, 3 images (147 tiles)", winogradEntryCase, true},
		{"64 channels, 14×14, 2 images (98 tiles)", conv(2, 64, 14, 14, 64, 3, 3, 1, 1, 1, 1), false},
		{"63 input channels", conv(3, 63, 14, 14, 64, 3, 3, 1, 1, 1, 1), false},
		{"63 output channels", conv(3, 64, 14, 14, 63, 3, 3, 1, 1, 1, 1), false},
		{"64 channels, 13×16 maps", conv(16, 64, 13, 16, 64, 3, 3, 1, 1, 1, 1), false},
		{"64 channels, 8×8 maps", conv(16, 64, 8, 8, 64, 3, 3, 1, 1, 1, 1), false},
		{"128 channels, 8×8 maps", conv(64, 128, 8, 8, 128, 3, 3, 1, 1, 1, 1), true},
		{"128 channels, 7×7 maps", conv(16, 128, 7, 7, 128, 3, 3, 1, 1, 1, 1), false},
		{"256 channels, 6×6 maps", conv(64, 256, 6, 6, 256, 3, 3, 1, 1, 1, 1), true},
		{"256 channels, 5×5 maps", conv(64, 256, 5, 5, 256, 3, 3, 1, 1, 1, 1), false},
		{"512 channels, 4×4 maps, 64 images", conv(64, 512, 4, 4, 512, 3, 3, 1, 1, 1, 1), true},
		{"512 channels, 4×4 maps, 16 images (64 tiles)", conv(16, 512, 4, 4, 512, 3, 3, 1, 1, 1, 1), false},
		{"512 channels, 3×3 maps", conv(64, 512, 3, 3, 512, 3, 3, 1, 1, 1, 1), false},
		{"stride 2", conv(4, 64, 56, 56, 64, 3, 3, 2, 1, 1, 1), false},
		{"dilation 2", conv(4, 64, 56, 56, 64, 3, 3, 1, 2, 2, 1), false},
		{"2 groups", conv(4, 64, 56, 56, 64, 3, 3, 1, 1, 1, 2), false},
		{"5×5", conv(4, 64, 56, 56, 64, 5, 5, 1, 2, 1, 1), false},
	}
	// Padding 0 makes dataConv's output larger than p's: p keeps Im2col, its
	// input gradient goes by Winograd (TestConvBackwardDataByConv runs it).
	unpadded := conv(2, 64, 16, 16, 64, 3, 3, 1, 0, 1, 1)
	q, _ := unpadded.dataConv()
	for _, path := range Paths() {
		usePath(t, path)
		if ChooseConvAlgo(unpadded) != Im2col || dataConvAlgo(q) != Winograd {
			t.Errorf("%v on %s: %v, and %v for its dataConv; want Im2col, and Winograd", unpadded, path, ChooseConvAlgo(unpadded), dataConvAlgo(q))
		}
		for _, tc := range cases {
			want := Im2col
			if tc.want {
				want = Winograd
			}
			if got := ChooseConvAlgo(tc.p); got != want {
				t.Errorf("%s on %s: ChooseConvAlgo = %v, want %v", tc.name, path, got, want)
			}
		}
	}
}

// winogradEntryCase is about the smallest convolution ChooseConvAlgo runs
// as Winograd.
var winogradEntryCase = conv(3, 64, 14, 14, 64, 3, 3, 1, 1, 1, 1)

// TestWinogradEntryPoints: where ChooseConvAlgo picks Winograd, the exported
// kernels with a workspace of exactly ConvWorkspaceSize match the
// reference, on one thread and, bit for bit, on two; and
// Conv2dBackwardDataSet writes what Conv2dBackwardData adds to zeros.
func TestWinogradEntryPoints(t *testing.T) {
	defer SetThreads(SetThreads(1))
	p := winogradEntryCase
	in := newConvInputs(rand.New(rand.NewPCG(27, 28)), p)
	want := referenceConv(p, in)
	forEachPath(t, func(t *testing.T) {
		if ChooseConvAlgo(p) != Winograd {
			t.Fatalf("ChooseConvAlgo picks %v, not Winograd", ChooseConvAlgo(p))
		}
		var runs [2]convResults
		for i, threads := range []int{1, 2} {
			SetThreads(threads)
			r := in.fresh()
			ws := nanSlice(ConvWorkspaceSize(p))
			Conv2dForward(p, in.x, in.w, in.bias, r.y, ws)
			Conv2dForward(p, in.x, in.w, nil, r.yNoBias, ws)
			Conv2dBackwardData(p, in.dy, in.w, r.dx, ws)
			Conv2dBackwardFilter(p, in.x, in.dy, r.dw, ws)
			Conv2dBackwardBias(p, in.dy, r.db)
			if err := r.compare(want, convTol(p), 1e-5); err != nil {
				t.Errorf("%d threads: %v", threads, err)
			}
			added := make([]float32, len(r.dx))
			Conv2dBackwardData(p, in.dy, in.w, added, ws)
			set := nanSlice(len(r.dx))
			Conv2dBackwardDataSet(p, in.dy, in.w, set, ws)
			for j := range set {
				if set[j] != added[j] {
					t.Fatalf("%d threads: Conv2dBackwardDataSet: dx[%d] = %v, want %v", threads, j, set[j], added[j])
				}
			}
			runs[i] = r
		}
		if err := runs[1].compare(runs[0], 0, 0); err != nil {
			t.Errorf("2 threads differ from 1: %v", err)
		}
	})
}

// TestWinogradBackwardDataTurned: the input gradient from p's transformed
// filter, turned (winogradBackwardData), has the bits of the forward pass of
// dataConv with the turned filter written out (dataFilter), on every path,
// with padding 0 to 2 and different channel counts.
func TestWinogradBackwardDataTurned(t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 30))
	shapes := []ConvParams{
		conv(2, 3, 5, 7, 4, 3, 3, 1, 1, 1, 1),
		conv(1, 5, 6, 9, 2, 3, 3, 1, 0, 1, 1),
		conv(2, 4, 4, 5, 6, 3, 3, 1, 2, 1, 1),
	}
	for _, p := range shapes {
		q, _ := p.dataConv()
		w := convRandSlice(rng, p.K*p.C*9)
		dy := convRandSlice(rng, p.N*p.K*p.OutH()*p.OutW())
		dx0 := convRandSlice(rng, p.N*p.C*p.H*p.W)
		forEachPath(t, func(t *testing.T) {
			got := append([]float32(nil), dx0...)
			winogradBackwardData(p, dy, w, got, nanSlice(p.winogradDataWorkspace()), true)
			wt := make([]float32, len(w))
			dataFilter(p, w, wt)
			want := append([]float32(nil), dx0...)
			winogradForward(q, dy, wt, nil, want, nanSlice(winogradWorkspace(q)), true)
			if err := bitsDiffer(got, want); err != nil {
				t.Errorf("%v: %v", p, err)
			}
		})
	}
}
