package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gocnn/gocnn/internal/vis"
	"github.com/gocnn/gocnn/layers"
	"github.com/gocnn/gocnn/report"
	"github.com/gocnn/gocnn/safetensors"
	"github.com/gocnn/gocnn/train"
	"github.com/gocnn/gocnn/zoo"
)

// quick are the flags of a run that takes a few seconds: a narrow
// ResNet-18 on 200 images of the embedded sample.
var quick = []string{"-model", "resnet18", "-width", "0.125", "-limit", "200", "-epochs", "2", "-batch", "16",
	"-bn-recal", "2", "-eval-batch", "500", "-misclassified", "3"}

// invoke runs the program in-process and returns its exit code and output.
func invoke(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func readResultsFile(t *testing.T, dir string) train.Results {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r train.Results
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// keys lists the keys of a JSON object.
func keys(t *testing.T, v any, where string) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s is not a JSON object: %v", where, v)
	}
	return m
}

// TestResultsHaveEveryField runs a short training with a validation split
// and checks that results.json has every field docs/RESULTS.md documents,
// with sensible values, and that the other files are written: history.csv,
// the checkpoint, the best weights with the zoo's metadata and the
// misclassified images, the dashboard and its visuals. It then evaluates the best weights with -eval-only
// and expects the same test accuracy.
func TestResultsHaveEveryField(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	code, stdout, stderr := invoke(t, context.Background(), append(quick, "-val", "0.2", "-out", dir)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"| Model", "| Precision", "| Training time (min)", "FLOPs = 2 × MACs", "resnet18: width 0.125"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	required := map[string][]string{
		"":           {"version", "run", "models"},
		"run":        {"started", "finished", "args", "git_commit", "git_modified", "go_version", "os", "arch", "cpu_path", "gomaxprocs", "threads", "num_cpu"},
		"model":      {"model", "options", "config", "data", "stages", "status", "epochs_run", "best_epoch", "best_val", "test", "history", "efficiency", "misclassified", "summary", "files"},
		"test":       {"samples", "loss", "accuracy", "top_k", "top_k_accuracy", "macro", "weighted", "per_class", "confusion"},
		"efficiency": {"train_seconds", "train_cpu_seconds", "train_images_per_second", "inference_batch1", "inference_eval_batch", "params", "trainable_params", "macs", "flops", "size_mb", "peak_heap_mb", "max_rss_mb"},
		"data":       {"name", "classes", "train_images", "val_images", "test_images", "input", "train_transform", "eval_transform"},
		"epoch":      {"epoch", "lr", "train_loss", "train_accuracy", "val", "seconds", "images_per_second", "trainable_params"},
		"class":      {"class", "precision", "recall", "f1", "support"},
		"summary":    {"model", "options", "input", "layers", "blocks", "stages", "params", "trainable_params", "macs", "flops", "weight_bytes", "activation_bytes"},
		"mistake":    {"index", "name", "label", "predicted", "confidence", "file"},
		"files":      {"checkpoint", "best_weights", "history_csv"},
	}
	model := keys(t, keys(t, doc, "results")["models"].([]any)[0], "model")
	test := keys(t, model["test"], "test")
	objects := map[string]map[string]any{
		"":           doc,
		"run":        keys(t, doc["run"], "run"),
		"model":      model,
		"test":       test,
		"efficiency": keys(t, model["efficiency"], "efficiency"),
		"data":       keys(t, model["data"], "data"),
		"epoch":      keys(t, model["history"].([]any)[0], "history[0]"),
		"class":      keys(t, test["per_class"].([]any)[0], "per_class[0]"),
		"summary":    keys(t, model["summary"], "summary"),
		"mistake":    keys(t, model["misclassified"].([]any)[0], "misclassified[0]"),
		"files":      keys(t, model["files"], "files"),
	}
	for name, fields := range required {
		for _, f := range fields {
			if _, ok := objects[name][f]; !ok {
				t.Errorf("results.json: %s object lacks %q", name, f)
			}
		}
	}

	r := readResultsFile(t, dir)
	m := r.Models[0]
	if m.Status != "ok" || m.EpochsRun != 2 || len(m.History) != 2 || m.Test.Samples != 2000 || len(m.Test.Confusion) != 10 ||
		m.Data.Train != 160 || m.Data.Val != 40 || m.Efficiency.FLOPs != 2*m.Efficiency.MACs || m.Efficiency.Params == 0 ||
		m.Efficiency.InferenceBatch1.MsPerImage <= 0 || r.Run.GoVersion == "" || r.Run.CPUPath == "" {
		t.Errorf("implausible results: %+v\nrun %+v", m, r.Run)
	}
	csv, err := os.ReadFile(filepath.Join(dir, "resnet18", train.HistoryFile))
	if err != nil || strings.Count(string(csv), "\n") != 3 {
		t.Errorf("history.csv: %v\n%s", err, csv)
	}
	if _, err := os.Stat(filepath.Join(dir, "resnet18", train.CheckpointFile)); err != nil {
		t.Error(err)
	}
	for _, mis := range m.Misclassified {
		if _, err := os.Stat(filepath.Join(dir, mis.File)); err != nil {
			t.Errorf("misclassified image: %v", err)
		}
	}
	// The dashboard and the visuals it shows (feature maps, Grad-CAM).
	for _, file := range []string{report.HTMLFile, filepath.Join("resnet18", report.VisualsFile), filepath.Join("resnet18", vis.ProbesFile)} {
		if _, err := os.Stat(filepath.Join(dir, file)); err != nil {
			t.Errorf("dashboard files: %v", err)
		}
	}
	if !strings.Contains(stdout, "dashboard: "+filepath.Join(dir, report.HTMLFile)) {
		t.Errorf("output does not name the dashboard:\n%s", stdout)
	}
	if v, err := report.ReadVisuals(filepath.Join(dir, "resnet18", report.VisualsFile)); err != nil || len(v.Layers) == 0 || v.GradCAM == nil {
		t.Errorf("visuals: %v", err)
	}
	best := filepath.Join(dir, "resnet18", train.BestWeightsFile)
	f, err := safetensors.ReadFile(best)
	if err != nil {
		t.Fatal(err)
	}
	info, err := zoo.ReadInfo(f, best)
	if err != nil || info.Arch != "resnet18" || len(info.ClassNames) != 10 || info.Options == nil || info.Preset == nil {
		t.Errorf("best weights metadata: %+v, %v", info, err)
	}

	evalDir := filepath.Join(t.TempDir(), "eval")
	code, stdout, stderr = invoke(t, context.Background(), "-eval-only", "-weights", best, "-eval-batch", "500", "-out", evalDir)
	if code != 0 {
		t.Fatalf("-eval-only: exit %d\n%s\n%s", code, stdout, stderr)
	}
	e := readResultsFile(t, evalDir).Models[0]
	if e.Test == nil || e.Test.Accuracy != m.Test.Accuracy || e.Test.Loss != m.Test.Loss {
		t.Errorf("-eval-only of the best weights: %+v; the training run tested %v (loss %v)", e.Test, m.Test.Accuracy, m.Test.Loss)
	}

	// Weights holding a NaN: the evaluation's loss is not finite, which
	// results.json records as null and the program names in a warning.
	nanModel, info, err := zoo.Load(best, "", zoo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, nt := range layers.StateTensors(nanModel) {
		if nt.Name == "fc.weight" {
			nt.Tensor.Data()[0] = float32(math.NaN())
		}
	}
	damaged := filepath.Join(t.TempDir(), "nan.safetensors")
	if err := zoo.Save(damaged, nanModel, zoo.SaveOptions{ClassNames: info.ClassNames, Preset: info.Preset}); err != nil {
		t.Fatal(err)
	}
	nanDir := filepath.Join(t.TempDir(), "nan")
	code, stdout, stderr = invoke(t, context.Background(), "-eval-only", "-weights", damaged, "-eval-batch", "500", "-out", nanDir)
	if code != 0 {
		t.Fatalf("-eval-only of weights holding a NaN: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "not finite, written as null in results.json: test.loss") {
		t.Errorf("-eval-only of weights holding a NaN: no warning naming test.loss:\n%s", stderr)
	}
	if e := readResultsFile(t, nanDir).Models[0]; e.Test == nil || !math.IsNaN(e.Test.Loss) {
		t.Errorf("-eval-only of weights holding a NaN: test %+v, want a NaN loss", e.Test)
	}
	if b, err := os.ReadFile(filepath.Join(nanDir, "results.json")); err != nil || !strings.Contains(string(b), `"loss": null`) {
		t.Errorf("results.json of weights holding a NaN has no null loss (%v)", err)
	}
}

// cancelOn is an output writer that cancels a context when a line
// containing marker has been written.
type cancelOn struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	cancel context.CancelFunc
}

func (w *cancelOn) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.marker) {
		w.cancel()
	}
	return len(p), nil
}

