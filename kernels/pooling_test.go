package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Pooling kernels against references written from the definitions: they walk
// every tap of the (padded) window, where the kernels clip windows first,
// and count the divisor tap by tap. PyTorch fixtures in autograd check the
// same semantics against ATen itself.

func pool(n, c, h, w, k, stride, pad int, ceil, includePad bool) PoolParams {
	return PoolParams{N: n, C: c, H: h, W: w, KH: k, KW: k, StrideH: stride, StrideW: stride,
		PadH: pad, PadW: pad, CeilMode: ceil, CountIncludePad: includePad}
}

func poolCases() []PoolParams {
	rect := pool(2, 3, 9, 8, 3, 1, 1, false, false)
	rect.KW, rect.StrideW, rect.PadW = 2, 2, 0
	return []PoolParams{
		pool(2, 3, 9, 11, 3, 2, 1, false, false),
		pool(1, 2, 7, 7, 2, 2, 0, false, false),
		pool(1, 2, 7, 7, 2, 2, 0, true, false),
		pool(3, 2, 8, 8, 3, 2, 1, true, false),
		pool(1, 3, 5, 6, 2, 2, 1, true, false), // ceil mode drops a window that would start in the far padding
		pool(2, 1, 2, 2, 3, 2, 0, true, false), // window larger than the input
		pool(1, 2, 10, 13, 3, 3, 1, true, false),
		rect,
		pool(2, 16, 32, 32, 3, 2, 1, false, false), // enough planes for several chunks
	}
}

// poolTaps calls fn(ih, iw, inside) for every tap of output (i, j)'s window
// within the padded input, row-major, where inside says it is a real pixel.
func poolTaps(p PoolParams, i, j int, fn func(ih, iw int, inside bool)) {
	for a := range p.KH {
		for b := range p.KW {
			ih, iw := i*p.StrideH-p.PadH+a, j*p.StrideW-p.PadW+b
			if ih >= p.H+p.PadH || iw >= p.W+p.PadW {
				continue
			}
			fn(ih, iw, ih >= 0 && ih < p.H && iw >= 0 && iw < p.W)
		}
	}
}

func maxPoolRef(p PoolParams, x []float32) ([]float32, []int32) {
	oh, ow := p.OutH(), p.OutW()
	y, idx := make([]float32, p.N*p.C*oh*ow), make([]int32, p.N*p.C*oh*ow)
	for nc := range p.N * p.C {
		plane := x[nc*p.H*p.W:]
		for i := range oh {
			for j := range ow {
				at, best := -1, float32(0)
				poolTaps(p, i, j, func(ih, iw int, inside bool) {
					if !inside {
						return
					}
					if v := plane[ih*p.W+iw]; at < 0 || v > best || math.IsNaN(float64(v)) {
						at, best = ih*p.W+iw, v
					}
				})
				y[(nc*oh+i)*ow+j], idx[(nc*oh+i)*ow+j] = best, int32(at)
			}
		}
	}
	return y, idx
}

// avgPoolRef returns the averages and the divisor of every output.
func avgPoolRef(p PoolParams, x []float32) (y, div []float32) {
	oh, ow := p.OutH(), p.OutW()
	y, div = make([]float32, p.N*p.C*oh*ow), make([]float32, p.N*p.C*oh*ow)
	for nc := range p.N * p.C {
		plane := x[nc*p.H*p.W:]
		for i := range oh {
			for j := range ow {
				var sum float64
				taps, inImage := 0, 0
				poolTaps(p, i, j, func(ih, iw int, inside bool) {
					taps++
					if inside {
						inImage++
						sum += float64(plane[ih*p.W+iw])
					}
				})
				d := inImage
				if p.CountIncludePad {
					d = taps
				}
				y[(nc*oh+i)*ow+j], div[(nc*oh+i)*ow+j] = float32(sum/float64(d)), float32(d)
			}
		}
	}
	return y, div
}

func avgPoolBackwardRef(p PoolParams, dy, div, dx []float32) {
	oh, ow := p.OutH(), p.OutW()
	for nc := range p.N * p.C {
		plane := dx[nc*p.H*p.W:]
		for i := range oh {
			for j := range ow {
				g := dy[(nc*oh+i)*ow+j] / div[(nc*oh+i)*ow+j]
				poolTaps(p, i, j, func(ih, iw int, inside bool) {
					if inside {
						plane[ih*p.W+iw] += g
					}
				})
			}
		}
	}
}

