package kernels

import (
	"fmt"
	"math"
)

// Batch normalisation over NCHW tensors (PyTorch's BatchNorm2d).
//
// x holds n images of c channels of hw = H·W pixels each, contiguous NCHW:
// channel ch of image i is x[(i·c + ch)·hw : (i·c + ch + 1)·hw]. Every channel
// has its own statistics over the m = n·hw values it holds, and its own
// affine parameters gamma[ch] (scale) and beta[ch] (shift); nil gamma means
// 1 and nil beta means 0 (affine=False).
//
//	training:  y = (x − mean_B)·invStd_B·gamma + beta, invStd_B = 1/√(var_B + eps)
//	           with the batch mean and the biased batch variance var_B = Σ(x−mean_B)²/m;
//	           the running statistics receive the unbiased variance Σ(x−mean_B)²/(m−1)
//	inference: y = (x − runMean)/√(runVar + eps)·gamma + beta
//
// Statistics are accumulated in float64 with two passes (mean, then squared
// deviations from it), which is what PyTorch does on the CPU. Work is split
// over channels and each channel is summed by one goroutine in a fixed order,
// so results are bit-identical for any number of threads.

// checkBNSize panics unless the sizes are non-negative.
func checkBNSize(op string, n, c, hw int) {
	if n < 0 || c < 0 || hw < 0 {
		panic(fmt.Sprintf("kernels.%s: negative size n=%d c=%d hw=%d", op, n, c, hw))
	}
}

// needBNLen panics unless s has want elements (or is nil and optional).
func needBNLen(op, name string, s []float32, want int, optional bool) {
	if len(s) != want && !(s == nil && optional) {
		panic(fmt.Sprintf("kernels.%s: %s has %d elements, want %d", op, name, len(s), want))
	}
}

// channelGrain is the number of channels one worker-pool chunk handles.
func channelGrain(n, c, hw, passes int) int { return GrainFor(c, passes*n*hw) }

// invStdOf is 1/√(v + eps), the factor that normalises a variance v.
func invStdOf(v float32, eps float64) float64 { return 1 / math.Sqrt(float64(v)+eps) }

// BatchNormTrainForward normalises x with its own per-channel statistics and
// writes y, the batch mean and invStd = 1/√(biased variance + eps) (both kept
// for BatchNormBackward), and, when unbiasedVar is not nil, the unbiased
// variance that updates the running statistics (see BatchNormUpdateRunning).
// Each channel needs at least two values (n·hw ≥ 2), as in PyTorch.
func BatchNormTrainForward(n, c, hw int, x, gamma, beta []float32, eps float64, y, mean, invStd, unbiasedVar []float32) {
	const op = "BatchNormTrainForward"
	checkBNSize(op, n, c, hw)
	needBNLen(op, "x", x, n*c*hw, false)
	needBNLen(op, "y", y, n*c*hw, false)
	needBNLen(op, "gamma", gamma, c, true)
	needBNLen(op, "beta", beta, c, true)
	needBNLen(op, "mean", mean, c, false)
	needBNLen(op, "invStd", invStd, c, false)
	needBNLen(op, "unbiasedVar", unbiasedVar, c, true)
	m := n * hw
	if m < 2 && c > 0 {
		panic(fmt.Sprintf("kernels.BatchNormTrainForward: each channel needs more than one value in training, got n=%d, hw=%d", n, hw))
	}
	Parallel(c, channelGrain(n, c, hw, 3), func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var sum float64
			for i := range n {
				for _, v := range x[(i*c+ch)*hw : (i*c+ch+1)*hw] {
					sum += float64(v)
				}
			}
			mu := sum / float64(m)
			var sq float64
			for i := range n {
				for _, v := range x[(i*c+ch)*hw : (i*c+ch+1)*hw] {
					d := float64(v) - mu
					sq += d * d
				}
			}
			is := 1 / math.Sqrt(sq/float64(m)+eps)
			mean[ch], invStd[ch] = float32(mu), float32(is)
			if unbiasedVar != nil {
				unbiasedVar[ch] = float32(sq / float64(m-1))
			}
			normaliseChannel(n, c, hw, ch, x, y, float32(mu), is, gamma, beta)
		}
	})
}

// BatchNormInferForward normalises x with the running statistics (eval mode).
func BatchNormInferForward(n, c, hw int, x, gamma, beta, runMean, runVar []float32, eps float64, y []float32) {
	const op = "BatchNormInferForward"
	checkBNSize(op, n, c, hw)
	needBNLen(op, "x", x, n*c*hw, false)
	needBNLen(op, "y", y, n*c*hw, false)
	needBNLen(op, "gamma", gamma, c, true)
	needBNLen(op, "beta", beta, c, true)
	needBNLen(op, "runMean", runMean, c, false)
	needBNLen(op, "runVar", runVar, c, false)
	Parallel(c, channelGrain(n, c, hw, 1), func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			normaliseChannel(n, c, hw, ch, x, y, runMean[ch], invStdOf(runVar[ch], eps), gamma, beta)
		}
	})
}

