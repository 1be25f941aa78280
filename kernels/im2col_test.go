package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// The run primitives (im2col_runs.go) on every path against their
// definition, for strides 1 and 2, runs of 1 to 100 floats (full and partial
// vectors), one or several rows, with and without gaps between the rows (no
// gap: the rows form one run). Every slice ends at an inaccessible page
// where the system allows it, so reading or writing past the last element
// a run touches crashes; elements between runs must keep their values.
func TestRunPrimitives(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	lengths := []int{1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 100}
	for _, path := range Paths() {
		usePath(t, path)
		k := runKernelsFor()
		for _, stride := range []int{1, 2, 3} {
			for _, rows := range []int{1, 2, 5} {
				for _, n := range lengths {
					for _, gap := range []int{0, 1, 5} {
						span := (n-1)*stride + 1 // floats a strided run covers
						name := fmt.Sprintf("%s: stride %d, %d rows of %d, gap %d", path, stride, rows, n, gap)

						// copy: strided source, packed destination
						srcStep, dstStep := n*stride+gap, n+gap
						src := guardedFloats(t, (rows-1)*srcStep+span)
						dst := guardedFloats(t, (rows-1)*dstStep+n)
						fillRandom(rng, src)
						fillRandom(rng, dst)
						want := append([]float32(nil), dst...)
						for i := range rows {
							for j := range n {
								want[i*dstStep+j] = src[i*srcStep+j*stride]
							}
						}
						copyRuns(k, dst, src, rows, n, dstStep, srcStep, stride)
						checkBits(t, "copyRuns "+name, dst, want)

						// zero: packed destination
						fillRandom(rng, dst)
						want = append(want[:0], dst...)
						for i := range rows {
							clear(want[i*dstStep:][:n])
						}
						zeroRuns(k, dst, rows, n, dstStep)
						checkBits(t, "zeroRuns "+name, dst, want)

						// add: packed source, strided destination
						srcStep, dstStep = n+gap, n*stride+gap
						src = guardedFloats(t, (rows-1)*srcStep+n)
						dst = guardedFloats(t, (rows-1)*dstStep+span)
						fillRandom(rng, src)
						fillRandom(rng, dst)
						want = append(want[:0], dst...)
						for i := range rows {
							for j := range n {
								want[i*dstStep+j*stride] += src[i*srcStep+j]
							}
						}
						addRuns(k, dst, src, rows, n, dstStep, srcStep, stride)
						checkBits(t, "addRuns "+name, dst, want)
					}
				}
			}
		}
	}
}

// permuteRows on every path against its definition: planes and rows of 1
// to 16 floats, taps with and without padding lanes (−1), one or several
// images, with gaps between them; every slice ends at an inaccessible page,
// and the floats between the rows must keep their values.
func TestPermuteRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, path := range Paths() {
		usePath(t, path)
		k := runKernelsFor()
		for hw := 1; hw <= tinyPlane; hw++ {
			for _, n := range []int{1, 2, 3, 4, 7, 8, 9, 15, 16} {
				for _, rows := range []int{1, 3} {
					for _, gap := range []int{0, 5} {
						tap := make([]int32, permTap)
						for q := range n {
							if rng.IntN(3) > 0 {
								tap[q] = int32(rng.IntN(hw))
								tap[tinyPlane] |= 1 << q
							} else {
								tap[q] = -1
							}
						}
						for q := n; q < tinyPlane; q++ {
							tap[q] = -1
						}
						dstStep, srcStep := n+gap, hw+gap
						src := guardedFloats(t, (rows-1)*srcStep+hw)
						dst := guardedFloats(t, (rows-1)*dstStep+n)
						fillRandom(rng, src)
						fillRandom(rng, dst)
						want := append([]float32(nil), dst...)
						for i := range rows {
							for q := range n {
								want[i*dstStep+q] = 0
								if j := tap[q]; j >= 0 {
									want[i*dstStep+q] = src[i*srcStep+int(j)]
								}
							}
						}
						permuteRows(k, dst, src, tap, rows, n, hw, dstStep, srcStep)
						checkBits(t, fmt.Sprintf("permuteRows %s: plane %d, %d rows of %d, gap %d", path, hw, rows, n, gap), dst, want)
					}
				}
			}
		}
	}
}

