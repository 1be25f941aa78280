package layers

import (
	"fmt"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/kernels"
)

// Batch normalisation over the channels of NCHW tensors. Each channel c is
// normalised with a mean and variance over N·H·W values, then scaled by
// weight[c] and shifted by bias[c]. The statistics come from the batch in
// training mode (which also folds them into the running estimates) and from
// the running estimates in evaluation mode. The arithmetic is
// autograd.BatchNorm2d's; this file holds the parameters, the buffers and the
// mode logic of torch.nn.BatchNorm2d.

// BatchNorm2d is torch.nn.BatchNorm2d.
//
// Parameters (unless NoAffine): weight (C), initialised to 1, and bias (C),
// initialised to 0. Buffers (unless NoRunningStats): running_mean (C) = 0,
// running_var (C) = 1 and num_batches_tracked, a scalar counter kept as a
// float32 tensor here and saved as int64 in state dicts, as PyTorch does.
type BatchNorm2d struct {
	Base
	Weight, Bias            *autograd.Tensor // nil with NoAffine
	RunningMean, RunningVar *autograd.Tensor // nil with NoRunningStats
	NumBatchesTracked       *autograd.Tensor // nil with NoRunningStats
	Eps                     float64          // added to the variance before the square root
	Momentum                float64          // weight of the batch in the running statistics
	Cumulative              bool             // momentum is 1/num_batches_tracked instead (PyTorch's momentum=None)
}

// BatchNormOpts configures a BatchNorm2d. The zero value is PyTorch's
// default: eps 1e-5, momentum 0.1, affine, tracking running statistics.
type BatchNormOpts struct {
	Eps      float64 // 0 means 1e-5
	Momentum float64 // 0 means 0.1: running = (1−momentum)·running + momentum·batch
	// Cumulative replaces momentum by 1/num_batches_tracked, so the running
	// statistics are the plain average over all batches seen (PyTorch's
	// momentum=None).
	Cumulative bool
	// NoAffine drops weight and bias (PyTorch's affine=False).
	NoAffine bool
	// NoRunningStats keeps no running statistics and normalises with the
	// batch's statistics in both modes (PyTorch's track_running_stats=False).
	NoRunningStats bool
}

// NewBatchNorm2d returns batch normalisation over c channels.
func NewBatchNorm2d(c int, opts BatchNormOpts) *BatchNorm2d {
	if c <= 0 {
		panic(fmt.Sprintf("layers.NewBatchNorm2d: %d channels", c))
	}
	b := &BatchNorm2d{Eps: opts.Eps, Momentum: opts.Momentum, Cumulative: opts.Cumulative}
	if b.Eps == 0 {
		b.Eps = 1e-5
	}
	if b.Momentum == 0 {
		b.Momentum = 0.1
	}
	if !opts.NoAffine {
		b.Weight = b.AddParam("weight", autograd.Full(1, c))
		b.Bias = b.AddParam("bias", autograd.Zeros(c))
	}
	if !opts.NoRunningStats {
		b.RunningMean = b.AddBuffer("running_mean", autograd.Zeros(c))
		b.RunningVar = b.AddBuffer("running_var", autograd.Full(1, c))
		b.NumBatchesTracked = b.AddBuffer(numBatchesTracked, autograd.Zeros())
	}
	return b
}

// numBatchesTracked is the counter's state dict name.
const numBatchesTracked = "num_batches_tracked"

// integerBuffer marks num_batches_tracked as an integer in state dicts.
func (b *BatchNorm2d) integerBuffer(name string) bool { return name == numBatchesTracked }

// Forward normalises x of shape (N, C, H, W). In training mode with running
// statistics it counts the batch and updates running_mean and running_var.
func (b *BatchNorm2d) Forward(x *autograd.Tensor) *autograd.Tensor {
	useBatchStats, momentum := b.step()
	return autograd.BatchNorm2d(x, b.Weight, b.Bias, b.RunningMean, b.RunningVar, useBatchStats, momentum, b.Eps)
}

// ForwardAct is Forward followed by the activation act, as one op
// (autograd.BatchNorm2dAct): the same values, one pass over them fewer and
// one tensor fewer kept for the backward pass. act must be one for which
// autograd.ActGradFromResult holds; Sequential and Steps use it for a
// BatchNorm2d followed by such an Activation.
func (b *BatchNorm2d) ForwardAct(x *autograd.Tensor, act kernels.Act) *autograd.Tensor {
	useBatchStats, momentum := b.step()
	return autograd.BatchNorm2dAct(x, b.Weight, b.Bias, b.RunningMean, b.RunningVar, useBatchStats, momentum, b.Eps, act)
}

// step counts a training batch (with running statistics) and returns
// whether the batch's statistics normalise it and the momentum of the
// running statistics' update.
func (b *BatchNorm2d) step() (useBatchStats bool, momentum float64) {
	useBatchStats, momentum = b.Training() || b.RunningMean == nil, b.Momentum
	if b.Training() && b.NumBatchesTracked != nil {
		n := b.NumBatchesTracked.Data()
		n[0]++
		if b.Cumulative {
			momentum = 1 / float64(n[0])
		}
	}
	return useBatchStats, momentum
}
