package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Tests of the batch-norm kernels against a float64 transcription of the
// definition: forward in both modes, the training-mode backward against float64
// finite differences of that definition (so the gradient through the batch
// statistics is checked independently of the kernel's closed form), the
// running-statistics update, and thread-count determinism.

// bnCase is one batch-norm problem with random data and parameters.
type bnCase struct {
	n, c, hw                        int
	x, gamma, beta, runMean, runVar []float32
}

func newBNCase(rng *rand.Rand, n, c, hw int) bnCase {
	uniform := func(k int, lo, hi float64) []float32 {
		s := make([]float32, k)
		for i := range s {
			s[i] = float32(lo + (hi-lo)*rng.Float64())
		}
		return s
	}
	return bnCase{n: n, c: c, hw: hw,
		x:       uniform(n*c*hw, -2, 3),
		gamma:   uniform(c, 0.5, 1.5),
		beta:    uniform(c, -0.5, 0.5),
		runMean: uniform(c, -0.3, 0.3),
		runVar:  uniform(c, 0.5, 2),
	}
}

// bnForward64 is the definition in float64: normalise each channel with the
// batch's mean and biased variance (training) or with mean and variance
// given, then scale and shift.
func bnForward64(bc bnCase, x []float64, training bool, eps float64) []float64 {
	y := make([]float64, len(x))
	m := float64(bc.n * bc.hw)
	for ch := range bc.c {
		at := func(i, j int) int { return (i*bc.c+ch)*bc.hw + j }
		mean, variance := float64(bc.runMean[ch]), float64(bc.runVar[ch])
		if training {
			mean, variance = 0, 0
			for i := range bc.n {
				for j := range bc.hw {
					mean += x[at(i, j)] / m
				}
			}
			for i := range bc.n {
				for j := range bc.hw {
					variance += (x[at(i, j)] - mean) * (x[at(i, j)] - mean) / m
				}
			}
		}
		for i := range bc.n {
			for j := range bc.hw {
				y[at(i, j)] = (x[at(i, j)]-mean)/math.Sqrt(variance+eps)*float64(bc.gamma[ch]) + float64(bc.beta[ch])
			}
		}
	}
	return y
}

func to64(s []float32) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out
}

func closeTo64(t *testing.T, what string, got []float32, want []float64, atol, rtol float64) {
	t.Helper()
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > atol+rtol*math.Abs(want[i]) {
			t.Errorf("%s[%d] = %.7g, want %.7g", what, i, got[i], want[i])
			return
		}
	}
}

func TestBatchNormForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	bc := newBNCase(rng, 3, 4, 7)
	const eps = 1e-3
	total := bc.n * bc.c * bc.hw
	y, mean, invStd, unb := make([]float32, total), make([]float32, bc.c), make([]float32, bc.c), make([]float32, bc.c)
	BatchNormTrainForward(bc.n, bc.c, bc.hw, bc.x, bc.gamma, bc.beta, eps, y, mean, invStd, unb)
	closeTo64(t, "train y", y, bnForward64(bc, to64(bc.x), true, eps), 1e-6, 1e-6)

	// The saved statistics normalise the data, and the unbiased variance is
	// the biased one times m/(m−1).
	m := float64(bc.n * bc.hw)
	for ch := range bc.c {
		var sum, sq float64
		for i := range bc.n {
			for _, v := range bc.x[(i*bc.c+ch)*bc.hw : (i*bc.c+ch+1)*bc.hw] {
				sum += float64(v)
				sq += float64(v) * float64(v)
			}
		}
		mu := sum / m
		biased := sq/m - mu*mu
		closeTo64(t, "mean", mean[ch:ch+1], []float64{mu}, 1e-7, 1e-6)
		closeTo64(t, "invStd", invStd[ch:ch+1], []float64{1 / math.Sqrt(biased+eps)}, 0, 1e-6)
		closeTo64(t, "unbiased variance", unb[ch:ch+1], []float64{biased * m / (m - 1)}, 0, 1e-6)
	}

	BatchNormInferForward(bc.n, bc.c, bc.hw, bc.x, bc.gamma, bc.beta, bc.runMean, bc.runVar, eps, y)
	closeTo64(t, "eval y", y, bnForward64(bc, to64(bc.x), false, eps), 1e-6, 1e-6)

	// affine=False: nil gamma and beta mean 1 and 0.
	plain := bc
	plain.gamma, plain.beta = slices.Repeat([]float32{1}, bc.c), make([]float32, bc.c)
	BatchNormTrainForward(bc.n, bc.c, bc.hw, bc.x, nil, nil, eps, y, mean, invStd, nil)
	closeTo64(t, "train y without affine", y, bnForward64(plain, to64(bc.x), true, eps), 1e-6, 1e-6)
}

