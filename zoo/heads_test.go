package zoo

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/layers"
)

// headKeys returns m's state-dict keys under its head.
func headKeys(m *Model) []string {
	var out []string
	for _, e := range layers.StateTensors(m) {
		if strings.HasPrefix(e.Name, m.HeadName()+".") {
			out = append(out, e.Name+shapeSuffix(e.Tensor.Shape()))
		}
	}
	return out
}

func shapeSuffix(shape []int) string { return " " + shapeString(shape) }

func TestHeads(t *testing.T) {
	cases := []struct {
		arch string
		head HeadSpec
		want []string
	}{
		{"resnet18", HeadSpec{}, []string{"fc.weight 5×64", "fc.bias 5"}},
		{"resnet18", HeadSpec{Kind: HeadLinear}, []string{"fc.0.weight 5×64", "fc.0.bias 5"}},
		{"resnet18", HeadSpec{Kind: HeadMLP}, []string{"fc.0.weight 512×64", "fc.0.bias 512", "fc.3.weight 5×512", "fc.3.bias 5"}},
		{"mobilenet_v3_small", HeadSpec{Kind: HeadMLP, Hidden: []int{16}}, []string{"classifier.0.weight 16×96", "classifier.0.bias 16", "classifier.3.weight 5×16", "classifier.3.bias 5"}},
		{"efficientnet_b0", HeadSpec{Kind: HeadCustom, Hidden: []int{12, 7}}, []string{
			"classifier.0.weight 12×160", "classifier.0.bias 12", "classifier.3.weight 7×12", "classifier.3.bias 7",
			"classifier.6.weight 5×7", "classifier.6.bias 5"}},
		{"vgg16", HeadSpec{}, []string{"classifier.0.weight 64×392", "classifier.0.bias 64", "classifier.3.weight 64×64",
			"classifier.3.bias 64", "classifier.6.weight 5×64", "classifier.6.bias 5"}},
		{"vgg16", HeadSpec{Kind: HeadLinear}, []string{"classifier.0.weight 5×8", "classifier.0.bias 5"}},
	}
	for _, c := range cases {
		m := small(t, c.arch, Options{Head: c.head})
		if got := headKeys(m); !slices.Equal(got, c.want) {
			t.Errorf("%s with head %s: keys %q, want %q", c.arch, c.head, got, c.want)
		}
		layers.SetTraining(m, false)
		if got := m.Forward(autograd.NoGrad(fixtureInput(2, 3, 32, 32))).Shape(); !slices.Equal(got, []int{2, 5}) {
			t.Errorf("%s with head %s: logits %v", c.arch, c.head, got)
		}
	}
}

func TestParseHead(t *testing.T) {
	for _, s := range []string{"own", "linear", "mlp", "mlp:1024", "custom:1024,256"} {
		h, err := ParseHead(s)
		if err != nil || h.String() != s {
			t.Errorf("ParseHead(%q) = %v, %v", s, h, err)
		}
	}
	for _, s := range []string{"mlp:10,20", "custom", "linear:5", "mlp:x", "mlp:0", "gap"} {
		if _, err := ParseHead(s); err == nil {
			t.Errorf("ParseHead(%q) accepted", s)
		}
	}
}

func TestReplaceHeadKeepsBackbone(t *testing.T) {
	m := small(t, "mobilenet_v3_large", Options{Classes: 1000})
	backbone := m.BackboneParams()
	before := make([][]float32, len(backbone))
	for i, p := range backbone {
		before[i] = slices.Clone(p.Data())
	}
	if err := m.Freeze("stem", "head"); err != nil {
		t.Fatal(err)
	}
	if err := m.ReplaceHead(rand.New(rand.NewPCG(3, 4)), HeadSpec{Kind: HeadLinear}, 37); err != nil {
		t.Fatal(err)
	}
	after := m.BackboneParams()
	for i, p := range after {
		if p != backbone[i] || !slices.Equal(p.Data(), before[i]) {
			t.Fatalf("backbone parameter %d changed", i)
		}
	}
	if m.Options.Classes != 37 || m.Options.Head.Kind != HeadLinear {
		t.Errorf("options after replacement: %+v", m.Options)
	}
	// The new head takes the old one's place: the keys, in order, are those
	// of a model built with that head.
	keys := func(m *Model) []string {
		var out []string
		for _, e := range layers.StateTensors(m) {
			out = append(out, e.Name+shapeSuffix(e.Tensor.Shape()))
		}
		return out
	}
	if got, want := keys(m), keys(small(t, "mobilenet_v3_large", Options{Classes: 37, Head: HeadSpec{Kind: HeadLinear}})); !slices.Equal(got, want) {
		t.Errorf("state-dict keys after replacement differ from a model built with the head:\n%q\nwant\n%q", got, want)
	}
	st := m.Stages()
	if !st[0].Frozen || st[len(st)-1].Frozen || !slices.Equal(st[len(st)-1].Modules, []string{"avgpool", "classifier"}) {
		t.Errorf("stages after replacement: %+v", st)
	}
	layers.SetTraining(m, false)
	if got := m.Forward(autograd.NoGrad(fixtureInput(1, 3, 32, 32))).Shape(); !slices.Equal(got, []int{1, 37}) {
		t.Errorf("logits %v", got)
	}
	if err := m.ReplaceHead(rand.New(rand.NewPCG(3, 4)), HeadSpec{Kind: HeadOwn}, 0); err != nil || m.Options.Classes != 1000 {
		t.Errorf("own head with the default class count: %v, %d classes", err, m.Options.Classes)
	}
	for _, nm := range layers.Modules(m.head) {
		if nm.Module.(interface{ Training() bool }).Training() {
			t.Errorf("head module %q is in training mode in a model in evaluation mode", nm.Name)
		}
	}
	if err := m.ReplaceHead(rand.New(rand.NewPCG(3, 4)), HeadSpec{Kind: HeadCustom}, 5); err == nil {
		t.Error("a custom head without sizes was accepted")
	}
}