// normaliseChannel writes y = (x − mu)·invStd·gamma + beta for one channel.
func normaliseChannel(n, c, hw, ch int, x, y []float32, mu float32, invStd float64, gamma, beta []float32) {
	scale := invStd
	if gamma != nil {
		scale *= float64(gamma[ch])
	}
	s := float32(scale)
	var shift float32
	if beta != nil {
		shift = beta[ch]
	}
	for i := range n {
		off := (i*c + ch) * hw
		dst := y[off : off+hw]
		for j, v := range x[off : off+hw] {
			dst[j] = (v-mu)*s + shift
		}
	}
}

// BatchNormInvStd sets invStd[ch] = 1/√(variance[ch] + eps), the form in which
// BatchNormBackward takes the running variance in eval mode.
func BatchNormInvStd(variance []float32, eps float64, invStd []float32) {
	if len(invStd) != len(variance) {
		panic(fmt.Sprintf("kernels.BatchNormInvStd: variance has %d elements, invStd %d", len(variance), len(invStd)))
	}
	for ch, v := range variance {
		invStd[ch] = float32(invStdOf(v, eps))
	}
}

// BatchNormUpdateRunning applies PyTorch's momentum rule to the running
// statistics, in float64:
//
//	runMean = (1 − momentum)·runMean + momentum·mean
//	runVar  = (1 − momentum)·runVar  + momentum·unbiasedVar
//
// (PyTorch's momentum=None, a cumulative average, is momentum = 1/t at the
// t-th training step.)
func BatchNormUpdateRunning(runMean, runVar, mean, unbiasedVar []float32, momentum float64) {
	c := len(mean)
	if len(runMean) != c || len(runVar) != c || len(unbiasedVar) != c {
		panic(fmt.Sprintf("kernels.BatchNormUpdateRunning: runMean, runVar, mean, unbiasedVar have %d, %d, %d, %d elements", len(runMean), len(runVar), c, len(unbiasedVar)))
	}
	for ch := range c {
		runMean[ch] = float32((1-momentum)*float64(runMean[ch]) + momentum*float64(mean[ch]))
		runVar[ch] = float32((1-momentum)*float64(runVar[ch]) + momentum*float64(unbiasedVar[ch]))
	}
}

// BatchNormBackward adds the gradients of a batch-norm layer, given dy (the
// gradient of y), into dx, dgamma and dbeta; any of the three may be nil when
// that gradient is not wanted. mean and invStd are the statistics the forward
// pass normalised with: the batch's (from BatchNormTrainForward) when
// training is true, the running ones (runMean and BatchNormInvStd(runVar))
// otherwise. With x̂ = (x − mean)·invStd and sums over a channel's m values:
//
//	dbeta  += Σ dy
//	dgamma += Σ dy·x̂
//	dx     += gamma·invStd·(dy − Σdy/m − x̂·Σ(dy·x̂)/m)   training: through the batch statistics
//	dx     += gamma·invStd·dy                           eval: a fixed per-channel scale
func BatchNormBackward(training bool, n, c, hw int, x, gamma, mean, invStd, dy, dx, dgamma, dbeta []float32) {
	const op = "BatchNormBackward"
	checkBNSize(op, n, c, hw)
	needBNLen(op, "x", x, n*c*hw, false)
	needBNLen(op, "dy", dy, n*c*hw, false)
	needBNLen(op, "dx", dx, n*c*hw, true)
	needBNLen(op, "gamma", gamma, c, true)
	needBNLen(op, "mean", mean, c, false)
	needBNLen(op, "invStd", invStd, c, false)
	needBNLen(op, "dgamma", dgamma, c, true)
	needBNLen(op, "dbeta", dbeta, c, true)
	m := float64(n * hw)
	Parallel(c, channelGrain(n, c, hw, 3), func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			mu, is := mean[ch], float64(invStd[ch])
			var sumDy, sumDyXmu float64 // Σ dy and Σ dy·(x − mean)
			if training || dgamma != nil || dbeta != nil {
				for i := range n {
					off := (i*c + ch) * hw
					g := dy[off : off+hw]
					for j, v := range x[off : off+hw] {
						sumDy += float64(g[j])
						sumDyXmu += float64(g[j]) * float64(v-mu)
					}
				}
			}
			if dbeta != nil {
				dbeta[ch] += float32(sumDy)
			}
			if dgamma != nil {
				dgamma[ch] += float32(sumDyXmu * is)
			}
			if dx == nil {
				continue
			}
			scale := is
			if gamma != nil {
				scale *= float64(gamma[ch])
			}
			a := float32(scale)
			var meanDy, proj float32 // Σdy/m and invStd²·Σ(dy·(x−mean))/m
			if training {
				meanDy = float32(sumDy / m)
				proj = float32(is * is * sumDyXmu / m)
			}
			for i := range n {
				off := (i*c + ch) * hw
				g, d := dy[off:off+hw], dx[off:off+hw]
				for j, v := range x[off : off+hw] {
					d[j] += a * (g[j] - meanDy - (v-mu)*proj)
				}
			}
		}
	})
}
