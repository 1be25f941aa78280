package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/zoo"
)

func TestSummaryTable(t *testing.T) {
	var out, errs bytes.Buffer
	if code := run([]string{"-model", "mobilenet_v3_large", "-input", "224"}, &out, &errs); code != exitOK {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	for _, want := range []string{"features.16.0", "classifier.3", "parameters   5,483,032 (trainable 5,483,032)", "MACs         0.2166 G", "FLOPs        0.4332 G"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestSummaryJSON(t *testing.T) {
	var out, errs bytes.Buffer
	if code := run([]string{"-model", "resnet18,efficientnet_b0", "-width", "0.25", "-classes", "37", "-input", "64", "-head", "mlp:64", "-json"}, &out, &errs); code != exitOK {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	var got []zoo.Summary
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Model != "resnet18" || got[1].Model != "efficientnet_b0" || got[1].Input[1] != 64 ||
		got[0].Options.Head.String() != "mlp:64" || got[0].Layers[len(got[0].Layers)-1].Output[0] != 37 {
		t.Errorf("summaries: %+v", got)
	}
}

func TestSummaryBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "-model is required (one or more of vgg16, vgg16_bn, resnet18"},
		{[]string{"-model", "alexnet"}, `unknown model "alexnet" (valid: vgg16,`},
		{[]string{"-model", "vgg16", "-input", "16"}, "input size 16 is below the architecture's minimum of 32"},
		{[]string{"-model", "resnet18", "-input", "0"}, "-input 0: the input image needs a side of at least 1 pixel"},
		{[]string{"-model", "resnet18", "-classes", "0"}, "-classes 0: the model needs at least 1 class"},
		{[]string{"-model", "resnet18", "-width", "0"}, "-width 0: the width multiplier must be positive"},
		{[]string{"-model", "resnet50", "-head", "attention"}, `unknown head "attention"`},
		{[]string{"-model", "resnet50", "extra"}, "unexpected arguments"},
		{[]string{"-input", "x"}, "invalid value"},
	} {
		var out, errs bytes.Buffer
		if code := run(c.args, &out, &errs); code != exitUsage || !strings.Contains(errs.String(), c.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", c.args, code, errs.String(), exitUsage, c.want)
		}
	}
}
