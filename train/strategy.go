package train

// Transfer-learning strategies over time. The zoo defines them
// (zoo.Strategy: linear-probe, partial:N, full[:backbone LR scale],
// progressive:EPOCHS) and freezes stages; the trainer applies the strategy
// at the start of every epoch, so progressive unfreezing happens on
// schedule, and finds the batch norms whose statistics training changes.
// A frozen stage's parameters stop requiring gradients (backward does not
// even reach them) and its modules run in evaluation mode (BatchNorm uses
// its running statistics and leaves them alone, dropout is off), as a
// frozen pretrained backbone should. A frozen backbone whose input is not
// augmented always gives the same features, so the trainer computes them
// once and trains the head on the cached features (features.go).

import (
	"strings"

	"github.com/gocnn/gocnn/layers"
	"github.com/gocnn/gocnn/zoo"
)

// applyStrategy freezes and unfreezes the model's stages for an epoch and
// puts the model in training mode (frozen stages stay in evaluation mode).
// It returns the number of trainable parameter values.
func applyStrategy(m *zoo.Model, s zoo.Strategy, epoch int) int {
	s.Apply(m, epoch)
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
