package zoo

import (
	"encoding/json"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/layers"
)

// Full-size structure against torchvision (testdata/torchvision_models.json,
// from scripts/fixtures_zoo.py): state-dict keys, their order and shapes,
// parameter counts and MACs; and the published targets.

type torchvisionModel struct {
	Keys   [][2]json.RawMessage `json:"keys"`
	Params int64                `json:"params"`
	MACs   int64                `json:"macs"`
}

// The targets of the model-zoo issue: torchvision's documented parameter
// counts and GFLOPS (which count multiply-accumulates) at 224×224.
var publishedTargets = map[string]struct {
	params int64
	gmacs  float64
}{
	"vgg16":              {138357544, 15.470},
	"vgg16_bn":           {138365992, 15.470},
	"resnet18":           {11689512, 1.814},
	"resnet50":           {25557032, 4.089},
	"mobilenet_v3_large": {5483032, 0.2166},
	"mobilenet_v3_small": {2542856, 0.0565},
	"efficientnet_b0":    {5288548, 0.3858},
}

func TestFullSizeMatchesTorchvision(t *testing.T) {
	b, err := os.ReadFile("testdata/torchvision_models.json")
	if err != nil {
		t.Fatal(err)
	}
	var table map[string]torchvisionModel
	if err := json.Unmarshal(b, &table); err != nil {
		t.Fatal(err)
	}
	for _, arch := range Names() {
		t.Run(arch, func(t *testing.T) {
			tv, ok := table[arch]
			if !ok {
				t.Fatalf("no torchvision entry for %s", arch)
			}
			m, err := New(arch, Options{})
			if err != nil {
				t.Fatal(err)
			}
			state := layers.StateTensors(m)
			if len(state) != len(tv.Keys) {
				t.Errorf("%d state-dict keys, torchvision has %d", len(state), len(tv.Keys))
			}
			for i := range min(len(state), len(tv.Keys)) {
				var name string
				var shape []int
				if json.Unmarshal(tv.Keys[i][0], &name) != nil || json.Unmarshal(tv.Keys[i][1], &shape) != nil {
					t.Fatalf("bad key entry %d", i)
				}
				if state[i].Name != name || !slices.Equal(state[i].Tensor.Shape(), shape) {
					t.Fatalf("key %d: %s %v, torchvision %s %v", i, state[i].Name, state[i].Tensor.Shape(), name, shape)
				}
			}
			s, err := Summarize(m, 224)
			if err != nil {
				t.Fatal(err)
			}
			target := publishedTargets[arch]
			if s.Params != tv.Params || s.Params != target.params {
				t.Errorf("%d parameters; torchvision counts %d, published %d", s.Params, tv.Params, target.params)
			}
			if s.MACs != tv.MACs {
				t.Errorf("%d MACs at 224, torchvision's hooks count %d", s.MACs, tv.MACs)
			}
			if g := float64(s.MACs) / 1e9; math.Abs(g-target.gmacs) > 0.01*target.gmacs {
				t.Errorf("%.4f GMACs, more than 1%% from the published %.4f", g, target.gmacs)
			}
			if s.FLOPs != 2*s.MACs || s.WeightBytes != 4*s.Params || s.TrainableParams != s.Params {
				t.Errorf("totals: FLOPs %d, weights %d B, trainable %d for %d MACs and %d parameters", s.FLOPs, s.WeightBytes, s.TrainableParams, s.MACs, s.Params)
			}
		})
	}
}

// small builds a reduced model for the structural tests.
func small(t *testing.T, arch string, o Options) *Model {
	t.Helper()
	if o.WidthMult == 0 {
		o.WidthMult = 0.125
		if strings.HasPrefix(arch, "vgg") {
			o.WidthMult = 1.0 / 64
		}
	}
	if o.Classes == 0 {
		o.Classes = 5
	}
	if o.InputSize == 0 {
		o.InputSize = 32
	}
	m, err := New(arch, o)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestForwardShapesAtSeveralSizes(t *testing.T) {
	for _, arch := range Names() {
		m := small(t, arch, Options{})
		layers.SetTraining(m, false)
		for _, size := range []int{32, 45} {
			x := autograd.NoGrad(fixtureInput(2, 3, size, size))
			if got := m.Forward(x).Shape(); !slices.Equal(got, []int{2, 5}) {
				t.Errorf("%s at %d: logits %v, want [2 5]", arch, size, got)
			}
		}
	}
}

func TestOptionsErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		o    Options
		want string
	}{
		{"resnet51", Options{}, "valid: vgg16, vgg16_bn, resnet18, resnet50"},
		{"vgg16", Options{InputSize: 16}, "minimum of 32"},
		{"resnet18", Options{Classes: -3}, "-3 classes"},
		{"resnet18", Options{WidthMult: -1}, "width multiplier"},
		{"mobilenet_v3_small", Options{Dropout: 1}, "dropout"},
		{"efficientnet_b0", Options{StochasticDepth: 2}, "stochastic depth"},
		{"resnet18", Options{Head: HeadSpec{Kind: "conv"}}, `unknown head "conv" (valid: own, linear, mlp, custom)`},
		{"resnet18", Options{Head: HeadSpec{Kind: HeadCustom}}, "needs its hidden sizes"},
	} {
		_, err := New(c.name, c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%q, %+v): error %v, want it to mention %q", c.name, c.o, err, c.want)
		}
	}
	if _, err := ParseNames("resnet50,mobilenet_v3_large"); err != nil {
		t.Error(err)
	}
	if names, err := ParseNames("all"); err != nil || !slices.Equal(names, Names()) {
		t.Errorf("ParseNames(all) = %v, %v", names, err)
	}
	if _, err := ParseNames("resnet50,alexnet"); err == nil || !strings.Contains(err.Error(), `"alexnet"`) {
		t.Errorf("ParseNames with alexnet: %v", err)
	}
}