// TestResumeAfterInterruptionGivesIdenticalMetrics stops a run in the
// middle of its first epoch (as Ctrl-C does: the context is cancelled),
// checks the exit code and the checkpoint, resumes it with -resume and
// compares every metric with an uninterrupted run.
func TestResumeAfterInterruptionGivesIdenticalMetrics(t *testing.T) {
	args := append(append([]string{}, quick...), "-val", "0.2", "-dropout", "0.3", "-head", "mlp:32", "-ema", "0.9")
	whole := filepath.Join(t.TempDir(), "whole")
	if code, out, errOut := invoke(t, context.Background(), append(args, "-out", whole)...); code != 0 {
		t.Fatalf("uninterrupted run: exit %d\n%s\n%s", code, out, errOut)
	}

	dir := filepath.Join(t.TempDir(), "cut")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &cancelOn{marker: "epoch 1/2 batch 3/", cancel: cancel}
	var errOut bytes.Buffer
	code := run(ctx, append(args, "-out", dir), out, &errOut)
	if code != exitInterrupted || !strings.Contains(errOut.String(), "-resume "+dir) {
		t.Fatalf("interrupted run: exit %d (want %d)\n%s\n%s", code, exitInterrupted, out.buf.String(), errOut.String())
	}
	cut := readResultsFile(t, dir)
	if len(cut.Models) != 1 || cut.Models[0].Status != "interrupted" || cut.Models[0].EpochsRun != 0 {
		t.Fatalf("results after the interruption: %+v", cut.Models)
	}

	// The same command again, without -resume, must leave the run alone.
	checkpoint := filepath.Join(dir, "resnet18", train.CheckpointFile)
	before := readFiles(t, checkpoint, filepath.Join(dir, "results.json"))
	code, _, stderr := invoke(t, context.Background(), append(args, "-out", dir)...)
	if code != exitUsage || !strings.Contains(stderr, dir+" already holds a run") || !strings.Contains(stderr, "-resume "+dir) {
		t.Errorf("the same command again: exit %d, %s", code, stderr)
	}
	if after := readFiles(t, checkpoint, filepath.Join(dir, "results.json")); !slices.Equal(before, after) {
		t.Errorf("the same command again changed the checkpoint or results.json")
	}
	// While another process runs in a directory (its lock held), neither a
	// resume of it starts nor a new run with it as -out (as when that run
	// has just begun: the directory is empty, but locked).
	if runLocks {
		starting := t.TempDir()
		for _, busy := range []struct {
			dir  string
			args []string
		}{
			{dir, []string{"-resume", dir}},
			{starting, append(slices.Clone(args), "-out", starting)},
		} {
			unlock, err := lockRun(busy.dir, func(msg string) { t.Error(msg) })
			if err != nil {
				t.Fatal(err)
			}
			code, _, stderr := invoke(t, context.Background(), busy.args...)
			if code != exitUsage || !strings.Contains(stderr, busy.dir+" is in use by another run (process "+strconv.Itoa(os.Getpid())+")") {
				t.Errorf("%v while the run directory is locked: exit %d, %s", busy.args, code, stderr)
			}
			unlock()
		}
		if after := readFiles(t, checkpoint, filepath.Join(dir, "results.json")); !slices.Equal(before, after) {
			t.Errorf("a refused run changed the checkpoint or results.json")
		}
		if entries, _ := os.ReadDir(starting); len(entries) != 1 || entries[0].Name() != lockFile {
			t.Errorf("a refused new run wrote into its -out: %v", entries)
		}
	}
	// A checkpoint whose position lies outside the run is refused, naming it.
	for _, edit := range []struct{ field, want string }{{"epoch", "99 epochs trained"}, {"batch", "99 batches of epoch 1"}} {
		bad := filepath.Join(t.TempDir(), "edited")
		if err := os.CopyFS(bad, os.DirFS(dir)); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(bad, "resnet18", train.CheckpointFile)
		editCheckpoint(t, path, func(st map[string]any) { st[edit.field] = 99 })
		code, _, stderr := invoke(t, context.Background(), "-resume", bad)
		if code != exitUsage || !strings.Contains(stderr, path) || !strings.Contains(stderr, edit.want) {
			t.Errorf("resuming with %s 99: exit %d, %s", edit.field, code, stderr)
		}
	}

	// A checkpoint write cut short by a kill leaves its temporary file,
	// which the resumed run removes.
	stale := filepath.Join(dir, "resnet18", "."+train.CheckpointFile+".tmp12345")
	if err := os.WriteFile(stale, []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	// With another number of loader workers and a checkpoint after every
	// step, which change no result.
	code, stdout, stderr := invoke(t, context.Background(), "-resume", dir, "-workers", "3", "-checkpoint-every", "1ns")
	if code != 0 || !strings.Contains(stdout, "resuming from") {
		t.Fatalf("resumed run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the unfinished checkpoint %s is still there after the resumed run (%v)", stale, err)
	}
	a, b := readResultsFile(t, whole).Models[0], readResultsFile(t, dir).Models[0]
	if a.Test.Accuracy != b.Test.Accuracy || a.Test.Loss != b.Test.Loss || a.Test.Macro != b.Test.Macro || a.BestEpoch != b.BestEpoch {
		t.Errorf("test results differ: uninterrupted %+v, resumed %+v", *a.Test, *b.Test)
	}
	for i := range a.History {
		x, y := a.History[i], b.History[i]
		if x.TrainLoss != y.TrainLoss || x.TrainAccuracy != y.TrainAccuracy || *x.Val != *y.Val || x.LR != y.LR {
			t.Errorf("epoch %d differs: %+v / %+v vs %+v / %+v", i+1, x, *x.Val, y, *y.Val)
		}
	}
}

// readFiles returns the contents of the files at paths.
func readFiles(t *testing.T, paths ...string) []string {
	t.Helper()
	var all []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, string(b))
	}
	return all
}