// TestBatchNormBackward checks dx, dgamma and dbeta in both modes against
// float64 central differences of L = Σ y·r, and that they accumulate.
func TestBatchNormBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	bc := newBNCase(rng, 2, 3, 5)
	const eps = 1e-5
	total := bc.n * bc.c * bc.hw
	r := make([]float64, total)
	dy := make([]float32, total)
	for i := range r {
		dy[i] = float32(rng.Float64()*2 - 1)
		r[i] = float64(dy[i])
	}
	loss := func(b bnCase, x []float64, training bool) float64 {
		var s float64
		for i, v := range bnForward64(b, x, training, eps) {
			s += v * r[i]
		}
		return s
	}
	const h = 1e-6
	for _, training := range []bool{true, false} {
		mean, invStd := make([]float32, bc.c), make([]float32, bc.c)
		if training {
			BatchNormTrainForward(bc.n, bc.c, bc.hw, bc.x, bc.gamma, bc.beta, eps, make([]float32, total), mean, invStd, nil)
		} else {
			copy(mean, bc.runMean)
			BatchNormInvStd(bc.runVar, eps, invStd)
		}
		const prior = 0.5 // every gradient starts here, to check accumulation
		dx := slices.Repeat([]float32{prior}, total)
		dgamma, dbeta := slices.Repeat([]float32{prior}, bc.c), slices.Repeat([]float32{prior}, bc.c)
		BatchNormBackward(training, bc.n, bc.c, bc.hw, bc.x, bc.gamma, mean, invStd, dy, dx, dgamma, dbeta)

		x := to64(bc.x)
		wantDx := make([]float64, total)
		for i := range x {
			old := x[i]
			x[i] = old + h
			plus := loss(bc, x, training)
			x[i] = old - h
			minus := loss(bc, x, training)
			x[i] = old
			wantDx[i] = prior + (plus-minus)/(2*h)
		}
		wantDgamma, wantDbeta := make([]float64, bc.c), make([]float64, bc.c)
		for ch := range bc.c {
			for _, p := range []struct {
				params []float32
				want   []float64
			}{{bc.gamma, wantDgamma}, {bc.beta, wantDbeta}} {
				// L is linear in gamma and beta, so a wide step is exact once
				// divided by the step float32 really took.
				old := p.params[ch]
				hi, lo := old+1e-3, old-1e-3
				p.params[ch] = hi
				plus := loss(bc, x, training)
				p.params[ch] = lo
				minus := loss(bc, x, training)
				p.params[ch] = old
				p.want[ch] = prior + (plus-minus)/float64(hi-lo)
			}
		}
		mode := map[bool]string{true: "train", false: "eval"}[training]
		closeTo64(t, mode+" dx", dx, wantDx, 1e-5, 1e-5)
		closeTo64(t, mode+" dgamma", dgamma, wantDgamma, 1e-5, 1e-5)
		closeTo64(t, mode+" dbeta", dbeta, wantDbeta, 1e-5, 1e-5)
	}
}

// TestBatchNormChunksHoldWholeGroups checks that the training passes'
// chunks of channels are whole groups (small maps) or whole fours.
func TestBatchNormChunksHoldWholeGroups(t *testing.T) {
	for _, s := range [][3]int{{336, 4, 64}, {128, 16, 64}, {64, 64, 64}, {480, 1, 64}, {16, 1024, 64}, {7, 9, 2}} {
		c, hw, n := s[0], s[1], s[2]
		group, step, grain := bnChunks(c, hw, n*hw)
		want := bnQuad
		if group > 1 {
			want = group
		}
		if grain%want != 0 || step != want {
			t.Errorf("c=%d hw=%d: group %d, step %d, grain %d", c, hw, group, step, grain)
		}
	}
}

