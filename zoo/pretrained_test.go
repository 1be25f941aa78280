package zoo

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/layers"
	"github.com/gocnn/gocnn/safetensors"
)

func evalLogits(m *Model) []float32 {
	layers.SetTraining(m, false)
	return m.Forward(autograd.NoGrad(fixtureInput(2, 3, 32, 32))).Data()
}

func TestSaveAndLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	m := small(t, "mobilenet_v3_small", Options{Classes: 3, Seed: 9})
	fillFixture(m)
	preset := Preset{ResizeSize: 40, CropSize: 32, Interpolation: "bicubic", Mean: []float32{0.5, 0.5, 0.5}, Std: []float32{0.5, 0.5, 0.5}}
	evalTF := "Compose(Pad(2), Grayscale(3), ToTensor(), Normalize(mean=[0.5 0.5 0.5], std=[0.5 0.5 0.5]))"
	if err := Save(path, m, SaveOptions{ClassNames: []string{"cat", "dog", "bird"}, Preset: &preset,
		Metadata: map[string]string{"epoch": "7", MetaEvalTransform: evalTF}}); err != nil {
		t.Fatal(err)
	}
	loaded, info, err := Load(path, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if info.Arch != "mobilenet_v3_small" || !slices.Equal(info.ClassNames, []string{"cat", "dog", "bird"}) ||
		info.Preset == nil || info.Preset.Interpolation != "bicubic" || info.Options == nil || info.Options.Classes != 3 ||
		info.EvalTransform != evalTF {
		t.Errorf("info %+v", info)
	}
	if loaded.Options.WidthMult != m.Options.WidthMult || loaded.Options.Seed != 9 {
		t.Errorf("options %+v, saved %+v", loaded.Options, m.Options)
	}
	if !slices.Equal(evalLogits(loaded), evalLogits(m)) {
		t.Error("the reloaded model computes other logits")
	}
	if err := Save(path, m, SaveOptions{ClassNames: []string{"cat"}}); err == nil {
		t.Error("saving one class name for three classes was accepted")
	}
}

func TestLoadPretrainedNewHead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "imagenet.safetensors")
	pretrained := small(t, "resnet18", Options{Classes: 1000})
	fillFixture(pretrained)
	// A torchvision export carries no gocnn metadata: a bare state dict.
	if err := layers.SaveStateDict(path, pretrained, nil); err != nil {
		t.Fatal(err)
	}

	pets := small(t, "resnet18", Options{Classes: 37, Seed: 5})
	headBefore := snapshot(layers.Parameters(pets.head))
	if _, err := LoadPretrained(pets, path, PretrainedOptions{Strict: true}); err == nil ||
		!strings.Contains(err.Error(), "fc.weight is [1000 64] in the file, [37 64] in the model") || !strings.Contains(err.Error(), path) {
		t.Errorf("strict load of a 1000-class head into 37 classes: %v", err)
	}
	report, err := LoadPretrained(pets, path, PretrainedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(report.Skipped, []string{"fc.weight", "fc.bias"}) {
		t.Errorf("skipped %v", report.Skipped)
	}
	if want := len(layers.StateTensors(newChain(pets.backbone))); len(report.Loaded) != want {
		t.Errorf("%d keys loaded, the backbone has %d", len(report.Loaded), want)
	}
	if !strings.Contains(report.String(), "head skipped (fc.weight, fc.bias)") {
		t.Errorf("report %q", report)
	}
	for i, p := range layers.Parameters(pets.head) {
		if !slices.Equal(p.Tensor.Data(), headBefore[i]) {
			t.Errorf("%s was overwritten", p.Name)
		}
	}
	src, dst := layers.StateTensors(newChain(pretrained.backbone)), layers.StateTensors(newChain(pets.backbone))
	for i := range src {
		if !slices.Equal(src[i].Tensor.Data(), dst[i].Tensor.Data()) {
			t.Errorf("%s was not loaded", src[i].Name)
		}
	}

	same := small(t, "resnet18", Options{Classes: 1000, Seed: 5})
	report, err = LoadPretrained(same, path, PretrainedOptions{Strict: true})
	if err != nil || len(report.Skipped) != 0 || len(report.Loaded) != len(layers.StateTensors(same)) {
		t.Errorf("strict load into the same model: %v, %v", report, err)
	}
	if !slices.Equal(evalLogits(same), evalLogits(pretrained)) {
		t.Error("the loaded model computes other logits")
	}
}