// editCheckpoint rewrites fields of the JSON state of the checkpoint at
// path, as a hand edit would.
func editCheckpoint(t *testing.T, path string, edit func(map[string]any)) {
	t.Helper()
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(f.Metadata["gocnn.checkpoint"]), &st); err != nil {
		t.Fatal(err)
	}
	edit(st)
	js, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	f.Metadata["gocnn.checkpoint"] = string(js)
	if err := safetensors.WriteFile(path, f.Tensors, f.Metadata); err != nil {
		t.Fatal(err)
	}
}

// tiny are the flags of a run of about a second.
var tiny = append(slices.Clone(quick), "-limit", "40", "-epochs", "1")

// TestResumeWarnsOfAMissingCheckpoint resumes a run whose results.json
// records an interrupted model whose checkpoint is gone: the model trains
// again from the start, and standard error says so, naming the file.
func TestResumeWarnsOfAMissingCheckpoint(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := train.Results{Run: train.NewRunInfo(tiny), Models: []train.ModelResult{{Model: "resnet18", Status: "interrupted"}}}
	if err := train.WriteResults(filepath.Join(dir, "results.json"), &r); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := invoke(t, context.Background(), "-resume", dir)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	missing := filepath.Join(dir, "resnet18", train.CheckpointFile)
	if !strings.Contains(stderr, "warning: resnet18: results.json records it as interrupted, but its checkpoint "+missing+" is missing") {
		t.Errorf("standard error does not name the missing checkpoint:\n%s", stderr)
	}
	if m := readResultsFile(t, dir).Models[0]; m.Status != "ok" || m.EpochsRun != 1 {
		t.Errorf("resumed model: status %q after %d epochs", m.Status, m.EpochsRun)
	}
}