func TestBatchNormUpdateRunning(t *testing.T) {
	runMean, runVar := []float32{1, -2}, []float32{0.5, 4}
	BatchNormUpdateRunning(runMean, runVar, []float32{3, 2}, []float32{1.5, 0}, 0.1)
	closeTo64(t, "running mean", runMean, []float64{0.9*1 + 0.1*3, 0.9*-2 + 0.1*2}, 0, 1e-7)
	closeTo64(t, "running var", runVar, []float64{0.9*0.5 + 0.1*1.5, 0.9 * 4}, 0, 1e-7)
}

func TestBatchNormDeterministicAcrossThreads(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	// Large maps, few channels split over image blocks, and many small maps
	// grouped side by side.
	for _, sh := range [][3]int{{4, 9, 3001}, {64, 3, 1024}, {16, 300, 1}, {64, 64, 16}} {
		bc := newBNCase(rng, sh[0], sh[1], sh[2])
		dy := bnFill(rng, len(bc.x), -1, 1)
		run := func(threads int) map[string][]float32 {
			defer SetThreads(SetThreads(threads))
			return bnOutputs(bc, dy, BatchNormTrainForward, BatchNormInferForward, BatchNormBackward)
		}
		one, two, three := run(1), run(2), run(3)
		for name := range one {
			if !slices.Equal(one[name], two[name]) || !slices.Equal(one[name], three[name]) {
				t.Errorf("n, c, hw = %v: %s differs between 1, 2 and 3 threads", sh, name)
			}
		}
	}
}

func TestBatchNormNeedsTwoValuesPerChannel(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("training batch norm on one value per channel did not panic")
		}
	}()
	one := []float32{1, 2}
	BatchNormTrainForward(1, 2, 1, one, nil, nil, 1e-5, make([]float32, 2), make([]float32, 2), make([]float32, 2), nil)
}

// bnShapes are (n, c, hw) cases for the fast kernels: ragged widths around
// the SIMD strips (8 and 16 columns), channel groups of several small maps,
// maps larger than a tile (bnTile), single images, and few channels with
// much work each (split over blocks of images).
var bnShapes = [][3]int{
	{2, 1, 1}, {1, 3, 5}, {3, 2, 7}, {2, 5, 9}, {4, 17, 1}, {3, 40, 1},
	{5, 300, 1}, {2, 70, 4}, {3, 13, 16}, {2, 9, 49}, {2, 3, 300},
	{1, 2, 700}, {3, 4, 513}, {64, 3, 1024}, {40, 1, 1500}, {7, 6, 2000},
	{64, 9, 64},
}

// bnFill returns k values spread over [lo, hi).
func bnFill(rng *rand.Rand, k int, lo, hi float64) []float32 {
	s := make([]float32, k)
	for i := range s {
		s[i] = float32(lo + (hi-lo)*rng.Float64())
	}
	return s
}

// bnOutputs runs the three fast kernels (training forward, training
// backward, eval forward and eval backward) on one case and returns every
// output.
func bnOutputs(bc bnCase, dy []float32, forward func(n, c, hw int, x, gamma, beta []float32, eps float64, y, mean, invStd, unbiasedVar []float32),
	infer func(n, c, hw int, x, gamma, beta, runMean, runVar []float32, eps float64, y []float32),
	backward func(training bool, n, c, hw int, x, gamma, mean, invStd, dy, dx, dgamma, dbeta []float32)) map[string][]float32 {
	n, c, hw := bc.n, bc.c, bc.hw
	total := n * c * hw
	out := map[string][]float32{
		"y": make([]float32, total), "mean": make([]float32, c), "invStd": make([]float32, c), "unbiased": make([]float32, c),
		"dx": slices.Repeat([]float32{0.25}, total), "dgamma": slices.Repeat([]float32{0.5}, c), "dbeta": slices.Repeat([]float32{-1}, c),
		"eval y": make([]float32, total), "eval dx": make([]float32, total), "eval dgamma": make([]float32, c),
	}
	forward(n, c, hw, bc.x, bc.gamma, bc.beta, 1e-5, out["y"], out["mean"], out["invStd"], out["unbiased"])
	backward(true, n, c, hw, bc.x, bc.gamma, out["mean"], out["invStd"], dy, out["dx"], out["dgamma"], out["dbeta"])
	infer(n, c, hw, bc.x, bc.gamma, bc.beta, bc.runMean, bc.runVar, 1e-3, out["eval y"])
	evalInvStd := make([]float32, c)
	BatchNormInvStd(bc.runVar, 1e-3, evalInvStd)
	backward(false, n, c, hw, bc.x, nil, bc.runMean, evalInvStd, dy, out["eval dx"], out["eval dgamma"], nil)
	return out
}

