package train

// Transfer-learning strategies: which parts of a model train in which epoch.
//
// A zoo model is a list of stages from the input to the output (stem, the
// stages of the backbone, the head). A strategy says, for every epoch, how
// many backbone stages, counted back from the head, train with it; the
// stages before them are frozen (zoo.Model.TrainLastStages): their
// parameters stop requiring gradients (so backward does not even reach them)
// and their modules run in evaluation mode (BatchNorm uses its running
// statistics and leaves them alone, dropout is off), as a frozen pretrained
// backbone should.
//
//	full         every stage trains (with the backbone at LR·BackboneLRScale)
//	linear       linear probe: only the head trains
//	partial      the head and the last Stages stages of the backbone train
//	progressive  gradual unfreezing: a linear probe first, then every Every
//	             epochs Stages more stages, from the head down, start to train
//
// A frozen backbone whose input is not augmented always gives the same
// features, so the trainer computes them once and trains the head on the
// cached features (see Trainer).

import (
	"fmt"
	"strings"

	"github.com/gocnn/gocnn/layers"
	"github.com/gocnn/gocnn/zoo"
)

// Strategy kinds.
var Strategies = []string{"full", "linear", "partial", "progressive"}

// Strategy chooses the trainable stages of each epoch.
type Strategy struct {
	Kind   string `json:"kind"`
	Stages int    `json:"stages,omitempty"` // partial: backbone stages trained; progressive: stages unfrozen each time
	Every  int    `json:"every,omitempty"`  // progressive: epochs between unfreezings
}

// Validate checks the strategy's settings.
func (s Strategy) Validate() error {
	switch s.Kind {
	case "full", "linear":
	case "partial":
		if s.Stages < 0 {
			return fmt.Errorf("partial fine-tuning of %d stages: need at least 0", s.Stages)
		}
	case "progressive":
		if s.Stages < 1 || s.Every < 1 {
			return fmt.Errorf("progressive unfreezing of %d stages every %d epochs: need at least 1 of each", s.Stages, s.Every)
		}
	default:
		return fmt.Errorf("unknown strategy %q (valid: %v)", s.Kind, Strategies)
	}
	return nil
}

// String spells the strategy the way cmd/train's -strategy flag reads it.
func (s Strategy) String() string {
	switch s.Kind {
	case "partial":
		return fmt.Sprintf("partial:%d", s.Stages)
	case "progressive":
		return fmt.Sprintf("progressive:%d:%d", s.Stages, s.Every)
	}
	return s.Kind
}

// trainedStages returns how many backbone stages (counted from the head
// down) train in epoch (0-based) of a model whose backbone has backbone
// stages; the head always trains.
func (s Strategy) trainedStages(epoch, backbone int) int {
	switch s.Kind {
	case "linear":
		return 0
	case "partial":
		return min(s.Stages, backbone)
	case "progressive":
		return min(s.Stages*(epoch/s.Every), backbone)
	}
	return backbone
}

// applyStrategy freezes and unfreezes the model's stages for an epoch and
// puts the model in training mode (frozen stages stay in evaluation mode).
// It returns the number of trainable parameter values.
func applyStrategy(m *zoo.Model, s Strategy, epoch int) int {
	m.TrainLastStages(s.trainedStages(epoch, m.BackboneStages()))
	layers.SetTraining(m, true)
	trainable := 0
	for _, st := range m.Stages() {
		if !st.Frozen {
			trainable += int(st.Params)
		}
	}
	return trainable
}

// trainableBatchNorms returns the batch norms of the stages that are not
// frozen: the ones whose statistics training changes.
func trainableBatchNorms(m *zoo.Model) []*layers.BatchNorm2d {
	var roots []string
	for _, st := range m.Stages() {
		if !st.Frozen {
			roots = append(roots, st.Modules...)
		}
	}
	var out []*layers.BatchNorm2d
	for _, nm := range layers.Modules(m) {
		bn, ok := nm.Module.(*layers.BatchNorm2d)
		if !ok {
			continue
		}
		for _, r := range roots {
			if nm.Name == r || strings.HasPrefix(nm.Name, r+".") {
				out = append(out, bn)
				break
			}
		}
	}
	return out
}