func TestPoolOutputSize(t *testing.T) {
	for _, tc := range []struct {
		in, k, stride, pad int
		ceil               bool
		want               int
	}{
		{10, 3, 2, 0, false, 4},
		{10, 3, 2, 0, true, 5},
		{7, 2, 2, 0, true, 4},
		{5, 2, 2, 1, true, 3}, // ⌈5/2⌉+1 = 4, but window 3 would start at 6 ≥ 5+1
		{112, 3, 2, 1, false, 56},
		{2, 3, 2, 0, true, 1},
		{1, 3, 2, 0, true, 0}, // ⌊(1−3+1)/2⌋ + 1 = 0: too small
	} {
		if got := poolOut(tc.in, tc.k, tc.stride, tc.pad, tc.ceil); got != tc.want {
			t.Errorf("input %d window %d stride %d pad %d ceil %v: output %d, want %d", tc.in, tc.k, tc.stride, tc.pad, tc.ceil, got, tc.want)
		}
	}
	if pool(1, 1, 5, 5, 3, 1, 2, false, false).Validate() == nil {
		t.Error("padding 2 with window 3 validated")
	}
}

func TestMaxPoolMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, p := range poolCases() {
		for _, ties := range []bool{false, true} {
			x := convRandSlice(rng, p.N*p.C*p.H*p.W)
			if ties { // values from {0, 1, 2}, some −∞: most windows have tied maxima
				for i := range x {
					x[i] = float32(rng.IntN(3))
					if rng.IntN(10) == 0 {
						x[i] = float32(math.Inf(-1))
					}
				}
			}
			wantY, wantIdx := maxPoolRef(p, x)
			y, idx := make([]float32, len(wantY)), make([]int32, len(wantY))
			MaxPool2dForward(p, x, y, idx)
			if err := convClose(y, wantY, 0, 0); err != nil {
				t.Errorf("%v ties %v: y: %v", p, ties, err)
			}
			for i := range idx {
				if idx[i] != wantIdx[i] {
					t.Errorf("%v ties %v: index %d is %d, want %d", p, ties, i, idx[i], wantIdx[i])
					break
				}
			}
			noIdx := make([]float32, len(y))
			MaxPool2dForward(p, x, noIdx, nil)
			if err := convClose(noIdx, wantY, 0, 0); err != nil {
				t.Errorf("%v without indices: %v", p, err)
			}

			dy := convRandSlice(rng, len(y))
			dx0 := convRandSlice(rng, len(x))
			want := append([]float32(nil), dx0...)
			for i, g := range dy {
				want[i/(p.OutH()*p.OutW())*p.H*p.W+int(wantIdx[i])] += g
			}
			MaxPool2dBackward(p, dy, idx, dx0)
			if err := convClose(dx0, want, 1e-6, 1e-6); err != nil {
				t.Errorf("%v ties %v: dx: %v", p, ties, err)
			}
		}
	}
}

func TestMaxPoolNaNWins(t *testing.T) {
	p := pool(1, 1, 2, 3, 2, 1, 0, false, false)
	nan := float32(math.NaN())
	x := []float32{1, nan, 5, 9, 2, nan}
	y, idx := make([]float32, 2), make([]int32, 2)
	MaxPool2dForward(p, x, y, idx)
	if !math.IsNaN(float64(y[0])) || !math.IsNaN(float64(y[1])) || idx[0] != 1 || idx[1] != 5 {
		t.Errorf("y %v idx %v, want NaN at 1 and at 5 (the last NaN of each window)", y, idx)
	}
}

func TestAvgPoolMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, base := range poolCases() {
		for _, includePad := range []bool{false, true} {
			p := base
			p.CountIncludePad = includePad
			x := convRandSlice(rng, p.N*p.C*p.H*p.W)
			wantY, div := avgPoolRef(p, x)
			y := make([]float32, len(wantY))
			AvgPool2dForward(p, x, y)
			if err := convClose(y, wantY, 1e-6, 1e-5); err != nil {
				t.Errorf("%v: y: %v", p, err)
			}
			dy := convRandSlice(rng, len(y))
			dx := convRandSlice(rng, len(x))
			want := append([]float32(nil), dx...)
			avgPoolBackwardRef(p, dy, div, want)
			AvgPool2dBackward(p, dy, dx)
			if err := convClose(dx, want, 1e-6, 1e-5); err != nil {
				t.Errorf("%v: dx: %v", p, err)
			}
		}
	}
}

func TestAdaptiveAvgPoolMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, p := range []AdaptiveParams{
		{N: 2, C: 3, H: 10, W: 13, OutH: 7, OutW: 7},
		{N: 1, C: 2, H: 7, W: 7, OutH: 7, OutW: 7},
		{N: 3, C: 2, H: 5, W: 9, OutH: 1, OutW: 1},
		{N: 1, C: 2, H: 3, W: 4, OutH: 5, OutW: 6}, // output larger than input
		{N: 2, C: 16, H: 14, W: 14, OutH: 4, OutW: 3},
		{N: 3, C: 5, H: 6, W: 7, OutH: 1, OutW: 1},   // global: 15 planes, four at a time and a rest
		{N: 64, C: 24, H: 8, W: 8, OutH: 1, OutW: 1}, // squeeze-excitation at 32×32 input
		{N: 4, C: 3, H: 1, W: 1, OutH: 7, OutW: 7},   // VGG's pooling at 32×32 input: one pixel to 49 bins
		{N: 2, C: 5, H: 1, W: 1, OutH: 2, OutW: 3},
		{N: 1, C: 1, H: 1, W: 1, OutH: 1, OutW: 1},
	} {
		x := convRandSlice(rng, p.N*p.C*p.H*p.W)
		dy := convRandSlice(rng, p.N*p.C*p.OutH*p.OutW)
		dx0 := convRandSlice(rng, len(x))
		wantY := make([]float32, len(dy))
		wantDx := append([]float32(nil), dx0...)
		bin := func(i, in, out int) (int, int) {
			return int(math.Floor(float64(i*in) / float64(out))), int(math.Ceil(float64((i+1)*in) / float64(out)))
		}
		for nc := range p.N * p.C {
			for i := range p.OutH {
				h0, h1 := bin(i, p.H, p.OutH)
				for j := range p.OutW {
					w0, w1 := bin(j, p.W, p.OutW)
					var sum float64
					for ih := h0; ih < h1; ih++ {
						for iw := w0; iw < w1; iw++ {
							sum += float64(x[(nc*p.H+ih)*p.W+iw])
						}
					}
					count := float64((h1 - h0) * (w1 - w0))
					o := (nc*p.OutH+i)*p.OutW + j
					wantY[o] = float32(sum / count)
					for ih := h0; ih < h1; ih++ {
						for iw := w0; iw < w1; iw++ {
							wantDx[(nc*p.H+ih)*p.W+iw] += dy[o] / float32(count)
						}
					}
				}
			}
		}
		// The kernels do the same operations in the same order: the same bits.
		y := make([]float32, len(dy))
		AdaptiveAvgPool2dForward(p, x, y)
		if i := sameBits(y, wantY); i >= 0 {
			t.Errorf("%v: y[%d] = %v, want %v", p, i, y[i], wantY[i])
		}
		set := convRandSlice(rng, len(x)) // whatever it held is overwritten
		AdaptiveAvgPool2dBackward(p, dy, dx0)
		if i := sameBits(dx0, wantDx); i >= 0 {
			t.Errorf("%v: dx[%d] = %v, want %v", p, i, dx0[i], wantDx[i])
		}
		zeros := make([]float32, len(x))
		AdaptiveAvgPool2dBackward(p, dy, zeros)
		AdaptiveAvgPool2dBackwardSet(p, dy, set)
		if i := sameBits(set, zeros); i >= 0 {
			t.Errorf("%v: Set: dx[%d] = %v, want %v", p, i, set[i], zeros[i])
		}
	}
}

func TestPoolingThreadsBitIdentical(t *testing.T) {
	old := SetThreads(1)
	defer SetThreads(old)
	rng := rand.New(rand.NewPCG(13, 14))
	for _, p := range poolCases() {
		p.CountIncludePad = true
		x := convRandSlice(rng, p.N*p.C*p.H*p.W)
		dy := convRandSlice(rng, p.N*p.C*p.OutH()*p.OutW())
		run := func(threads int) [][]float32 {
			SetThreads(threads)
			ym, ya := make([]float32, len(dy)), make([]float32, len(dy))
			idx := make([]int32, len(dy))
			dxm, dxa := make([]float32, len(x)), make([]float32, len(x))
			MaxPool2dForward(p, x, ym, idx)
			MaxPool2dBackward(p, dy, idx, dxm)
			AvgPool2dForward(p, x, ya)
			AvgPool2dBackward(p, dy, dxa)
			return [][]float32{ym, dxm, ya, dxa}
		}
		one, two := run(1), run(2)
		for i := range one {
			if err := convClose(two[i], one[i], 0, 0); err != nil {
				t.Errorf("%v: result %d: 2 threads differ from 1: %v", p, i, err)
			}
		}
	}
}