// TestBatchNormMatchesReference compares the fast kernels with the plain
// references on every dispatch path, over ragged shapes.
func TestBatchNormMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	cases, dys, wants := make([]bnCase, len(bnShapes)), make([][]float32, len(bnShapes)), make([]map[string][]float32, len(bnShapes))
	for i, sh := range bnShapes {
		cases[i] = newBNCase(rng, sh[0], sh[1], sh[2])
		dys[i] = bnFill(rng, len(cases[i].x), -1, 1)
		wants[i] = bnOutputs(cases[i], dys[i], BatchNormTrainForwardRef, BatchNormInferForwardRef, BatchNormBackwardRef)
	}
	forEachPath(t, func(t *testing.T) {
		for i, bc := range cases {
			got := bnOutputs(bc, dys[i], BatchNormTrainForward, BatchNormInferForward, BatchNormBackward)
			for name, want := range wants[i] {
				// The eval forward pass and the eval dx are the same
				// arithmetic as the reference; everything else depends on
				// sums taken in another order.
				atol, rtol := 2e-6, 2e-6
				switch name {
				case "eval y", "eval dx":
					atol, rtol = 0, 0
				case "dgamma", "dbeta", "eval dgamma": // sums of n·hw float32 products
					atol = 1e-6 * math.Sqrt(float64(len(bc.x)))
				}
				for j := range want {
					if d := math.Abs(float64(got[name][j] - want[j])); d > atol+rtol*math.Abs(float64(want[j])) {
						t.Fatalf("n, c, hw = %v: %s[%d] = %.8g, reference %.8g", bnShapes[i], name, j, got[name][j], want[j])
					}
				}
			}
		}
	})
}

// TestBatchNormSameBitsOnEveryPath checks that the dispatch paths agree to
// the bit: the SIMD column kernels do the Go loops' operations in the same
// order.
func TestBatchNormSameBitsOnEveryPath(t *testing.T) {
	first := map[int]map[string][]float32{}
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(13, 14)) // the same data on every path
		for i, sh := range bnShapes {
			bc := newBNCase(rng, sh[0], sh[1], sh[2])
			got := bnOutputs(bc, bnFill(rng, len(bc.x), -1, 1), BatchNormTrainForward, BatchNormInferForward, BatchNormBackward)
			if first[i] == nil {
				first[i] = got
				continue
			}
			for name, want := range first[i] {
				if !slices.Equal(got[name], want) {
					t.Errorf("n, c, hw = %v: %s differs from the %s path", sh, name, Paths()[0])
				}
			}
		}
	})
}

// BatchNormBackwardSet writes into dx (NaN here) what BatchNormBackward adds
// to zeros, in training and in evaluation, on every path and shape (the
// few-channel split included), and adds dgamma and dbeta as it does.
func TestBatchNormBackwardSet(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(19, 20))
		for _, sh := range bnShapes {
			bc := newBNCase(rng, sh[0], sh[1], sh[2])
			n, c, hw := bc.n, bc.c, bc.hw
			dy := bnFill(rng, len(bc.x), -1, 1)
			y, mean, invStd, uv := make([]float32, len(bc.x)), make([]float32, c), make([]float32, c), make([]float32, c)
			BatchNormTrainForward(n, c, hw, bc.x, bc.gamma, bc.beta, 1e-5, y, mean, invStd, uv)
			for _, training := range []bool{true, false} {
				want, got := make([]float32, len(bc.x)), nanSlice(len(bc.x))
				wg, wb, gg, gb := make([]float32, c), make([]float32, c), make([]float32, c), make([]float32, c)
				BatchNormBackward(training, n, c, hw, bc.x, bc.gamma, mean, invStd, dy, want, wg, wb)
				BatchNormBackwardSet(training, n, c, hw, bc.x, bc.gamma, mean, invStd, dy, got, gg, gb)
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("n, c, hw = %v, training %v: dx[%d] = %v, want %v", sh, training, i, got[i], want[i])
					}
				}
				if !slices.Equal(gg, wg) || !slices.Equal(gb, wb) {
					t.Fatalf("n, c, hw = %v, training %v: dgamma or dbeta differ", sh, training)
				}
			}
		}
	})
}

