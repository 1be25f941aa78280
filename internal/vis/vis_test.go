package vis

// Tests: the stage-by-stage forward pass gives the model's own logits bit
// for bit (every architecture); the Grad-CAM gradient matches finite
// differences of the class logit; the Grad-CAM formula on a hand-computed
// case; the layer and Grad-CAM choices and the pictures' sizes; the model's
// mode and requires-grad flags survive; probe selection and its file; and
// Write then Recompute from the saved weights reproduce the same visuals.

import (
	"bytes"
	"fmt"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/dataset"
	"github.com/gocnn/gocnn/layers"
	"github.com/gocnn/gocnn/report"
	"github.com/gocnn/gocnn/train"
	"github.com/gocnn/gocnn/zoo"
)

// smallModel builds a reduced model for 10 classes at 32×32 and gives its
// batch norms non-trivial statistics, so that evaluation mode is not an
// identity.
func smallModel(t *testing.T, arch string) *zoo.Model {
	t.Helper()
	width := 0.25
	if strings.HasPrefix(arch, "vgg") || strings.HasPrefix(arch, "resnet") {
		width = 0.125
	}
	m, err := zoo.New(arch, zoo.Options{Classes: 10, WidthMult: width, InputSize: 32, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 9))
	for _, b := range layers.Buffers(m) {
		if strings.HasSuffix(b.Name, "running_mean") {
			for i, d := 0, b.Tensor.Data(); i < len(d); i++ {
				d[i] = float32(rng.Float64()*0.4 - 0.2)
			}
		}
		if strings.HasSuffix(b.Name, "running_var") {
			for i, d := 0, b.Tensor.Data(); i < len(d); i++ {
				d[i] = float32(0.5 + rng.Float64())
			}
		}
	}
	layers.SetTraining(m, false)
	return m
}

func randomImages(seed uint64, n int) *autograd.Tensor {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, n*3*32*32)
	for i := range x {
		x[i] = float32(rng.Float64()*2 - 1)
	}
	return autograd.New(x, n, 3, 32, 32)
}

func TestForwardMatchesModel(t *testing.T) {
	for _, arch := range []string{"resnet18", "mobilenet_v3_small", "efficientnet_b0", "vgg16_bn"} {
		t.Run(arch, func(t *testing.T) {
			m := smallModel(t, arch)
			steps, err := backboneSteps(m)
			if err != nil {
				t.Fatal(err)
			}
			x := randomImages(1, 2)
			want := m.Forward(autograd.NoGrad(x)).Data()
			got, outs, _ := forward(m, steps, x, "", nil)
			if !slices.Equal(got, want) {
				t.Fatalf("stage-by-stage logits differ from Model.Forward:\n got %v\nwant %v", got[:5], want[:5])
			}
			stages := m.Stages()
			if len(outs) != len(stages)-1 {
				t.Fatalf("%d stage outputs for %d backbone stages", len(outs), len(stages)-1)
			}
			for i, o := range outs {
				if o.stage != stages[i].Name {
					t.Errorf("output %d is stage %s, want %s", i, o.stage, stages[i].Name)
				}
			}
			last := outs[len(outs)-1]
			feat := m.ForwardBackbone(autograd.NoGrad(x))
			if !slices.Equal(last.data, feat.Data()) {
				t.Error("the last stage output differs from ForwardBackbone")
			}
		})
	}
}

// TestGradCAMGradient checks the gradient on the Grad-CAM leaf against
// central differences of Σ_i logit[i, c_i] along random directions.
func TestGradCAMGradient(t *testing.T) {
	m := smallModel(t, "resnet18")
	steps, err := backboneSteps(m)
	if err != nil {
		t.Fatal(err)
	}
	x := randomImages(2, 2)
	for _, p := range layers.Parameters(m) {
		p.Tensor.SetRequiresGrad(false)
	}
	const camAt = "stage2"
	logits, outs, leaf := forward(m, steps, x, camAt, train.Argmax)
	targets := []int{train.Argmax(logits[:10]), train.Argmax(logits[10:])}
	var a stageOutput
	rest := 0
	for i, s := range steps {
		if s.ends == camAt {
			rest = i + 1
		}
	}
	for _, o := range outs {
		if o.stage == camAt {
			a = o
		}
	}
	score := func(act []float32) float64 {
		h := autograd.NoGrad(autograd.New(act, a.shape...))
		for _, s := range steps[rest:] {
			h = s.module.Forward(h)
		}
		l := m.ForwardHead(h).Data()
		return float64(l[targets[0]]) + float64(l[10+targets[1]])
	}
	rng := rand.New(rand.NewPCG(3, 3))
	const eps = 1e-3
	for trial := range 3 {
		d := make([]float64, len(a.data))
		var analytic float64
		for i := range d {
			d[i] = rng.NormFloat64()
			analytic += d[i] * float64(leaf.Grad()[i])
		}
		shifted := func(sign float64) []float32 {
			out := make([]float32, len(a.data))
			for i, v := range a.data {
				out[i] = float32(float64(v) + sign*eps*d[i])
			}
			return out
		}
		numeric := (score(shifted(1)) - score(shifted(-1))) / (2 * eps)
		if math.Abs(numeric-analytic) > 0.01*math.Abs(analytic)+1e-3 {
			t.Errorf("direction %d: autograd gives %.5f, finite differences %.5f", trial, analytic, numeric)
		}
	}
}

