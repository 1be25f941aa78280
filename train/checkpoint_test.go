package train

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gocnn/gocnn/dataset"
	"github.com/gocnn/gocnn/safetensors"
)

// TestBatchesPerEpoch checks the count of training batches, including the
// dropped single-image batch and data too small for any batch.
func TestBatchesPerEpoch(t *testing.T) {
	c := Config{BatchSize: 16}
	for _, tc := range []struct{ images, want int }{
		{0, 0}, {1, 0}, {2, 1}, {16, 1}, {17, 1}, {18, 2}, {32, 2}, {33, 2}, {100, 7},
	} {
		if got := c.BatchesPerEpoch(tc.images); got != tc.want {
			t.Errorf("%d images in batches of 16: %d batches, want %d", tc.images, got, tc.want)
		}
	}
}

// interruptedRun runs a trainer in a new directory until it is interrupted
// after step cancelAt, and returns the directory, its checkpoint's path and
// a function that puts the checkpoint back as the interruption left it.
func interruptedRun(t *testing.T, cfg Config, data Data, cancelAt int) (dir, path string, restore func()) {
	t.Helper()
	dir = t.TempDir()
	if _, err := runTrainer(t, cfg, data, dir, false, cancelAt); err != ErrInterrupted {
		t.Fatalf("interrupted run: %v", err)
	}
	path = filepath.Join(dir, CheckpointFile)
	saved, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	restore = func() {
		t.Helper()
		if err := safetensors.WriteFile(path, saved.Tensors, saved.Metadata); err != nil {
			t.Fatal(err)
		}
	}
	return dir, path, restore
}

// editCheckpoint rewrites the JSON state of the checkpoint at path.
func editCheckpoint(t *testing.T, path string, edit func(*CheckpointState)) {
	t.Helper()
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st CheckpointState
	if err := json.Unmarshal([]byte(f.Metadata[checkpointKey]), &st); err != nil {
		t.Fatal(err)
	}
	edit(&st)
	js, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	f.Metadata[checkpointKey] = string(js)
	if err := safetensors.WriteFile(path, f.Tensors, f.Metadata); err != nil {
		t.Fatal(err)
	}
}

// TestCheckpointPositionIsChecked interrupts a run in its first epoch and
// checks that CheckCheckpoint accepts the checkpoint it left, and the
// position a run killed during its final evaluation leaves, but refuses
// positions outside the run (edited by hand, or from another run), naming
// the file; and that Trainer.Run itself refuses an epoch beyond the run
// instead of skipping the training.
func TestCheckpointPositionIsChecked(t *testing.T) {
	cfg := tinyConfig()
	data := tinyData(t, 10, 2, false) // 100 images: 7 batches of 16 per epoch
	dir, path, restore := interruptedRun(t, cfg, data, 3)
	if err := CheckCheckpoint(path, cfg, data.Train.Len()); err != nil {
		t.Fatalf("the checkpoint of an interrupted run: %v", err)
	}
	trained := func(st *CheckpointState) { // every epoch trained, the test to come
		st.Epoch, st.Batch, st.History = cfg.Epochs, 0, make([]EpochRecord, cfg.Epochs)
	}
	editCheckpoint(t, path, trained)
	if err := CheckCheckpoint(path, cfg, data.Train.Len()); err != nil {
		t.Errorf("a checkpoint with every epoch trained: %v", err)
	}
	for _, c := range []struct {
		name string
		edit func(*CheckpointState)
		want string
	}{
		{"epoch 99", func(st *CheckpointState) { st.Epoch = 99 }, "99 epochs trained, but the run has 2"},
		{"epoch -2", func(st *CheckpointState) { st.Epoch = -2 }, "negative position"},
		{"batch -1", func(st *CheckpointState) { st.Batch = -1 }, "negative position"},
		{"step -1", func(st *CheckpointState) { st.Step = -1 }, "negative position"},
		{"batch 7 of 7", func(st *CheckpointState) { st.Batch = 7 }, "7 batches of epoch 1 trained, but an epoch of this run has 7"},
		{"batch 100000", func(st *CheckpointState) { st.Batch = 100000 }, "100000 batches"},
		{"batches past the end", func(st *CheckpointState) { trained(st); st.Batch = 3 }, "3 batches of one more"},
		{"epochs without history", func(st *CheckpointState) { st.Epoch = 1 }, "history of 0"},
	} {
		restore()
		editCheckpoint(t, path, c.edit)
		err := CheckCheckpoint(path, cfg, data.Train.Len())
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v; want an error naming %s and saying %q", c.name, err, path, c.want)
		}
	}

	restore()
	editCheckpoint(t, path, func(st *CheckpointState) { st.Epoch = 99 })
	res, err := runTrainer(t, cfg, data, dir, true, 0)
	if err == nil || !strings.Contains(err.Error(), path) || res.Status == "ok" {
		t.Errorf("resuming a checkpoint at epoch 99 of 2: status %q, error %v", res.Status, err)
	}
}

