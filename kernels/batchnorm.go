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
// How the work is done (the ...Ref functions in batchnorm_ref.go do the
// same one channel at a time, with a separate pass for the mean):
//
//   - The forward statistics take one pass over x. Each channel's values are
//     summed in float64 after subtracting a shift K, its first value:
//     S1 = Σ(x − K), S2 = Σ(x − K)², so that mean = K + S1/m and
//     Σ(x − mean)² = S2 − S1²/m. The subtraction cancels about
//     (K − mean)²/variance of the sums' float64 precision; K being one of the
//     channel's own values, that ratio is small (a K even a thousand standard
//     deviations away still leaves the variance exact to float32 precision,
//     see TestBatchNormFarFromZero), and the result agrees with the two-pass
//     float64 formula of the references (and PyTorch's) to float32 precision.
//     The normalising pass follows while the block is still in cache.
//   - The ...Act forward passes apply an activation as well (for a batch
//     norm followed by ReLU, say): to each chunk of channels just
//     normalised, while it is in cache, or, for chunks of fewer than
//     bnActMinRun values an image, in a pass of their own (bnActSplit).
//   - The backward pass takes one pass for Σdy and Σdy·(x − mean) per
//     channel, then one pass that adds into dx.
//   - The loops are the column kernels of batchnorm_rows.go: a block of
//     channels side by side for small maps, tiles of one channel for large
//     ones, SIMD on amd64.
//   - Work is split over groups of channels. When there are fewer than
//     bnMinUnits channels and much work each (a stem layer on large
//     images), each channel is also split into blocks of images, whose
//     partial sums are added in block order before the normalising pass.
//     Every split depends only on the sizes, and each channel's sums always
//     run in the same order, so results are bit-identical for any number of
//     threads (and on every dispatch path).

// bnMinUnits is the number of independent pieces of work below which the
// statistics of a channel are split over blocks of images too, so that a
// layer with few channels still keeps several cores busy.
const bnMinUnits = 8

// Costs per value, in the floating-point operations that GrainFor counts:
// the statistics pass (a float64 subtraction, addition, multiplication and
// addition) plus the normalising pass in training, the normalising pass
// alone in eval.
const (
	bnTrainCost = 8
	bnEvalCost  = 3
)

// bnChunks returns how the training passes walk the channels when they are
// not split into image blocks: group channels share a tile (bnGroup), step
// channels have their sums made together, and Parallel's chunks are grain
// channels, whole groups or whole fours. Channels of more than half a tile
// are their own group; their sums are made four at a time (bnChannelSums).
// A chunk smaller than a group would make the group's tile a channel or a
// few wide (6 channels of 2×2 pixels, a 24-column tile with a ragged SIMD
// tail, against 64 channels to a group): rounding the chunks up to whole
// groups made both passes of 336 channels on 2×2 maps 1.6× faster, 128 on
// 4×4 1.3×, 64 on 8×8 1.2× (batch 64, one thread), with the same sums in
// the same order.
func bnChunks(c, hw, m int) (group, step, grain int) {
	group, step = bnGroup(hw), bnQuad
	if group > 1 {
		step = group
	}
	return group, step, bnGrain(c, step, bnTrainCost*m)
}

// bnGrain returns Parallel's chunk of channels for a pass costing
// costPerChannel: GrainFor's, rounded up to whole units of unit channels.
func bnGrain(c, unit, costPerChannel int) int {
	grain := GrainFor(c, costPerChannel)
	return (grain + unit - 1) / unit * unit
}

// bnImageBlocks returns into how many blocks of images the work on each
// channel is split: 1 unless there are fewer than bnMinUnits channels, at
// least two images and enough work per channel for two chunks.
func bnImageBlocks(n, c, hw, cost int) int {
	if c == 0 || c >= bnMinUnits || n < 2 || n*hw*cost < 2*parallelMinWork {
		return 1
	}
	blocks := min(n, (bnMinUnits+c-1)/c)
	per := (n + blocks - 1) / blocks
	return (n + per - 1) / per // no empty block
}