// TestBatchNormColumnKernels checks each column kernel of the current path
// against its Go loop, bit for bit, on blocks of every width up to three
// strips, with rows further apart than the block is wide.
func TestBatchNormColumnKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	forEachPath(t, func(t *testing.T) {
		for cols := 1; cols <= 50; cols++ {
			for _, rows := range []int{1, 2, 5} {
				stride := cols + 3
				size := (rows-1)*stride + cols
				x, dy, dx := bnFill(rng, size, -2, 3), bnFill(rng, size, -1, 1), bnFill(rng, size, -1, 1)
				k64 := make([]float64, cols)
				for i := range k64 {
					k64[i] = rng.Float64()
				}
				co := [4][]float32{bnFill(rng, cols, -1, 1), bnFill(rng, cols, -1, 1), bnFill(rng, cols, -1, 1), bnFill(rng, cols, -1, 1)}
				for _, kernel := range []string{"sums", "dots"} {
					s1, s2 := bnFill(rng, cols, -1, 1), bnFill(rng, cols, -1, 1)
					got1, got2, want1, want2 := to64(s1), to64(s2), to64(s1), to64(s2)
					if kernel == "sums" {
						bnColSums(x, stride, rows, k64, got1, got2)
						bnColSumsGo(x, stride, rows, k64, want1, want2)
					} else {
						bnColDots(dy, x, stride, rows, k64, got1, got2)
						bnColDotsGo(dy, x, stride, rows, k64, want1, want2)
					}
					if !slices.Equal(got1, want1) || !slices.Equal(got2, want2) {
						t.Fatalf("bnCol%s, %d rows × %d columns: differs from the Go loop", kernel, rows, cols)
					}
				}
				y, want := slices.Clone(dx), slices.Clone(dx)
				bnNormRows(x, y, stride, rows, co[0], co[1], co[2])
				bnNormRowsGo(x, want, stride, rows, co[0], co[1], co[2])
				if !slices.Equal(y, want) {
					t.Fatalf("bnNormRows, %d rows × %d columns: differs from the Go loop", rows, cols)
				}
				inPlace, want := slices.Clone(x), slices.Clone(x) // the last strip must not redo columns here
				bnNormRows(inPlace, inPlace, stride, rows, co[0], co[1], co[2])
				bnNormRowsGo(want, want, stride, rows, co[0], co[1], co[2])
				if !slices.Equal(inPlace, want) {
					t.Fatalf("bnNormRows in place, %d rows × %d columns: differs from the Go loop", rows, cols)
				}
				for _, add := range []bool{true, false} {
					got, want := slices.Clone(dx), slices.Clone(dx)
					bnDxRows(dy, x, got, stride, rows, co[0], co[1], co[2], co[3], add)
					bnDxRowsGo(dy, x, want, stride, rows, co[0], co[1], co[2], co[3], add)
					if !slices.Equal(got, want) {
						t.Fatalf("bnDxRows (add %v), %d rows × %d columns: differs from the Go loop", add, rows, cols)
					}
					got, want = slices.Clone(dy), slices.Clone(dy) // dx written over dy
					bnDxRows(got, x, got, stride, rows, co[0], co[1], co[2], co[3], add)
					bnDxRowsGo(want, x, want, stride, rows, co[0], co[1], co[2], co[3], add)
					if !slices.Equal(got, want) {
						t.Fatalf("bnDxRows (add %v) in place of dy, %d rows × %d columns: differs from the Go loop", add, rows, cols)
					}
				}
			}
		}
	})
}