// TestResumeRefusesOtherData interrupts a run and resumes it on other
// training data (a different subset of the same size, and with one more
// image per class) and on other validation data: each is refused, naming
// the checkpoint; on the same data the run resumes. A checkpoint without
// the data's fingerprint (written before it existed) resumes too.
func TestResumeRefusesOtherData(t *testing.T) {
	cfg := tinyConfig()
	cfg.Epochs = 1
	data := tinyData(t, 6, 1, false)
	dir, path, restore := interruptedRun(t, cfg, data, 2)
	shifted := data
	seven := mnistSubset(t, true, 7).(*dataset.Subset)
	shifted.Train = &dataset.Subset{Src: seven.Src, Indices: seven.Indices[1:61]} // as many images, one place on
	larger := tinyData(t, 7, 1, false)
	withVal := data
	withVal.Train, withVal.Val = dataset.SplitStratified(data.Train, 0.2, 1)
	for name, other := range map[string]Data{"shifted": shifted, "larger": larger, "validation": withVal} {
		restore()
		if _, err := runTrainer(t, cfg, other, dir, true, 0); err == nil || !strings.Contains(err.Error(), path) ||
			!strings.Contains(err.Error(), "other training or validation data") {
			t.Errorf("%s: resumed with error %v; want a refusal naming %s", name, err, path)
		}
	}
	restore()
	editCheckpoint(t, path, func(st *CheckpointState) { st.Data = "" })
	if res, err := runTrainer(t, cfg, data, dir, true, 0); err != nil || res.Status != "ok" {
		t.Errorf("a checkpoint without the data's fingerprint: status %q, %v", res.Status, err)
	}
	restore()
	if res, err := runTrainer(t, cfg, data, dir, true, 0); err != nil || res.Status != "ok" {
		t.Errorf("the same data: status %q, %v", res.Status, err)
	}
}

// TestCheckpointEveryKeepsAKilledRun writes a checkpoint after every
// optimiser step (CheckpointEvery of a nanosecond), kills the run in the
// middle of its first epoch without the checkpoint an interruption writes
// (a panic out of the step, as SIGKILL would stop it), and resumes: the
// checkpoint left is the one of the step before, and the resumed run, also
// writing a checkpoint every step, ends as the run that was never stopped.
func TestCheckpointEveryKeepsAKilledRun(t *testing.T) {
	cfg := tinyConfig()
	cfg.EMADecay = 0.9
	cfg.AccumSteps = 2
	data := tinyData(t, 24, 6, true)
	whole, err := runTrainer(t, cfg, data, t.TempDir(), false, 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	const killedAt = 4
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the run was not killed")
			}
		}()
		tr := tinyTrainer(t, cfg, data, dir, false)
		tr.CheckpointEvery = time.Nanosecond
		tr.afterStep = func(step int) {
			if step == killedAt {
				panic("killed")
			}
		}
		tr.Run(context.Background())
	}()
	_, st, err := readCheckpointState(filepath.Join(dir, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Epoch != 0 || st.Step != killedAt-1 || st.Batch != cfg.AccumSteps*(killedAt-1) || st.EpochSeen == 0 || st.EpochSeconds <= 0 {
		t.Fatalf("checkpoint left by the killed run at epoch %d, batch %d, step %d (%d images, %.3g s); want step %d of the first epoch",
			st.Epoch, st.Batch, st.Step, st.EpochSeen, st.EpochSeconds, killedAt-1)
	}
	tr := tinyTrainer(t, cfg, data, dir, true)
	tr.CheckpointEvery = time.Nanosecond
	resumed, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sameOutcome(t, whole, resumed)
}