// bnSplit holds the per-(channel, image block) partial sums and per-channel
// coefficients of the few-channel path (c < bnMinUnits, so c·blocks < 2·bnMinUnits).
type bnSplit struct {
	blocks, per int                     // image blocks per channel and images per block
	s1, s2      [2 * bnMinUnits]float64 // by unit ch·blocks + b
	coef        [3][bnMinUnits]float32  // by channel: s, t (forward) or md, p, a (backward)
}

// rows returns the images of block b.
func (s *bnSplit) rows(n, b int) (r0, r1 int) { return b * s.per, min(n, (b+1)*s.per) }

// channelSums adds up channel ch's partial sums over its image blocks, in
// block order.
func (s *bnSplit) channelSums(ch int) (s1, s2 float64) {
	for b := range s.blocks {
		s1 += s.s1[ch*s.blocks+b]
		s2 += s.s2[ch*s.blocks+b]
	}
	return s1, s2
}

// normalise writes y = act((x − mu)·s + t) for every channel (act may be
// noAct), with s and t from coef[0] and coef[1], one task per (channel,
// image block).
func (s *bnSplit) normalise(n, c, hw int, x, y, mu []float32, act Act) {
	Parallel(c*s.blocks, 1, func(lo, hi int) {
		for u := lo; u < hi; u++ {
			ch, b := u/s.blocks, u%s.blocks
			r0, r1 := s.rows(n, b)
			bnGroupNormalise(x, y, c, hw, r0, r1, ch, ch+1, mu[ch:ch+1], s.coef[0][ch:ch+1], s.coef[1][ch:ch+1])
			bnActRows(act, y, c, hw, r0, r1, ch, ch+1)
		}
	})
}

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

func checkBNTrainForward(n, c, hw int, x, gamma, beta, y, mean, invStd, unbiasedVar []float32) {
	const op = "BatchNormTrainForward"
	checkBNSize(op, n, c, hw)
	needBNLen(op, "x", x, n*c*hw, false)
	needBNLen(op, "y", y, n*c*hw, false)
	needBNLen(op, "gamma", gamma, c, true)
	needBNLen(op, "beta", beta, c, true)
	needBNLen(op, "mean", mean, c, false)
	needBNLen(op, "invStd", invStd, c, false)
	needBNLen(op, "unbiasedVar", unbiasedVar, c, true)
	if n*hw < 2 && c > 0 {
		panic(fmt.Sprintf("kernels.BatchNormTrainForward: each channel needs more than one value in training, got n=%d, hw=%d", n, hw))
	}
}

func checkBNInferForward(n, c, hw int, x, gamma, beta, runMean, runVar, y []float32) {
	const op = "BatchNormInferForward"
	checkBNSize(op, n, c, hw)
	needBNLen(op, "x", x, n*c*hw, false)
	needBNLen(op, "y", y, n*c*hw, false)
	needBNLen(op, "gamma", gamma, c, true)
	needBNLen(op, "beta", beta, c, true)
	needBNLen(op, "runMean", runMean, c, false)
	needBNLen(op, "runVar", runVar, c, false)
}

func checkBNBackward(n, c, hw int, x, gamma, mean, invStd, dy, dx, dgamma, dbeta []float32) {
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
}

// invStdOf is 1/√(v + eps), the factor that normalises a variance v.
func invStdOf(v float32, eps float64) float64 { return 1 / math.Sqrt(float64(v)+eps) }

// bnScaleShift returns the float32 factors of y = (x − mean)·s + t for
// channel ch: s = invStd·gamma[ch] (rounded once, from float64) and t = beta[ch].
func bnScaleShift(ch int, invStd float64, gamma, beta []float32) (s, t float32) {
	if gamma != nil {
		invStd *= float64(gamma[ch])
	}
	if beta != nil {
		t = beta[ch]
	}
	return float32(invStd), t
}

