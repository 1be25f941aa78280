package train

// Checkpoints. One checkpoint is one safetensors file, so that writing it is
// a single atomic rename (safetensors.WriteFile): a run killed at any moment
// leaves either the previous checkpoint or the new one, never a model from
// one step beside an optimiser from another. The file holds
//
//	model.<state dict key>   the model's parameters and buffers (torchvision names)
//	optim.<buffer name>      the optimiser's per-parameter state (optim.State.Buffers)
//	ema.<state dict key>     the exponential moving average of the weights, when kept
//
// as float32 tensors, and under the metadata key "gocnn.checkpoint" a JSON
// document (CheckpointState) with everything else: the position in the run
// (epoch, batch within the epoch, optimiser step), the optimiser's
// hyper-parameters, the history, the best epoch so far, early-stopping and
// partial-epoch counters, and the configuration the run was started with.
//
// Random state needs no bytes of its own: the loader derives the order of
// every epoch and every sample's augmentation from (seed, epoch, item), and
// the trainer reseeds dropout and stochastic depth from (seed, step) before
// every step, so the position in the run determines every random draw to
// come. A resumed run therefore repeats the uninterrupted one bit for bit.
//
// Because the position decides what a resumed run does, reading a
// checkpoint checks that it can occur in the run (checkPosition): a state
// edited by hand or damaged is refused with an error naming the file, never
// trained from. CheckCheckpoint adds the one bound the file alone cannot
// give, the batches of an epoch, which depend on the training data.

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/gocnn/gocnn/dataset"
	"github.com/gocnn/gocnn/layers"
	"github.com/gocnn/gocnn/optim"
	"github.com/gocnn/gocnn/safetensors"
	"github.com/gocnn/gocnn/zoo"
)

// checkpointKey is the metadata key holding the JSON state.
const checkpointKey = zoo.MetaCheckpoint

// checkpointVersion changes when the layout of CheckpointState does.
const checkpointVersion = 1

// CheckpointState is the JSON part of a checkpoint.
type CheckpointState struct {
	Version int    `json:"version"`
	Model   string `json:"model"`
	Config  Config `json:"config"`

	Epoch int `json:"epoch"` // completed epochs
	Batch int `json:"batch"` // batches of epoch Epoch+1 already trained (0 at an epoch boundary)
	Step  int `json:"step"`  // optimiser steps taken

	// Partial counters of the epoch in progress (zero at an epoch boundary).
	EpochLoss    float64 `json:"epoch_loss"` // summed per-sample loss
	EpochCorrect int     `json:"epoch_correct"`
	EpochSeen    int     `json:"epoch_seen"`
	EpochSeconds float64 `json:"epoch_seconds"`

	TrainSeconds float64       `json:"train_seconds"`     // training wall time before this checkpoint
	TrainImages  int           `json:"train_images"`      // images trained on in completed epochs
	TrainCPU     float64       `json:"train_cpu_seconds"` // process CPU time of training before this checkpoint
	History      []EpochRecord `json:"history"`
	BestEpoch    int           `json:"best_epoch"` // 0 until a validation result exists
	BestVal      *EvalSummary  `json:"best_val,omitempty"`
	SinceBest    int           `json:"epochs_since_best"`

	Optimizer optim.State `json:"optimizer"` // without its buffers, which are tensors

	// Data identifies the training and validation data the run trained on
	// (dataFingerprint), so that a resumed run refuses data that changed
	// since: the order, the split and every batch depend on it. Empty in
	// checkpoints written before it existed, which are not checked.
	Data string `json:"data,omitempty"`
}

