package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/dataset"
	"github.com/gocnn/gocnn/layers"
	"github.com/gocnn/gocnn/safetensors"
	"github.com/gocnn/gocnn/zoo"
)

// writePNG writes a w×h gradient image whose colours depend on seed.
func writePNG(t *testing.T, path string, w, h, seed int) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8((y*7 + seed*40) % 256), uint8(seed * 60), 255})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// setup saves a small 3-class checkpoint and two images.
func setup(t *testing.T) (dir, weights string, m *zoo.Model, preset zoo.Preset, images []string) {
	dir = t.TempDir()
	m, err := zoo.New("mobilenet_v3_small", zoo.Options{Classes: 3, WidthMult: 0.25, InputSize: 32, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	preset = zoo.Preset{ResizeSize: 36, CropSize: 32, Interpolation: "bicubic", Mean: []float32{0.5, 0.4, 0.3}, Std: []float32{0.2, 0.25, 0.3}}
	weights = filepath.Join(dir, "pets.safetensors")
	if err := zoo.Save(weights, m, zoo.SaveOptions{ClassNames: []string{"cat", "dog", "bird"}, Preset: &preset}); err != nil {
		t.Fatal(err)
	}
	for i, size := range [][2]int{{50, 40}, {33, 64}} {
		p := filepath.Join(dir, []string{"a.png", "b.png"}[i])
		writePNG(t, p, size[0], size[1], i)
		images = append(images, p)
	}
	return dir, weights, m, preset, images
}

func TestPredictLogitsMatchTheModel(t *testing.T) {
	_, weights, m, preset, images := setup(t)
	var out, errs bytes.Buffer
	if code := run(append([]string{"-weights", weights, "-logits"}, images...), &out, &errs); code != exitOK {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	x, _, errs2 := loadBatch(images, &pipeline{tf: presetTransform(preset), size: 32}, io.Discard)
	if len(errs2) > 0 {
		t.Fatal(errs2)
	}
	layers.SetTraining(m, false)
	want := m.Forward(autograd.NoGrad(x)).Data()
	sc := bufio.NewScanner(&out)
	for i := 0; sc.Scan(); i++ {
		var line struct {
			Image  string
			Logits []float32
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		if line.Image != images[i] || !slices.Equal(line.Logits, want[i*3:(i+1)*3]) {
			t.Errorf("line %d: %+v, want logits %v", i, line, want[i*3:(i+1)*3])
		}
	}
}

// TestPredictDirectory classifies the images under a directory, at any
// depth and in lexical order, skipping files that are not images; a
// directory without images is an error naming it.
func TestPredictDirectory(t *testing.T) {
	dir, weights, _, _, _ := setup(t)
	photos := filepath.Join(dir, "photos")
	for i, name := range []string{"z.png", "sub/a.ppm.png", "sub/notes.txt", "b.PNG"} {
		p := filepath.Join(photos, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(name, ".txt") {
			if err := os.WriteFile(p, []byte("not an image"), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		writePNG(t, p, 40, 40, i)
	}
	var out, errs bytes.Buffer
	if code := run([]string{"-weights", weights, "-logits", photos}, &out, &errs); code != exitOK {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var l struct{ Image string }
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatal(err)
		}
		got = append(got, filepath.ToSlash(strings.TrimPrefix(l.Image, photos+string(filepath.Separator))))
	}
	if want := []string{"b.PNG", "sub/a.ppm.png", "z.png"}; !slices.Equal(got, want) {
		t.Errorf("classified %q, want %q", got, want)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	errs.Reset()
	if code := run([]string{"-weights", weights, empty}, &out, &errs); code != exitUsage || !strings.Contains(errs.String(), empty+": a directory with no image files under it") {
		t.Errorf("an empty directory: exit %d, %q", code, errs.String())
	}
}

func TestPredictTopClasses(t *testing.T) {
	_, weights, _, _, images := setup(t)
	var out, errs bytes.Buffer
	if code := run(append([]string{"-weights", weights, "-top", "2"}, images...), &out, &errs); code != exitOK {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 6 || lines[0] != images[0] || !strings.HasPrefix(lines[1], "  1. 0.") || !strings.HasPrefix(lines[2], "  2. 0.") {
		t.Fatalf("output:\n%s", out.String())
	}
	for _, l := range []string{lines[1], lines[2], lines[4], lines[5]} {
		name := l[strings.LastIndex(l, " ")+1:]
		if name != "cat" && name != "dog" && name != "bird" {
			t.Errorf("line %q does not end with a class name", l)
		}
	}
}

func TestPredictBareWeights(t *testing.T) {
	dir, _, m, _, images := setup(t)
	bare := filepath.Join(dir, "bare.safetensors")
	if err := layers.SaveStateDict(bare, m, nil); err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	// Bare weights need -model; these are a width-0.25 model, which the
	// full-width mobilenet_v3_small does not fit.
	code := run(append([]string{"-model", "mobilenet_v3_small", "-classes", "3", "-weights", bare}, images...), &out, &errs)
	if code != exitUsage || !strings.Contains(errs.String(), bare) || !strings.Contains(errs.String(), "not a mobilenet_v3_small checkpoint") {
		t.Errorf("exit %d, stderr %q", code, errs.String())
	}
}

func TestPredictBadInputs(t *testing.T) {
	dir, weights, _, _, images := setup(t)
	broken := filepath.Join(dir, "broken.jpg")
	if err := os.WriteFile(broken, []byte("\xff\xd8\xff\xe0 truncated"), 0o644); err != nil {
		t.Fatal(err)
	}
	bare := filepath.Join(dir, "bare.safetensors")
	r18, err := zoo.New("resnet18", zoo.Options{WidthMult: 0.125, Classes: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := layers.SaveStateDict(bare, r18, nil); err != nil {
		t.Fatal(err)
	}
	// Bare weights at full width for 4 classes: without -classes, predict
	// builds a 1000-class head that they do not fit.
	bare4 := filepath.Join(dir, "bare4.safetensors")
	small, err := zoo.New("mobilenet_v3_small", zoo.Options{Classes: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := layers.SaveStateDict(bare4, small, nil); err != nil {
		t.Fatal(err)
	}
	// A PyTorch checkpoint (torch.save writes a zip archive) and a copy of
	// the weights cut short.
	pth := filepath.Join(dir, "model.pth")
	if err := os.WriteFile(pth, append([]byte("PK\x03\x04\x00\x00\x08\x08"), make([]byte, 1000)...), 0o644); err != nil {
		t.Fatal(err)
	}
	whole, err := os.ReadFile(weights)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "cut.safetensors")
	if err := os.WriteFile(truncated, whole[:len(whole)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	// The readable image is still classified; the broken one is named.
	var out, errs bytes.Buffer
	if code := run([]string{"-weights", weights, broken, images[0]}, &out, &errs); code != exitUsage ||
		!strings.Contains(errs.String(), broken) || !strings.HasPrefix(out.String(), images[0]+"\n") || strings.Contains(out.String(), broken) {
		t.Errorf("a broken image among good ones: exit %d, stdout %q, stderr %q", code, out.String(), errs.String())
	}
	// -top 0 is its own mistake: the message is not about -classes, whose
	// default is 0.
	out.Reset()
	errs.Reset()
	if code := run([]string{"-weights", weights, "-top", "0", images[0]}, &out, &errs); code != exitUsage || strings.Contains(errs.String(), "-classes") {
		t.Errorf("-top 0: exit %d, stderr %q", code, errs.String())
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-weights", weights, images[0], broken}, "1 of 2 images could not be classified"},
		{[]string{"-weights", weights, filepath.Join(dir, "nothing.png")}, "nothing.png"},
		{[]string{"-weights", filepath.Join(dir, "none.safetensors"), images[0]}, "none.safetensors"},
		{[]string{"-weights", weights, "-model", "resnet50", images[0]}, "a mobilenet_v3_small checkpoint cannot load into resnet50"},
		{[]string{"-weights", weights, "-classes", "10", images[0]}, "is for 3 classes, -classes says 10"},
		{[]string{"-weights", bare, images[0]}, "name the architecture (one of vgg16,"},
		{[]string{"-weights", bare, "-model", "resnet34", images[0]}, `unknown model "resnet34" (valid: vgg16,`},
		{[]string{"-weights", bare4, "-model", "mobilenet_v3_small", images[0]}, "the head does not fit mobilenet_v3_small"},
		{[]string{"-weights", bare4, "-model", "mobilenet_v3_small", images[0]}, "bare weights for another number of classes than 1000 need -classes N"},
		{[]string{"-weights", weights}, "no images"},
		{[]string{"-weights", weights, "-top", "0", images[0]}, "-top 0: the number of classes to print must be at least 1"},
		{[]string{"-weights", weights, "-batch", "0", images[0]}, "-batch 0: the number of images per forward pass must be at least 1"},
		{[]string{"-weights", weights, "-classes", "-1", images[0]}, "-classes -1: give the number of classes of bare weights, or leave it out"},
		{[]string{"-weights", pth, images[0]}, pth + ": not a safetensors file: it begins like a zip archive"},
		{[]string{"-weights", pth, images[0]}, "convert it with scripts/export_torchvision.py"},
		{[]string{"-weights", truncated, images[0]}, truncated + ": truncated file: "},
		{[]string{images[0]}, "-weights is required"},
	} {
		var out, errs bytes.Buffer
		if code := run(c.args, &out, &errs); code != exitUsage || !strings.Contains(errs.String(), c.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", c.args, code, errs.String(), exitUsage, c.want)
		}
	}
}

// TestPredictNonFiniteOutputs checks damaged weights (a NaN weight, a
// negative BatchNorm running variance): -logits writes null where a logit
// is not finite, and both modes warn, naming the image and the weights.
func TestPredictNonFiniteOutputs(t *testing.T) {
	for _, c := range []struct {
		name   string
		damage func(name string, data []float32) bool
	}{
		{"nan", func(name string, data []float32) bool {
			if name != "classifier.3.weight" {
				return false
			}
			data[0] = float32(math.NaN())
			return true
		}},
		{"negvar", func(name string, data []float32) bool {
			if !strings.HasSuffix(name, "running_var") {
				return false
			}
			data[0] = -1
			return true
		}},
	} {
		dir, good, m, preset, images := setup(t)
		// Good weights: no warning.
		var out, errs bytes.Buffer
		if code := run(append([]string{"-weights", good, "-logits"}, images...), &out, &errs); code != exitOK || errs.Len() > 0 {
			t.Fatalf("good weights: exit %d, stderr %q", code, errs.String())
		}
		damaged := false
		for _, nt := range layers.StateTensors(m) {
			if damaged = c.damage(nt.Name, nt.Tensor.Data()); damaged {
				break
			}
		}
		if !damaged {
			t.Fatalf("%s: no tensor to damage", c.name)
		}
		weights := filepath.Join(dir, c.name+".safetensors")
		if err := zoo.Save(weights, m, zoo.SaveOptions{ClassNames: []string{"cat", "dog", "bird"}, Preset: &preset}); err != nil {
			t.Fatal(err)
		}
		checkWarnings := func(mode, stderr string) {
			for _, img := range images {
				want := "predict: warning: " + img + ": the model's outputs are not finite"
				if !strings.Contains(stderr, want) {
					t.Errorf("%s, %s: stderr %q lacks %q", c.name, mode, stderr, want)
				}
			}
			if strings.Count(stderr, weights) != len(images) {
				t.Errorf("%s, %s: stderr %q does not name %s once per image", c.name, mode, stderr, weights)
			}
		}

		out.Reset()
		errs.Reset()
		if code := run(append([]string{"-weights", weights, "-logits"}, images...), &out, &errs); code != exitOK {
			t.Fatalf("%s, -logits: exit %d, stderr %q", c.name, code, errs.String())
		}
		checkWarnings("-logits", errs.String())
		sc := bufio.NewScanner(&out)
		lines := 0
		for ; sc.Scan(); lines++ {
			var line struct {
				Image  string
				Logits []*float32
			}
			if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
				t.Fatalf("%s, -logits: line %q: %v", c.name, sc.Text(), err)
			}
			if len(line.Logits) != 3 || !slices.Contains(line.Logits, nil) {
				t.Errorf("%s, -logits: line %q has no null logit", c.name, sc.Text())
			}
		}
		if lines != len(images) {
			t.Errorf("%s, -logits: %d lines for %d images:\n%s", c.name, lines, len(images), out.String())
		}

		out.Reset()
		errs.Reset()
		if code := run(append([]string{"-weights", weights}, images...), &out, &errs); code != exitOK ||
			!strings.HasPrefix(out.String(), images[0]+"\n  1. ") {
			t.Fatalf("%s: exit %d, stdout %q, stderr %q", c.name, code, out.String(), errs.String())
		}
		checkWarnings("top classes", errs.String())
	}
}

// logitsOf runs m in evaluation mode on images through tf, checking they
// all fit its 32×32 input.
func logitsOf(t *testing.T, m *zoo.Model, tf dataset.Transform, images ...string) []float32 {
	t.Helper()
	x, _, errs := loadBatch(images, &pipeline{tf: tf, size: 32}, io.Discard)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	layers.SetTraining(m, false)
	return m.Forward(autograd.NoGrad(x)).Data()
}

// readLogits parses -logits output into image → logits.
func readLogits(t *testing.T, out *bytes.Buffer) map[string][]float32 {
	t.Helper()
	got := map[string][]float32{}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var line struct {
			Image  string
			Logits []float32
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		got[line.Image] = line.Logits
	}
	return got
}

// mnistWeights saves a 3-class model trained, say, on 28×28 digits: its
// preset resizes to 32×32, and the pipeline it was evaluated with (pad by
// 2, gray to three channels) is recorded as cmd/train records it, or as
// recorded says when that is not empty.
func mnistWeights(t *testing.T, dir, recorded string) (weights string, m *zoo.Model, preset, exact dataset.Transform) {
	t.Helper()
	m, err := zoo.New("mobilenet_v3_small", zoo.Options{Classes: 3, WidthMult: 0.25, InputSize: 32, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	mean, std := []float32{0.1307, 0.1307, 0.1307}, []float32{0.3081, 0.3081, 0.3081}
	p := zoo.Preset{ResizeSize: 32, CropSize: 32, Interpolation: "bilinear", Mean: mean, Std: std}
	exact = dataset.Compose(dataset.Pad(2), dataset.Grayscale(3), dataset.ToTensor(), dataset.Normalize(mean, std))
	if recorded == "" {
		recorded = exact.String()
	}
	weights = filepath.Join(dir, "best.safetensors")
	if err := zoo.Save(weights, m, zoo.SaveOptions{Preset: &p, Metadata: map[string]string{zoo.MetaEvalTransform: recorded}}); err != nil {
		t.Fatal(err)
	}
	return weights, m, presetTransform(p), exact
}

// TestPredictUsesRecordedTransform checks that weights recording the
// pipeline they were evaluated with are run with that pipeline, not with
// their preset (which resizes a 28×28 digit instead of padding it), that
// -v says so, and that an image the pipeline maps to another size than the
// model's input goes through the preset, with one warning per image size.
func TestPredictUsesRecordedTransform(t *testing.T) {
	dir := t.TempDir()
	weights, m, preset, exact := mnistWeights(t, dir, "")
	digit, big, big2 := filepath.Join(dir, "digit.png"), filepath.Join(dir, "big.png"), filepath.Join(dir, "big2.png")
	writePNG(t, digit, 28, 28, 1)
	writePNG(t, big, 40, 40, 2)
	writePNG(t, big2, 40, 40, 3)

	var out, errs bytes.Buffer
	if code := run([]string{"-weights", weights, "-logits", "-v", digit, big, big2}, &out, &errs); code != exitOK {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	got := readLogits(t, &out)
	want := logitsOf(t, m, exact, digit)
	if slices.Equal(want, logitsOf(t, m, preset, digit)) {
		t.Fatal("the preset and the recorded pipeline give the same logits: the test cannot tell them apart")
	}
	if !slices.Equal(got[digit], want) {
		t.Errorf("digit: logits %v, want %v (the recorded pipeline's)", got[digit], want)
	}
	// The recorded pipeline turns images gray, so the fallback does too.
	fallback := dataset.Compose(dataset.Grayscale(3), preset)
	if want := logitsOf(t, m, fallback, big, big2); !slices.Equal(got[big], want[:3]) || !slices.Equal(got[big2], want[3:]) {
		t.Errorf("40×40 images: logits %v and %v, want %v (the preset's after Grayscale(3))", got[big], got[big2], want)
	}
	if slices.Equal(logitsOf(t, m, fallback, big), logitsOf(t, m, preset, big)) {
		t.Error("the preset gives the same logits with and without Grayscale(3): the test cannot tell them apart")
	}
	verbose := "predict: " + weights + ": mobilenet_v3_small, 3 classes, input 3×32×32; transform " + exact.String() +
		" (recorded with the weights as gocnn.eval_transform)\n"
	warning := "predict: warning: " + big + ": the evaluation transform recorded with " + weights + " gives 3×44×44 from this 40×40 image, " +
		"not the model's 3×32×32 (it was made for images of another size); using the preset's transform " + fallback.String() +
		" instead, for it and any other 40×40 image\n"
	if errs.String() != verbose+warning {
		t.Errorf("stderr:\n%s\nwant:\n%s", errs.String(), verbose+warning)
	}
}

// TestPredictUnrebuildableTransform checks that a recorded pipeline that
// cannot be rebuilt gives a warning naming the weights, and the preset.
func TestPredictUnrebuildableTransform(t *testing.T) {
	dir := t.TempDir()
	recorded := "Compose(RandomCrop(32, padding=2), ToTensor())"
	weights, m, preset, _ := mnistWeights(t, dir, recorded)
	digit := filepath.Join(dir, "digit.png")
	writePNG(t, digit, 28, 28, 1)
	var out, errs bytes.Buffer
	if code := run([]string{"-weights", weights, "-logits", digit}, &out, &errs); code != exitOK {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	if got, want := readLogits(t, &out)[digit], logitsOf(t, m, preset, digit); !slices.Equal(got, want) {
		t.Errorf("logits %v, want %v (the preset's)", got, want)
	}
	warning := "predict: warning: " + weights + `: the evaluation transform recorded with the weights (gocnn.eval_transform = "` + recorded +
		`") cannot be rebuilt: RandomCrop draws at random; an evaluation pipeline must not; using the preset stored with the weights (` +
		preset.String() + ") instead, so predictions may differ from the run's own evaluation\n"
	if errs.String() != warning {
		t.Errorf("stderr:\n%s\nwant:\n%s", errs.String(), warning)
	}
}

// TestPredictTrainingCheckpoint checks that a training checkpoint (the
// model's tensors under "model." beside the optimiser's, gocnn.checkpoint
// metadata) is refused with the file to use instead, with or without
// -model, not as weights without an architecture or with hundreds of
// missing and unexpected keys.
func TestPredictTrainingCheckpoint(t *testing.T) {
	dir, _, m, _, images := setup(t)
	var tensors []safetensors.Tensor
	for _, st := range layers.StateDict(m) {
		st.Name = "model." + st.Name
		tensors = append(tensors, st)
	}
	tensors = append(tensors, safetensors.F32("optim.0.exp_avg", []int{1}, []float32{0}))
	checkpoint := filepath.Join(dir, "checkpoint.safetensors")
	if err := safetensors.WriteFile(checkpoint, tensors, map[string]string{zoo.MetaCheckpoint: `{"version":1,"model":"mobilenet_v3_small"}`}); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"-weights", checkpoint}, {"-weights", checkpoint, "-model", "mobilenet_v3_small"}} {
		var out, errs bytes.Buffer
		code := run(append(args, images...), &out, &errs)
		if code != exitUsage || !strings.HasPrefix(errs.String(), "predict: "+checkpoint+": this is a training checkpoint") ||
			!strings.Contains(errs.String(), "use best.safetensors in the same folder") {
			t.Errorf("%q: exit %d, stderr %q", args, code, errs.String())
		}
	}
}
