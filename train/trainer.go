package train

// The training loop.
//
// Trainer.Run trains one zoo model and returns its ModelResult. Per epoch:
//
//  1. the strategy freezes or unfreezes stages (strategy.go);
//  2. batches come from the loader in the order it derives from (seed,
//     epoch) — or, for a frozen backbone without augmentation, from cached
//     backbone features in that same order (features.go);
//  3. each batch: reseed dropout and stochastic depth from (seed, batch
//     number), forward, cross-entropy (class weights, label smoothing),
//     check that the loss is finite, backward (scaled by 1/AccumSteps);
//     every AccumSteps batches: clip the gradients, set the learning rate
//     from the schedule, step the optimiser, update the EMA;
//  4. after the epoch: swap in the EMA weights if kept, re-estimate BatchNorm
//     statistics, evaluate on the validation split, keep the best weights
//     (best.safetensors), write the checkpoint and history.csv, and stop
//     early when the validation result has not improved for Patience epochs.
//
// At the end the best weights (the last ones without a validation split)
// are evaluated on the test split and timed.
//
// Interruption: when ctx is cancelled (Ctrl-C in cmd/train), the loop
// finishes the optimiser step in progress, writes a checkpoint at that
// batch and returns ErrInterrupted; Run with Resume continues from it and
// produces the same bits as a run that was never interrupted. A run that is
// killed instead (SIGKILL, a power cut) resumes from its last checkpoint:
// the one written at the end of the last epoch, or a later one written in
// the middle of an epoch when CheckpointEvery is set. A loss that is NaN or
// infinite stops the run with a *NonFiniteError and writes nothing, so the
// last checkpoint is the last good state.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime/metrics"
	"time"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/dataset"
	"github.com/gocnn/gocnn/layers"
	"github.com/gocnn/gocnn/optim"
	"github.com/gocnn/gocnn/safetensors"
	"github.com/gocnn/gocnn/zoo"
)

// File names inside a model's directory.
const (
	CheckpointFile  = "checkpoint.safetensors"
	BestWeightsFile = "best.safetensors"
	HistoryFile     = "history.csv"
	MisclassDir     = "misclassified"
)

// ErrInterrupted is returned by Run when its context was cancelled; the
// checkpoint holds the state to resume from.
var ErrInterrupted = errors.New("training interrupted")

// NonFiniteError reports a loss that became NaN or infinite.
type NonFiniteError struct {
	Loss       float64
	Epoch      int // 1-based
	Batch      int // 1-based, within the epoch
	Step       int // optimiser steps taken before this batch
	LR         float64
	Checkpoint string // the last good checkpoint, "" if none was written
}

func (e *NonFiniteError) Error() string {
	keep := "no checkpoint was written yet"
	if e.Checkpoint != "" {
		keep = "the last good checkpoint is " + e.Checkpoint
	}
	return fmt.Sprintf("the loss became %v at epoch %d, batch %d (after %d optimiser steps); "+
		"the learning rate (%.3g) is probably too high: lower -lr, add warm-up or gradient clipping; %s",
		e.Loss, e.Epoch, e.Batch, e.Step, e.LR, keep)
}

// Data is what a model trains and is tested on.
type Data struct {
	Name           string
	Train          dataset.Source
	Val            dataset.Source // nil: no validation split
	Test           dataset.Source
	TrainTransform dataset.Transform
	EvalTransform  dataset.Transform
	Workers        int
	Warn           dataset.WarnFunc // nil: standard error
}