// bnTrainStats turns one channel's shifted sums S1 = Σ(x − k) and
// S2 = Σ(x − k)² over m values into its statistics: it stores the mean,
// invStd and (when wanted) the unbiased variance, and returns the
// coefficients s and t of y = (x − mean)·s + t.
func bnTrainStats(ch int, k, s1, s2 float64, m int, eps float64, gamma, beta, mean, invStd, unbiasedVar []float32) (s, t float32) {
	fm := float64(m)
	d := s1 / fm          // mean − k
	sq := max(s2-s1*d, 0) // Σ(x − mean)² = Σ(x − k)² − m·(mean − k)²
	is := 1 / math.Sqrt(sq/fm+eps)
	mean[ch], invStd[ch] = float32(k+d), float32(is)
	if unbiasedVar != nil {
		unbiasedVar[ch] = float32(sq / (fm - 1))
	}
	return bnScaleShift(ch, is, gamma, beta)
}

// BatchNormTrainForward normalises x with its own per-channel statistics and
// writes y, the batch mean and invStd = 1/√(biased variance + eps) (both kept
// for BatchNormBackward), and, when unbiasedVar is not nil, the unbiased
// variance that updates the running statistics (see BatchNormUpdateRunning).
// Each channel needs at least two values (n·hw ≥ 2), as in PyTorch.
func BatchNormTrainForward(n, c, hw int, x, gamma, beta []float32, eps float64, y, mean, invStd, unbiasedVar []float32) {
	bnTrainForward(n, c, hw, x, gamma, beta, eps, y, mean, invStd, unbiasedVar, noAct)
}

// BatchNormTrainForwardAct is BatchNormTrainForward followed by y = act(y),
// in one pass: each block of channels goes through the activation as soon
// as it is normalised, while it is still in cache. y holds the bits that
// BatchNormTrainForward and then ActForward(act, y, y) give.
func BatchNormTrainForwardAct(n, c, hw int, x, gamma, beta []float32, eps float64, y, mean, invStd, unbiasedVar []float32, act Act) {
	checkAct("BatchNormTrainForwardAct", act)
	bnTrainForward(n, c, hw, x, gamma, beta, eps, y, mean, invStd, unbiasedVar, act)
}

func bnTrainForward(n, c, hw int, x, gamma, beta []float32, eps float64, y, mean, invStd, unbiasedVar []float32, act Act) {
	checkBNTrainForward(n, c, hw, x, gamma, beta, y, mean, invStd, unbiasedVar)
	if c == 0 {
		return
	}
	m := n * hw
	if blocks := bnImageBlocks(n, c, hw, bnTrainCost); blocks > 1 {
		sp := &bnSplit{blocks: blocks, per: (n + blocks - 1) / blocks}
		Parallel(c*blocks, 1, func(lo, hi int) {
			for u := lo; u < hi; u++ {
				ch, b := u/blocks, u%blocks
				r0, r1 := sp.rows(n, b)
				k := [1]float64{float64(x[ch*hw])}
				bnGroupSums(x, nil, c, hw, r0, r1, ch, ch+1, k[:], sp.s1[u:u+1], sp.s2[u:u+1])
			}
		})
		for ch := range c {
			s1, s2 := sp.channelSums(ch)
			sp.coef[0][ch], sp.coef[1][ch] = bnTrainStats(ch, float64(x[ch*hw]), s1, s2, m, eps, gamma, beta, mean, invStd, unbiasedVar)
		}
		sp.normalise(n, c, hw, x, y, mean, act)
		return
	}
	group, step, grain := bnChunks(c, hw, m)
	act, tail := bnActSplit(act, grain, hw)
	defer bnActAll(tail, y)
	Parallel(c, grain, func(lo, hi int) {
		sc := getBNScratch()
		defer bnScratches.Put(sc)
		k, s1, s2 := &sc.f64[0], &sc.f64[1], &sc.f64[2]
		s, t := &sc.f32[0], &sc.f32[1]
		for g0 := lo; g0 < hi; g0 += step {
			g1 := min(hi, g0+step)
			for ch := g0; ch < g1; ch++ {
				k[ch-g0], s1[ch-g0], s2[ch-g0] = float64(x[ch*hw]), 0, 0
			}
			w := g1 - g0
			if group == 1 {
				bnChannelSums(x, nil, c, hw, 0, n, g0, g1, k[:w], s1[:w], s2[:w])
			} else {
				bnGroupSums(x, nil, c, hw, 0, n, g0, g1, k[:w], s1[:w], s2[:w])
			}
			for ch := g0; ch < g1; ch++ {
				j := ch - g0
				s[j], t[j] = bnTrainStats(ch, k[j], s1[j], s2[j], m, eps, gamma, beta, mean, invStd, unbiasedVar)
			}
			for c0 := g0; c0 < g1; c0 += group {
				c1 := min(g1, c0+group)
				bnGroupNormalise(x, y, c, hw, 0, n, c0, c1, mean[c0:c1], s[c0-g0:c1-g0], t[c0-g0:c1-g0])
			}
		}
		bnActRows(act, y, c, hw, 0, n, lo, hi)
	})
}

