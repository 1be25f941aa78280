package zoo

import (
	"slices"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/layers"
	"github.com/gocnn/gocnn/optim"
)

// trainStep runs one SGD step of m on the fixture batch with the strategy's
// parameter groups.
func trainStep(t *testing.T, m *Model, s Strategy) {
	t.Helper()
	var groups []optim.Group
	for _, g := range s.ParamGroups(m, 0.1) {
		groups = append(groups, optim.Group{Name: g.Name, Params: g.Params, LR: g.LR})
	}
	opt, err := optim.NewSGD(groups, optim.SGDConfig{Momentum: 0.9})
	if err != nil {
		t.Fatal(err)
	}
	logits := m.Forward(fixtureInput(4, 3, 32, 32))
	autograd.CrossEntropy(logits, []int{0, 1, 2, 3}, autograd.CrossEntropyOptions{}).Backward()
	opt.Step()
}

func snapshot(ts []layers.NamedTensor) [][]float32 {
	out := make([][]float32, len(ts))
	for i, nt := range ts {
		out[i] = slices.Clone(nt.Tensor.Data())
	}
	return out
}

func TestLinearProbeFreezesBackboneAndItsBatchNorms(t *testing.T) {
	m := small(t, "resnet18", Options{})
	s := Strategy{Kind: LinearProbe}
	if n := s.Apply(m, 0); n != 0 {
		t.Fatalf("linear probe trains %d backbone stages", n)
	}
	layers.SetTraining(m, true) // what a trainer does at each epoch; must not undo the probe
	body := newChain(m.backbone)
	state := layers.StateTensors(body)
	before := snapshot(state)
	headBefore := snapshot(layers.Parameters(m.head))

	trainStep(t, m, s)

	for i, e := range state {
		if !slices.Equal(e.Tensor.Data(), before[i]) {
			t.Errorf("%s changed under a linear probe", e.Name)
		}
		if e.Tensor.Grad() != nil {
			t.Errorf("%s has a gradient", e.Name)
		}
	}
	for i, p := range layers.Parameters(m.head) {
		if slices.Equal(p.Tensor.Data(), headBefore[i]) {
			t.Errorf("head parameter %s did not train", p.Name)
		}
	}
	for _, nm := range layers.Modules(body) {
		if bn, ok := nm.Module.(*layers.BatchNorm2d); ok && bn.Training() {
			t.Errorf("%s is in training mode", nm.Name)
		}
	}
	sum, err := Summarize(m, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := m.Stages()[m.BackboneStages()].Params; sum.TrainableParams != want {
		t.Errorf("trainable parameters %d, head has %d", sum.TrainableParams, want)
	}

	// Full fine-tuning undoes the probe: everything trains again.
	Strategy{Kind: FullFineTune}.Apply(m, 1)
	for _, nm := range layers.Modules(m) {
		if bn, ok := nm.Module.(*layers.BatchNorm2d); ok && !bn.Training() {
			t.Errorf("%s stayed in evaluation mode after unfreezing", nm.Name)
		}
	}
	for _, p := range layers.Parameters(m) {
		if !p.Tensor.RequiresGrad() {
			t.Errorf("%s is still frozen", p.Name)
		}
	}
}

func frozenStages(m *Model) []string {
	var out []string
	for _, s := range m.Stages() {
		if s.Frozen {
			out = append(out, s.Name)
		}
	}
	return out
}

func TestPartialAndProgressiveUnfreezing(t *testing.T) {
	m := small(t, "efficientnet_b0", Options{})
	if m.BackboneStages() != 8 {
		t.Fatalf("efficientnet_b0 has %d backbone stages, want 8 (stem, stage1–7)", m.BackboneStages())
	}
	Strategy{Kind: PartialFineTune, Stages: 2}.Apply(m, 0)
	if got := frozenStages(m); !slices.Equal(got, []string{"stem", "stage1", "stage2", "stage3", "stage4", "stage5"}) {
		t.Errorf("partial:2 froze %v", got)
	}
	for _, p := range layers.Parameters(m) {
		trains := strings.HasPrefix(p.Name, "features.6.") || strings.HasPrefix(p.Name, "features.7.") ||
			strings.HasPrefix(p.Name, "features.8.") || strings.HasPrefix(p.Name, "classifier.")
		if p.Tensor.RequiresGrad() != trains {
			t.Errorf("partial:2: %s requires grad = %v", p.Name, p.Tensor.RequiresGrad())
		}
	}

	progressive := Strategy{Kind: ProgressiveUnfreeze, Every: 2}
	for epoch, want := range []int{0, 0, 1, 1, 2, 2, 3} {
		if got := progressive.Apply(m, epoch); got != want || len(frozenStages(m)) != 8-want {
			t.Errorf("progressive:2 epoch %d: %d stages trained, frozen %v", epoch, got, frozenStages(m))
		}
	}
	if got := progressive.Apply(m, 100); got != 8 || len(frozenStages(m)) != 0 {
		t.Errorf("progressive:2 late: %d stages trained, frozen %v", got, frozenStages(m))
	}
	if err := m.Freeze("stage9"); err == nil || !strings.Contains(err.Error(), "stem, stage1") {
		t.Errorf("freezing an unknown stage: %v", err)
	}
}

func TestParamGroups(t *testing.T) {
	m := small(t, "mobilenet_v3_small", Options{})
	groups := Strategy{Kind: FullFineTune, BackboneLRScale: 0.1}.ParamGroups(m, 0.01)
	if len(groups) != 2 || groups[0].Name != "backbone" || groups[0].LR != 0.01*0.1 || groups[1].Name != "head" || groups[1].LR != 0.01 {
		t.Fatalf("groups %+v", groups)
	}
	all := append(slices.Clone(groups[0].Params), groups[1].Params...)
	params := layers.Parameters(m)
	if len(all) != len(params) {
		t.Fatalf("%d parameters in the groups, model has %d", len(all), len(params))
	}
	for i, p := range params {
		if all[i] != p.Tensor {
			t.Fatalf("parameter %d (%s) out of order in the groups", i, p.Name)
		}
	}
	if g := (Strategy{Kind: LinearProbe}).ParamGroups(m, 0.01); len(g) != 1 || g[0].Name != "head" {
		t.Errorf("linear probe groups %+v", g)
	}
}

func TestParseStrategy(t *testing.T) {
	for _, s := range []string{"linear-probe", "partial:2", "full", "full:0.1", "progressive:3"} {
		st, err := ParseStrategy(s)
		if err != nil || st.String() != s {
			t.Errorf("ParseStrategy(%q) = %v, %v", s, st, err)
		}
	}
	for _, s := range []string{"linear-probe:1", "partial", "partial:-1", "progressive:0", "full:x", "full:-1", "full:0", "full:NaN", "full:Inf", "finetune"} {
		if _, err := ParseStrategy(s); err == nil {
			t.Errorf("ParseStrategy(%q) accepted", s)
		}
	}
}