// Trainer trains one model.
type Trainer struct {
	Model  *zoo.Model
	Config Config
	Data   Data
	// Dir receives the checkpoint, the best weights, history.csv and the
	// misclassified test images.
	Dir string
	// Resume continues from Dir's checkpoint instead of starting afresh.
	Resume bool
	// Preset is the evaluation transform stored with the best weights
	// (zoo.Save's gocnn.preset; nil: the architecture's default), and
	// Metadata further string entries; the architecture, options and class
	// names are always stored.
	Preset   *zoo.Preset
	Metadata map[string]string
	// Misclassified is how many misclassified test images to keep (the
	// most confident mistakes).
	Misclassified int
	Progress      *Progress // nil: silent
	// CheckpointEvery, when positive, also writes the checkpoint in the
	// middle of an epoch: after the first optimiser step that ends at least
	// this long after the last checkpoint was written (or the run began), so
	// that a killed run loses at most about this much training. It changes
	// no result. 0: at the end of each epoch and on interruption only.
	CheckpointEvery time.Duration

	// afterStep, when set (by tests), runs after every optimiser step with
	// the number of steps taken.
	afterStep func(step int)

	opt       optim.Optimizer
	sched     optim.Schedule
	ema       *EMA
	loss      autograd.CrossEntropyOptions
	st        CheckpointState
	peakHeap  uint64
	heapProbe []metrics.Sample
	lastSave  time.Time // when the checkpoint was last written, or the run began
}

// Run trains, evaluates and measures the model. The returned result is
// filled as far as the run got, also when an error is returned.
func (t *Trainer) Run(ctx context.Context) (*ModelResult, error) {
	c := t.Config
	base := filepath.Base(t.Dir)
	res := t.newResult()
	res.Files = Files{Checkpoint: filepath.ToSlash(filepath.Join(base, CheckpointFile)),
		BestWeights: filepath.ToSlash(filepath.Join(base, BestWeightsFile)), HistoryCSV: filepath.ToSlash(filepath.Join(base, HistoryFile))}
	loaders, err := t.setup()
	if err != nil {
		return t.finish(res, err)
	}

	stopped := c.stoppedEarly(&t.st) // a resumed run that had stopped early
	var features *featureCache
	for t.st.Epoch < c.Epochs && !stopped {
		if ctx.Err() != nil {
			res.Status = "interrupted"
			return t.finish(res, ErrInterrupted)
		}
		epoch := t.st.Epoch
		trainable := applyStrategy(t.Model, c.Strategy, epoch)
		res.Efficiency.TrainableParams = int64(trainable)
		frozenBackbone := c.Strategy.TrainedStages(epoch, t.Model.BackboneStages()) == 0
		if frozenBackbone && c.CacheFeatures && !c.Augmented && features == nil {
			t.Progress.Printf("frozen backbone, no augmentation: computing the training features once")
			if features, err = newFeatureCache(t.Model, loaders.trainOrdered); err != nil {
				return t.finish(res, err)
			}
		}
		if !frozenBackbone {
			features = nil
		}
		clock := epochClock{start: time.Now(), cpu: cpuSeconds()}
		if err := t.trainEpoch(ctx, loaders.train, features, clock); err != nil {
			clock.advance(&t.st)
			if errors.Is(err, ErrInterrupted) {
				if serr := t.save(); serr != nil {
					return t.finish(res, serr)
				}
				res.Status = "interrupted"
			}
			return t.finish(res, err)
		}
		record := EpochRecord{Epoch: epoch + 1, LR: t.headLR(), Trainable: trainable,
			TrainLoss: t.st.EpochLoss / float64(max(t.st.EpochSeen, 1)), TrainAccuracy: float64(t.st.EpochCorrect) / float64(max(t.st.EpochSeen, 1))}
		if loaders.val != nil {
			err := t.withEvalWeights(loaders, epoch, func() error {
				m, _, err := t.evaluate(loaders.val, 0)
				if err != nil {
					return err
				}
				record.Val = &EvalSummary{Loss: m.Loss, Accuracy: m.Accuracy}
				if t.st.BestVal != nil && !better(*record.Val, *t.st.BestVal) {
					t.st.SinceBest++
					return nil
				}
				t.st.BestVal, t.st.BestEpoch, t.st.SinceBest = record.Val, epoch+1, 0
				return t.saveBest()
			})
			if err != nil {
				return t.finish(res, err)
			}
			stopped = c.stoppedEarly(&t.st)
		}
		clock.advance(&t.st)
		record.Seconds = t.st.EpochSeconds
		record.ImagesPerSecond = float64(t.st.EpochSeen) / t.st.EpochSeconds
		t.st.History = append(t.st.History, record)
		t.st.TrainImages += t.st.EpochSeen
		t.st.Epoch++
		t.st.Batch, t.st.EpochLoss, t.st.EpochCorrect, t.st.EpochSeen, t.st.EpochSeconds = 0, 0, 0, 0, 0
		t.Progress.Epoch(record, c.Epochs)
		if err := t.save(); err != nil {
			return t.finish(res, err)
		}
		if err := WriteHistoryCSV(filepath.Join(t.Dir, HistoryFile), t.st.History); err != nil {
			return t.finish(res, err)
		}
		if stopped {
			t.Progress.Printf("early stop: no better validation result for %d epochs", c.Patience)
		}
	}

	// A run resumed after its last epoch trained nothing here.
	if n := len(t.st.History); n > 0 {
		res.Efficiency.TrainableParams = int64(t.st.History[n-1].Trainable)
	}

	// Test the best weights (the last ones without validation).
	if loaders.val == nil {
		t.st.BestEpoch = t.st.Epoch
		if err := t.withEvalWeights(loaders, t.st.Epoch-1, t.saveBest); err != nil {
			return t.finish(res, err)
		}
	}
	if _, err := layers.LoadStateDictFile(filepath.Join(t.Dir, BestWeightsFile), t.Model, layers.LoadOptions{Strict: true}); err != nil {
		return t.finish(res, fmt.Errorf("reloading the best weights: %w", err))
	}
	layers.SetTraining(t.Model, false)
	test, mistakes, err := t.evaluate(loaders.test, t.Misclassified)
	if err != nil {
		return t.finish(res, err)
	}
	res.Test = &test
	if res.Misclassified, err = t.saveMisclassified(mistakes); err != nil {
		return t.finish(res, err)
	}
	t.measure(res)
	res.Status = "ok"
	if stopped {
		res.Status = "stopped-early"
	}
	return t.finish(res, nil)
}