// dataFingerprint returns a digest of the items of the training and
// validation sources, in order: their count, names and labels (FNV-1a, 64
// bits, in hexadecimal). A file added, removed, renamed, relabelled or put
// in another order changes it; the pixels are not read.
func dataFingerprint(train, val dataset.Source) string {
	h := fnv.New64a()
	var buf []byte
	for _, src := range []dataset.Source{train, val} {
		if src == nil {
			h.Write([]byte("-\n"))
			continue
		}
		buf = strconv.AppendInt(buf[:0], int64(src.Len()), 10)
		h.Write(append(buf, '\n'))
		for i := range src.Len() {
			buf = append(append(buf[:0], src.Name(i)...), 0)
			buf = strconv.AppendInt(buf, int64(src.Label(i)), 10)
			h.Write(append(buf, '\n'))
		}
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

// saveCheckpoint writes st, the model, the optimiser state and the EMA
// weights (nil: none) to path atomically.
func saveCheckpoint(path string, st CheckpointState, model layers.Module, opt optim.Optimizer, ema *EMA) error {
	st.Version = checkpointVersion
	ost := opt.State()
	st.Optimizer = ost
	var tensors []safetensors.Tensor
	for _, t := range layers.StateDict(model) {
		t.Name = "model." + t.Name
		tensors = append(tensors, t)
	}
	for _, b := range ost.Buffers {
		tensors = append(tensors, safetensors.F32("optim."+b.Name, b.Shape, b.Data))
	}
	if ema != nil {
		tensors = append(tensors, ema.tensors("ema.")...)
	}
	js, err := MarshalNullable(st) // a NaN validation loss is null
	if err != nil {
		return fmt.Errorf("encoding checkpoint state: %w", err)
	}
	if err := safetensors.WriteFile(path, tensors, map[string]string{checkpointKey: string(js)}); err != nil {
		return fmt.Errorf("writing checkpoint %s: %w", path, err)
	}
	return nil
}

// readCheckpointState reads the checkpoint at path and decodes its JSON
// state, returning the file (its tensors not yet loaded) with it.
func readCheckpointState(path string) (*safetensors.File, CheckpointState, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, CheckpointState{}, fmt.Errorf("reading checkpoint: %w", err)
	}
	st, err := decodeCheckpointState(path, f.Metadata)
	if err != nil {
		return nil, st, err
	}
	return f, st, nil
}

// decodeCheckpointState decodes and checks the state in the metadata of the
// checkpoint at path.
func decodeCheckpointState(path string, metadata map[string]string) (CheckpointState, error) {
	var st CheckpointState
	js, ok := metadata[checkpointKey]
	if !ok {
		return st, fmt.Errorf("%s is not a gocnn checkpoint (no %q metadata)", path, checkpointKey)
	}
	if err := UnmarshalNullable([]byte(js), &st); err != nil {
		return st, fmt.Errorf("%s: damaged checkpoint state: %w", path, err)
	}
	if st.Version != checkpointVersion {
		return st, fmt.Errorf("%s: checkpoint format version %d, this program reads version %d", path, st.Version, checkpointVersion)
	}
	if err := checkPosition(path, st, st.Config.Epochs); err != nil {
		return st, err
	}
	return st, nil
}

// checkPosition checks that the position st records (in the file at path)
// can occur in a run of the given number of epochs: no negative counter, at
// most every epoch trained, no batch of an epoch after the last, and one
// history record per epoch trained (the two are saved together). A state
// edited by hand, or damaged, would otherwise make a resumed run skip its
// training and report success, or count its epochs from below zero.
func checkPosition(path string, st CheckpointState, epochs int) error {
	switch {
	case st.Epoch < 0 || st.Batch < 0 || st.Step < 0:
		return fmt.Errorf("%s: damaged checkpoint state: negative position (epoch %d, batch %d, step %d)", path, st.Epoch, st.Batch, st.Step)
	case st.Epoch > epochs:
		return fmt.Errorf("%s: the checkpoint has %d epochs trained, but the run has %d: it was edited or belongs to another run", path, st.Epoch, epochs)
	case st.Epoch == epochs && st.Batch != 0:
		return fmt.Errorf("%s: the checkpoint has all %d epochs trained and %d batches of one more: damaged checkpoint state", path, epochs, st.Batch)
	case len(st.History) != st.Epoch:
		return fmt.Errorf("%s: the checkpoint has %d epochs trained but a history of %d: damaged checkpoint state", path, st.Epoch, len(st.History))
	}
	return nil
}

// CheckCheckpoint reads the state of the checkpoint at path and checks that
// a run of configuration c on trainImages training images can resume from
// it: at most c.Epochs epochs trained, and fewer batches of the epoch in
// progress than an epoch holds (c.BatchesPerEpoch). The error names the
// file. Trainer.Run with Resume checks the architecture and the rest of the
// configuration; a program calls this first to refuse a bad checkpoint
// before it writes or trains anything.
func CheckCheckpoint(path string, c Config, trainImages int) error {
	metadata, err := safetensors.ReadMetadata(path) // the state only: the tensors are read when the run resumes
	if err != nil {
		return fmt.Errorf("reading checkpoint: %w", err)
	}
	st, err := decodeCheckpointState(path, metadata)
	if err != nil {
		return err
	}
	if err := checkPosition(path, st, c.Epochs); err != nil {
		return err
	}
	if batches := c.BatchesPerEpoch(trainImages); st.Epoch < c.Epochs && st.Batch >= batches {
		return fmt.Errorf("%s: the checkpoint has %d batches of epoch %d trained, but an epoch of this run has %d: it was edited or belongs to another run",
			path, st.Batch, st.Epoch+1, batches)
	}
	return nil
}

// restoreCheckpoint loads the tensors of f (read by readCheckpointState)
// into the model, the optimiser and the EMA (nil: none kept).
func restoreCheckpoint(path string, f *safetensors.File, st CheckpointState, model layers.Module, opt optim.Optimizer, ema *EMA) error {
	prefixed := func(prefix string) layers.LoadOptions {
		return layers.LoadOptions{
			Strict: true,
			Skip:   func(key string) bool { return !strings.HasPrefix(key, prefix) },
			Rename: func(key string) string { return strings.TrimPrefix(key, prefix) },
		}
	}
	if _, err := layers.LoadStateDict(model, f, prefixed("model.")); err != nil {
		return fmt.Errorf("%s: model: %w", path, err)
	}
	ost := st.Optimizer
	ost.Buffers = nil
	for _, t := range f.Tensors {
		name, ok := strings.CutPrefix(t.Name, "optim.")
		if !ok {
			continue
		}
		data, err := t.Float32()
		if err != nil {
			return fmt.Errorf("%s: optimiser buffer %s: %w", path, name, err)
		}
		ost.Buffers = append(ost.Buffers, optim.Buffer{Name: name, Shape: t.Shape, Data: data})
	}
	if err := opt.LoadState(ost); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if ema != nil {
		if err := ema.load(f, "ema.", st.Step); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}
