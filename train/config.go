package train

// Config: every hyper-parameter of one model's training run, as plain data
// (it is stored in results.json and in checkpoints, and a resume refuses a
// checkpoint made with another configuration). This file also turns a Config
// into the optimiser, its parameter groups and the learning-rate schedule.
//
// Parameter groups. Following torchvision's and timm's recipes, weight decay
// does not apply to one-dimensional parameters (BatchNorm weights and
// biases, and the biases of convolutions and linear layers) unless
// DecayNormAndBias is set. The head trains at LR, the backbone at LR times
// the strategy's backbone scale (full fine-tuning with a smaller backbone
// rate). So there are up to four groups: backbone and head, each with and
// without decay. Every parameter that may ever train is in a group from the
// start, frozen or not: the optimiser skips parameters without a gradient,
// so progressive unfreezing only flips RequiresGrad.
//
// Schedules count optimiser steps. A warm-up of WarmupEpochs rises linearly
// from LR/100 (PyTorch's LinearLR start factor 0.01) to LR, then the chosen
// schedule runs over the remaining steps:
//
//	constant   the rate stays at LR
//	cosine     half a cosine from LR down to 0 at the last step
//	step       ×StepGamma every StepEpochs epochs
//	onecycle   PyTorch's OneCycleLR over all steps (it has its own warm-up,
//	           so WarmupEpochs must be 0; momentum or β₁ cycles 0.85–0.95)

import (
	"fmt"
	"math"
	"slices"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/optim"
	"github.com/gocnn/gocnn/zoo"
)

// Config is how one model is trained.
type Config struct {
	Epochs    int `json:"epochs"`
	BatchSize int `json:"batch_size"`
	EvalBatch int `json:"eval_batch_size"` // batch size of evaluation and of the inference timing

	Optimizer        string  `json:"optimizer"` // "sgd", "adam" or "adamw"
	LR               float64 `json:"lr"`        // peak learning rate of the head (the backbone's is scaled by the strategy)
	Momentum         float64 `json:"momentum"`  // SGD momentum, or Adam's and AdamW's β₁
	Nesterov         bool    `json:"nesterov,omitempty"`
	WeightDecay      float64 `json:"weight_decay"`
	DecayNormAndBias bool    `json:"decay_norm_and_bias,omitempty"`

	Schedule     string  `json:"schedule"` // "constant", "cosine", "step" or "onecycle"
	WarmupEpochs float64 `json:"warmup_epochs"`
	StepEpochs   int     `json:"step_epochs,omitempty"` // "step": epochs between decays
	StepGamma    float64 `json:"step_gamma,omitempty"`  // "step": decay factor

	LabelSmoothing float64   `json:"label_smoothing"`
	ClassWeights   []float64 `json:"class_weights,omitempty"` // cross-entropy weight of each class
	ClipNorm       float64   `json:"clip_norm"`               // 0: no clipping
	AccumSteps     int       `json:"accum_steps"`             // batches per optimiser step
	EMADecay       float64   `json:"ema_decay"`               // 0: no EMA of the weights

	Strategy zoo.Strategy `json:"strategy"`

	Patience      int    `json:"patience"`       // early stopping after this many epochs without a better validation result; 0: never
	BNRecalibrate int    `json:"bn_recalibrate"` // training batches for re-estimating BatchNorm statistics before each evaluation; 0: off
	Augmented     bool   `json:"augmented"`      // the training transform is random (no feature caching then)
	CacheFeatures bool   `json:"cache_features"` // allow caching backbone features when the backbone is frozen and nothing is random
	Seed          uint64 `json:"seed"`
}

// Optimisers and schedules by name.
var (
	Optimizers = []string{"sgd", "adam", "adamw"}
	Schedules  = []string{"constant", "cosine", "step", "onecycle"}
)

// Validate checks the configuration; the error names the bad setting.
func (c Config) Validate(classes int) error {
	positive := func(v float64) bool { return v > 0 && !math.IsInf(v, 0) }
	nonNegative := func(v float64) bool { return v >= 0 && !math.IsInf(v, 0) }
	switch {
	case c.Epochs < 1:
		return fmt.Errorf("epochs %d: need at least 1", c.Epochs)
	case c.BatchSize < 2:
		return fmt.Errorf("batch size %d: need at least 2 (batch normalisation needs two samples)", c.BatchSize)
	case c.EvalBatch < 1:
		return fmt.Errorf("evaluation batch size %d: need at least 1", c.EvalBatch)
	case !slices.Contains(Optimizers, c.Optimizer):
		return fmt.Errorf("unknown optimizer %q (valid: %v)", c.Optimizer, Optimizers)
	case !positive(c.LR):
		return fmt.Errorf("learning rate %v: must be positive", c.LR)
	case !(c.Momentum >= 0 && c.Momentum < 1):
		return fmt.Errorf("momentum %v: must lie in [0, 1)", c.Momentum)
	case !nonNegative(c.WeightDecay):
		return fmt.Errorf("weight decay %v: must be at least 0", c.WeightDecay)
	case !slices.Contains(Schedules, c.Schedule):
		return fmt.Errorf("unknown schedule %q (valid: %v)", c.Schedule, Schedules)
	case !nonNegative(c.WarmupEpochs) || c.WarmupEpochs >= float64(c.Epochs):
		return fmt.Errorf("warm-up of %v epochs: must be at least 0 and shorter than the %d epochs", c.WarmupEpochs, c.Epochs)
	case c.Schedule == "onecycle" && c.WarmupEpochs > 0:
		return fmt.Errorf("the onecycle schedule has its own warm-up: set the warm-up to 0")
	case c.Schedule == "step" && (c.StepEpochs < 1 || !positive(c.StepGamma)):
		return fmt.Errorf("step schedule: every %d epochs by %v (need ≥ 1 epoch and a positive factor)", c.StepEpochs, c.StepGamma)
	case !(c.LabelSmoothing >= 0 && c.LabelSmoothing <= 1):
		return fmt.Errorf("label smoothing %v: must lie in [0, 1]", c.LabelSmoothing)
	case c.ClassWeights != nil && len(c.ClassWeights) != classes:
		return fmt.Errorf("%d class weights for %d classes", len(c.ClassWeights), classes)
	case !nonNegative(c.ClipNorm):
		return fmt.Errorf("gradient clipping norm %v: must be at least 0", c.ClipNorm)
	case c.AccumSteps < 1:
		return fmt.Errorf("gradient accumulation over %d batches: need at least 1", c.AccumSteps)
	case !(c.EMADecay >= 0 && c.EMADecay < 1):
		return fmt.Errorf("EMA decay %v: must lie in [0, 1)", c.EMADecay)
	case c.Patience < 0:
		return fmt.Errorf("patience %d: must be at least 0", c.Patience)
	case c.BNRecalibrate < 0:
		return fmt.Errorf("BatchNorm re-estimation over %d batches: must be at least 0", c.BNRecalibrate)
	}
	for i, w := range c.ClassWeights {
		if !nonNegative(w) {
			return fmt.Errorf("class weight %d is %v: must be at least 0", i, w)
		}
	}
	return c.Strategy.Validate()
}