// TestBatchNormFarFromZero checks the one-pass statistics on data whose
// mean is ten thousand standard deviations from zero, where the textbook
// one-pass formula Σx²/m − mean² would lose every digit of the variance in
// float32 and half of them in float64, and where the first value of two
// channels, the shift of their sums, is a thousand standard deviations off.
// TestBNChannelSumsSameBits checks that summing four channels side by side
// gives each channel the bits of summing it alone, on every path, with
// ragged last tiles, one or several images, and fewer than four channels.
func TestBNChannelSumsSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, path := range Paths() {
		usePath(t, path)
		for _, sh := range [][3]int{{1, 6, 12544}, {3, 5, 300}, {2, 4, 129}, {1, 3, 1000}} {
			n, c, hw := sh[0], sh[1], sh[2]
			x, dy := bnFill(rng, n*c*hw, -3, 5), bnFill(rng, n*c*hw, -1, 1)
			for _, d := range [][]float32{nil, dy} {
				for r0 := 0; r0 < n; r0++ {
					for g0 := 0; g0 < c; g0 += bnQuad {
						g1 := min(c, g0+bnQuad)
						center := make([]float64, g1-g0)
						for i := range center {
							center[i] = float64(x[(g0+i)*hw]) + 0.25
						}
						a, b := make([]float64, len(center)), make([]float64, len(center))
						bnChannelSums(x, d, c, hw, r0, n, g0, g1, center, a, b)
						for i := range center {
							wa, wb := []float64{0}, []float64{0}
							bnGroupSums(x, d, c, hw, r0, n, g0+i, g0+i+1, center[i:i+1], wa, wb)
							if math.Float64bits(a[i]) != math.Float64bits(wa[0]) || math.Float64bits(b[i]) != math.Float64bits(wb[0]) {
								t.Fatalf("%s, n=%d c=%d hw=%d, images from %d, dy %v: channel %d sums %v, %v; alone %v, %v", path, n, c, hw, r0, d != nil, g0+i, a[i], b[i], wa[0], wb[0])
							}
						}
					}
				}
			}
		}
	}
}

func TestBatchNormFarFromZero(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	bc := newBNCase(rng, 64, 4, 1024)
	for i := range bc.x {
		bc.x[i] = 3e4 + float32(rng.NormFloat64()*3)
	}
	bc.x[0], bc.x[bc.hw] = 3e4+3000, 3e4-3000
	total := len(bc.x)
	want := [4][]float32{make([]float32, total), make([]float32, bc.c), make([]float32, bc.c), make([]float32, bc.c)}
	got := [4][]float32{make([]float32, total), make([]float32, bc.c), make([]float32, bc.c), make([]float32, bc.c)}
	BatchNormTrainForwardRef(bc.n, bc.c, bc.hw, bc.x, bc.gamma, bc.beta, 1e-5, want[0], want[1], want[2], want[3])
	BatchNormTrainForward(bc.n, bc.c, bc.hw, bc.x, bc.gamma, bc.beta, 1e-5, got[0], got[1], got[2], got[3])
	closeTo64(t, "y", got[0], to64(want[0]), 1e-5, 0)
	closeTo64(t, "mean", got[1], to64(want[1]), 0, 1e-7)
	closeTo64(t, "invStd", got[2], to64(want[2]), 0, 1e-6)
	closeTo64(t, "unbiased variance", got[3], to64(want[3]), 0, 1e-6)
}

