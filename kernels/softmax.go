package kernels

import (
	"fmt"
	"math"
)

// Softmax and log-softmax over the last dimension.
//
// x is a rows×cols row-major matrix (for a classifier: one row of logits per
// image); each row is normalised on its own:
//
//	softmax:     y_j = e^(x_j − max) / Σ_k e^(x_k − max)
//	log-softmax: y_j = (x_j − max) − log Σ_k e^(x_k − max)
//
// Subtracting the row maximum first makes every exponent ≤ 0, so logits of
// ±80 (whose exponentials overflow float32) give exact results. Differences,
// exponentials and sums are computed in float64 and rounded once. Rows are spread over the worker pool and each row is
// computed by one goroutine in a fixed order, so results are bit-identical for
// any number of threads.

func checkSoftmax(op string, rows, cols int, slices ...[]float32) {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("kernels.%s: negative size %d×%d", op, rows, cols))
	}
	for _, s := range slices {
		if len(s) != rows*cols {
			panic(fmt.Sprintf("kernels.%s: a %d×%d matrix needs %d elements, a slice has %d", op, rows, cols, rows*cols, len(s)))
		}
	}
}

// rowMaxAndSumExp returns the maximum of a row and Σ e^(x − max) over it.
func rowMaxAndSumExp(row []float32) (float32, float64) {
	mx := float32(math.Inf(-1))
	for _, v := range row {
		mx = max(mx, v)
	}
	var sum float64
	for _, v := range row {
		sum += math.Exp(float64(v) - float64(mx))
	}
	return mx, sum
}

// Softmax writes the softmax of each row of the rows×cols matrix x into y
// (y may be x).
func Softmax(rows, cols int, x, y []float32) {
	checkSoftmax("Softmax", rows, cols, x, y)
	Parallel(rows, GrainFor(rows, 30*cols), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			in, out := x[r*cols:(r+1)*cols], y[r*cols:(r+1)*cols]
			mx, sum := rowMaxAndSumExp(in)
			inv := 1 / sum
			for j, v := range in {
				out[j] = float32(math.Exp(float64(v)-float64(mx)) * inv)
			}
		}
	})
}

// LogSoftmax writes the log-softmax of each row of the rows×cols matrix x
// into y (y may be x).
func LogSoftmax(rows, cols int, x, y []float32) {
	checkSoftmax("LogSoftmax", rows, cols, x, y)
	Parallel(rows, GrainFor(rows, 30*cols), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			in, out := x[r*cols:(r+1)*cols], y[r*cols:(r+1)*cols]
			mx, sum := rowMaxAndSumExp(in)
			shift := float64(mx) + math.Log(sum)
			for j, v := range in {
				out[j] = float32(float64(v) - shift)
			}
		}
	})
}

// SoftmaxBackward adds the gradient of the input of Softmax into dx, given its
// output y and the gradient dy of that output: dx_j += y_j·(dy_j − Σ_k dy_k·y_k).
func SoftmaxBackward(rows, cols int, y, dy, dx []float32) {
	checkSoftmax("SoftmaxBackward", rows, cols, y, dy, dx)
	Parallel(rows, GrainFor(rows, 4*cols), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			out, g, d := y[r*cols:(r+1)*cols], dy[r*cols:(r+1)*cols], dx[r*cols:(r+1)*cols]
			var dot float64
			for j, v := range out {
				dot += float64(g[j]) * float64(v)
			}
			s := float32(dot)
			for j, v := range out {
				d[j] += v * (g[j] - s)
			}
		}
	})
}

// LogSoftmaxBackward adds the gradient of the input of LogSoftmax into dx,
// given its output y and the gradient dy of that output:
// dx_j += dy_j − e^(y_j)·Σ_k dy_k.
func LogSoftmaxBackward(rows, cols int, y, dy, dx []float32) {
	checkSoftmax("LogSoftmaxBackward", rows, cols, y, dy, dx)
	Parallel(rows, GrainFor(rows, 25*cols), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			out, g, d := y[r*cols:(r+1)*cols], dy[r*cols:(r+1)*cols], dx[r*cols:(r+1)*cols]
			var sum float64
			for _, v := range g {
				sum += float64(v)
			}
			for j, v := range out {
				d[j] += float32(float64(g[j]) - math.Exp(float64(v))*sum)
			}
		}
	})
}