// The unfolding of tiny planes (permutations) against the definition of the
// column matrix, on every path, for kernels, strides, paddings and
// dilations that leave input and output planes of at most 16 floats, in
// folds of several images and in tiles of a few output pixels.
func TestIm2colTinyPlanes(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	var cases []ConvParams
	for _, hw := range [][2]int{{1, 1}, {2, 2}, {1, 3}, {3, 2}, {3, 3}, {4, 4}, {2, 8}} {
		for _, rs := range [][2]int{{1, 1}, {3, 3}, {5, 5}, {2, 3}} {
			// strides, paddings and dilations along H and W
			for _, sp := range [][6]int{{1, 1, 0, 0, 1, 1}, {1, 1, 1, 1, 1, 1}, {2, 2, 1, 1, 1, 1}, {1, 1, 2, 2, 2, 2}, {3, 3, 2, 2, 1, 1},
				{1, 2, 1, 0, 1, 1}, {2, 1, 0, 2, 1, 2}, {1, 1, 2, 1, 2, 1}} {
				p := ConvParams{N: 3, C: 2, H: hw[0], W: hw[1], K: 1, R: rs[0], S: rs[1],
					StrideH: sp[0], StrideW: sp[1], PadH: sp[2], PadW: sp[3], DilH: sp[4], DilW: sp[5], Groups: 1}
				if p.Validate() == nil && p.tinyPlanes() {
					cases = append(cases, p)
				}
			}
		}
	}
	if len(cases) < 40 {
		t.Fatalf("only %d tiny cases", len(cases))
	}
	for _, path := range Paths() {
		usePath(t, path)
		for _, p := range cases {
			x := make([]float32, p.N*p.C*p.H*p.W)
			fillRandom(rng, x)
			pix, rs := p.OutH()*p.OutW(), p.R*p.S
			for _, tile := range [][2]int{{0, pix}, {pix / 3, pix/3 + (pix+1)/2}} {
				tl := convTile{n0: 1, nb: 2, q0: tile[0], q1: tile[1]}
				span := tl.q1 - tl.q0
				rt := runTable{table: make([]int32, runTableLen(p, pix))}
				rt.build(p, tl.q0, tl.q1)
				col := guardedFloats(t, p.C*rs*tl.cols())
				fillRandom(rng, col)
				im2colRows(p, x, col, &rt, tl, 0, p.C*rs)
				for row := range p.C * rs {
					c, r, s := row/rs, row%rs/p.S, row%p.S
					for i := range tl.nb {
						for q := range span {
							oh, ow := (tl.q0+q)/p.OutW(), (tl.q0+q)%p.OutW()
							ih, iw := oh*p.StrideH+r*p.DilH-p.PadH, ow*p.StrideW+s*p.DilW-p.PadW
							var want float32
							if ih >= 0 && ih < p.H && iw >= 0 && iw < p.W {
								want = x[((tl.n0+i)*p.C+c)*p.H*p.W+ih*p.W+iw]
							}
							if got := col[row*tl.cols()+i*span+q]; math.Float32bits(got) != math.Float32bits(want) {
								t.Fatalf("%s, %v, pixels [%d, %d): row %d image %d pixel %d is %v, want %v", path, p, tl.q0, tl.q1, row, i, q, got, want)
							}
						}
					}
				}
			}
		}
	}
}

func fillRandom(rng *rand.Rand, s []float32) {
	for i := range s {
		s[i] = 2*rng.Float32() - 1
	}
}

func checkBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d is %v, want %v", what, i, got[i], want[i])
		}
	}
}