// setup checks the configuration and builds the loaders, the optimiser,
// the schedule, the EMA and the loss options; with Resume it restores the
// checkpoint.
func (t *Trainer) setup() (*loaderSet, error) {
	c := t.Config
	if err := c.Validate(len(t.Data.Train.Classes())); err != nil {
		return nil, err
	}
	if err := t.checkSetup(); err != nil {
		return nil, err
	}
	loaders, err := t.loaders()
	if err != nil {
		return nil, err
	}
	stepsPerEpoch := (loaders.train.Len() + c.AccumSteps - 1) / c.AccumSteps
	t.opt, err = c.newOptimizer(c.paramGroups(t.Model))
	if err != nil {
		return nil, err
	}
	t.sched, err = c.newSchedule(stepsPerEpoch, stepsPerEpoch*c.Epochs)
	if err != nil {
		return nil, err
	}
	if c.EMADecay > 0 {
		t.ema = NewEMA(t.Model, c.EMADecay)
	}
	t.loss = autograd.CrossEntropyOptions{LabelSmoothing: c.LabelSmoothing}
	for _, w := range c.ClassWeights {
		t.loss.Weights = append(t.loss.Weights, float32(w))
	}
	t.st = CheckpointState{Model: t.Model.Arch, Config: c, Data: dataFingerprint(t.Data.Train, t.Data.Val)}
	if t.Resume {
		if err := t.restore(); err != nil {
			return nil, err
		}
		at := fmt.Sprintf("epoch %d, batch %d", t.st.Epoch+1, t.st.Batch)
		if c.trainingOver(&t.st) {
			at = fmt.Sprintf("the final evaluation (%d epochs trained)", t.st.Epoch)
		}
		t.Progress.Printf("resuming from %s at %s", filepath.Join(t.Dir, CheckpointFile), at)
	}
	t.heapProbe = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	t.lastSave = time.Now()
	return loaders, nil
}

