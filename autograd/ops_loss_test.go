package autograd

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/safetensors"
)

// Tests of CrossEntropy and MSE: finite differences, hand-worked values, and
// PyTorch fixtures written by scripts/fixtures_loss.py.

// lossFixture is one fixture file written by scripts/fixtures_loss.py.
type lossFixture struct {
	t    *testing.T
	path string
	file *safetensors.File
}

func openLossFixture(t *testing.T, path string) lossFixture {
	t.Helper()
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (regenerate with /usr/bin/python3 scripts/fixtures_loss.py)", err)
	}
	return lossFixture{t: t, path: path, file: f}
}

// tensor returns the named tensor as a leaf.
func (f lossFixture) tensor(name string) *Tensor {
	f.t.Helper()
	v, shape, err := f.file.Float32(name)
	if err != nil {
		f.t.Fatalf("%s: %v", f.path, err)
	}
	return New(v, shape...)
}

// has reports whether the file holds the named tensor.
func (f lossFixture) has(name string) bool {
	_, ok := f.file.Get(name)
	return ok
}

// compare fails the test when got and the named tensor differ by more than
// atol + rtol·|want| anywhere.
func (f lossFixture) compare(what string, got []float32, name string, atol, rtol float64) {
	f.t.Helper()
	want := f.tensor(name).Data()
	if err := closeSlices(got, want, atol, rtol); err != nil {
		f.t.Errorf("%s: %s against PyTorch's %s: %v", f.path, what, name, err)
	}
}

func TestCrossEntropyMatchesPyTorch(t *testing.T) {
	f := openLossFixture(t, "testdata/loss_ce.safetensors")
	if len(f.file.Metadata) == 0 {
		t.Fatal("fixture lists no cases")
	}
	for _, name := range slices.Sorted(maps.Keys(f.file.Metadata)) {
		spec := f.file.Metadata[name]
		parts := strings.Split(spec, ",")
		smoothing, err1 := strconv.ParseFloat(parts[0], 64)
		ignore, err2 := strconv.Atoi(parts[len(parts)-1])
		if len(parts) != 2 || err1 != nil || err2 != nil {
			t.Fatalf("case %s: bad metadata %q", name, spec)
		}
		x := f.tensor(name + ".x").SetRequiresGrad(true)
		var targets []int
		for _, v := range f.tensor(name + ".target").Data() {
			targets = append(targets, int(v))
		}
		opt := CrossEntropyOptions{LabelSmoothing: smoothing}
		if ignore != DefaultIgnoreIndex {
			opt.IgnoreIndex = &ignore
		}
		if f.has(name + ".weight") {
			opt.Weights = f.tensor(name + ".weight").Data()
		}
		loss := CrossEntropy(x, targets, opt)
		f.compare(name+" loss", loss.Data(), name+".loss", 0, 1e-6)
		loss.Backward()
		f.compare(name+" gradient", x.Grad(), name+".grad", 1e-7, 1e-5)
	}
}

func TestMSEMatchesPyTorch(t *testing.T) {
	f := openLossFixture(t, "testdata/loss_mse.safetensors")
	pred := f.tensor("pred").SetRequiresGrad(true)
	target := f.tensor("target").SetRequiresGrad(true)
	loss := MSE(pred, target)
	f.compare("MSE", loss.Data(), "loss", 0, 1e-6)
	loss.Backward()
	f.compare("MSE d/dpred", pred.Grad(), "grad_pred", 1e-7, 1e-5)
	f.compare("MSE d/dtarget", target.Grad(), "grad_target", 1e-7, 1e-5)
}

func TestCrossEntropyGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	ignore := 1
	weights := []float32{0.5, 2, 1, 1.5}
	targets := []int{0, 3, 1, 2, 2, 3}
	for _, c := range []struct {
		name string
		opt  CrossEntropyOptions
	}{
		{"plain", CrossEntropyOptions{}},
		{"smoothing", CrossEntropyOptions{LabelSmoothing: 0.3}},
		{"weights", CrossEntropyOptions{Weights: weights}},
		{"weights, smoothing, ignore 1", CrossEntropyOptions{Weights: weights, LabelSmoothing: 0.2, IgnoreIndex: &ignore}},
	} {
		x := param(rng, 6, 4)
		gradCheck(t, "CrossEntropy "+c.name, func(in []*Tensor) *Tensor {
			return CrossEntropy(in[0], targets, c.opt)
		}, []*Tensor{x}, 1e-2, 2e-3)
	}
}