// TestRefusesADirectoryHoldingARun checks that a new run does not start in
// a directory that holds another run's results.json or checkpoints, and
// leaves them as they were; directories without them are fine.
func TestRefusesADirectoryHoldingARun(t *testing.T) {
	results := filepath.Join(t.TempDir(), "results")
	os.MkdirAll(results, 0o755)
	os.WriteFile(filepath.Join(results, "results.json"), []byte("{}"), 0o644)
	checkpoints := filepath.Join(t.TempDir(), "checkpoints")
	os.MkdirAll(filepath.Join(checkpoints, "resnet18"), 0o755)
	os.WriteFile(filepath.Join(checkpoints, "resnet18", train.CheckpointFile), []byte("x"), 0o644)
	for _, c := range []struct {
		dir, held, content, want string
	}{
		{results, "results.json", "{}", "pass -resume " + results + " to continue it"},
		{checkpoints, filepath.Join("resnet18", train.CheckpointFile), "x", "not its results.json"},
	} {
		code, _, stderr := invoke(t, context.Background(), append(tiny, "-out", c.dir)...)
		if code != exitUsage || !strings.Contains(stderr, c.dir+" already holds") || !strings.Contains(stderr, c.held) ||
			!strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("-out %s: exit %d, %q", c.dir, code, stderr)
		}
		if b, err := os.ReadFile(filepath.Join(c.dir, c.held)); err != nil || string(b) != c.content {
			t.Errorf("-out %s: %s was changed (%q, %v)", c.dir, c.held, b, err)
		}
	}

	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "notes.txt"), []byte("x"), 0o644)
	os.MkdirAll(filepath.Join(other, "resnet18"), 0o755)
	for _, dir := range []string{filepath.Join(t.TempDir(), "new"), t.TempDir(), other} {
		if err := checkFreshOut(dir); err != nil {
			t.Errorf("%s holds no run, but: %v", dir, err)
		}
	}
}