// Evaluate tests the model's weights as they are, without training: test
// metrics, the most confident mistakes and the efficiency figures. Only
// Config.EvalBatch is used.
func (t *Trainer) Evaluate() (res *ModelResult, err error) {
	res = t.newResult()
	defer func() {
		if err != nil {
			res.Error = err.Error() // results.json says why
		}
	}()
	if t.Config.EvalBatch < 1 {
		return res, fmt.Errorf("evaluation batch size %d: need at least 1", t.Config.EvalBatch)
	}
	if err := t.checkSetup(); err != nil {
		return res, err
	}
	if t.Data.Test.Len() == 0 {
		return res, errors.New("test data: the test split is empty")
	}
	loader, err := dataset.NewLoader(t.Data.Test, t.Data.EvalTransform, dataset.LoaderOptions{BatchSize: t.Config.EvalBatch,
		Workers: t.Data.Workers, Warn: t.Data.Warn})
	if err != nil {
		return res, fmt.Errorf("test data: %w", err)
	}
	test, mistakes, err := t.evaluate(loader, t.Misclassified)
	if err != nil {
		return res, err
	}
	res.Test = &test
	if res.Misclassified, err = t.saveMisclassified(mistakes); err != nil {
		return res, err
	}
	t.measure(res)
	res.Efficiency.TrainableParams = 0
	res.Efficiency.MaxRSSMB = maxRSSMB()
	res.Status = "ok"
	return res, nil
}

// newResult starts the result of the model, with what is known before
// anything runs.
func (t *Trainer) newResult() *ModelResult {
	res := &ModelResult{Model: t.Model.Arch, Config: t.Config, Status: "failed", Stages: stageNamesOf(t.Model),
		Misclassified: []Misclassified{}, Data: t.dataInfo()}
	res.Options, _ = json.Marshal(t.Model.Options)
	return res
}

// checkSetup checks that the model fits the data and creates Dir.
func (t *Trainer) checkSetup() error {
	if classes := t.Data.Test.Classes(); t.Model.Options.Classes != len(classes) {
		return fmt.Errorf("%s has %d outputs but the data has %d classes", t.Model.Arch, t.Model.Options.Classes, len(classes))
	}
	return ensureDir(t.Dir)
}

// finish copies the run's state into the result and passes err on.
func (t *Trainer) finish(res *ModelResult, err error) (*ModelResult, error) {
	res.History = append([]EpochRecord{}, t.st.History...)
	res.EpochsRun = t.st.Epoch
	res.BestEpoch, res.BestVal = t.st.BestEpoch, t.st.BestVal
	res.Efficiency.TrainSeconds = t.st.TrainSeconds
	res.Efficiency.TrainCPUSeconds = t.st.TrainCPU
	if t.st.TrainSeconds > 0 {
		res.Efficiency.TrainImagesPerSecond = float64(t.st.TrainImages+t.st.EpochSeen) / t.st.TrainSeconds
	}
	res.Efficiency.PeakHeapMB = float64(t.peakHeap) / 1e6
	res.Efficiency.MaxRSSMB = maxRSSMB()
	if err != nil && res.Status != "interrupted" {
		res.Error = err.Error()
	}
	return res, err
}

// better reports whether validation result a beats b: higher accuracy, or
// equal accuracy and lower loss.
func better(a, b EvalSummary) bool {
	return a.Accuracy > b.Accuracy || (a.Accuracy == b.Accuracy && a.Loss < b.Loss)
}

// headLR is the learning rate of the last parameter group (the head's).
func (t *Trainer) headLR() float64 {
	g := t.opt.Groups()
	return g[len(g)-1].LR
}

// loaderSet holds the loaders of one run.
type loaderSet struct {
	train        *dataset.Loader // shuffled, training transform
	trainOrdered *dataset.Loader // in order, training transform (feature caching)
	calib        *dataset.Loader // shuffled training images, evaluation transform (BatchNorm re-estimation)
	val, test    *dataset.Loader
}

