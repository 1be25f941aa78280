package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/dataset"
	"github.com/gocnn/gocnn/layers"
	"github.com/gocnn/gocnn/zoo"
)

// mnistSubset returns the first perClass images of each digit of the
// embedded sample's training (train) or test part.
func mnistSubset(t testing.TB, train bool, perClass int) dataset.Source {
	t.Helper()
	src, err := dataset.Sample(train)
	if err != nil {
		t.Fatal(err)
	}
	count := make([]int, 10)
	var idx []int
	for i := range src.Len() {
		if l := src.Label(i); count[l] < perClass {
			count[l]++
			idx = append(idx, i)
		}
	}
	return &dataset.Subset{Src: src, Indices: idx}
}

var mnistMean, mnistStd = []float32{0.1307, 0.1307, 0.1307}, []float32{0.3081, 0.3081, 0.3081}

// tinyData is a small MNIST problem at 32×32 in three channels.
func tinyData(t testing.TB, trainPerClass, testPerClass int, val bool) Data {
	tf := dataset.Compose(dataset.Pad(2), dataset.Grayscale(3), dataset.ToTensor(), dataset.Normalize(mnistMean, mnistStd))
	d := Data{Name: "mnist-sample", Train: mnistSubset(t, true, trainPerClass), Test: mnistSubset(t, false, testPerClass),
		TrainTransform: tf, EvalTransform: tf, Workers: 1}
	if val {
		d.Train, d.Val = dataset.SplitStratified(d.Train, 0.2, 1)
	}
	return d
}

