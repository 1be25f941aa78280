package zoo

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gocnn/gocnn/autograd"
)

// Transfer-learning strategies: which stages of a pretrained model train in
// a given epoch, and at which learning rate relative to the head's.
//
//	linear-probe   only the head trains; the backbone is frozen and its
//	               batch norms stay in evaluation mode (a fixed feature
//	               extractor)
//	partial:N      the head and the last N backbone stages train
//	full           everything trains, the backbone at BackboneLRScale × the
//	               head's learning rate
//	progressive:K  gradual unfreezing (ULMFiT): the head alone first, then
//	               one more backbone stage, from the top down, every K epochs
//
// A trainer calls Apply at the start of every epoch and builds its
// optimiser's groups from ParamGroups once: frozen parameters have no
// gradient, and an optimiser skips them, so the groups need not change when
// stages unfreeze.

// StrategyKind names a transfer-learning strategy.
type StrategyKind string

// The strategies.
const (
	LinearProbe         StrategyKind = "linear-probe"
	PartialFineTune     StrategyKind = "partial"
	FullFineTune        StrategyKind = "full"
	ProgressiveUnfreeze StrategyKind = "progressive"
)

// StrategyKinds lists the strategies.
var StrategyKinds = []StrategyKind{LinearProbe, PartialFineTune, FullFineTune, ProgressiveUnfreeze}

// Strategy is a transfer-learning strategy with its parameters. The zero
// value is full fine-tuning at one learning rate.
type Strategy struct {
	Kind StrategyKind `json:"kind"`
	// Stages is the number of backbone stages PartialFineTune trains.
	Stages int `json:"stages,omitempty"`
	// Every is the number of epochs between two unfreezings in
	// ProgressiveUnfreeze.
	Every int `json:"every,omitempty"`
	// BackboneLRScale multiplies the head's learning rate for the backbone
	// (0 means 1): torchvision-style fine-tuning often uses 0.1.
	BackboneLRScale float64 `json:"backbone_lr_scale,omitempty"`
}

// ParseStrategy reads a strategy from its command-line spelling:
// "linear-probe", "partial:2", "full", "full:0.1" (backbone learning-rate
// scale) or "progressive:3".
func ParseStrategy(s string) (Strategy, error) {
	kind, arg, hasArg := strings.Cut(s, ":")
	st := Strategy{Kind: StrategyKind(kind)}
	bad := func() (Strategy, error) {
		return Strategy{}, fmt.Errorf("strategy %q: want linear-probe, partial:N, full, full:SCALE or progressive:EPOCHS", s)
	}
	switch st.Kind {
	case LinearProbe:
		if hasArg {
			return bad()
		}
	case PartialFineTune, ProgressiveUnfreeze:
		n, err := strconv.Atoi(arg)
		if err != nil {
			return bad()
		}
		if st.Kind == PartialFineTune {
			st.Stages = n
		} else {
			st.Every = n
		}
	case FullFineTune:
		if hasArg {
			f, err := strconv.ParseFloat(arg, 64)
			if err != nil {
				return bad()
			}
			if !(f > 0) || math.IsInf(f, 0) {
				// The field's zero would silently mean 1.
				return Strategy{}, fmt.Errorf("strategy %q: the backbone learning-rate scale must be a positive number (linear-probe freezes the backbone)", s)
			}
			st.BackboneLRScale = f
		}
	default:
		return bad()
	}
	return st, st.Validate()
}

// String spells the strategy as ParseStrategy reads it.
func (s Strategy) String() string {
	switch s.Kind {
	case PartialFineTune:
		return fmt.Sprintf("%s:%d", s.Kind, s.Stages)
	case ProgressiveUnfreeze:
		return fmt.Sprintf("%s:%d", s.Kind, s.Every)
	case FullFineTune, "":
		if s.BackboneLRScale != 0 && s.BackboneLRScale != 1 {
			return fmt.Sprintf("%s:%g", FullFineTune, s.BackboneLRScale)
		}
		return string(FullFineTune)
	}
	return string(s.Kind)
}

// Validate checks the strategy's parameters.
func (s Strategy) Validate() error {
	switch {
	case s.Kind == PartialFineTune && s.Stages < 0:
		return fmt.Errorf("strategy %s: negative number of stages", s)
	case s.Kind == ProgressiveUnfreeze && s.Every < 1:
		return fmt.Errorf("strategy %s: unfreezing must be at least one epoch apart", s)
	case !(s.BackboneLRScale >= 0) || math.IsInf(s.BackboneLRScale, 0):
		return fmt.Errorf("strategy %s: the backbone learning-rate scale must be a finite number, at least 0", s)
	}
	switch s.Kind {
	case "", LinearProbe, PartialFineTune, FullFineTune, ProgressiveUnfreeze:
		return nil
	}
	return fmt.Errorf("unknown strategy %q (valid: linear-probe, partial:N, full, progressive:EPOCHS)", string(s.Kind))
}

// TrainedStages returns how many backbone stages (counted from the top)
// train in epoch (from 0) for a backbone of n stages.
func (s Strategy) TrainedStages(epoch, n int) int {
	switch s.Kind {
	case LinearProbe:
		return 0
	case PartialFineTune:
		return min(s.Stages, n)
	case ProgressiveUnfreeze:
		return min(epoch/s.Every, n)
	}
	return n
}

// Apply freezes and unfreezes m's stages for epoch (from 0): the head and
// the top TrainedStages backbone stages train, the rest are frozen (see
// Model.Freeze). It returns the number of backbone stages trained.
func (s Strategy) Apply(m *Model, epoch int) int {
	n := s.TrainedStages(epoch, m.BackboneStages())
	m.TrainLastStages(n)
	return n
}

// ParamGroup is a list of parameters sharing a learning rate, ready to
// become an optim.Group.
type ParamGroup struct {
	Name   string
	Params []*autograd.Tensor
	LR     float64
}

// ParamGroups returns the backbone and head parameter groups of m for a
// head learning rate lr: the head at lr, the backbone at
// lr × BackboneLRScale. A linear probe's backbone group is left out (it
// never trains).
func (s Strategy) ParamGroups(m *Model, lr float64) []ParamGroup {
	head := ParamGroup{Name: "head", Params: m.HeadParams(), LR: lr}
	if s.Kind == LinearProbe {
		return []ParamGroup{head}
	}
	scale := s.BackboneLRScale
	if scale == 0 {
		scale = 1
	}
	return []ParamGroup{{Name: "backbone", Params: m.BackboneParams(), LR: lr * scale}, head}
}
