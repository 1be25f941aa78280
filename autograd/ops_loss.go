package autograd

import (
	"fmt"
	"math"
	"slices"

	"github.com/gocnn/gocnn/kernels"
)

// Losses: cross-entropy for classification and mean squared error. Both
// return a 0-dimensional tensor, the mean over the batch, ready for Backward.
//
// CrossEntropy fuses log-softmax and the negative log-likelihood into one
// numerically stable pass over each row of logits (N rows of C classes,
// row-major), exactly as torch.nn.functional.cross_entropy with reduction
// "mean" in PyTorch 1.13. With class weights w, label smoothing ε, the
// log-probabilities lp = log_softmax(x) and the set V of samples whose target
// is not the ignore index:
//
//	W    = Σ_{i∈V} w[y_i]
//	loss = (1−ε) · Σ_{i∈V} −w[y_i]·lp[i, y_i] / W
//	     +  ε/C  · Σ_{i∈V} Σ_c −w[c]·lp[i, c] / W
//
// Both terms are divided by the same W, the sum of the weights of the
// targets; that is PyTorch's rule and the easy one to get wrong. Without
// weights w = 1 and W is the number of counted samples. If W is 0 (every
// target ignored, or every counted target of a class weighted 0) the loss and
// the gradient of each counted row are NaN, as in PyTorch, whose first term
// is then 0/0 even where label smoothing makes the second one's sum nonzero.
//
// Backward: writing t[i, c] = (1−ε)·w[y_i]·[c = y_i] + ε/C·w[c] for the
// target distribution of row i and S_i = Σ_c t[i, c], the gradient of the
// loss with respect to logit x[i, c] is (S_i·softmax(x_i)[c] − t[i, c]) / W,
// which is "softmax minus target" when there are no weights.

// DefaultIgnoreIndex is the target value cross-entropy skips unless told
// otherwise, PyTorch's default ignore_index.
const DefaultIgnoreIndex = -100

// CrossEntropyOptions are the options of PyTorch's cross_entropy that gocnn
// supports. The zero value is PyTorch's default.
type CrossEntropyOptions struct {
	// Weights is one weight per class (nil: every class weighs 1).
	Weights []float32
	// LabelSmoothing is ε in [0, 1]: the target becomes (1−ε)·one-hot + ε/C.
	LabelSmoothing float64
	// IgnoreIndex, when set, is the target value whose samples count for
	// nothing; nil means DefaultIgnoreIndex.
	IgnoreIndex *int
}

