package kernels

import "math"

// Plain references for the batch-norm kernels of batchnorm.go: one channel
// at a time, the statistics in float64 with two passes (the mean, then the
// squared deviations from it), as in the formulas of batchnorm.go. They run on
// one goroutine and are what the tests compare the fast kernels with.

// BatchNormTrainForwardRef computes what BatchNormTrainForward computes.
func BatchNormTrainForwardRef(n, c, hw int, x, gamma, beta []float32, eps float64, y, mean, invStd, unbiasedVar []float32) {
	checkBNTrainForward(n, c, hw, x, gamma, beta, y, mean, invStd, unbiasedVar)
	m := float64(n * hw)
	for ch := range c {
		var sum float64
		for i := range n {
			for _, v := range x[(i*c+ch)*hw : (i*c+ch+1)*hw] {
				sum += float64(v)
			}
		}
		mu := sum / m
		var sq float64
		for i := range n {
			for _, v := range x[(i*c+ch)*hw : (i*c+ch+1)*hw] {
				d := float64(v) - mu
				sq += d * d
			}
		}
		is := 1 / math.Sqrt(sq/m+eps)
		mean[ch], invStd[ch] = float32(mu), float32(is)
		if unbiasedVar != nil {
			unbiasedVar[ch] = float32(sq / (m - 1))
		}
		normaliseChannelRef(n, c, hw, ch, x, y, float32(mu), is, gamma, beta)
	}
}

// BatchNormInferForwardRef computes what BatchNormInferForward computes.
func BatchNormInferForwardRef(n, c, hw int, x, gamma, beta, runMean, runVar []float32, eps float64, y []float32) {
	checkBNInferForward(n, c, hw, x, gamma, beta, runMean, runVar, y)
	for ch := range c {
		normaliseChannelRef(n, c, hw, ch, x, y, runMean[ch], invStdOf(runVar[ch], eps), gamma, beta)
	}
}

// normaliseChannelRef writes y = (x − mu)·invStd·gamma + beta for one channel.
func normaliseChannelRef(n, c, hw, ch int, x, y []float32, mu float32, invStd float64, gamma, beta []float32) {
	s, t := bnScaleShift(ch, invStd, gamma, beta)
	for i := range n {
		off := (i*c + ch) * hw
		dst := y[off : off+hw]
		for j, v := range x[off : off+hw] {
			dst[j] = float32((v-mu)*s) + t
		}
	}
}

// BatchNormBackwardRef computes what BatchNormBackward computes.
func BatchNormBackwardRef(training bool, n, c, hw int, x, gamma, mean, invStd, dy, dx, dgamma, dbeta []float32) {
	checkBNBackward(n, c, hw, x, gamma, mean, invStd, dy, dx, dgamma, dbeta)
	m := float64(n * hw)
	for ch := range c {
		mu, is := mean[ch], float64(invStd[ch])
		var sumDy, sumDyXmu float64 // Σ dy and Σ dy·(x − mean)
		for i := range n {
			off := (i*c + ch) * hw
			g := dy[off : off+hw]
			for j, v := range x[off : off+hw] {
				sumDy += float64(g[j])
				sumDyXmu += float64(g[j]) * (float64(v) - float64(mu))
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
		md, p, a := bnDxCoefficients(training, ch, m, sumDy, sumDyXmu, is, gamma)
		for i := range n {
			off := (i*c + ch) * hw
			g, d := dy[off:off+hw], dx[off:off+hw]
			for j, v := range x[off : off+hw] {
				d[j] += float32(a * ((g[j] - md) - float32((v-mu)*p)))
			}
		}
	}
}