// TestDefaultRunDirectoriesAreFresh runs twice without -out while every
// runs/<timestamp> of the coming minute already holds a run, as when runs
// start in the same second: each run gets a directory of its own, and the
// others are left alone.
func TestDefaultRunDirectoriesAreFresh(t *testing.T) {
	t.Chdir(t.TempDir())
	now := time.Now()
	taken := map[string]bool{}
	for s := range 60 {
		dir := filepath.Join("runs", now.Add(time.Duration(s)*time.Second).Format("20060102-150405"))
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "results.json"), []byte("{}"), 0o644)
		taken[filepath.Base(dir)] = true
	}
	for range 2 {
		if code, stdout, stderr := invoke(t, context.Background(), tiny...); code != exitOK {
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
	}
	entries, err := os.ReadDir("runs")
	if err != nil {
		t.Fatal(err)
	}
	var fresh []string
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("runs", e.Name(), "results.json"))
		switch {
		case err != nil:
			t.Errorf("%s: %v", e.Name(), err)
		case taken[e.Name()] && string(b) != "{}":
			t.Errorf("runs/%s was taken but has been written to", e.Name())
		case !taken[e.Name()]:
			fresh = append(fresh, e.Name())
		}
	}
	// Runs in the same second take <timestamp>-2, then -3; in different
	// seconds, -2 each.
	ok := len(fresh) == 2
	for _, name := range fresh {
		i := strings.LastIndex(name, "-")
		n, err := strconv.Atoi(name[i+1:])
		ok = ok && i > 0 && taken[name[:i]] && err == nil && n >= 2
	}
	if !ok {
		t.Errorf("the two runs wrote to %v; want two directories named <timestamp>-N, N ≥ 2, after taken timestamps", fresh)
	}
}

// TestNonFiniteLossExitsWithHint trains with an absurd learning rate.
func TestNonFiniteLossExitsWithHint(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nan")
	code, stdout, stderr := invoke(t, context.Background(), append(quick, "-optimizer", "sgd", "-lr", "1e12", "-schedule", "constant", "-out", dir)...)
	if code != exitFailure {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitFailure, stdout, stderr)
	}
	for _, want := range []string{"epoch 1", "batch", "learning rate", "lower -lr"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("message lacks %q: %s", want, stderr)
		}
	}
	if r := readResultsFile(t, dir); r.Models[0].Status != "failed" || !strings.Contains(r.Models[0].Error, "loss became") {
		t.Errorf("results: status %q, error %q", r.Models[0].Status, r.Models[0].Error)
	}
}

// TestFailedModelLeavesTheOthers makes the first of two models fail (a
// file stands where its directory goes): it is recorded as failed, the
// second still trains, the tables and dashboard are written, and the exit
// code says that something failed.
func TestFailedModelLeavesTheOthers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "resnet18"), []byte("in the way"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append(slices.Clone(quick), "-epochs", "1", "-model", "resnet18,mobilenet_v3_small", "-out", dir)
	code, stdout, stderr := invoke(t, context.Background(), args...)
	if code != exitFailure {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitFailure, stdout, stderr)
	}
	for _, want := range []string{"train: resnet18 failed:", "train: resnet18 failed (results.json says why); the other models were trained and compared"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("standard error lacks %q:\n%s", want, stderr)
		}
	}
	r := readResultsFile(t, dir)
	if len(r.Models) != 2 || r.Models[0].Status != "failed" || r.Models[0].Error == "" || r.Models[1].Status != "ok" || r.Models[1].Test == nil {
		for _, m := range r.Models {
			t.Errorf("results: %s: status %q, error %q", m.Model, m.Status, m.Error)
		}
	}
	if !strings.Contains(stdout, "mobilenet_v3_small: test accuracy") || !strings.Contains(stdout, "dashboard: ") {
		t.Errorf("the second model's result or the dashboard is missing:\n%s", stdout)
	}
}