// BatchNormInferForward normalises x with the running statistics (eval mode).
func BatchNormInferForward(n, c, hw int, x, gamma, beta, runMean, runVar []float32, eps float64, y []float32) {
	bnInferForward(n, c, hw, x, gamma, beta, runMean, runVar, eps, y, noAct)
}

// BatchNormInferForwardAct is BatchNormInferForward followed by y = act(y),
// in one pass, as BatchNormTrainForwardAct.
func BatchNormInferForwardAct(n, c, hw int, x, gamma, beta, runMean, runVar []float32, eps float64, y []float32, act Act) {
	checkAct("BatchNormInferForwardAct", act)
	bnInferForward(n, c, hw, x, gamma, beta, runMean, runVar, eps, y, act)
}

func bnInferForward(n, c, hw int, x, gamma, beta, runMean, runVar []float32, eps float64, y []float32, act Act) {
	checkBNInferForward(n, c, hw, x, gamma, beta, runMean, runVar, y)
	if n*c*hw == 0 {
		return
	}
	if blocks := bnImageBlocks(n, c, hw, bnEvalCost); blocks > 1 {
		sp := &bnSplit{blocks: blocks, per: (n + blocks - 1) / blocks}
		for ch := range c {
			sp.coef[0][ch], sp.coef[1][ch] = bnScaleShift(ch, invStdOf(runVar[ch], eps), gamma, beta)
		}
		sp.normalise(n, c, hw, x, y, runMean, act)
		return
	}
	group := bnGroup(hw)
	grain := bnGrain(c, group, bnEvalCost*n*hw) // whole groups, as in bnChunks
	act, tail := bnActSplit(act, grain, hw)
	defer bnActAll(tail, y)
	Parallel(c, grain, func(lo, hi int) {
		var s, t [bnTile]float32
		for g0 := lo; g0 < hi; g0 += group {
			g1 := min(hi, g0+group)
			for ch := g0; ch < g1; ch++ {
				s[ch-g0], t[ch-g0] = bnScaleShift(ch, invStdOf(runVar[ch], eps), gamma, beta)
			}
			bnGroupNormalise(x, y, c, hw, 0, n, g0, g1, runMean[g0:g1], s[:g1-g0], t[:g1-g0])
		}
		bnActRows(act, y, c, hw, 0, n, lo, hi)
	})
}

// bnActSplit decides where a forward pass applies its activation: to each
// chunk of grain channels as it is normalised (chunk = act), or, when a
// chunk holds fewer than bnActMinRun values an image, in a pass of its own
// once the normalisation is done (tail = act, for bnActAll).
func bnActSplit(act Act, grain, hw int) (chunk, tail Act) {
	if act == noAct || grain*hw >= bnActMinRun {
		return act, noAct
	}
	return noAct, act
}