// BenchmarkBatchNorm times a training step's batch norm (forward, then
// backward) on the shapes of the small CNNs of bench SmallTrainStep, for the
// reference and for the fast kernels on one and two threads:
//
//	go test ./kernels -run '^$' -bench BatchNorm -benchtime 0.3s
func BenchmarkBatchNorm(b *testing.B) {
	rng := rand.New(rand.NewPCG(19, 20))
	for _, sh := range [][3]int{{64, 8, 1024}, {64, 24, 256}, {64, 64, 64}, {64, 96, 16}, {64, 256, 4}, {64, 512, 1}, {1, 64, 3136}} {
		bc := newBNCase(rng, sh[0], sh[1], sh[2])
		dy := bnFill(rng, len(bc.x), -1, 1)
		y, dx := make([]float32, len(bc.x)), make([]float32, len(bc.x))
		mean, invStd, unb, dgamma, dbeta := make([]float32, bc.c), make([]float32, bc.c), make([]float32, bc.c), make([]float32, bc.c), make([]float32, bc.c)
		for _, v := range []struct {
			name     string
			threads  int
			forward  func(n, c, hw int, x, gamma, beta []float32, eps float64, y, mean, invStd, unbiasedVar []float32)
			backward func(training bool, n, c, hw int, x, gamma, mean, invStd, dy, dx, dgamma, dbeta []float32)
		}{
			{"ref", 1, BatchNormTrainForwardRef, BatchNormBackwardRef},
			{"fast", 1, BatchNormTrainForward, BatchNormBackward},
			{"fast", 2, BatchNormTrainForward, BatchNormBackward},
		} {
			b.Run(fmt.Sprintf("n=%d,c=%d,hw=%d/%s/threads=%d", sh[0], sh[1], sh[2], v.name, v.threads), func(b *testing.B) {
				defer SetThreads(SetThreads(v.threads))
				b.SetBytes(int64(4 * len(bc.x)))
				for b.Loop() {
					v.forward(bc.n, bc.c, bc.hw, bc.x, bc.gamma, bc.beta, 1e-5, y, mean, invStd, unb)
					v.backward(true, bc.n, bc.c, bc.hw, bc.x, bc.gamma, mean, invStd, dy, dx, dgamma, dbeta)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(bc.x)), "ns/value")
			})
		}
	}
}

// BenchmarkBatchNormReLU times batch norm followed by ReLU in training, as
// two passes each way (BatchNormTrainForward then ActForward in place;
// ActBackwardSet into a buffer then BatchNormBackwardSet) and as one
// (BatchNormTrainForwardAct; BatchNormBackwardSetAct, which makes ReLU's
// gradient in dx as it goes). On small maps both take the separate pass
// (bnActMinRun).
//
//	go test -run '^$' -bench BatchNormReLU ./kernels
func BenchmarkBatchNormReLU(b *testing.B) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, sh := range [][3]int{{64, 16, 1024}, {64, 64, 64}, {64, 256, 4}, {16, 64, 3136}, {16, 256, 196}} {
		bc := newBNCase(rng, sh[0], sh[1], sh[2])
		z, dz, dy, dx := make([]float32, len(bc.x)), bnFill(rng, len(bc.x), -1, 1), make([]float32, len(bc.x)), make([]float32, len(bc.x))
		mean, invStd, unb := make([]float32, bc.c), make([]float32, bc.c), make([]float32, bc.c)
		dgamma, dbeta := make([]float32, bc.c), make([]float32, bc.c)
		for _, v := range []struct {
			name string
			run  func()
		}{
			{"fwd/two_passes", func() {
				BatchNormTrainForward(bc.n, bc.c, bc.hw, bc.x, bc.gamma, bc.beta, 1e-5, z, mean, invStd, unb)
				ActForward(ReLU, z, z)
			}},
			{"fwd/fused", func() {
				BatchNormTrainForwardAct(bc.n, bc.c, bc.hw, bc.x, bc.gamma, bc.beta, 1e-5, z, mean, invStd, unb, ReLU)
			}},
			{"bwd/two_passes", func() {
				ActBackwardSet(ReLU, z, z, dz, dy)
				BatchNormBackwardSet(true, bc.n, bc.c, bc.hw, bc.x, bc.gamma, mean, invStd, dy, dx, dgamma, dbeta)
			}},
			{"bwd/fused", func() {
				BatchNormBackwardSetAct(true, bc.n, bc.c, bc.hw, bc.x, bc.gamma, mean, invStd, z, dz, dx, dgamma, dbeta, ReLU)
			}},
		} {
			b.Run(fmt.Sprintf("n=%d,c=%d,hw=%d/%s", sh[0], sh[1], sh[2], v.name), func(b *testing.B) {
				b.SetBytes(int64(4 * len(bc.x)))
				for b.Loop() {
					v.run()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(bc.x)), "ns/value")
			})
		}
	}
}