// TestBadInputsExitWithCode2 checks that bad flags and missing data give
// exit code 2 and exactly one line on standard error, naming the problem.
func TestBadInputsExitWithCode2(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nowhere")
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, []byte("x"), 0o644)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-model", "resnet51"}, `unknown model "resnet51"`},
		{[]string{"-model", "resnet18,resnet18"}, "listed twice"},
		{[]string{"-data", "mnist:" + missing}, "no such file or directory"},
		{[]string{"-data", "imagefolder:" + file}, "is not a directory"},
		{[]string{"-data", "svhn:" + missing}, "unknown data"},
		{[]string{"-data", "cifar10"}, "name the directory"},
		{[]string{"-data", "mnist:" + t.TempDir()}, "train-images-idx3-ubyte"},
		{[]string{"-augment", "maybe"}, "-augment"},
		{[]string{"-zero-init-residual", "yes"}, "-zero-init-residual"},
		{[]string{"-batch", "1"}, "-batch"},
		{[]string{"-val", "1.5"}, "-val"},
		{[]string{"-strategy", "frozen"}, "-strategy"},
		{[]string{"-head", "mlp:0"}, "-head"},
		{[]string{"-optimizer", "lbfgs"}, "-optimizer"},
		{[]string{"-class-weights", "1,x"}, "-class-weights"},
		{[]string{"-model", "resnet18", "-class-weights", "1,2", "-limit", "20"}, "2 class weights for 10 classes"},
		{[]string{"-eval-only"}, "needs -weights"},
		{[]string{"-weights", missing}, "-weights"},
		{[]string{"-resume", missing}, "-resume"},
		{[]string{"-resume", missing, "-lr", "1"}, "drop -lr"},
		{[]string{"-nope"}, "flag provided but not defined"},
		{[]string{"-cpuprofile", filepath.Join(missing, "cpu.pprof")}, "-cpuprofile"},
		{[]string{"extra"}, "unexpected argument"},
		{[]string{"-model", "resnet18", "-warmup", "5", "-epochs", "2", "-schedule", "cosine", "-limit", "20"}, "warm-up"},
		{[]string{"-epochs", "0"}, "-epochs must be at least 1"},
		{[]string{"-checkpoint-every", "-1m"}, "-checkpoint-every must be at least 0"},
		{[]string{"-model", "resnet18", "-lr", "0"}, "learning rate 0"},
		{[]string{"-model", "resnet18", "-limit", "1"}, "0 training images make no batch of 64 (-data mnist-sample has 10000, -limit 1 keeps 0)"},
	}
	for _, c := range cases {
		out := filepath.Join(t.TempDir(), "out")
		code, _, stderr := invoke(t, context.Background(), append(c.args, "-out", out)...)
		if code != exitUsage || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "train: ") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line mentioning %q", c.args, code, stderr, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: the run directory was created before the flags were refused", c.args)
		}
	}
	if code, _, stderr := invoke(t, context.Background(), "-h"); code != 0 || !strings.Contains(stderr, "-strategy") {
		t.Errorf("-h: exit %d\n%s", code, stderr)
	}
}

// TestCPUProfile checks that -cpuprofile writes a profile of the run.
func TestCPUProfile(t *testing.T) {
	dir := t.TempDir()
	profile := filepath.Join(dir, "cpu.pprof")
	args := append(slices.Clone(quick), "-limit", "40", "-epochs", "1", "-out", filepath.Join(dir, "out"), "-cpuprofile", profile)
	if code, _, stderr := invoke(t, context.Background(), args...); code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if info, err := os.Stat(profile); err != nil || info.Size() == 0 {
		t.Fatalf("no profile written: %v", err)
	}
}