func TestGradCAMFormula(t *testing.T) {
	// Two channels of three pixels. α = (mean(1, 2, 3), mean(-1, -1, -1)) = (2, -1).
	a := []float32{1, 0, 2, 1, 3, 0}
	g := []float32{1, 2, 3, -1, -1, -1}
	// 2·(1, 0, 2) − (1, 3, 0) = (1, −3, 4) → ReLU → (1, 0, 4) → / 4.
	want := []float32{0.25, 0, 1}
	if got := GradCAM(a, g, 2, 3); !slices.Equal(got, want) {
		t.Errorf("GradCAM = %v, want %v", got, want)
	}
	if got := GradCAM(a, []float32{-1, -1, -1, 0, 0, 0}, 2, 3); !slices.Equal(got, []float32{0, 0, 0}) {
		t.Errorf("GradCAM with no positive evidence = %v, want zeros", got)
	}
}

func TestChoices(t *testing.T) {
	if got := spread(5, 4); !slices.Equal(got, []int{0, 1, 3, 4}) {
		t.Errorf("spread(5, 4) = %v", got)
	}
	if got := spread(3, 4); !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("spread(3, 4) = %v", got)
	}
	if got := spread(5, 1); !slices.Equal(got, []int{4}) {
		t.Errorf("spread(5, 1) = %v", got)
	}
	var names []string
	for i := range 5 {
		names = append(names, position(i, 5))
	}
	if want := []string{"early", "early", "middle", "late", "late"}; !slices.Equal(names, want) {
		t.Errorf("positions %v, want %v", names, want)
	}
	out := func(side int) stageOutput { return stageOutput{shape: []int{1, 8, side, side}} }
	if got := camStage([]stageOutput{out(16), out(8), out(4), out(2), out(1)}); got != 2 {
		t.Errorf("Grad-CAM stage %d, want 2 (the last with 4×4 maps)", got)
	}
	if got := camStage([]stageOutput{out(2), out(3), out(1)}); got != 1 {
		t.Errorf("Grad-CAM stage %d, want 1 (the largest maps)", got)
	}
}