// Two samples worked by hand: equal logits give log C, and with label
// smoothing 1 the target is uniform.
func TestCrossEntropyByHand(t *testing.T) {
	x := New([]float32{0, 0, 0, 0, 0, 0}, 2, 3)
	if got, want := CrossEntropy(x, []int{0, 2}, CrossEntropyOptions{}).Item(), float32(math.Log(3)); math.Abs(float64(got-want)) > 1e-7 {
		t.Errorf("uniform logits: loss %v, want log 3 = %v", got, want)
	}
	// Weights 1 and 3 on targets 0 and 1: (1·(−lp0) + 3·(−lp1)) / 4 with
	// lp = log_softmax([0, ln 2]) = (−ln 3, ln 2 − ln 3).
	y := New([]float32{0, float32(math.Ln2), 0, float32(math.Ln2)}, 2, 2)
	got := CrossEntropy(y, []int{0, 1}, CrossEntropyOptions{Weights: []float32{1, 3}}).Item()
	want := (math.Log(3) + 3*(math.Log(3)-math.Ln2)) / 4
	if math.Abs(float64(got)-want) > 1e-6 {
		t.Errorf("weighted loss %v, want %v", got, want)
	}
}

func TestCrossEntropyStableAndIgnored(t *testing.T) {
	x := New([]float32{1000, -1000, 0, -1000, 1000, 0}, 2, 3).SetRequiresGrad(true)
	loss := CrossEntropy(x, []int{0, 0}, CrossEntropyOptions{LabelSmoothing: 0.1})
	if v := loss.Item(); math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
		t.Fatalf("loss of ±1000 logits is %v", v)
	}
	loss.Backward()
	for _, g := range x.Grad() {
		if math.IsNaN(float64(g)) || math.IsInf(float64(g), 0) {
			t.Fatalf("gradient of ±1000 logits %v", x.Grad())
		}
	}

	// Every target ignored: PyTorch returns NaN and a zero gradient.
	z := New([]float32{1, 2, 3, 4}, 2, 2).SetRequiresGrad(true)
	l := CrossEntropy(z, []int{DefaultIgnoreIndex, DefaultIgnoreIndex}, CrossEntropyOptions{})
	if !math.IsNaN(float64(l.Item())) {
		t.Errorf("all targets ignored: loss %v, want NaN", l.Item())
	}
	l.Backward()
	if err := closeSlices(z.Grad(), make([]float32, 4), 0, 0); err != nil {
		t.Errorf("all targets ignored: gradient %v", err)
	}
}

// Targets whose classes all weigh 0 make W = 0. PyTorch's negative
// log-likelihood term is then 0/0, so with label smoothing the loss is NaN,
// not the smoothing term's sum over 0 (±Inf), and so is the gradient of every
// counted row; the ignored row's gradient stays 0.
func TestCrossEntropyZeroTargetWeight(t *testing.T) {
	x := New([]float32{1, 2, 3, 4, 0, -1, 2, 2, 5}, 3, 3).SetRequiresGrad(true)
	ignore := 1
	l := CrossEntropy(x, []int{0, 1, 0}, CrossEntropyOptions{
		Weights: []float32{0, 0.5, 2}, LabelSmoothing: 0.2, IgnoreIndex: &ignore})
	if !math.IsNaN(float64(l.Item())) {
		t.Errorf("targets of weight 0: loss %v, PyTorch NaN", l.Item())
	}
	l.Backward()
	for i, g := range x.Grad() {
		if row := i / 3; row == 1 && g != 0 || row != 1 && !math.IsNaN(float64(g)) {
			t.Fatalf("targets of weight 0: gradient %v, PyTorch NaN in rows 0 and 2, 0 in row 1", x.Grad())
		}
	}
}

func TestCrossEntropyRejectsBadTargets(t *testing.T) {
	x := Zeros(2, 3)
	for _, c := range []struct {
		targets []int
		opt     CrossEntropyOptions
		want    string
	}{
		{[]int{0, 3}, CrossEntropyOptions{}, "target 3 of sample 1"},
		{[]int{-1, 0}, CrossEntropyOptions{}, "target -1 of sample 0"},
		{[]int{0}, CrossEntropyOptions{}, "1 targets"},
		{[]int{0, 1}, CrossEntropyOptions{Weights: []float32{1}}, "1 class weights"},
		{[]int{0, 1}, CrossEntropyOptions{LabelSmoothing: 1.5}, "label smoothing 1.5"},
	} {
		msg := panicMessage(func() { CrossEntropy(x, c.targets, c.opt) })
		if !strings.Contains(msg, c.want) {
			t.Errorf("targets %v, options %+v: panic %q, want it to mention %q", c.targets, c.opt, msg, c.want)
		}
	}
	if msg := panicMessage(func() { MSE(Zeros(2, 3), Zeros(3, 2)) }); !strings.Contains(msg, "[2 3]") || !strings.Contains(msg, "[3 2]") {
		t.Errorf("MSE shape mismatch panic %q", msg)
	}
}

func TestMSEGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	gradCheck(t, "MSE", func(in []*Tensor) *Tensor { return MSE(in[0], in[1]) },
		[]*Tensor{param(rng, 3, 5), param(rng, 3, 5)}, 1e-2, 1e-3)
}

// panicMessage runs f and returns what it panicked with ("" if it did not).
func panicMessage(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}