// writePNG writes a w×h image: a bright square on black for class 0, a
// bright horizontal bar for class 1, shifted by k.
func writePNG(t *testing.T, path string, class, k int) {
	t.Helper()
	const w, h = 40, 30
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			on := false
			if class == 0 {
				on = x >= 10+k && x < 22+k && y >= 8 && y < 20
			} else {
				on = y >= 12+k%4 && y < 16+k%4
			}
			if on {
				img.Set(x, y, color.RGBA{220, 200, 180, 255})
			} else {
				img.Set(x, y, color.RGBA{10, 20, 30, 255})
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tinyPhotoFlags trains a narrow ResNet-18 on 32×32 crops of photographs.
var tinyPhotoFlags = []string{"-model", "resnet18", "-width", "0.125", "-input", "32", "-epochs", "1", "-batch", "4", "-lr", "1e-3", "-eval-batch", "8"}

// TestImageFolderAndPetsLayouts trains on tiny fixture trees in the
// ImageFolder layout (train/ and test/ with one folder per class) and in
// the Oxford-IIIT Pets layout (images/ and annotations/ with the official
// list files), the path a fine-tuning run on the real Pets set takes.
func TestImageFolderAndPetsLayouts(t *testing.T) {
	folder := t.TempDir()
	for split, n := range map[string]int{"train": 8, "test": 4} {
		for class, name := range []string{"bar", "square"} {
			for k := range n {
				writePNG(t, filepath.Join(folder, split, name, fmt.Sprintf("%d.png", k)), 1-class, k)
			}
		}
	}
	pets := t.TempDir()
	var trainval, test strings.Builder
	for breed, name := range []string{"Abyssinian", "beagle"} {
		for k := range 6 {
			id := fmt.Sprintf("%s_%d", name, k+1)
			writePNG(t, filepath.Join(pets, "images", id+".jpg"), breed, k) // a PNG named .jpg, as in the real set
			line := fmt.Sprintf("%s %d %d %d\n", id, breed+1, 2-breed, 1)
			if k < 4 {
				trainval.WriteString(line)
			} else {
				test.WriteString(line)
			}
		}
	}
	header := "#Image CLASS-ID SPECIES BREED ID\n"
	os.MkdirAll(filepath.Join(pets, "annotations"), 0o755)
	os.WriteFile(filepath.Join(pets, "annotations", "trainval.txt"), []byte(trainval.String()), 0o644)
	os.WriteFile(filepath.Join(pets, "annotations", "test.txt"), []byte(test.String()), 0o644)
	os.WriteFile(filepath.Join(pets, "annotations", "list.txt"), []byte(header+trainval.String()+test.String()), 0o644)

	for _, c := range []struct {
		data    string
		classes int
		train   int
		test    int
	}{{"imagefolder:" + folder, 2, 16, 8}, {"pets:" + pets, 37, 8, 4}} { // Pets always has its 37 breeds
		dir := filepath.Join(t.TempDir(), "run")
		code, stdout, stderr := invoke(t, context.Background(), append(tinyPhotoFlags, "-data", c.data, "-out", dir)...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s\n%s", c.data, code, stdout, stderr)
		}
		m := readResultsFile(t, dir).Models[0]
		if len(m.Data.Classes) != c.classes || m.Data.Train != c.train || m.Data.Test != c.test || m.Test.Samples != c.test ||
			!strings.Contains(m.Data.EvalTransform, "CenterCrop") || m.Data.Input[1] != 32 {
			t.Errorf("%s: data %+v, tested %d", c.data, m.Data, m.Test.Samples)
		}
	}
}

// TestSignalStopsCleanly builds the program, sends it SIGINT during
// training and checks that it saves a checkpoint and exits with 130.
func TestSignalStopsCleanly(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "train")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := filepath.Join(t.TempDir(), "run")
	cmd := exec.Command(bin, append(quick, "-epochs", "30", "-out", dir)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	var seen strings.Builder
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(seen.String(), "epoch 1/30 train loss") && time.Now().Before(deadline) {
		n, err := stdout.Read(buf)
		seen.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			if _, err := stdout.Read(buf); err != nil {
				return
			}
		}
	}()
	err = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Fatalf("exit code %d (%v), want %d\n%s\n%s", code, err, exitInterrupted, seen.String(), stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "resnet18", train.CheckpointFile)); err != nil {
		t.Errorf("no checkpoint after the interruption: %v", err)
	}
}
