package report

// A tiny run directory for the tests, built from train's own types: three
// models on ten digit classes with consistent metrics (computed by
// train.Evaluator from synthetic predictions), a few epochs of history,
// efficiency figures, a small hand-written zoo summary with one residual
// block, misclassified PNG files and, optionally, visuals made with this
// package's picture functions from synthetic activations.

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gocnn/gocnn/train"
)

// fixtureModels are the fixture's models: name, test accuracy, MFLOPs,
// batch-1 inference ms, status.
var fixtureModels = []struct {
	name     string
	accuracy float64
	mflops   float64
	ms       float64
	status   string
}{
	{"resnet18", 0.94, 18.6, 1.9, "ok"},
	{"mobilenet_v3_small", 0.89, 2.1, 1.1, "ok"},
	{"vgg16_bn", 0.965, 40.2, 3.4, "stopped-early"},
}

var fixtureClasses = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

// fixtureSummary is a small zoo summary: a stem, one BasicBlock with an
// identity skip connection and a head.
const fixtureSummary = `{
 "model": "tiny", "input": [3, 16, 16],
 "layers": [
  {"name": "conv1", "type": "Conv2d", "detail": "3×3", "inputs": [-1], "output": [8, 16, 16], "params": 216, "macs": 55296, "activation_bytes": 8192, "stage": "stem"},
  {"name": "bn1", "type": "BatchNorm2d", "detail": "eps 1e-05", "inputs": [0], "output": [8, 16, 16], "params": 16, "macs": 0, "activation_bytes": 8192, "stage": "stem"},
  {"name": "relu", "type": "ReLU", "inputs": [1], "output": [8, 16, 16], "params": 0, "macs": 0, "activation_bytes": 8192, "stage": "stem"},
  {"name": "layer1.0.conv1", "type": "Conv2d", "detail": "3×3", "inputs": [2], "output": [8, 16, 16], "params": 576, "macs": 147456, "activation_bytes": 8192, "stage": "stage1"},
  {"name": "layer1.0.bn1", "type": "BatchNorm2d", "inputs": [3], "output": [8, 16, 16], "params": 16, "macs": 0, "activation_bytes": 8192, "stage": "stage1"},
  {"name": "layer1.0.relu", "type": "ReLU", "inputs": [4], "output": [8, 16, 16], "params": 0, "macs": 0, "activation_bytes": 8192, "stage": "stage1"},
  {"name": "layer1.0.conv2", "type": "Conv2d", "detail": "3×3", "inputs": [5], "output": [8, 16, 16], "params": 576, "macs": 147456, "activation_bytes": 8192, "stage": "stage1"},
  {"name": "layer1.0.bn2", "type": "BatchNorm2d", "inputs": [6], "output": [8, 16, 16], "params": 16, "macs": 0, "activation_bytes": 8192, "stage": "stage1"},
  {"name": "layer1.0", "type": "Add", "inputs": [7, 2], "output": [8, 16, 16], "params": 0, "macs": 0, "activation_bytes": 8192, "stage": "stage1"},
  {"name": "layer1.0.relu", "type": "ReLU", "inputs": [8], "output": [8, 16, 16], "params": 0, "macs": 0, "activation_bytes": 8192, "stage": "stage1"},
  {"name": "avgpool", "type": "AdaptiveAvgPool2d", "detail": "to 1×1", "inputs": [9], "output": [8, 1, 1], "params": 0, "macs": 0, "activation_bytes": 32, "stage": "head"},
  {"name": "flatten", "type": "Flatten", "inputs": [10], "output": [8], "params": 0, "macs": 0, "activation_bytes": 0, "stage": "head"},
  {"name": "fc", "type": "Linear", "detail": "8→10", "inputs": [11], "output": [10], "params": 90, "macs": 80, "activation_bytes": 40, "stage": "head"}
 ],
 "blocks": [{"name": "layer1.0", "type": "BasicBlock", "first": 3, "last": 9, "skip": {"from": 2, "join": 8}}],
 "stages": [
  {"name": "stem", "modules": ["conv1", "bn1", "relu"], "params": 232, "frozen": false},
  {"name": "stage1", "modules": ["layer1"], "params": 1184, "frozen": false},
  {"name": "head", "modules": ["avgpool", "fc"], "params": 90, "frozen": false}
 ],
 "params": 1506, "trainable_params": 1506, "macs": 350288, "flops": 700576, "weight_bytes": 6024, "activation_bytes": 82024
}`