func (t *Trainer) loaders() (*loaderSet, error) {
	c, d := t.Config, t.Data
	mk := func(src dataset.Source, tf dataset.Transform, batch int, shuffle, dropLast bool, seed uint64) (*dataset.Loader, error) {
		if src == nil {
			return nil, nil
		}
		return dataset.NewLoader(src, tf, dataset.LoaderOptions{BatchSize: batch, Shuffle: shuffle, DropLast: dropLast,
			Seed: seed, Workers: d.Workers, Warn: d.Warn})
	}
	// An empty split would stop the loader with a message that names no
	// split; say which one, and where the training images went when a
	// validation split took them all.
	switch {
	case d.Train.Len() == 0 && d.Val != nil && d.Val.Len() > 0:
		return nil, fmt.Errorf("training data: the training split is empty: the validation split holds all %d images", d.Val.Len())
	case d.Train.Len() == 0:
		return nil, errors.New("training data: the training split is empty")
	case d.Test.Len() == 0:
		return nil, errors.New("test data: the test split is empty")
	}
	var ls loaderSet
	var err error
	if ls.train, err = mk(d.Train, d.TrainTransform, c.BatchSize, true, c.dropsLast(d.Train.Len()), c.Seed); err != nil {
		return nil, fmt.Errorf("training data: %w", err)
	}
	if ls.trainOrdered, err = mk(d.Train, d.TrainTransform, c.EvalBatch, false, false, c.Seed); err != nil {
		return nil, fmt.Errorf("training data: %w", err)
	}
	if ls.calib, err = mk(d.Train, d.EvalTransform, c.BatchSize, true, false, c.Seed^calibSeed); err != nil {
		return nil, fmt.Errorf("training data: %w", err)
	}
	if d.Val != nil && d.Val.Len() > 0 {
		if ls.val, err = mk(d.Val, d.EvalTransform, c.EvalBatch, false, false, c.Seed); err != nil {
			return nil, fmt.Errorf("validation data: %w", err)
		}
	}
	if ls.test, err = mk(d.Test, d.EvalTransform, c.EvalBatch, false, false, c.Seed); err != nil {
		return nil, fmt.Errorf("test data: %w", err)
	}
	if ls.train.Len() == 0 {
		return nil, errors.New("training data: a single image makes no training batch: batch statistics need at least two")
	}
	return &ls, nil
}

// calibSeed separates the order of the re-estimation batches from the
// training order.
const calibSeed = 0xb47c4a11b

