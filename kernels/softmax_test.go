package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Tests of softmax and log-softmax: forward against float64 formulas on
// logits as large as ±80 (where a naive e^x overflows float32), backward
// against float64 finite differences, and thread-count determinism.

// largeLogits returns a rows×cols matrix of logits in [−80, 80].
func largeLogits(rng *rand.Rand, rows, cols int) []float32 {
	x := make([]float32, rows*cols)
	for i := range x {
		x[i] = float32(rng.Float64()*160 - 80)
	}
	x[0], x[1] = 80, -80
	return x
}

// logSoftmax64 is log-softmax of one row in float64, via log-sum-exp.
func logSoftmax64(row []float64) []float64 {
	mx := math.Inf(-1)
	for _, v := range row {
		mx = math.Max(mx, v)
	}
	var sum float64
	for _, v := range row {
		sum += math.Exp(v - mx)
	}
	out := make([]float64, len(row))
	for j, v := range row {
		out[j] = v - mx - math.Log(sum)
	}
	return out
}

func TestSoftmaxForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	const rows, cols = 5, 11
	x := largeLogits(rng, rows, cols)
	// One row of moderate logits so several probabilities are far from 0 and 1.
	for j := range cols {
		x[cols+j] = float32(rng.NormFloat64())
	}
	sm, lsm := make([]float32, len(x)), make([]float32, len(x))
	Softmax(rows, cols, x, sm)
	LogSoftmax(rows, cols, x, lsm)
	for r := range rows {
		want := logSoftmax64(to64(x[r*cols : (r+1)*cols]))
		for j, w := range want {
			i := r*cols + j
			if math.Abs(float64(lsm[i])-w) > 1e-6*(1+math.Abs(w)) {
				t.Errorf("LogSoftmax[%d,%d] = %.8g, want %.8g", r, j, lsm[i], w)
			}
			if p := math.Exp(w); math.Abs(float64(sm[i])-p) > 1e-7*p+1e-37 {
				t.Errorf("Softmax[%d,%d] = %.8g, want %.8g", r, j, sm[i], p)
			}
		}
	}
}

// TestSoftmaxBackward compares both backward kernels with float64 central
// differences of L = Σ f(x)·r, and checks that they accumulate into dx.
func TestSoftmaxBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 6))
	const rows, cols = 3, 7
	x := make([]float32, rows*cols)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 3)
	}
	x[0] = 80 // a saturated row: probabilities of 1 and ~0
	r := make([]float32, len(x))
	for i := range r {
		r[i] = float32(rng.Float64()*2 - 1)
	}
	for _, log := range []bool{false, true} {
		y := make([]float32, len(x))
		dx := slices.Repeat([]float32{0.5}, len(x))
		if log {
			LogSoftmax(rows, cols, x, y)
			LogSoftmaxBackward(rows, cols, y, r, dx)
		} else {
			Softmax(rows, cols, x, y)
			SoftmaxBackward(rows, cols, y, r, dx)
		}
		for row := range rows {
			loss := func(v []float64) float64 {
				var s float64
				for j, l := range logSoftmax64(v) {
					if !log {
						l = math.Exp(l)
					}
					s += l * float64(r[row*cols+j])
				}
				return s
			}
			v := to64(x[row*cols : (row+1)*cols])
			for j := range cols {
				const h = 1e-5
				old := v[j]
				v[j] = old + h
				plus := loss(v)
				v[j] = old - h
				minus := loss(v)
				v[j] = old
				want := 0.5 + (plus-minus)/(2*h)
				if got := float64(dx[row*cols+j]); math.Abs(got-want) > 2e-6*(1+math.Abs(want)) {
					t.Errorf("log=%v: dx[%d,%d] = %.8g, want %.8g", log, row, j, got, want)
				}
			}
		}
	}
}

func TestSoftmaxDeterministicAcrossThreads(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	const rows, cols = 301, 1000
	x := largeLogits(rng, rows, cols)
	dy := make([]float32, len(x))
	for i := range dy {
		dy[i] = float32(rng.NormFloat64())
	}
	run := func(threads int) [][]float32 {
		defer SetThreads(SetThreads(threads))
		sm, lsm := make([]float32, len(x)), make([]float32, len(x))
		Softmax(rows, cols, x, sm)
		LogSoftmax(rows, cols, x, lsm)
		dsm, dlsm := make([]float32, len(x)), make([]float32, len(x))
		SoftmaxBackward(rows, cols, sm, dy, dsm)
		LogSoftmaxBackward(rows, cols, lsm, dy, dlsm)
		return [][]float32{sm, lsm, dsm, dlsm}
	}
	one, two := run(1), run(2)
	for i := range one {
		if !slices.Equal(one[i], two[i]) {
			t.Errorf("output %d differs between 1 and 2 threads", i)
		}
	}
}