// sampleProbes takes probe images from the embedded MNIST test sample,
// padded to 32×32 and replicated to three channels.
func sampleProbes(t *testing.T, n int) *Probes {
	t.Helper()
	src, err := dataset.Sample(false)
	if err != nil {
		t.Fatal(err)
	}
	tf := dataset.Compose(dataset.Pad(2), dataset.Grayscale(3), dataset.ToTensor(),
		dataset.Normalize([]float32{0.1307, 0.1307, 0.1307}, []float32{0.3081, 0.3081, 0.3081}))
	p, err := SelectProbes(src, tf, n)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSelectProbes(t *testing.T) {
	p := sampleProbes(t, 6)
	if !reflect.DeepEqual(p.Input.Shape(), []int{6, 3, 32, 32}) {
		t.Fatalf("input %v", p.Input.Shape())
	}
	seen := map[int]bool{}
	for k, l := range p.Labels {
		if seen[l] {
			t.Errorf("label %d chosen twice (labels %v)", l, p.Labels)
		}
		seen[l] = true
		if k > 0 && p.Indices[k] <= p.Indices[k-1] {
			t.Errorf("indices %v are not in source order", p.Indices)
		}
	}
	path := filepath.Join(t.TempDir(), ProbesFile)
	if err := p.Save(path); err != nil {
		t.Fatal(err)
	}
	q, err := LoadProbes(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(q.Indices, p.Indices) || !reflect.DeepEqual(q.Names, p.Names) || !reflect.DeepEqual(q.Labels, p.Labels) ||
		!reflect.DeepEqual(q.Classes, p.Classes) || !slices.Equal(q.Input.Data(), p.Input.Data()) || !slices.Equal(q.Input.Shape(), p.Input.Shape()) {
		t.Error("probe images changed on the way through their file")
	}
	// A weights file is not a probes file.
	m := smallModel(t, "resnet18")
	weights := filepath.Join(t.TempDir(), "w.safetensors")
	if err := zoo.Save(weights, m, zoo.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadProbes(weights); err == nil || !strings.Contains(err.Error(), "not a probe images file") {
		t.Errorf("loading a weights file as probes: %v", err)
	}
}

func TestComputeVisuals(t *testing.T) {
	m := smallModel(t, "resnet18")
	if err := m.Freeze("stem"); err != nil {
		t.Fatal(err)
	}
	layers.SetTraining(m, true)
	flags := map[string]bool{}
	for _, p := range layers.Parameters(m) {
		flags[p.Name] = p.Tensor.RequiresGrad()
	}
	p := sampleProbes(t, 3)
	v, err := Compute(m, p, "resnet18/best.safetensors", Options{Layers: 3, Channels: 8})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Training() {
		t.Error("Compute left the model in evaluation mode")
	}
	for _, q := range layers.Parameters(m) {
		if q.Tensor.RequiresGrad() != flags[q.Name] {
			t.Errorf("%s: requires-grad changed to %v", q.Name, q.Tensor.RequiresGrad())
		}
		if q.Tensor.Grad() != nil {
			t.Errorf("%s: Compute left a gradient", q.Name)
		}
	}
	if len(v.Samples) != 3 || !slices.Equal(v.Input, []int{3, 32, 32}) {
		t.Fatalf("%d samples, input %v", len(v.Samples), v.Input)
	}
	// ResNet-18's stages at 32×32: stem 8×8, then 8, 4, 2, 1.
	var names, positions []string
	for _, l := range v.Layers {
		names = append(names, l.Name)
		positions = append(positions, l.Position)
		if len(l.Channels) != min(8, l.Shape[0]) || len(l.Grids) != 3 {
			t.Errorf("%s: %d channels, %d grids", l.Name, len(l.Channels), len(l.Grids))
		}
		img, err := png.Decode(bytes.NewReader(l.Grids[0]))
		if err != nil {
			t.Fatalf("%s: %v", l.Name, err)
		}
		rows := (len(l.Channels) + l.Cols - 1) / l.Cols
		if b := img.Bounds(); b.Dx() != l.Cols*l.Shape[2]+l.Cols-1 || b.Dy() != rows*l.Shape[1]+rows-1 {
			t.Errorf("%s: grid %v for %d columns of %v maps", l.Name, b, l.Cols, l.Shape)
		}
	}
	if want := []string{"maxpool", "layer2", "layer4"}; !slices.Equal(names, want) {
		t.Errorf("layers %v, want %v", names, want)
	}
	if want := []string{"early", "middle", "late"}; !slices.Equal(positions, want) {
		t.Errorf("positions %v, want %v", positions, want)
	}
	if v.GradCAM == nil || v.GradCAM.Layer != "layer2" || !slices.Equal(v.GradCAM.Shape[1:], []int{4, 4}) {
		t.Fatalf("Grad-CAM %+v, want layer2 (4×4)", v.GradCAM)
	}
	img, err := png.Decode(bytes.NewReader(v.GradCAM.Overlays[0]))
	if err != nil || img.Bounds().Dx() != 32 || img.Bounds().Dy() != 32 {
		t.Errorf("Grad-CAM overlay: %v, %v", err, img.Bounds())
	}
	layers.SetTraining(m, false)
	logits := m.Forward(autograd.NoGrad(p.Input)).Data()
	for i, s := range v.Samples {
		if want := p.Classes[train.Argmax(logits[10*i:10*i+10])]; s.Predicted != want || s.Label != p.Classes[p.Labels[i]] {
			t.Errorf("sample %d: label %s predicted %s, want %s predicted %s", i, s.Label, s.Predicted, p.Classes[p.Labels[i]], want)
		}
	}
}

// TestWriteRecompute writes the visuals as a trainer does, then computes
// them again from the saved weights and stored images as cmd/report does.
func TestWriteRecompute(t *testing.T) {
	run := t.TempDir()
	m := smallModel(t, "mobilenet_v3_small")
	src, err := dataset.Sample(false)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(run, "mobilenet_v3_small")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := zoo.Save(filepath.Join(dir, train.BestWeightsFile), m, zoo.SaveOptions{ClassNames: src.Classes()}); err != nil {
		t.Fatal(err)
	}
	tf := dataset.Compose(dataset.Pad(2), dataset.Grayscale(3), dataset.ToTensor())
	if err := Write(dir, "mobilenet_v3_small/best.safetensors", m, src, tf, Options{Samples: 4}); err != nil {
		t.Fatal(err)
	}
	first, err := report.ReadVisuals(filepath.Join(dir, report.VisualsFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, report.VisualsFile)); err != nil {
		t.Fatal(err)
	}
	res := &train.ModelResult{Model: "mobilenet_v3_small", Files: train.Files{BestWeights: "mobilenet_v3_small/best.safetensors"}}
	again, err := Recompute(run, res, Options{Samples: 4})
	if err != nil {
		t.Fatal(err)
	}
	first.Version = again.Version
	if !reflect.DeepEqual(first, again) {
		t.Error("visuals recomputed from the saved weights differ from those written after training")
	}
	// Fewer samples than stored: the first ones.
	fewer, err := Recompute(run, res, Options{Samples: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fewer.Samples, first.Samples[:2]) {
		t.Errorf("Recompute with 2 samples gave %d samples", len(fewer.Samples))
	}
	if _, err := report.ReadVisuals(filepath.Join(dir, report.VisualsFile)); err != nil {
		t.Errorf("Recompute did not write the visuals file: %v", err)
	}

	// Missing files are named.
	if err := os.Remove(filepath.Join(dir, ProbesFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := Recompute(run, res, Options{}); err == nil || !strings.Contains(err.Error(), "no stored test images") {
		t.Errorf("without probe images: %v", err)
	}
	gone := &train.ModelResult{Model: "resnet18", Files: train.Files{BestWeights: "resnet18/best.safetensors"}}
	if _, err := Recompute(run, gone, Options{}); err == nil || !strings.Contains(err.Error(), "weights are missing") {
		t.Errorf("without weights: %v", err)
	}
}

// unreadable is a source whose items in bad fail to load.
type unreadable struct {
	dataset.Source
	bad map[int]bool
}

func (u unreadable) Image(i int) (*dataset.Image, error) {
	if u.bad[i] {
		return nil, fmt.Errorf("%s: corrupt", u.Name(i))
	}
	return u.Source.Image(i)
}

// TestSelectProbesPassesOverUnreadableImages checks that an image that
// cannot be read is replaced by the next of its class, and that a source
// with no readable image is an error, not an empty set.
func TestSelectProbesPassesOverUnreadableImages(t *testing.T) {
	sample, err := dataset.Sample(false)
	if err != nil {
		t.Fatal(err)
	}
	tf := dataset.Compose(dataset.Grayscale(3), dataset.ToTensor())
	n := len(sample.Classes())
	whole, err := SelectProbes(sample, tf, n)
	if err != nil {
		t.Fatal(err)
	}
	bad := map[int]bool{whole.Indices[0]: true, whole.Indices[2]: true}
	p, err := SelectProbes(unreadable{sample, bad}, tf, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Indices) != n || p.Input.Shape()[0] != n {
		t.Fatalf("%d probes, input %v; want %d", len(p.Indices), p.Input.Shape(), n)
	}
	seen := map[int]bool{}
	for k, i := range p.Indices {
		if bad[i] {
			t.Errorf("unreadable item %d chosen", i)
		}
		if seen[p.Labels[k]] {
			t.Errorf("label %d chosen twice (labels %v)", p.Labels[k], p.Labels)
		}
		seen[p.Labels[k]] = true
	}
	for _, k := range []int{0, 2} { // the classes of the unreadable images are still there
		if !seen[whole.Labels[k]] {
			t.Errorf("class %d lost with its unreadable first image (labels %v)", whole.Labels[k], p.Labels)
		}
	}
	all := map[int]bool{}
	for i := range sample.Len() {
		all[i] = true
	}
	if _, err := SelectProbes(unreadable{sample, all}, tf, 4); err == nil || !strings.Contains(err.Error(), "no readable probe image") {
		t.Errorf("no readable image: %v", err)
	}
}