// stepSeed is the seed of dropout and stochastic depth for a batch.
func stepSeed(seed uint64, batch int) uint64 {
	x := seed ^ (uint64(batch)+1)*0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// epochClock is when the training of an epoch (or of its rest, after a
// resume) began, in wall-clock and process CPU time.
type epochClock struct {
	start time.Time
	cpu   float64
}

// advance adds the time since the clock started to st's time counters.
func (c epochClock) advance(st *CheckpointState) {
	seconds := time.Since(c.start).Seconds()
	st.EpochSeconds += seconds
	st.TrainSeconds += seconds
	st.TrainCPU += cpuSeconds() - c.cpu
}

// trainEpoch runs the batches of the current epoch from t.st.Batch on;
// clock is the epoch's, for the checkpoints it writes on the way.
func (t *Trainer) trainEpoch(ctx context.Context, loader *dataset.Loader, features *featureCache, clock epochClock) error {
	c := t.Config
	epoch := t.st.Epoch
	batches := loader.Len()
	var next func() (*dataset.Batch, error)
	if features != nil {
		next = features.batches(loader.Order(epoch), c.BatchSize, batches, t.st.Batch)
	} else {
		ep := loader.Epoch(epoch)
		defer ep.Close()
		for range t.st.Batch {
			if _, err := ep.Next(); err != nil {
				return fmt.Errorf("skipping to batch %d of epoch %d: %w", t.st.Batch, epoch+1, err)
			}
		}
		next = ep.Next
	}
	resumedAt := t.st.Batch
	start := time.Now()
	for b := t.st.Batch; b < batches; b++ {
		batch, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if err := t.trainBatch(batch, features, epoch*batches+b); err != nil {
			return err
		}
		t.st.Batch = b + 1
		if t.st.Batch%c.AccumSteps != 0 && t.st.Batch != batches {
			continue
		}
		t.optimizerStep()
		elapsed := time.Since(start)
		t.Progress.Step(StepInfo{Epoch: epoch + 1, Epochs: c.Epochs, Batch: t.st.Batch, Batches: batches,
			Loss: t.st.EpochLoss / float64(t.st.EpochSeen), Accuracy: float64(t.st.EpochCorrect) / float64(t.st.EpochSeen),
			ImagesPerSecond: float64(t.st.EpochSeen) / (t.st.EpochSeconds + elapsed.Seconds()), Elapsed: elapsed, ResumedFromBatch: resumedAt})
		if t.afterStep != nil {
			t.afterStep(t.st.Step)
		}
		if ctx.Err() != nil && t.st.Batch < batches {
			return ErrInterrupted
		}
		if t.CheckpointEvery > 0 && t.st.Batch < batches && time.Since(t.lastSave) >= t.CheckpointEvery {
			st := t.st // the epoch's counters as an interruption now would leave them
			clock.advance(&st)
			if err := t.saveState(st); err != nil {
				return err
			}
		}
	}
	return nil
}

// trainBatch runs one batch (number index counted from the start of the
// run) forward and backward and adds it to the epoch's counters; the
// caller steps the optimiser. A NaN or infinite loss is a *NonFiniteError.
func (t *Trainer) trainBatch(batch *dataset.Batch, features *featureCache, index int) error {
	layers.Reseed(t.Model, stepSeed(t.Config.Seed, index))
	var logits *autograd.Tensor
	if features != nil {
		logits = features.head(batch.Images)
	} else {
		logits = t.Model.Forward(batch.Images)
	}
	t.sampleHeap()
	loss := autograd.CrossEntropy(logits, batch.Labels, t.loss)
	value := float64(loss.Item())
	if math.IsNaN(value) || math.IsInf(value, 0) {
		return t.nonFinite(value, t.st.Batch)
	}
	data := logits.Data()
	classes := logits.Dim(1)
	for i, label := range batch.Labels {
		if Argmax(data[i*classes:(i+1)*classes]) == label {
			t.st.EpochCorrect++
		}
	}
	n := len(batch.Labels)
	t.st.EpochLoss += value * float64(n)
	t.st.EpochSeen += n
	if t.Config.AccumSteps > 1 {
		loss = autograd.Scale(loss, 1/float32(t.Config.AccumSteps))
	}
	loss.Backward()
	return nil
}

// optimizerStep clips, schedules and applies one update, then updates the
// EMA.
func (t *Trainer) optimizerStep() {
	if t.Config.ClipNorm > 0 {
		var params []*autograd.Tensor
		for _, g := range t.opt.Groups() {
			params = append(params, g.Params...)
		}
		optim.ClipGradNorm(params, t.Config.ClipNorm)
	}
	optim.ApplySchedule(t.opt, t.sched, t.st.Step)
	t.opt.Step()
	t.opt.ZeroGrad()
	t.st.Step++
	if t.ema != nil {
		t.ema.Update()
	}
}

// nonFinite builds the error for a NaN or infinite loss at batch b.
func (t *Trainer) nonFinite(loss float64, b int) error {
	e := &NonFiniteError{Loss: loss, Epoch: t.st.Epoch + 1, Batch: b + 1, Step: t.st.Step, LR: t.headLR()}
	if _, err := os.Stat(filepath.Join(t.Dir, CheckpointFile)); err == nil {
		e.Checkpoint = filepath.Join(t.Dir, CheckpointFile)
	}
	t.opt.ZeroGrad()
	return e
}

// sampleHeap records the live heap after a forward pass, when the
// activations kept for backward are all alive.
func (t *Trainer) sampleHeap() {
	metrics.Read(t.heapProbe)
	if v := t.heapProbe[0].Value; v.Kind() == metrics.KindUint64 {
		t.peakHeap = max(t.peakHeap, v.Uint64())
	}
}

// withEvalWeights runs fn with the weights evaluation uses in place: the
// EMA's when kept, with BatchNorm statistics re-estimated when configured.
func (t *Trainer) withEvalWeights(ls *loaderSet, epoch int, fn func() error) error {
	if t.ema != nil {
		t.ema.Swap()
		defer t.ema.Swap()
	}
	if err := recalibrateBN(t.Model, ls.calib, epoch, t.Config.BNRecalibrate); err != nil {
		return err
	}
	return fn()
}

// mistake is a misclassified test image.
type mistake struct {
	index, label, pred int
	confidence         float64
}

// evaluate runs the model in evaluation mode over every batch of loader and
// returns the metrics and up to keep of the most confident mistakes.
func (t *Trainer) evaluate(loader *dataset.Loader, keep int) (Metrics, []mistake, error) {
	classes := loader.Source().Classes()
	layers.SetTraining(t.Model, false)
	ev := NewEvaluator(len(classes))
	var worst []mistake
	ep := loader.Epoch(0)
	defer ep.Close()
	for {
		b, err := ep.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Metrics{}, nil, err
		}
		logits := t.Model.Forward(autograd.NoGrad(b.Images))
		loss := autograd.CrossEntropy(logits, b.Labels, autograd.CrossEntropyOptions{})
		data := logits.Data()
		ev.Add(data, b.Labels, float64(loss.Item())*float64(len(b.Labels)))
		if keep > 0 {
			k := len(classes)
			for i, label := range b.Labels {
				row := data[i*k : (i+1)*k]
				if p := Argmax(row); p != label {
					worst = keepMostConfident(worst, mistake{b.Indices[i], label, p, softmaxAt(row, p)}, keep)
				}
			}
		}
		autograd.Release(logits, loss)
	}
	return ev.Metrics(classes), worst, nil
}