func TestDefaultsResolved(t *testing.T) {
	for arch, want := range map[string][2]float64{
		"vgg16": {0.5, -1}, "resnet50": {-1, -1}, "mobilenet_v3_large": {0.2, -1}, "efficientnet_b0": {0.2, 0.2},
	} {
		m := small(t, arch, Options{})
		if got := [2]float64{m.Options.Dropout, m.Options.StochasticDepth}; got != want {
			t.Errorf("%s: dropout, stochastic depth = %v, want %v", arch, got, want)
		}
	}
	m := small(t, "efficientnet_b0", Options{})
	sd := map[string]float64{}
	for _, nm := range layers.Modules(m) {
		if s, ok := nm.Module.(*layers.StochasticDepth); ok {
			sd[nm.Name] = s.P
		}
	}
	// Block i of 16 drops with 0.2·i/16: block 1 is features.2.0, block 15 features.7.0.
	if len(sd) != 16 || sd["features.1.0.stochastic_depth"] != 0 || sd["features.2.0.stochastic_depth"] != 0.2/16 || sd["features.7.0.stochastic_depth"] != 0.2*15/16 {
		t.Errorf("stochastic depth probabilities %v", sd)
	}
	for _, nm := range layers.Modules(small(t, "mobilenet_v3_small", Options{})) {
		if bn, ok := nm.Module.(*layers.BatchNorm2d); ok && (bn.Eps != 0.001 || bn.Momentum != 0.01) {
			t.Fatalf("%s: eps %g momentum %g, want 0.001 and 0.01", nm.Name, bn.Eps, bn.Momentum)
		}
	}
}

func TestInitialisationFollowsTorchvision(t *testing.T) {
	m, err := New("resnet50", Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	// conv1: N(0, 2/fan_out) with fan_out = 64·7·7.
	w := layers.StateTensors(m)[0]
	if w.Name != "conv1.weight" {
		t.Fatalf("first key %s", w.Name)
	}
	var sum, sq float64
	for _, v := range w.Tensor.Data() {
		sum += float64(v)
		sq += float64(v) * float64(v)
	}
	n := float64(w.Tensor.Numel())
	std, want := math.Sqrt(sq/n-(sum/n)*(sum/n)), math.Sqrt(2.0/(64*49))
	if math.Abs(std-want) > 0.05*want {
		t.Errorf("conv1.weight std %.4g, want %.4g", std, want)
	}
	again, _ := New("resnet50", Options{Seed: 1})
	if !slices.Equal(layers.StateTensors(again)[0].Tensor.Data(), w.Tensor.Data()) {
		t.Error("the same seed gave different weights")
	}
	vgg := small(t, "vgg16", Options{})
	for _, p := range layers.Parameters(vgg) {
		if strings.HasPrefix(p.Name, "classifier") && strings.HasSuffix(p.Name, "bias") && slices.ContainsFunc(p.Tensor.Data(), func(v float32) bool { return v != 0 }) {
			t.Errorf("%s is not zero", p.Name)
		}
	}
}

// Evaluation-mode inference changes no state, so goroutines may share a
// model (run with -race to check the claim, not only the results).
func TestConcurrentInference(t *testing.T) {
	m := small(t, "efficientnet_b0", Options{})
	fillFixture(m)
	if err := m.Freeze("stem"); err != nil {
		t.Fatal(err)
	}
	layers.SetTraining(m, false)
	x := autograd.NoGrad(fixtureInput(2, 3, 32, 32))
	want := slices.Clone(m.Forward(x).Data())
	results := make(chan []float32, 4)
	for range 4 {
		go func() { results <- slices.Clone(m.Forward(x).Data()) }()
	}
	for range 4 {
		if got := <-results; !slices.Equal(got, want) {
			t.Errorf("concurrent forward gave %v, want %v", got, want)
		}
	}
}
