package kernels

import (
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

func TestBatchNormUpdateRunning(t *testing.T) {
	runMean, runVar := []float32{1, -2}, []float32{0.5, 4}
	BatchNormUpdateRunning(runMean, runVar, []float32{3, 2}, []float32{1.5, 0}, 0.1)
	closeTo64(t, "running mean", runMean, []float64{0.9*1 + 0.1*3, 0.9*-2 + 0.1*2}, 0, 1e-7)
	closeTo64(t, "running var", runVar, []float64{0.9*0.5 + 0.1*1.5, 0.9 * 4}, 0, 1e-7)
}

func TestBatchNormDeterministicAcrossThreads(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	bc := newBNCase(rng, 4, 9, 3001)
	total := bc.n * bc.c * bc.hw
	dy := make([]float32, total)
	for i := range dy {
		dy[i] = float32(rng.NormFloat64())
	}
	run := func(threads int) [][]float32 {
		defer SetThreads(SetThreads(threads))
		y, mean, invStd, unb := make([]float32, total), make([]float32, bc.c), make([]float32, bc.c), make([]float32, bc.c)
		BatchNormTrainForward(bc.n, bc.c, bc.hw, bc.x, bc.gamma, bc.beta, 1e-5, y, mean, invStd, unb)
		dx, dgamma, dbeta := make([]float32, total), make([]float32, bc.c), make([]float32, bc.c)
		BatchNormBackward(true, bc.n, bc.c, bc.hw, bc.x, bc.gamma, mean, invStd, dy, dx, dgamma, dbeta)
		yEval := make([]float32, total)
		BatchNormInferForward(bc.n, bc.c, bc.hw, bc.x, bc.gamma, bc.beta, bc.runMean, bc.runVar, 1e-5, yEval)
		return [][]float32{y, mean, invStd, unb, dx, dgamma, dbeta, yEval}
	}
	one, two := run(1), run(2)
	for i := range one {
		if !slices.Equal(one[i], two[i]) {
			t.Errorf("output %d differs between 1 and 2 threads", i)
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
