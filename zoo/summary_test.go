package zoo

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestSummaryGraph(t *testing.T) {
	m := small(t, "resnet18", Options{})
	s, err := Summarize(m, 64)
	if err != nil {
		t.Fatal(err)
	}
	// ResNet-18: 8 BasicBlocks, each with a skip; those opening layer2–4
	// project their shortcut.
	var blocks, projected int
	for _, b := range s.Blocks {
		if b.Type != "BasicBlock" || b.Skip == nil {
			t.Fatalf("block %+v", b)
		}
		blocks++
		join := s.Layers[b.Skip.Join]
		if join.Type != "Add" || join.Name != b.Name || len(join.Inputs) != 2 || b.Skip.Join < b.First || b.Skip.Join > b.Last {
			t.Errorf("%s: join %+v", b.Name, join)
		}
		if b.Skip.From != b.First-1 || s.Layers[b.First].Inputs[0] != b.Skip.From {
			t.Errorf("%s: the shortcut leaves from layer %d, the block reads layer %d", b.Name, b.Skip.From, s.Layers[b.First].Inputs[0])
		}
		if p := b.Skip.Projection; p != nil {
			projected++
			first, last := s.Layers[p[0]], s.Layers[p[1]]
			if first.Name != b.Name+".downsample.0" || last.Name != b.Name+".downsample.1" || join.Inputs[1] != p[1] {
				t.Errorf("%s: projection %s … %s, join inputs %v", b.Name, first.Name, last.Name, join.Inputs)
			}
		}
	}
	if blocks != 8 || projected != 3 {
		t.Errorf("%d blocks, %d projected shortcuts; want 8 and 3", blocks, projected)
	}
	last := s.Layers[len(s.Layers)-1]
	if last.Name != "fc" || !slices.Equal(last.Output, []int{5}) || last.Stage != "head" || s.Layers[0].Stage != "stem" || s.Layers[0].Inputs[0] != -1 {
		t.Errorf("first layer %+v, last %+v", s.Layers[0], last)
	}
	for i, l := range s.Layers {
		if l.Stage == "" {
			t.Errorf("layer %d (%s) belongs to no stage", i, l.Name)
		}
		for _, in := range l.Inputs {
			if in < -1 || in >= i {
				t.Errorf("layer %d (%s) reads layer %d", i, l.Name, in)
			}
		}
	}

	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Summary
	if err := json.Unmarshal(b, &back); err != nil || back.MACs != s.MACs || len(back.Layers) != len(s.Layers) || back.Blocks[3].Skip.Join != s.Blocks[3].Skip.Join {
		t.Errorf("JSON round trip: %v", err)
	}
}

func TestSummaryStagesCoverEveryLayer(t *testing.T) {
	for _, arch := range Names() {
		s, err := Summarize(small(t, arch, Options{}), 0)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, l := range s.Layers {
			if l.Stage == "" {
				t.Errorf("%s: layer %s belongs to no stage", arch, l.Name)
			}
			seen[l.Stage] = true
		}
		if len(seen) != len(s.Stages) {
			t.Errorf("%s: layers fall in %d of %d stages", arch, len(seen), len(s.Stages))
		}
	}
}

func TestSummarySqueezeExcitationAndSizes(t *testing.T) {
	m := small(t, "mobilenet_v3_large", Options{})
	s, err := Summarize(m, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Input, []int{3, 32, 32}) {
		t.Errorf("input %v, want the model's input size 32", s.Input)
	}
	se := 0
	for _, b := range s.Blocks {
		if b.Type != "SqueezeExcitation" {
			continue
		}
		se++
		mul := s.Layers[b.Last]
		if mul.Type != "Mul" || mul.Inputs[1] != b.Last-1 || mul.Inputs[0] != b.First-1 {
			t.Errorf("%s: %+v", b.Name, mul)
		}
	}
	if se != 8 {
		t.Errorf("%d squeeze-excitation blocks, want 8", se)
	}
	vgg := small(t, "vgg16", Options{})
	if _, err := Summarize(vgg, 16); err == nil || !strings.Contains(err.Error(), "features.30 (MaxPool2d) would have an empty output") {
		t.Errorf("VGG at 16×16: %v", err)
	}
}

func TestSummaryTable(t *testing.T) {
	m := small(t, "mobilenet_v3_small", Options{})
	s, err := Summarize(m, 0)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := s.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"features.0.0", "Conv2d", "3×3 s2", "Hardswish", "features.1.block.0", "Mul", "classifier.3", "parameters", "MACs", "FLOPs", "(2 × MACs)", "weights", "activations"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if got := thousands(25557032); got != "25,557,032" {
		t.Errorf("thousands = %s", got)
	}
}