// smallMapShapes are the GEMM convolutions of the default comparison of
// cmd/train (vgg16_bn, resnet50, mobilenet_v3_large and efficientnet_b0 at
// 32×32, batch 64): stems, 3×3 layers on 32×32 down to 1×1 maps, strided
// 1×1 shortcuts, pointwise layers whose images are folded together, and
// depthwise layers on 8×8 down to 1×1 planes.
var smallMapShapes = []struct {
	name string
	p    ConvParams
}{
	{"3x3s1_c3_k8_32", conv(64, 3, 32, 32, 8, 3, 3, 1, 1, 1, 1)},
	{"3x3s1_c8_k8_32", conv(64, 8, 32, 32, 8, 3, 3, 1, 1, 1, 1)},
	{"7x7s2_c3_k16_32", conv(64, 3, 32, 32, 16, 7, 7, 2, 3, 1, 1)},
	{"3x3s2_c3_k8_32", conv(64, 3, 32, 32, 8, 3, 3, 2, 1, 1, 1)},
	{"3x3s1_c16_k16_16", conv(64, 16, 16, 16, 16, 3, 3, 1, 1, 1, 1)},
	{"3x3s1_c16_k16_8", conv(64, 16, 8, 8, 16, 3, 3, 1, 1, 1, 1)},
	{"3x3s1_c32_k32_8", conv(64, 32, 8, 8, 32, 3, 3, 1, 1, 1, 1)},
	{"3x3s2_c32_k32_8", conv(64, 32, 8, 8, 32, 3, 3, 2, 1, 1, 1)},
	{"3x3s1_c64_k64_4", conv(64, 64, 4, 4, 64, 3, 3, 1, 1, 1, 1)},
	{"3x3s1_c64_k64_2", conv(64, 64, 2, 2, 64, 3, 3, 1, 1, 1, 1)},
	{"3x3s2_c128_k128_2", conv(64, 128, 2, 2, 128, 3, 3, 2, 1, 1, 1)},
	{"3x3s1_c128_k128_1", conv(64, 128, 1, 1, 128, 3, 3, 1, 1, 1, 1)},
	{"1x1s2_c64_k128_8", conv(64, 64, 8, 8, 128, 1, 1, 2, 0, 1, 1)},
	{"1x1s1_c8_k24_16", conv(64, 8, 16, 16, 24, 1, 1, 1, 0, 1, 1)},
	{"1x1s1_c16_k64_8", conv(64, 16, 8, 8, 64, 1, 1, 1, 0, 1, 1)},
	{"1x1s1_c32_k128_4", conv(64, 32, 4, 4, 128, 1, 1, 1, 0, 1, 1)},
	{"1x1s1_c256_k64_2", conv(64, 256, 2, 2, 64, 1, 1, 1, 0, 1, 1)},
	{"1x1s1_c288_k48_1", conv(64, 288, 1, 1, 48, 1, 1, 1, 0, 1, 1)},
	// depthwise layers of mobilenet_v3_large and efficientnet_b0 (width 1/2)
	// on small planes
	{"dw3x3s1_c48_8", conv(64, 48, 8, 8, 48, 3, 3, 1, 1, 1, 48)},
	{"dw5x5s2_c72_8", conv(64, 72, 8, 8, 72, 5, 5, 2, 2, 1, 72)},
	{"dw3x3s1_c96_4", conv(64, 96, 4, 4, 96, 3, 3, 1, 1, 1, 96)},
	{"dw5x5s1_c144_4", conv(64, 144, 4, 4, 144, 5, 5, 1, 2, 1, 144)},
	{"dw3x3s2_c120_4", conv(64, 120, 4, 4, 120, 3, 3, 2, 1, 1, 120)},
	{"dw5x5s1_c336_2", conv(64, 336, 2, 2, 336, 5, 5, 1, 2, 1, 336)},
	{"dw5x5s1_c576_1", conv(64, 576, 1, 1, 576, 5, 5, 1, 2, 1, 576)},
}