// bnActGradAll sets dx = dz·act'(z) over the whole tensor, as
// ActBackwardSet(act, z, z, dz, dx) (nothing for noAct).
func bnActGradAll(act Act, z, dz, dx []float32) {
	if act != noAct {
		ActBackwardSet(act, z, z, dz, dx)
	}
}

// bnActAll sets y = act(y) (nothing for noAct).
func bnActAll(act Act, y []float32) {
	if act != noAct {
		ActForward(act, y, y)
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

// bnDxCoefficients returns, for channel ch, the float32 factors of
// dx += a·((dy − md) − (x − mean)·p) given the channel's sums Σdy and
// Σdy·(x − mean) over m values: a = invStd·gamma, and in training md = Σdy/m
// and p = invStd²·Σdy·(x − mean)/m (in eval the statistics are constants:
// md = p = 0).
func bnDxCoefficients(training bool, ch int, m, sumDy, sumDyXmu, invStd float64, gamma []float32) (md, p, a float32) {
	scale := invStd
	if gamma != nil {
		scale *= float64(gamma[ch])
	}
	if training {
		md, p = float32(sumDy/m), float32(invStd*invStd*sumDyXmu/m)
	}
	return md, p, float32(scale)
}

// bnBackwardFinish adds channel ch's parameter gradients, given its sums
// Σdy and Σdy·(x − mean), and returns its dx coefficients.
func bnBackwardFinish(training bool, ch int, m, sumDy, sumDyXmu float64, gamma, invStd, dgamma, dbeta []float32) (md, p, a float32) {
	is := float64(invStd[ch])
	if dbeta != nil {
		dbeta[ch] += float32(sumDy)
	}
	if dgamma != nil {
		dgamma[ch] += float32(sumDyXmu * is)
	}
	return bnDxCoefficients(training, ch, m, sumDy, sumDyXmu, is, gamma)
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
	bnBackward(training, n, c, hw, x, gamma, mean, invStd, dy, dx, dgamma, dbeta, true, nil, nil, noAct)
}

// BatchNormBackwardSet is BatchNormBackward writing the input gradient into
// dx instead of adding it, whatever dx held (a fresh buffer needs no zeros);
// dgamma and dbeta are still added into.
func BatchNormBackwardSet(training bool, n, c, hw int, x, gamma, mean, invStd, dy, dx, dgamma, dbeta []float32) {
	bnBackward(training, n, c, hw, x, gamma, mean, invStd, dy, dx, dgamma, dbeta, false, nil, nil, noAct)
}

// BatchNormBackwardSetAct is BatchNormBackwardSet for a batch norm followed
// by the activation act (BatchNormTrainForwardAct in place, z its result):
// dz is the gradient of z, and the gradient of the batch norm's output,
// dy = dz·act'(z) as ActBackwardSet(act, z, z, dz, dy) writes it, is made in
// dx itself, chunk by chunk before the passes that read it (or in a pass of
// its own where chunks are small, as the forward pass does), so that no
// buffer holds it and no pass reads it back from memory. act must be an
// activation whose derivative ActBackwardSet can read from its result
// (ReLU, ReLU6), and dx must not be nil. The bits are those of
// ActBackwardSet into a buffer and BatchNormBackwardSet from it.
func BatchNormBackwardSetAct(training bool, n, c, hw int, x, gamma, mean, invStd, z, dz, dx, dgamma, dbeta []float32, act Act) {
	checkAct("BatchNormBackwardSetAct", act)
	if act != ReLU && act != ReLU6 {
		panic(fmt.Sprintf("kernels.BatchNormBackwardSetAct: %v's derivative cannot be read from its result", act))
	}
	needBNLen("BatchNormBackwardSetAct", "dx", dx, n*c*hw, false)
	needBNLen("BatchNormBackwardSetAct", "z", z, n*c*hw, false)
	needBNLen("BatchNormBackwardSetAct", "dz", dz, n*c*hw, false)
	bnBackward(training, n, c, hw, x, gamma, mean, invStd, dx, dx, dgamma, dbeta, false, z, dz, act)
}

// bnBackward is BatchNormBackward (addDx) or BatchNormBackwardSet; with act,
// dy is dx, filled from z and dz before each chunk reads it.
func bnBackward(training bool, n, c, hw int, x, gamma, mean, invStd, dy, dx, dgamma, dbeta []float32, addDx bool, z, dz []float32, act Act) {
	checkBNBackward(n, c, hw, x, gamma, mean, invStd, dy, dx, dgamma, dbeta)
	if n*c*hw == 0 {
		return
	}
	m := float64(n * hw)
	sums := training || dgamma != nil || dbeta != nil
	if blocks := bnImageBlocks(n, c, hw, bnTrainCost); blocks > 1 {
		bnActGradAll(act, z, dz, dx)
		sp := &bnSplit{blocks: blocks, per: (n + blocks - 1) / blocks}
		if sums {
			Parallel(c*blocks, 1, func(lo, hi int) {
				for u := lo; u < hi; u++ {
					ch, b := u/blocks, u%blocks
					r0, r1 := sp.rows(n, b)
					k := [1]float64{float64(mean[ch])}
					bnGroupSums(x, dy, c, hw, r0, r1, ch, ch+1, k[:], sp.s1[u:u+1], sp.s2[u:u+1])
				}
			})
		}
		for ch := range c {
			s1, s2 := sp.channelSums(ch)
			sp.coef[0][ch], sp.coef[1][ch], sp.coef[2][ch] = bnBackwardFinish(training, ch, m, s1, s2, gamma, invStd, dgamma, dbeta)
		}
		if dx != nil {
			Parallel(c*blocks, 1, func(lo, hi int) {
				for u := lo; u < hi; u++ {
					ch, b := u/blocks, u%blocks
					r0, r1 := sp.rows(n, b)
					bnGroupDx(dy, x, dx, c, hw, r0, r1, ch, ch+1, mean[ch:ch+1], sp.coef[0][ch:ch+1], sp.coef[1][ch:ch+1], sp.coef[2][ch:ch+1], addDx)
				}
			})
		}
		return
	}
	group, step, grain := bnChunks(c, hw, int(m))
	act, whole := bnActSplit(act, grain, hw)
	bnActGradAll(whole, z, dz, dx)
	Parallel(c, grain, func(lo, hi int) {
		sc := getBNScratch()
		defer bnScratches.Put(sc)
		k, s1, s2 := &sc.f64[0], &sc.f64[1], &sc.f64[2]
		md, p, a := &sc.f32[0], &sc.f32[1], &sc.f32[2]
		bnActGradRows(act, z, dz, dx, c, hw, 0, n, lo, hi)
		for g0 := lo; g0 < hi; g0 += step {
			g1 := min(hi, g0+step)
			w := g1 - g0
			for ch := g0; ch < g1; ch++ {
				k[ch-g0], s1[ch-g0], s2[ch-g0] = float64(mean[ch]), 0, 0
			}
			switch {
			case !sums:
			case group == 1:
				bnChannelSums(x, dy, c, hw, 0, n, g0, g1, k[:w], s1[:w], s2[:w])
			default:
				bnGroupSums(x, dy, c, hw, 0, n, g0, g1, k[:w], s1[:w], s2[:w])
			}
			for ch := g0; ch < g1; ch++ {
				j := ch - g0
				md[j], p[j], a[j] = bnBackwardFinish(training, ch, m, s1[j], s2[j], gamma, invStd, dgamma, dbeta)
			}
			if dx != nil {
				for c0 := g0; c0 < g1; c0 += group {
					c1 := min(g1, c0+group)
					j0, j1 := c0-g0, c1-g0
					bnGroupDx(dy, x, dx, c, hw, 0, n, c0, c1, mean[c0:c1], md[j0:j1], p[j0:j1], a[j0:j1], addDx)
				}
			}
		}
	})
}