// fixtureLayers are the layers the fixture's visuals show.
var fixtureLayers = []struct {
	name, stage, position string
	c, h, w               int
}{
	{"conv1", "stem", "early", 8, 16, 16},
	{"layer1", "stage1", "middle", 12, 8, 8},
	{"layer2", "stage2", "late", 20, 4, 4},
}

// writeFixtureRun writes the fixture run into dir: results.json, the
// misclassified images and, with visuals, each model's visuals.json.
func writeFixtureRun(t *testing.T, dir string, visuals bool) *train.Results {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 11))
	start := time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
	res := &train.Results{Run: train.RunInfo{Started: start, Finished: start.Add(7 * time.Minute), Args: []string{"-model", "resnet18,mobilenet_v3_small,vgg16_bn", "-epochs", "4"},
		GitCommit: "0123456789abcdef0123456789abcdef01234567", GoVersion: "go1.26.8", OS: "linux", Arch: "amd64", CPUPath: "avx512",
		GOMAXPROCS: 2, Threads: 2, NumCPU: 2}}
	for i, fm := range fixtureModels {
		m := fixtureModel(t, rng, i, fm.name, fm.accuracy, fm.mflops, fm.ms, fm.status)
		for k := range 3 {
			name := fmt.Sprintf("%02d-%d-as-%d.png", k+1, k, k+3)
			file := filepath.Join(fm.name, "misclassified", name)
			writeFile(t, filepath.Join(dir, file), EncodePNG(InputImage(digitImage(k, 28), 1, 28, 28)))
			m.Misclassified = append(m.Misclassified, train.Misclassified{Index: 17 * (k + 1), Name: fmt.Sprintf("t10k[%d]", 17*(k+1)),
				Label: fixtureClasses[k], Predicted: fixtureClasses[k+3], Confidence: 0.9 - 0.2*float64(k), File: filepath.ToSlash(file)})
		}
		res.Models = append(res.Models, m)
		if visuals {
			if err := WriteVisuals(filepath.Join(dir, fm.name, VisualsFile), fixtureVisuals(rng, fm.name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := train.WriteResults(filepath.Join(dir, ResultsFile), res); err != nil {
		t.Fatal(err)
	}
	return res
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// fixtureModel makes one model's result with about the given accuracy.
func fixtureModel(t *testing.T, rng *rand.Rand, i int, name string, accuracy, mflops, ms float64, status string) train.ModelResult {
	t.Helper()
	k := len(fixtureClasses)
	ev := train.NewEvaluator(k)
	for s := range 400 {
		label := s % k
		pred := label
		if rng.Float64() > accuracy {
			pred = (label + 1 + rng.IntN(k-1)) % k
		}
		logits := make([]float32, k)
		logits[pred] = 5
		logits[(pred+1)%k] = 2
		ev.Add(logits, []int{label}, 0.2+0.01*float64(label))
	}
	test := ev.Metrics(fixtureClasses)
	var history []train.EpochRecord
	epochs := 4
	if status == "stopped-early" {
		epochs = 3
	}
	for e := 1; e <= epochs; e++ {
		f := math.Exp(-0.9 * float64(e))
		history = append(history, train.EpochRecord{Epoch: e, LR: 1e-3 * (1 + math.Cos(math.Pi*float64(e)/float64(epochs+1))) / 2,
			TrainLoss: 0.15 + 2*f + 0.02*float64(i), TrainAccuracy: accuracy - 0.5*f,
			Val:     &train.EvalSummary{Loss: 0.2 + 1.8*f + 0.03*float64(i), Accuracy: accuracy - 0.45*f - 0.005},
			Seconds: 30 + 10*float64(i), ImagesPerSecond: 300 - 60*float64(i), Trainable: 1506})
	}
	if i == 1 {
		// A validation loss that was not finite: null in results.json,
		// which the dashboard's curves must leave out.
		history[0].Val.Loss = math.NaN()
	}
	options, _ := json.Marshal(map[string]any{"classes": k, "width_mult": 0.25 * float64(i+1), "dropout": 0, "input_size": 32, "head": map[string]any{"kind": "own"}, "seed": 1})
	flops := int64(mflops * 1e6)
	return train.ModelResult{
		Model: name, Options: options, Status: status, EpochsRun: epochs, BestEpoch: epochs - 1,
		Config: train.Config{Epochs: 4, BatchSize: 64, EvalBatch: 256, Optimizer: "adamw", LR: 1e-3 * float64(i+1), WeightDecay: 0.05,
			Schedule: "onecycle", AccumSteps: 1, BNRecalibrate: 50, Seed: 1},
		Data: train.DataInfo{Name: "mnist-sample", Classes: fixtureClasses, Train: 9000, Val: 1000, Test: 400, Input: []int{3, 32, 32},
			TrainTransform: "Compose(Pad(2), Grayscale(3), ToTensor(), Normalize)", EvalTransform: "Compose(Pad(2), Grayscale(3), ToTensor(), Normalize)"},
		Stages:  []string{"stem", "stage1", "head"},
		BestVal: history[len(history)-2].Val, Test: &test, History: history,
		Efficiency: train.Efficiency{TrainSeconds: 120 + 50*float64(i), TrainImagesPerSecond: 300 - 60*float64(i),
			InferenceBatch1:    train.InferenceTiming{Batch: 1, MsPerImage: ms, ImagesPerSecond: 1000 / ms},
			InferenceEvalBatch: train.InferenceTiming{Batch: 256, MsPerImage: ms / 4, ImagesPerSecond: 4000 / ms},
			Params:             int64(1_000_000 * (i + 1)), TrainableParams: int64(1_000_000 * (i + 1)), MACs: flops / 2, FLOPs: flops,
			SizeMB: 4.1 * float64(i+1), PeakHeapMB: 300 + 100*float64(i), MaxRSSMB: 500},
		Misclassified: []train.Misclassified{},
		Summary:       json.RawMessage(fixtureSummary),
		Files: train.Files{Checkpoint: name + "/checkpoint.safetensors", BestWeights: name + "/best.safetensors",
			HistoryCSV: name + "/history.csv"},
	}
}

// digitImage draws a ring (even k) or a bar (odd k) on a dark square, a
// stand-in for a test image.
func digitImage(k, side int) []float32 {
	x := make([]float32, side*side)
	c := float64(side-1) / 2
	for y := range side {
		for xx := range side {
			dx, dy := float64(xx)-c, float64(y)-c
			var v float64
			if k%2 == 0 {
				v = math.Exp(-math.Pow(math.Hypot(dx, dy)-float64(side)/4, 2) / 4)
			} else {
				v = math.Exp(-math.Pow(dx-float64(k%5)+2, 2) / 3)
			}
			x[y*side+xx] = float32(v)
		}
	}
	return x
}

// fixtureVisuals makes visuals for four samples from smooth synthetic
// activations.
func fixtureVisuals(rng *rand.Rand, model string) *Visuals {
	const n, side = 4, 32
	v := &Visuals{Model: model, Weights: model + "/best.safetensors", Input: []int{3, side, side}}
	inputs := make([][]float32, n)
	for s := range n {
		gray := digitImage(s, side)
		x := append(append(append([]float32{}, gray...), gray...), gray...)
		inputs[s] = x
		v.Samples = append(v.Samples, Sample{Index: 3 * s, Name: fmt.Sprintf("t10k[%d]", 3*s), Label: fixtureClasses[s],
			Predicted: fixtureClasses[(s+s/3)%10], Confidence: 0.97 - 0.1*float64(s), Image: EncodePNG(InputImage(x, 3, side, side))})
	}
	for _, l := range fixtureLayers {
		act := make([]float32, n*l.c*l.h*l.w)
		for s := range n {
			for ch := range l.c {
				fx, fy := 0.3+0.2*float64(ch%4), 0.25+0.15*float64(ch/4)
				for y := range l.h {
					for x := range l.w {
						act[((s*l.c+ch)*l.h+y)*l.w+x] = float32(math.Max(0, math.Sin(fx*float64(x+s)+fy*float64(y))+0.2*rng.Float64()))
					}
				}
			}
		}
		grids, channels, cols := FeatureGrids(act, n, l.c, l.h, l.w, 16)
		v.Layers = append(v.Layers, LayerMaps{Name: l.name, Stage: l.stage, Position: l.position, Shape: []int{l.c, l.h, l.w},
			Channels: channels, Cols: cols, Grids: grids})
	}
	g := &GradCAM{Layer: "layer1", Shape: []int{12, 8, 8}}
	for s := range n {
		cam := make([]float32, 64)
		for i := range cam {
			y, x := i/8, i%8
			cam[i] = float32(math.Exp(-(math.Pow(float64(x-2-s), 2) + math.Pow(float64(y-4), 2)) / 6))
		}
		img := InputImage(inputs[s], 3, side, side)
		overlay, heat := CAMOverlay(img, cam, 8, 8)
		g.Overlays = append(g.Overlays, EncodePNG(overlay))
		g.Heatmaps = append(g.Heatmaps, EncodePNG(heat))
	}
	v.GradCAM = g
	return v
}
