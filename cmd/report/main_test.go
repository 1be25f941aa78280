package main

// End-to-end tests of the program: a run directory with one model's saved
// weights and stored test images and one model with results alone; bad
// flags and a directory without results.json.

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/dataset"
	"github.com/gocnn/gocnn/internal/vis"
	"github.com/gocnn/gocnn/report"
	"github.com/gocnn/gocnn/train"
	"github.com/gocnn/gocnn/zoo"
)

func invoke(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// writeRun makes a run directory: resnet18 (reduced) with best weights and
// probe images, and mobilenet_v3_small whose files are gone.
func writeRun(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src, err := dataset.Sample(false)
	if err != nil {
		t.Fatal(err)
	}
	classes := src.Classes()
	res := &train.Results{Run: train.NewRunInfo([]string{"-model", "resnet18,mobilenet_v3_small"})}
	for _, name := range []string{"resnet18", "mobilenet_v3_small"} {
		m, err := zoo.New(name, zoo.Options{Classes: len(classes), WidthMult: 0.125, InputSize: 32, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		s, err := zoo.Summarize(m, 32)
		if err != nil {
			t.Fatal(err)
		}
		summary, _ := json.Marshal(s)
		ev := train.NewEvaluator(len(classes))
		for i := range 50 {
			logits := make([]float32, len(classes))
			logits[(i*7)%len(classes)] = 1
			ev.Add(logits, []int{i % len(classes)}, 2.3)
		}
		test := ev.Metrics(classes)
		mr := train.ModelResult{Model: name, Status: "ok", Test: &test, Summary: summary, Misclassified: []train.Misclassified{},
			History: []train.EpochRecord{{Epoch: 1, LR: 1e-3, TrainLoss: 2.2, TrainAccuracy: 0.2}},
			Data:    train.DataInfo{Name: "mnist-sample", Classes: classes, Test: 50, Input: []int{3, 32, 32}, EvalTransform: "test"},
			Files:   train.Files{BestWeights: name + "/" + train.BestWeightsFile}}
		mr.Efficiency.Params, mr.Efficiency.FLOPs = s.Params, s.FLOPs
		res.Models = append(res.Models, mr)
		if name != "resnet18" {
			continue
		}
		modelDir := filepath.Join(dir, name)
		if err := os.MkdirAll(modelDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := zoo.Save(filepath.Join(modelDir, train.BestWeightsFile), m, zoo.SaveOptions{ClassNames: classes}); err != nil {
			t.Fatal(err)
		}
		tf := dataset.Compose(dataset.Pad(2), dataset.Grayscale(3), dataset.ToTensor())
		p, err := vis.SelectProbes(src, tf, 4)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Save(filepath.Join(modelDir, vis.ProbesFile)); err != nil {
			t.Fatal(err)
		}
	}
	if err := train.WriteResults(filepath.Join(dir, report.ResultsFile), res); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRebuild(t *testing.T) {
	dir := writeRun(t)
	code, stdout, stderr := invoke("-in", dir, "-layers", "3")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"resnet18: feature maps and Grad-CAM computed from resnet18/best.safetensors",
		"mobilenet_v3_small: no feature maps: mobilenet_v3_small: the weights are missing",
		"dashboard: " + filepath.Join(dir, report.HTMLFile),
		"chart: " + filepath.Join(dir, report.ChartsDir, "curves.png"),
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	v, err := report.ReadVisuals(filepath.Join(dir, "resnet18", report.VisualsFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Layers) != 3 || len(v.Samples) != 4 || v.GradCAM == nil {
		t.Errorf("visuals: %d layers, %d samples, Grad-CAM %v", len(v.Layers), len(v.Samples), v.GradCAM != nil)
	}
	html, err := os.ReadFile(filepath.Join(dir, report.HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), "could not be computed here") {
		t.Error("the dashboard does not say why mobilenet_v3_small has no feature maps")
	}

	// A second run keeps the stored visuals; -recompute makes them again.
	_, stdout, _ = invoke("-in", dir)
	if strings.Contains(stdout, "resnet18: feature maps") {
		t.Errorf("stored visuals were computed again:\n%s", stdout)
	}
	out := filepath.Join(t.TempDir(), "elsewhere.html")
	code, stdout, stderr = invoke("-in", dir, "-recompute", "-out", out)
	if code != exitOK || !strings.Contains(stdout, "resnet18: feature maps and Grad-CAM computed") {
		t.Errorf("-recompute: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("-out: %v", err)
	}
}

func TestBadInput(t *testing.T) {
	empty := t.TempDir()
	cases := []struct {
		args []string
		code int
		want string
	}{
		{nil, exitUsage, "-in DIR is required"},
		{[]string{"-in", empty}, exitUsage, filepath.Join(empty, report.ResultsFile)},
		{[]string{"-in", empty, "extra"}, exitUsage, `unexpected argument "extra"`},
		{[]string{"-in", empty, "-layers", "0"}, exitUsage, "at least 1"},
		{[]string{"-no-such-flag"}, exitUsage, "flag provided but not defined"},
		{[]string{"-h"}, exitOK, "usage: report -in DIR"},
	}
	for _, c := range cases {
		code, _, stderr := invoke(c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
}

// TestDivergedRun rebuilds the dashboard of a one-epoch run whose loss
// exploded (1e16, which gonum/plot could not lay out) and whose test
// evaluation gave NaN: the dashboard and the charts are written, and a
// warning names the numbers that were not finite.
func TestDivergedRun(t *testing.T) {
	dir := t.TempDir()
	classes := []string{"a", "b", "c"}
	ev := train.NewEvaluator(len(classes))
	ev.Add([]float32{1, 0, 0, 0, 1, 0}, []int{0, 2}, math.NaN())
	test := ev.Metrics(classes)
	m := train.ModelResult{Model: "mobilenet_v3_small", Status: "ok", Test: &test,
		History: []train.EpochRecord{{Epoch: 1, LR: 1e6, TrainLoss: 1e16, TrainAccuracy: 0.1}},
		Data:    train.DataInfo{Name: "mnist-sample", Classes: classes, Test: 2, Input: []int{3, 32, 32}, EvalTransform: "test"}}
	for i := range 7 {
		m.Misclassified = append(m.Misclassified, train.Misclassified{Index: i, Label: "c", Predicted: "b", Confidence: math.NaN()})
	}
	res := &train.Results{Run: train.NewRunInfo([]string{"-lr", "1e6"}), Models: []train.ModelResult{m}}
	if err := train.WriteResults(filepath.Join(dir, report.ResultsFile), res); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := invoke("-in", dir)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	want := "report: warning: mobilenet_v3_small: not finite (null in results.json, left out of the charts): " +
		"test.loss, misclassified[0].confidence, misclassified[1].confidence, misclassified[2].confidence, " +
		"misclassified[3].confidence and 3 more\n"
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr %q lacks %q", stderr, want)
	}
	for _, f := range []string{report.HTMLFile, filepath.Join(report.ChartsDir, "curves.png")} {
		if !strings.Contains(stdout, filepath.Join(dir, f)) {
			t.Errorf("output does not name %s:\n%s", f, stdout)
		}
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}