// CrossEntropy returns the mean cross-entropy of logits (N, C) against the
// class indices targets (length N). It panics if the shapes disagree, the
// options are invalid, or a target is neither a class index in [0, C) nor
// the ignore index.
func CrossEntropy(logits *Tensor, targets []int, opt CrossEntropyOptions) *Tensor {
	if len(logits.shape) != 2 || len(targets) != logits.shape[0] {
		panic(fmt.Sprintf("autograd.CrossEntropy: logits %v need shape (N, classes) with N = %d targets", logits.shape, len(targets)))
	}
	n, c := logits.shape[0], logits.shape[1]
	eps := opt.LabelSmoothing
	if !(eps >= 0 && eps <= 1) {
		panic(fmt.Sprintf("autograd.CrossEntropy: label smoothing %v is outside [0, 1]", eps))
	}
	if opt.Weights != nil && len(opt.Weights) != c {
		panic(fmt.Sprintf("autograd.CrossEntropy: %d class weights for logits %v", len(opt.Weights), logits.shape))
	}
	ignore := DefaultIgnoreIndex
	if opt.IgnoreIndex != nil {
		ignore = *opt.IgnoreIndex
	}
	targets = slices.Clone(targets) // the caller may reuse its slice before Backward
	weights := slices.Clone(opt.Weights)
	weight := func(k int) float64 {
		if weights == nil {
			return 1
		}
		return float64(weights[k])
	}
	var total, sumW float64 // W, and Σ_c w[c]
	for i, y := range targets {
		if y == ignore {
			continue
		}
		if y < 0 || y >= c {
			panic(fmt.Sprintf("autograd.CrossEntropy: target %d of sample %d is not a class in [0, %d) nor the ignore index %d", y, i, c, ignore))
		}
		total += weight(y)
	}
	for k := range c {
		sumW += weight(k)
	}

	rowLoss := make([]float64, n)
	kernels.Parallel(n, kernels.GrainFor(n, 8*c), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			y := targets[i]
			if y == ignore {
				continue
			}
			row := logits.data[i*c : (i+1)*c]
			lse := logSumExp(row)
			loss := -(1 - eps) * weight(y) * (float64(row[y]) - lse)
			if eps > 0 {
				var smooth float64
				for k, v := range row {
					smooth += weight(k) * (float64(v) - lse)
				}
				loss -= eps / float64(c) * smooth
			}
			rowLoss[i] = loss
		}
	})
	var sum float64
	for _, l := range rowLoss {
		sum += l
	}
	if total == 0 {
		total = math.NaN() // PyTorch's first term is 0/0 (see the top of the file)
	}
	out := newResult(nil, logits)
	out.data[0] = float32(sum / total)
	if out.recording() {
		out.backward(func() {
			scale := float64(out.grad[0]) / total
			grad := logits.gradBuf()
			kernels.Parallel(n, kernels.GrainFor(n, 8*c), func(lo, hi int) {
				for i := lo; i < hi; i++ {
					y := targets[i]
					if y == ignore {
						continue
					}
					row := logits.data[i*c : (i+1)*c]
					g := grad[i*c : (i+1)*c]
					lse := logSumExp(row)
					s := (1-eps)*weight(y) + eps/float64(c)*sumW
					for k, v := range row {
						t := eps / float64(c) * weight(k)
						if k == y {
							t += (1 - eps) * weight(y)
						}
						g[k] += float32(scale * (s*math.Exp(float64(v)-lse) - t))
					}
				}
			})
		})
	}
	return out
}

// logSumExp returns log Σ exp(row[k]) in float64, shifted by the row's
// maximum so that no exponential overflows.
func logSumExp(row []float32) float64 {
	m := math.Inf(-1)
	for _, v := range row {
		m = max(m, float64(v))
	}
	if math.IsInf(m, 0) {
		return m // all −inf (or some +inf): the shift would give NaN
	}
	var s float64
	for _, v := range row {
		s += math.Exp(float64(v) - m)
	}
	return m + math.Log(s)
}

// MSE returns the mean of (pred − target)² over all elements
// (torch.nn.functional.mse_loss with reduction "mean"). The shapes must be
// equal. Gradients flow to both arguments: d/dpred = 2·(pred − target)/n.
func MSE(pred, target *Tensor) *Tensor {
	if !sameShape(pred.shape, target.shape) {
		panic(fmt.Sprintf("autograd.MSE: prediction %v and target %v differ in shape", pred.shape, target.shape))
	}
	n := len(pred.data)
	out := newResult(nil, pred, target)
	out.data[0] = float32(kernels.SumSquaredDiff(pred.data, target.data) / float64(n))
	if out.recording() {
		out.backward(func() {
			norm, g := float32(2/float64(n)), out.grad[0]
			var gp, gt []float32
			if pred.needsGrad() {
				gp = pred.gradBuf()
			}
			if target.needsGrad() {
				gt = target.gradBuf()
			}
			kernels.Parallel(n, kernels.GrainFor(n, 4), func(lo, hi int) {
				for i := lo; i < hi; i++ {
					d := norm * (pred.data[i] - target.data[i]) * g
					if gp != nil {
						gp[i] += d
					}
					if gt != nil {
						gt[i] -= d
					}
				}
			})
		})
	}
	return out
}