// tinyModel is a narrow ResNet-18 with an MLP head (which has dropout).
func tinyModel(t testing.TB, seed uint64) *zoo.Model {
	t.Helper()
	m, err := zoo.New("resnet18", zoo.Options{Classes: 10, WidthMult: 0.125, InputSize: 32, Seed: seed, Dropout: 0.3,
		Head: zoo.HeadSpec{Kind: zoo.HeadMLP, Hidden: []int{32}}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func tinyConfig() Config {
	return Config{Epochs: 2, BatchSize: 16, EvalBatch: 50, Optimizer: "adamw", LR: 3e-3,
		Momentum: 0.9, WeightDecay: 0.05, Schedule: "cosine", WarmupEpochs: 0.5, AccumSteps: 1,
		Strategy: zoo.Strategy{Kind: zoo.FullFineTune}, BNRecalibrate: 4, Seed: 7}
}

// tinyTrainer is a trainer of a fresh tiny model in dir.
func tinyTrainer(t *testing.T, cfg Config, data Data, dir string, resume bool) *Trainer {
	return &Trainer{Model: tinyModel(t, 1), Config: cfg, Data: data, Dir: dir, Resume: resume, Misclassified: 2}
}

// runTrainer trains a fresh tiny model in dir; cancelAt > 0 cancels the
// context after that many optimiser steps.
func runTrainer(t *testing.T, cfg Config, data Data, dir string, resume bool, cancelAt int) (*ModelResult, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr := tinyTrainer(t, cfg, data, dir, resume)
	if cancelAt > 0 {
		tr.afterStep = func(step int) {
			if step == cancelAt {
				cancel()
			}
		}
	}
	return tr.Run(ctx)
}

// sameOutcome compares everything but wall-clock figures.
func sameOutcome(t *testing.T, a, b *ModelResult) {
	t.Helper()
	if len(a.History) != len(b.History) {
		t.Fatalf("histories of %d and %d epochs", len(a.History), len(b.History))
	}
	for i := range a.History {
		x, y := a.History[i], b.History[i]
		if x.TrainLoss != y.TrainLoss || x.TrainAccuracy != y.TrainAccuracy || x.LR != y.LR || (x.Val == nil) != (y.Val == nil) ||
			(x.Val != nil && *x.Val != *y.Val) {
			t.Errorf("epoch %d differs:\n%+v %+v\n%+v %+v", i+1, x, x.Val, y, y.Val)
		}
	}
	if a.Test.Loss != b.Test.Loss || a.Test.Accuracy != b.Test.Accuracy || a.BestEpoch != b.BestEpoch {
		t.Errorf("test results differ: loss %v vs %v, accuracy %v vs %v, best epoch %d vs %d",
			a.Test.Loss, b.Test.Loss, a.Test.Accuracy, b.Test.Accuracy, a.BestEpoch, b.BestEpoch)
	}
}

// TestResumeReproducesUninterruptedRun interrupts a run in the middle of
// its first epoch, resumes it, and checks that every loss, accuracy,
// learning rate and the test result equal those of a run that was never
// interrupted — with dropout, an EMA, gradient accumulation and BatchNorm
// re-estimation all in play.
func TestResumeReproducesUninterruptedRun(t *testing.T) {
	cfg := tinyConfig()
	cfg.EMADecay = 0.9
	cfg.AccumSteps = 2
	cfg.LabelSmoothing = 0.1
	cfg.ClipNorm = 1
	data := tinyData(t, 24, 6, true)
	whole, err := runTrainer(t, cfg, data, t.TempDir(), false, 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	part, err := runTrainer(t, cfg, data, dir, false, 3)
	if err != ErrInterrupted || part.Status != "interrupted" {
		t.Fatalf("interrupted run returned %v with status %q", err, part.Status)
	}
	resumed, err := runTrainer(t, cfg, data, dir, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	sameOutcome(t, whole, resumed)
}

// TestLinearProbeCachedFeaturesMatchFullForward trains a linear probe twice,
// once on cached backbone features and once through the whole network, and
// checks that the two agree (the same batches, the same head updates) and
// that the backbone did not change.
func TestLinearProbeCachedFeaturesMatchFullForward(t *testing.T) {
	cfg := tinyConfig()
	cfg.Strategy = zoo.Strategy{Kind: zoo.LinearProbe}
	data := tinyData(t, 20, 5, true)
	var results [2]*ModelResult
	for i, cache := range []bool{true, false} {
		cfg.CacheFeatures = cache
		m := tinyModel(t, 1)
		before := layers.StateDict(m)
		tr := &Trainer{Model: m, Config: cfg, Data: data, Dir: t.TempDir()}
		res, err := tr.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		results[i] = res
		after := layers.StateDict(m)
		for j, b := range before {
			if strings.HasPrefix(b.Name, m.HeadName()+".") {
				continue
			}
			if !bytes.Equal(b.Data, after[j].Data) {
				t.Errorf("cache %v: frozen backbone tensor %s changed", cache, b.Name)
			}
		}
		if res.Efficiency.TrainableParams >= res.Efficiency.Params {
			t.Errorf("linear probe trains %d of %d parameters", res.Efficiency.TrainableParams, res.Efficiency.Params)
		}
	}
	for i := range results[0].History {
		a, b := results[0].History[i], results[1].History[i]
		if math.Abs(a.TrainLoss-b.TrainLoss) > 1e-4 || math.Abs(a.Val.Loss-b.Val.Loss) > 1e-4 {
			t.Errorf("epoch %d: cached features give train loss %v, val loss %v; the full forward %v, %v",
				i+1, a.TrainLoss, a.Val.Loss, b.TrainLoss, b.Val.Loss)
		}
	}
}

// TestNonFiniteLossStopsWithHint trains with an absurd learning rate and
// checks the error names the epoch and batch and points at the learning
// rate, and that the checkpoint left behind is the last good one.
func TestNonFiniteLossStopsWithHint(t *testing.T) {
	cfg := tinyConfig()
	cfg.Optimizer, cfg.Momentum, cfg.LR, cfg.WarmupEpochs, cfg.Schedule = "sgd", 0, 1e12, 0, "constant"
	cfg.BNRecalibrate = 0
	dir := t.TempDir()
	res, err := runTrainer(t, cfg, tinyData(t, 20, 2, false), dir, false, 0)
	var nf *NonFiniteError
	if !errors.As(err, &nf) {
		t.Fatalf("got error %v, want a NonFiniteError", err)
	}
	if nf.Epoch != 1 || nf.Batch < 2 || !strings.Contains(err.Error(), "learning rate") || res.Status != "failed" {
		t.Errorf("error %q (epoch %d, batch %d), status %q", err, nf.Epoch, nf.Batch, res.Status)
	}
	if _, statErr := os.Stat(filepath.Join(dir, CheckpointFile)); statErr == nil {
		t.Errorf("a checkpoint was written although no epoch finished")
	}
}

// TestEarlyStoppingAndBestEpoch checks that training stops after Patience
// epochs without a better validation result. A linear probe with a
// learning rate far below float32 resolution changes no weight at all, so
// the first epoch stays the best.
func TestEarlyStoppingAndBestEpoch(t *testing.T) {
	cfg := tinyConfig()
	cfg.Epochs, cfg.Patience = 6, 2
	cfg.Strategy = zoo.Strategy{Kind: zoo.LinearProbe}
	cfg.LR, cfg.Schedule, cfg.WarmupEpochs = 1e-30, "constant", 0
	res, err := runTrainer(t, cfg, tinyData(t, 10, 2, true), t.TempDir(), false, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != "stopped-early" || res.EpochsRun != 3 || res.BestEpoch != 1 {
		t.Errorf("status %q after %d epochs, best epoch %d; want stopped-early after 3, best 1", res.Status, res.EpochsRun, res.BestEpoch)
	}
	for _, h := range res.History[1:] {
		if *h.Val != *res.History[0].Val {
			t.Errorf("epoch %d: validation %+v differs from epoch 1's %+v although no weight changed", h.Epoch, *h.Val, *res.History[0].Val)
		}
	}
}

// TestResumeRefusesOtherConfiguration checks that a checkpoint is only
// resumed with the configuration that wrote it.
func TestResumeRefusesOtherConfiguration(t *testing.T) {
	cfg := tinyConfig()
	cfg.Epochs = 1
	data := tinyData(t, 10, 2, false)
	dir := t.TempDir()
	if _, err := runTrainer(t, cfg, data, dir, false, 0); err != nil {
		t.Fatal(err)
	}
	cfg.LR *= 2
	if _, err := runTrainer(t, cfg, data, dir, true, 0); err == nil || !strings.Contains(err.Error(), "another configuration") {
		t.Errorf("resuming with another learning rate: %v", err)
	}
	if _, err := runTrainer(t, cfg, data, t.TempDir(), true, 0); err == nil || !strings.Contains(err.Error(), CheckpointFile) {
		t.Errorf("resuming without a checkpoint: %v", err)
	}
}

// TestProgressiveUnfreezing checks that the trainable part grows epoch by
// epoch, from the head alone.
func TestProgressiveUnfreezing(t *testing.T) {
	cfg := tinyConfig()
	cfg.Epochs = 3
	cfg.Strategy = zoo.Strategy{Kind: zoo.ProgressiveUnfreeze, Every: 1}
	cfg.CacheFeatures = true
	m := tinyModel(t, 1)
	tr := &Trainer{Model: m, Config: cfg, Data: tinyData(t, 6, 1, false), Dir: t.TempDir()}
	res, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	stages := m.Stages()
	want := []int64{stages[len(stages)-1].Params}
	want = append(want, want[0]+stages[len(stages)-2].Params, want[0]+stages[len(stages)-2].Params+stages[len(stages)-3].Params)
	for i, h := range res.History {
		if int64(h.Trainable) != want[i] {
			t.Errorf("epoch %d trains %d parameters, want %d", h.Epoch, h.Trainable, want[i])
		}
	}
}

// TestResumeAfterTheLastEpoch resumes progressive unfreezing from a
// checkpoint written after its last epoch (a run killed in its final
// evaluation), without and with early stopping, and checks that the model
// is frozen as in that last epoch: the final BatchNorm re-estimation gives
// the same test result, and the trainable parameters reported are the last
// epoch's.
func TestResumeAfterTheLastEpoch(t *testing.T) {
	stopping := tinyConfig()
	stopping.Epochs, stopping.Patience = 6, 2
	stopping.LR, stopping.Schedule, stopping.WarmupEpochs = 1e-30, "constant", 0
	for _, c := range []struct {
		name string
		cfg  Config
		val  bool
	}{{"every epoch trained", tinyConfig(), false}, {"stopped early", stopping, true}} {
		cfg := c.cfg
		cfg.Strategy = zoo.Strategy{Kind: zoo.ProgressiveUnfreeze, Every: 1}
		data := tinyData(t, 6, 2, c.val)
		dir := t.TempDir()
		whole, err := runTrainer(t, cfg, data, dir, false, 0)
		if err != nil {
			t.Fatal(err)
		}
		again, err := runTrainer(t, cfg, data, dir, true, 0)
		if err != nil {
			t.Fatal(err)
		}
		sameOutcome(t, whole, again)
		var a, b zoo.Summary
		if err := errors.Join(json.Unmarshal(whole.Summary, &a), json.Unmarshal(again.Summary, &b)); err != nil {
			t.Fatal(err)
		}
		last := int64(whole.History[len(whole.History)-1].Trainable)
		if whole.Efficiency.TrainableParams != last || again.Efficiency.TrainableParams != last || a.TrainableParams != last || b.TrainableParams != last {
			t.Errorf("%s: trainable parameters %d (summary %d), resumed %d (summary %d); the last epoch trained %d",
				c.name, whole.Efficiency.TrainableParams, a.TrainableParams, again.Efficiency.TrainableParams, b.TrainableParams, last)
		}
	}
}

// TestEmptySplitsAreErrors checks that a split without images (or a
// training split of one image, which makes no batch) stops Run and Evaluate
// with an error saying which split, before anything is trained, rather than
// a panic.
func TestEmptySplitsAreErrors(t *testing.T) {
	full := tinyData(t, 2, 1, false)
	empty := &dataset.Subset{Src: full.Test}
	one := &dataset.Subset{Src: full.Train, Indices: []int{0}}
	for _, c := range []struct {
		name             string
		train, val, test dataset.Source
		want             string
	}{
		{"no test images", full.Train, nil, empty, "test data: the test split is empty"},
		{"no training images", empty, nil, full.Test, "training data: the training split is empty"},
		{"all held out", empty, full.Train, full.Test, "training data: the training split is empty: the validation split holds all 20 images"},
		{"one training image", one, nil, full.Test, "training data: a single image makes no training batch"},
	} {
		data := full
		data.Train, data.Val, data.Test = c.train, c.val, c.test
		res, err := runTrainer(t, tinyConfig(), data, t.TempDir(), false, 0)
		if err == nil || err.Error() != c.want && !strings.HasPrefix(err.Error(), c.want+":") {
			t.Errorf("%s: Run's error %v, want %q", c.name, err, c.want)
		}
		if res == nil || res.Status != "failed" || res.EpochsRun != 0 || err != nil && res.Error != err.Error() {
			t.Errorf("%s: result %+v", c.name, res)
		}
	}
	data := full
	data.Test = empty
	tr := &Trainer{Model: tinyModel(t, 1), Config: tinyConfig(), Data: data, Dir: t.TempDir()}
	if res, err := tr.Evaluate(); err == nil || err.Error() != "test data: the test split is empty" || res.Error != err.Error() {
		t.Errorf("Evaluate without test images: error %v, result's error %q", err, res.Error)
	}
}