// softmaxAt returns softmax(row)[j].
func softmaxAt(row []float32, j int) float64 {
	top := float64(row[Argmax(row)])
	sum := 0.0
	for _, v := range row {
		sum += math.Exp(float64(v) - top)
	}
	return math.Exp(float64(row[j])-top) / sum
}

// keepMostConfident inserts m into list, sorted by decreasing confidence
// (then by index), keeping at most keep entries.
func keepMostConfident(list []mistake, m mistake, keep int) []mistake {
	i := 0
	for i < len(list) && (list[i].confidence > m.confidence || (list[i].confidence == m.confidence && list[i].index < m.index)) {
		i++
	}
	if i >= keep {
		return list
	}
	list = append(list, mistake{})
	copy(list[i+1:], list[i:])
	list[i] = m
	if len(list) > keep {
		list = list[:keep]
	}
	return list
}

// saveBest writes the model's current weights as the best ones, with the
// zoo's metadata.
func (t *Trainer) saveBest() error {
	return zoo.Save(filepath.Join(t.Dir, BestWeightsFile), t.Model,
		zoo.SaveOptions{ClassNames: t.Data.Test.Classes(), Preset: t.Preset, Metadata: t.Metadata})
}

// save writes the checkpoint.
func (t *Trainer) save() error { return t.saveState(t.st) }

// saveState writes a checkpoint of the model, the optimiser and the EMA as
// they are, with st as its position and counters.
func (t *Trainer) saveState(st CheckpointState) error {
	if err := saveCheckpoint(filepath.Join(t.Dir, CheckpointFile), st, t.Model, t.opt, t.ema); err != nil {
		return err
	}
	t.lastSave = time.Now()
	return nil
}