// TestBatchNormActSameBits checks that the forward passes with an
// activation give the bits of the plain pass followed by ActForward, in
// training (statistics included) and in evaluation, on every path and
// shape (the few-channel split, groups of small maps and large maps).
func TestBatchNormActSameBits(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(17, 18))
		for _, sh := range bnShapes {
			bc := newBNCase(rng, sh[0], sh[1], sh[2])
			n, c, hw := bc.n, bc.c, bc.hw
			for _, act := range []Act{ReLU, ReLU6, Hardswish, SiLU} {
				want, got := make([]float32, n*c*hw), make([]float32, n*c*hw)
				stats := make([][]float32, 6)
				for i := range stats {
					stats[i] = make([]float32, c)
				}
				BatchNormTrainForward(n, c, hw, bc.x, bc.gamma, bc.beta, 1e-5, want, stats[0], stats[1], stats[2])
				ActForward(act, want, want)
				BatchNormTrainForwardAct(n, c, hw, bc.x, bc.gamma, bc.beta, 1e-5, got, stats[3], stats[4], stats[5], act)
				if !slices.Equal(got, want) || !slices.Equal(stats[0], stats[3]) || !slices.Equal(stats[1], stats[4]) || !slices.Equal(stats[2], stats[5]) {
					t.Fatalf("n, c, hw = %v, %v: training forward with the activation differs from the two passes", sh, act)
				}
				BatchNormInferForward(n, c, hw, bc.x, bc.gamma, bc.beta, bc.runMean, bc.runVar, 1e-3, want)
				ActForward(act, want, want)
				BatchNormInferForwardAct(n, c, hw, bc.x, bc.gamma, bc.beta, bc.runMean, bc.runVar, 1e-3, got, act)
				if !slices.Equal(got, want) {
					t.Fatalf("n, c, hw = %v, %v: eval forward with the activation differs from the two passes", sh, act)
				}
			}
		}
	})
}

// TestBatchNormBackwardSetActSameBits checks the backward pass that makes
// the activation's gradient in dx against ActBackwardSet into a buffer and
// BatchNormBackwardSet from it, bit for bit: dx, dgamma and dbeta, in
// training and in evaluation, with and without the parameters' gradients,
// on every path and shape (the few-channel split, chunks with their own
// pass and chunks made as they are read).
func TestBatchNormBackwardSetActSameBits(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(23, 24))
		for _, sh := range bnShapes {
			bc := newBNCase(rng, sh[0], sh[1], sh[2])
			n, c, hw := bc.n, bc.c, bc.hw
			mean, invStd := make([]float32, c), make([]float32, c)
			dz := bnFill(rng, len(bc.x), -1, 1)
			for _, act := range []Act{ReLU, ReLU6} {
				z := make([]float32, len(bc.x))
				BatchNormTrainForwardAct(n, c, hw, bc.x, bc.gamma, bc.beta, 1e-5, z, mean, invStd, nil, act)
				for _, training := range []bool{true, false} {
					for _, params := range []bool{true, false} {
						grads := func() (dgamma, dbeta []float32) {
							if params {
								return slices.Repeat([]float32{0.5}, c), slices.Repeat([]float32{-1}, c)
							}
							return nil, nil
						}
						dy, wantDx := make([]float32, len(bc.x)), make([]float32, len(bc.x))
						wantG, wantB := grads()
						ActBackwardSet(act, z, z, dz, dy)
						BatchNormBackwardSet(training, n, c, hw, bc.x, bc.gamma, mean, invStd, dy, wantDx, wantG, wantB)
						gotDx := slices.Repeat([]float32{float32(math.NaN())}, len(bc.x))
						gotG, gotB := grads()
						BatchNormBackwardSetAct(training, n, c, hw, bc.x, bc.gamma, mean, invStd, z, dz, gotDx, gotG, gotB, act)
						if !slices.Equal(gotDx, wantDx) || !slices.Equal(gotG, wantG) || !slices.Equal(gotB, wantB) {
							t.Fatalf("n, c, hw = %v, %v, training %v, parameters %v: differs from ActBackwardSet and BatchNormBackwardSet", sh, act, training, params)
						}
					}
				}
			}
		}
	})
}
