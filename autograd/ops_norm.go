package autograd

import (
	"fmt"

	"github.com/gocnn/gocnn/kernels"
)

// Batch normalisation as a differentiable op (PyTorch's F.batch_norm on NCHW
// input). Statistics are per channel over N, H and W; the arithmetic lives in
// kernels/batchnorm.go.

// BatchNorm2d normalises x (N, C, H, W) per channel and applies the optional
// affine parameters weight and bias (shape (C); nil for affine=False).
//
// Which statistics normalise x:
//   - training, or no running buffers (track_running_stats=False): the batch's
//     mean and biased variance. In training the running buffers, when given,
//     are updated in place exactly as PyTorch does,
//     running = (1 − momentum)·running + momentum·batch, with the unbiased
//     batch variance for runningVar. (For PyTorch's momentum=None, a cumulative
//     average, the caller passes momentum = 1/num_batches_tracked.)
//   - eval with running buffers: runningMean and runningVar, which are read,
//     not changed.
//
// runningMean and runningVar are both given (shape (C)) or both nil. In
// training every channel needs more than one value (N·H·W ≥ 2), as in PyTorch.
//
// Backward: with batch statistics the gradient flows through the mean and
// variance too (kernels.BatchNormBackward's training formula); with running
// statistics the op is a fixed per-channel affine map. The mean and inverse
// standard deviation used are saved as 2·C floats of scratch.
func BatchNorm2d(x, weight, bias, runningMean, runningVar *Tensor, training bool, momentum, eps float64) *Tensor {
	return batchNorm2d(x, weight, bias, runningMean, runningVar, training, momentum, eps, nil)
}

// BatchNorm2dAct is BatchNorm2d followed by the activation act, as one op
// with the bits of the two: act(BatchNorm2d(x, …)). act must be one whose
// derivative can be read from the op's result (ActGradFromResult; ReLU:
// the result is positive exactly where the normalised value was; ReLU6:
// the result lies strictly between 0 and 6 exactly where the normalised
// value did). So the normalised values are never kept: the forward pass
// applies act to each block of channels as it is normalised, while it is
// in cache (kernels.BatchNormTrainForwardAct), and the graph holds one
// tensor where BatchNorm2d and Activate hold two.
//
// Backward: dy = dOut·act'(result), then BatchNorm2d's backward with that
// dy. When x's gradient is written (its first), dy is made in it, chunk by
// chunk as the backward passes read it (kernels.BatchNormBackwardSetAct);
// otherwise in a scratch buffer.
func BatchNorm2dAct(x, weight, bias, runningMean, runningVar *Tensor, training bool, momentum, eps float64, act kernels.Act) *Tensor {
	if !ActGradFromResult(act) {
		panic(fmt.Sprintf("autograd.BatchNorm2dAct: %v's derivative cannot be read from its result; use BatchNorm2d and Activate", act))
	}
	return batchNorm2d(x, weight, bias, runningMean, runningVar, training, momentum, eps, &act)
}

// ActGradFromResult reports whether a's derivative can be read from its
// result alone (ReLU, ReLU6), so that the ops that end with it
// (BatchNorm2dAct, AddAct) need not keep its input: the activations they
// take.
func ActGradFromResult(a kernels.Act) bool { return a == kernels.ReLU || a == kernels.ReLU6 }

// batchNorm2d is BatchNorm2d, followed by *act unless act is nil.
func batchNorm2d(x, weight, bias, runningMean, runningVar *Tensor, training bool, momentum, eps float64, act *kernels.Act) *Tensor {
	if len(x.shape) != 4 {
		panic(fmt.Sprintf("autograd.BatchNorm2d: want a 4-D input (N, C, H, W), got shape %v", x.shape))
	}
	n, c, hw := x.shape[0], x.shape[1], x.shape[2]*x.shape[3]
	for _, p := range []struct {
		name string
		t    *Tensor
	}{{"weight", weight}, {"bias", bias}, {"runningMean", runningMean}, {"runningVar", runningVar}} {
		if p.t != nil && (len(p.t.shape) != 1 || p.t.shape[0] != c) {
			panic(fmt.Sprintf("autograd.BatchNorm2d: %s has shape %v, input %v has %d channels", p.name, p.t.shape, x.shape, c))
		}
	}
	if (runningMean == nil) != (runningVar == nil) {
		panic("autograd.BatchNorm2d: give both runningMean and runningVar, or neither")
	}
	useBatchStats := training || runningMean == nil
	if useBatchStats && n*hw < 2 {
		panic(fmt.Sprintf("autograd.BatchNorm2d: expected more than 1 value per channel when using batch statistics, got input of shape %v", x.shape))
	}
	var gamma, beta []float32
	if weight != nil {
		gamma = weight.data
	}
	if bias != nil {
		beta = bias.data
	}

	out := newResult(x.shape, x, weight, bias)
	var mean, invStd []float32 // the statistics that normalised x, for backward
	switch {
	case useBatchStats:
		mean, invStd = alloc(c), alloc(c)
		var unbiasedVar []float32
		if training && runningMean != nil {
			unbiasedVar = alloc(c)
		}
		if act != nil {
			kernels.BatchNormTrainForwardAct(n, c, hw, x.data, gamma, beta, eps, out.data, mean, invStd, unbiasedVar, *act)
		} else {
			kernels.BatchNormTrainForward(n, c, hw, x.data, gamma, beta, eps, out.data, mean, invStd, unbiasedVar)
		}
		if unbiasedVar != nil {
			kernels.BatchNormUpdateRunning(runningMean.data, runningVar.data, mean, unbiasedVar, momentum)
			release(unbiasedVar)
		}
	default:
		if act != nil {
			kernels.BatchNormInferForwardAct(n, c, hw, x.data, gamma, beta, runningMean.data, runningVar.data, eps, out.data, *act)
		} else {
			kernels.BatchNormInferForward(n, c, hw, x.data, gamma, beta, runningMean.data, runningVar.data, eps, out.data)
		}
		if out.recording() {
			mean, invStd = alloc(c), alloc(c)
			copy(mean, runningMean.data)
			kernels.BatchNormInvStd(runningVar.data, eps, invStd)
		}
	}
	if mean == nil {
		return out
	}
	out.hold(mean)
	out.hold(invStd)
	if out.recording() {
		out.backward(func() {
			var dx, dgamma, dbeta []float32
			backward, set := kernels.BatchNormBackward, false
			if x.needsGrad() {
				var add bool
				if dx, add = x.gradTarget(); !add {
					backward, set = kernels.BatchNormBackwardSet, true
				}
			}
			if weight.needsGrad() {
				dgamma = weight.gradBuf()
			}
			if bias.needsGrad() {
				dbeta = bias.gradBuf()
			}
			dy := out.grad
			switch {
			case act != nil && set: // dx, written anyway, holds the gradient of the normalised values first
				kernels.BatchNormBackwardSetAct(useBatchStats, n, c, hw, x.data, gamma, mean, invStd, out.data, out.grad, dx, dgamma, dbeta, *act)
				return
			case act != nil: // the gradient of the normalised values, in a buffer of its own
				dy = alloc(len(out.grad))
				defer release(dy)
				kernels.ActBackwardSet(*act, out.data, out.data, out.grad, dy)
			}
			backward(useBatchStats, n, c, hw, x.data, gamma, mean, invStd, dy, dx, dgamma, dbeta)
		})
	}
	return out
}