// restore loads the checkpoint of an earlier run of the same configuration.
func (t *Trainer) restore() error {
	path := filepath.Join(t.Dir, CheckpointFile)
	// A checkpoint being written when the run was killed left its
	// temporary file; the run that wrote it is over.
	if err := safetensors.RemoveTemps(path); err != nil {
		return fmt.Errorf("removing an unfinished checkpoint: %w", err)
	}
	f, st, err := readCheckpointState(path)
	if err != nil {
		return err
	}
	if st.Model != t.Model.Arch {
		return fmt.Errorf("%s is a checkpoint of %s, not %s", path, st.Model, t.Model.Arch)
	}
	if !reflect.DeepEqual(st.Config, t.Config) {
		was, _ := json.Marshal(st.Config)
		now, _ := json.Marshal(t.Config)
		return fmt.Errorf("%s was made with another configuration; resume with the same flags\ncheckpoint: %s\nthis run:   %s", path, was, now)
	}
	if st.Data != "" && st.Data != t.st.Data {
		return fmt.Errorf("%s was made on other training or validation data (files added, removed, renamed or relabelled since, "+
			"or another -limit or -val): resume on the same data, or start a new run", path)
	}
	// The checkpoint's strategy state: freeze as in the epoch it stopped in,
	// so the optimiser sees the same trainable parameters. A run that is
	// over (every epoch trained, or stopped early) freezes as in its last
	// epoch, which the final BatchNorm re-estimation and the summary's
	// trainable parameters follow.
	epoch := st.Epoch
	if t.Config.trainingOver(&st) {
		epoch = max(epoch-1, 0)
	}
	applyStrategy(t.Model, t.Config.Strategy, epoch)
	if err := restoreCheckpoint(path, f, st, t.Model, t.opt, t.ema); err != nil {
		return err
	}
	t.st = st
	return nil
}

// measure fills in the efficiency figures of the (best) model.
func (t *Trainer) measure(res *ModelResult) {
	e := &res.Efficiency
	input := t.inputShape()
	if s, err := zoo.Summarize(t.Model, input[1]); err == nil {
		e.Params, e.MACs, e.FLOPs = s.Params, s.MACs, s.FLOPs
		res.Summary, _ = json.Marshal(s)
	}
	for _, nt := range layers.StateTensors(t.Model) {
		e.SizeMB += float64(4*nt.Tensor.Numel()) / 1e6
	}
	e.InferenceBatch1 = TimeInference(t.Model, input, 1, 3, 15)
	e.InferenceEvalBatch = TimeInference(t.Model, input, t.Config.EvalBatch, 1, 5)
}

// inputShape is (C, H, W) of one evaluation image: the first test image
// through the evaluation transform, or the model's input size when there is
// no readable test image (Run and Evaluate then report an empty test split).
func (t *Trainer) inputShape() []int {
	c, h, w := 3, t.Model.Options.InputSize, t.Model.Options.InputSize
	if t.Data.Test.Len() == 0 {
		return []int{c, h, w}
	}
	if img, err := t.Data.Test.Image(0); err == nil {
		v := t.Data.EvalTransform.Apply(dataset.Value{Image: img}, nil)
		c, h, w = v.Shape()
	}
	return []int{c, h, w}
}

// dataInfo describes the data for results.json.
func (t *Trainer) dataInfo() DataInfo {
	d := t.Data
	info := DataInfo{Name: d.Name, Classes: d.Test.Classes(), Test: d.Test.Len(), Input: t.inputShape(),
		EvalTransform: d.EvalTransform.String()}
	if d.Train != nil {
		info.Train, info.TrainTransform = d.Train.Len(), d.TrainTransform.String()
	}
	if d.Val != nil {
		info.Val = d.Val.Len()
	}
	return info
}

// stageNamesOf lists the model's stage names.
func stageNamesOf(m *zoo.Model) []string {
	var names []string
	for _, s := range m.Stages() {
		names = append(names, s.Name)
	}
	return names
}