// TestLoadPretrainedKeepsFittingHeadLayers loads a 1000-class MobileNetV3
// into a 37-class one: the own head's hidden Linear (classifier.0) fits and
// is loaded, as it stays when a torchvision user replaces classifier[3];
// only the output layer keeps its new initialisation. A model with another
// head kind takes nothing of the file's head.
func TestLoadPretrainedKeepsFittingHeadLayers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "imagenet.safetensors")
	pretrained := small(t, "mobilenet_v3_small", Options{Classes: 1000})
	fillFixture(pretrained)
	if err := layers.SaveStateDict(path, pretrained, nil); err != nil {
		t.Fatal(err)
	}
	pets := small(t, "mobilenet_v3_small", Options{Classes: 37, Seed: 5})
	outBefore := snapshot(layers.StateTensors(pets.head)[2:])
	report, err := LoadPretrained(pets, path, PretrainedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(report.Skipped, []string{"classifier.3.weight", "classifier.3.bias"}) ||
		!strings.Contains(report.String(), "head partly loaded: skipped (classifier.3.weight, classifier.3.bias)") {
		t.Errorf("skipped %v, report %q", report.Skipped, report)
	}
	if want := len(layers.StateTensors(newChain(pets.backbone))) + 2; len(report.Loaded) != want {
		t.Errorf("%d keys loaded, want the backbone's and classifier.0's: %d", len(report.Loaded), want)
	}
	src, dst := layers.StateTensors(pretrained.head), layers.StateTensors(pets.head)
	for i := range 2 {
		if !slices.Equal(src[i].Tensor.Data(), dst[i].Tensor.Data()) {
			t.Errorf("classifier.%s was not loaded", dst[i].Name)
		}
	}
	for i, nt := range dst[2:] {
		if !slices.Equal(nt.Tensor.Data(), outBefore[i]) {
			t.Errorf("classifier.%s was overwritten", nt.Name)
		}
	}

	// Its hidden layer has the shape of classifier.0, but not its meaning.
	hidden := src[0].Tensor.Dim(0)
	mlp := small(t, "mobilenet_v3_small", Options{Classes: 37, Head: HeadSpec{Kind: HeadMLP, Hidden: []int{hidden}}})
	mlpBefore := snapshot(layers.StateTensors(mlp.head))
	report, err = LoadPretrained(mlp, path, PretrainedOptions{})
	if err != nil || len(report.Skipped) != 4 {
		t.Errorf("an MLP head: skipped %v, error %v; want all four head keys skipped", report.Skipped, err)
	}
	for i, nt := range layers.StateTensors(mlp.head) {
		if !slices.Equal(nt.Tensor.Data(), mlpBefore[i]) {
			t.Errorf("MLP head: classifier.%s was overwritten", nt.Name)
		}
	}
}