// BenchmarkConvSmallMaps times the three passes of each convolution of
// smallMapShapes with the planned algorithm and tiling, and the unfolding
// (of the GEMM convolutions) alone (im2col of the whole batch, tile by tile):
//
//	go test -run '^$' -bench ConvSmallMaps -benchtime 0.3s ./kernels
func BenchmarkConvSmallMaps(b *testing.B) {
	for _, s := range smallMapShapes {
		p := s.p
		rng := rand.New(rand.NewPCG(1, uint64(p.C)))
		pix := p.OutH() * p.OutW()
		x, w := convRandSlice(rng, p.N*p.C*p.H*p.W), convRandSlice(rng, p.K*p.C/p.Groups*p.R*p.S)
		y, dy := make([]float32, p.N*p.K*pix), convRandSlice(rng, p.N*p.K*pix)
		dx, dw := make([]float32, len(x)), make([]float32, len(w))
		ws := make([]float32, ConvWorkspaceSize(p))
		flops := 2 * float64(p.N*p.K*pix*p.C/p.Groups*p.R*p.S)
		for _, pass := range []struct {
			name string
			run  func()
		}{
			{"fwd", func() { Conv2dForward(p, x, w, nil, y, ws) }},
			{"bwd_data", func() { Conv2dBackwardData(p, dy, w, dx, ws) }},
			{"bwd_filter", func() { Conv2dBackwardFilter(p, x, dy, dw, ws) }},
		} {
			b.Run(fmt.Sprintf("%s/%s", s.name, pass.name), func(b *testing.B) {
				cpu := processCPUTime()
				for b.Loop() {
					pass.run()
				}
				reportCPU(b, cpu)
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
		algo := ChooseConvAlgo(p)
		t := planConv(p, algo)
		if algo == Depthwise || !t.packed {
			continue
		}
		b.Run(s.name+"/im2col", func(b *testing.B) {
			cpu := processCPUTime()
			for b.Loop() {
				t.run(p, ws, func(s *convSlot, tl convTile) { im2col(p, x, s.col, &s.runs, tl) })
			}
			reportCPU(b, cpu)
			b.ReportMetric(float64(p.N*p.C*p.R*p.S*pix)*4*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}

// reportCPU reports the process's CPU time per operation since cpu (where
// it is measured): with t threads fully busy it is about t times ns/op, and
// unlike ns/op it does not grow while the benchmark waits for a core that
// other work holds.
func reportCPU(b *testing.B, cpu time.Duration) {
	if now := processCPUTime(); now > 0 {
		b.ReportMetric(float64(now-cpu)/float64(b.N), "cpu-ns/op")
	}
}

// TestTilingAlignsToCacheLines checks that the forward pass's bands, when
// narrower than the image, are a whole number of cache lines wide and that every slot of the workspace,
// in every pass's tiling, is a whole number of lines long, so each row of a
// column buffer starts on a cache line when the workspace does.
func TestTilingAlignsToCacheLines(t *testing.T) {
	shapes := append([]ConvParams{
		conv(1, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1),    // ResNet-50 layer1: 455 → 448 columns a band
		conv(1, 3, 224, 224, 64, 7, 7, 2, 3, 1, 1),   // the 7×7 stem
		conv(1, 128, 56, 56, 128, 3, 3, 2, 1, 1, 1),  // strided
		conv(16, 256, 14, 14, 256, 3, 3, 1, 1, 1, 1), // folded images
		conv(4, 17, 9, 11, 5, 3, 3, 1, 1, 1, 1),      // odd sizes
	}, pipelineShapes...)
	for _, p := range shapes {
		base := planConv(p, ChooseConvAlgo(p))
		if f, pix := base.forward(p), p.OutH()*p.OutW(); f.pixels < pix && f.pixels%lineFloats != 0 {
			t.Errorf("%v: forward bands of %d columns, not a multiple of %d", p, f.pixels, lineFloats)
		}
		for _, tl := range []convTiling{base, base.forward(p), base.backward(p)} {
			if n := tl.slotFloats(p); n%lineFloats != 0 {
				t.Errorf("%v: a slot of %d floats, not a multiple of %d", p, n, lineFloats)
			}
		}
	}
}