// BatchesPerEpoch is the number of training batches an epoch over images
// training images holds (see dropsLast). 0 means the images make no batch
// at all.
func (c Config) BatchesPerEpoch(images int) int {
	if c.BatchSize < 1 || images < 1 {
		return 0
	}
	if c.dropsLast(images) {
		return images / c.BatchSize
	}
	return (images + c.BatchSize - 1) / c.BatchSize
}

// dropsLast reports whether an epoch over images training images drops its
// last, short batch: it would hold a single image, and batch statistics
// need two.
func (c Config) dropsLast(images int) bool { return images%c.BatchSize == 1 }

// stoppedEarly reports whether the run at st has gone Patience epochs
// without a better validation result.
func (c Config) stoppedEarly(st *CheckpointState) bool {
	return c.Patience > 0 && st.SinceBest >= c.Patience
}

// trainingOver reports whether the run at st has no epoch left to train:
// all of them trained, or stopped early.
func (c Config) trainingOver(st *CheckpointState) bool {
	return st.Epoch == c.Epochs || c.stoppedEarly(st)
}

// paramGroups splits the model's parameters into the optimiser's groups:
// the strategy's backbone and head groups (zoo.Strategy.ParamGroups), each
// divided into parameters with and without weight decay; empty groups are
// left out.
func (c Config) paramGroups(m *zoo.Model) []optim.Group {
	var groups []optim.Group
	for _, pg := range c.Strategy.ParamGroups(m, c.LR) {
		var decay, plain []*autograd.Tensor
		for _, p := range pg.Params {
			if c.DecayNormAndBias || len(p.Shape()) > 1 {
				decay = append(decay, p)
			} else {
				plain = append(plain, p)
			}
		}
		if len(decay) > 0 {
			groups = append(groups, optim.Group{Name: pg.Name, Params: decay, LR: pg.LR, WeightDecay: c.WeightDecay})
		}
		if len(plain) > 0 {
			groups = append(groups, optim.Group{Name: pg.Name + "/no-decay", Params: plain, LR: pg.LR})
		}
	}
	return groups
}

// newOptimizer builds the configured optimiser over the groups.
func (c Config) newOptimizer(groups []optim.Group) (optim.Optimizer, error) {
	switch c.Optimizer {
	case "sgd":
		return optim.NewSGD(groups, optim.SGDConfig{Momentum: c.Momentum, Nesterov: c.Nesterov})
	case "adam", "adamw":
		cfg := optim.DefaultAdamConfig()
		if c.Momentum > 0 {
			cfg.Beta1 = c.Momentum
		}
		if c.Optimizer == "adam" {
			return optim.NewAdam(groups, cfg)
		}
		return optim.NewAdamW(groups, cfg)
	}
	return nil, fmt.Errorf("unknown optimizer %q (valid: %v)", c.Optimizer, Optimizers)
}

// newSchedule builds the learning-rate schedule over totalSteps optimiser
// steps, stepsPerEpoch of them per epoch.
func (c Config) newSchedule(stepsPerEpoch, totalSteps int) (optim.Schedule, error) {
	warmup := int(math.Round(c.WarmupEpochs * float64(stepsPerEpoch)))
	rest := max(totalSteps-warmup, 1)
	var main optim.Schedule
	switch c.Schedule {
	case "constant":
		main = optim.StepLR{StepSize: totalSteps + 1, Gamma: 1}
	case "cosine":
		main = optim.CosineAnnealingLR{TMax: rest}
	case "step":
		main = optim.StepLR{StepSize: max(c.StepEpochs*stepsPerEpoch, 1), Gamma: c.StepGamma}
	case "onecycle":
		oc := optim.NewOneCycleLR(totalSteps)
		oc.CycleMomentum = c.Optimizer != "sgd" || c.Momentum > 0
		main = oc
	default:
		return nil, fmt.Errorf("unknown schedule %q (valid: %v)", c.Schedule, Schedules)
	}
	var s optim.Schedule = main
	if warmup > 0 {
		s = optim.SequentialLR{
			Schedules:  []optim.Schedule{optim.LinearLR{StartFactor: 0.01, EndFactor: 1, TotalIters: warmup}, main},
			Milestones: []int{warmup},
		}
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("schedule: %w", err)
	}
	return s, nil
}