func TestLoadPretrainedErrors(t *testing.T) {
	dir := t.TempDir()
	r18 := small(t, "resnet18", Options{})
	r50 := small(t, "resnet50", Options{})
	saved := filepath.Join(dir, "r18.safetensors")
	if err := Save(saved, r18, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	bare := filepath.Join(dir, "r18-bare.safetensors")
	if err := layers.SaveStateDict(bare, r18, nil); err != nil {
		t.Fatal(err)
	}
	wrapped := filepath.Join(dir, "r18-dataparallel.safetensors")
	var keys []safetensors.Tensor
	for _, nt := range layers.StateTensors(r18) {
		keys = append(keys, safetensors.F32("module."+nt.Name, nt.Tensor.Shape(), nt.Tensor.Data()))
	}
	if err := safetensors.WriteFile(wrapped, keys, nil); err != nil {
		t.Fatal(err)
	}
	before := snapshot(layers.StateTensors(r50))
	for _, c := range []struct {
		path string
		want []string
	}{
		{saved, []string{saved, "a resnet18 checkpoint cannot load into resnet50"}},
		{bare, []string{bare, "not a resnet50 checkpoint", "layer1.0.conv3.weight", "layer1.0.conv1.weight: model [8 8 1 1], file [8 8 3 3]"}},
		{filepath.Join(dir, "missing.safetensors"), []string{"missing.safetensors", "no such file"}},
		{wrapped, []string{wrapped, "module.conv1.weight", `every key starts with "module." (saved from DataParallel)`}},
	} {
		_, err := LoadPretrained(r50, c.path, PretrainedOptions{})
		for _, w := range c.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("LoadPretrained(%s): error %v, want it to mention %q", c.path, err, w)
			}
		}
	}
	for i, e := range layers.StateTensors(r50) {
		if !slices.Equal(e.Tensor.Data(), before[i]) {
			t.Fatalf("%s changed although loading failed", e.Name)
		}
	}
	empty := filepath.Join(dir, "empty.safetensors")
	if err := safetensors.WriteFile(empty, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPretrained(r50, empty, PretrainedOptions{}); err == nil || strings.Contains(err.Error(), "DataParallel") {
		t.Errorf("LoadPretrained of a file without tensors: %v, want an error without the DataParallel hint", err)
	}
	if _, _, err := Load(bare, "", Options{}); err == nil || !strings.Contains(err.Error(), "no gocnn.architecture metadata; name the architecture (one of vgg16,") {
		t.Errorf("Load of a bare state dict: %v", err)
	}
	if m, _, err := Load(bare, "resnet18", r18.Options); err != nil || !slices.Equal(evalLogits(m), evalLogits(r18)) {
		t.Errorf("Load of a bare state dict as resnet18: %v", err)
	}
	if _, _, err := Load(saved, "resnet50", Options{}); err == nil || !strings.Contains(err.Error(), "a resnet18 checkpoint cannot load into resnet50") {
		t.Errorf("Load of a resnet18 checkpoint as resnet50: %v", err)
	}

	bad := filepath.Join(dir, "bad-meta.safetensors")
	if err := safetensors.WriteFile(bad, layers.StateDict(r18), map[string]string{MetaArchitecture: "alexnet"}); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPretrained(r18, bad, PretrainedOptions{}); err == nil || !strings.Contains(err.Error(), `unknown model "alexnet" (valid: vgg16`) {
		t.Errorf("unknown architecture in metadata: %v", err)
	}
	if err := safetensors.WriteFile(bad, layers.StateDict(r18), map[string]string{MetaOptions: `{"classes": "ten"}`}); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPretrained(r18, bad, PretrainedOptions{}); err == nil || !strings.Contains(err.Error(), "metadata gocnn.options is not valid") {
		t.Errorf("malformed options in metadata: %v", err)
	}
	// Class names, but no options to check them against: the head decides.
	if err := safetensors.WriteFile(bad, layers.StateDict(r18), map[string]string{MetaArchitecture: "resnet18", MetaClassNames: `["cat","dog"]`}); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%s: metadata gocnn.class_names names 2 classes but the weights are for %d", bad, r18.Options.Classes)
	if _, _, err := Load(bad, "", r18.Options); err == nil || err.Error() != want {
		t.Errorf("class names that do not match the head: %v, want %q", err, want)
	}
	if err := os.WriteFile(bad, []byte("not a safetensors file"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPretrained(r18, bad, PretrainedOptions{}); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("garbage file: %v", err)
	}
}

func TestLoadPretrainedAdoptsBatchNormEps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "timm.safetensors")
	timm := small(t, "mobilenet_v3_small", Options{BNEps: 1e-5})
	if err := Save(path, timm, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	m := small(t, "mobilenet_v3_small", Options{})
	report, err := LoadPretrained(m, path, PretrainedOptions{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if report.BNEps != 1e-5 || m.Options.BNEps != 1e-5 || bnEps(m) != 1e-5 {
		t.Errorf("report eps %g, options eps %g, model eps %g; want 1e-5", report.BNEps, m.Options.BNEps, bnEps(m))
	}
}

// TestTrainingCheckpointRefused checks that a training checkpoint (the
// model's tensors under "model." beside the optimiser's, state under
// gocnn.checkpoint) is named as such, with the file to use instead, rather
// than reported as a file without an architecture or with hundreds of
// missing and unexpected keys.
func TestTrainingCheckpointRefused(t *testing.T) {
	m := small(t, "mobilenet_v3_small", Options{Classes: 3})
	var tensors []safetensors.Tensor
	for _, st := range layers.StateDict(m) {
		st.Name = "model." + st.Name
		tensors = append(tensors, st)
	}
	tensors = append(tensors, safetensors.F32("optim.0.exp_avg", []int{1}, []float32{0}))
	path := filepath.Join(t.TempDir(), "checkpoint.safetensors")
	if err := safetensors.WriteFile(path, tensors, map[string]string{MetaCheckpoint: `{"version":1,"model":"mobilenet_v3_small"}`}); err != nil {
		t.Fatal(err)
	}
	want := path + ": this is a training checkpoint (gocnn.checkpoint metadata"
	for _, arch := range []string{"", "mobilenet_v3_small"} {
		if _, _, err := Load(path, arch, Options{Classes: 3}); err == nil || !strings.HasPrefix(err.Error(), want) ||
			!strings.Contains(err.Error(), "use best.safetensors in the same folder") {
			t.Errorf("Load(%q): %v; want an error beginning %q and naming best.safetensors", arch, err, want)
		}
	}
	if _, err := LoadPretrained(m, path, PretrainedOptions{}); err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("LoadPretrained: %v; want an error beginning %q", err, want)
	}
}
