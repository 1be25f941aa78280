package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gocnn/gocnn/safetensors"
)

// Conv2d against finite differences and against PyTorch fixtures written by
// scripts/fixtures_conv.py (testdata/conv_torch.safetensors).

func TestConv2dGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, tc := range []struct {
		name     string
		x, w     []int
		bias     bool
		spec     ConvSpec
		frozenW  bool
		frozenIn bool
	}{
		{"3x3 s1 p1", []int{2, 3, 6, 5}, []int{4, 3, 3, 3}, true, ConvSpec{Padding: [2]int{1, 1}}, false, false},
		{"3x3 s2 p1 odd", []int{2, 3, 7, 9}, []int{4, 3, 3, 3}, true, ConvSpec{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}, false, false},
		{"1x1 folded batch", []int{3, 4, 3, 5}, []int{5, 4, 1, 1}, true, ConvSpec{}, false, false},
		{"depthwise 3x3 s2 odd", []int{2, 4, 7, 9}, []int{4, 1, 3, 3}, true, ConvSpec{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, Groups: 4}, false, false},
		{"depthwise multiplier 2 5x5", []int{1, 3, 7, 6}, []int{6, 1, 5, 5}, false, ConvSpec{Padding: [2]int{2, 2}, Groups: 3}, false, false},
		{"groups 2 dilation 2 stride 2", []int{2, 4, 9, 8}, []int{6, 2, 3, 3}, true, ConvSpec{Stride: [2]int{2, 2}, Padding: [2]int{2, 1}, Dilation: [2]int{2, 2}, Groups: 2}, false, false},
		{"frozen weight", []int{1, 2, 5, 5}, []int{3, 2, 3, 3}, true, ConvSpec{Padding: [2]int{1, 1}}, true, false},
		{"input without gradient", []int{1, 2, 5, 5}, []int{3, 2, 3, 3}, false, ConvSpec{Stride: [2]int{2, 1}}, false, true},
	} {
		x, w := param(rng, tc.x...), param(rng, tc.w...)
		x.SetRequiresGrad(!tc.frozenIn)
		w.SetRequiresGrad(!tc.frozenW)
		inputs := []*Tensor{x, w}
		if tc.bias {
			inputs = append(inputs, param(rng, tc.w[0]))
		}
		gradCheck(t, "Conv2d "+tc.name, func(in []*Tensor) *Tensor {
			var b *Tensor
			if len(in) == 3 {
				b = in[2]
			}
			return Conv2d(in[0], in[1], b, tc.spec)
		}, inputs, 1e-2, 1e-2)
		if tc.frozenW && w.Grad() != nil || tc.frozenIn && x.Grad() != nil {
			t.Errorf("Conv2d %s: a tensor that does not require a gradient received one", tc.name)
		}
	}
}

// torchFixture is a safetensors file of PyTorch cases: metadata "<case>"
// holds the case's options, tensors are named "<case>.<what>".
type torchFixture struct {
	t    *testing.T
	path string
	file *safetensors.File
}

func openTorchFixture(t *testing.T, path string) torchFixture {
	t.Helper()
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (regenerate with /usr/bin/python3 scripts/fixtures_conv.py)", err)
	}
	return torchFixture{t: t, path: path, file: f}
}

// cases returns the case names in sorted order with their option fields.
func (f torchFixture) cases() []string {
	names := make([]string, 0, len(f.file.Metadata))
	for name := range f.file.Metadata {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// ints parses a case's metadata as comma-separated integers after skip
// leading fields.
func (f torchFixture) ints(name string, skip, want int) []int {
	f.t.Helper()
	fields := strings.Split(f.file.Metadata[name], ",")
	if len(fields) != skip+want {
		f.t.Fatalf("%s: case %s has options %q, want %d fields", f.path, name, f.file.Metadata[name], skip+want)
	}
	v := make([]int, want)
	for i, s := range fields[skip:] {
		if _, err := fmt.Sscan(s, &v[i]); err != nil {
			f.t.Fatalf("%s: case %s: bad option %q", f.path, name, s)
		}
	}
	return v
}

func (f torchFixture) has(name string) bool {
	_, ok := f.file.Get(name)
	return ok
}

func (f torchFixture) tensor(name string) *Tensor {
	f.t.Helper()
	data, shape, err := f.file.Float32(name)
	if err != nil {
		f.t.Fatalf("%s: %v", f.path, err)
	}
	return New(data, shape...)
}

// mismatch tracks the largest difference from PyTorch, relative to 1 + |want|.
type mismatch struct{ worst float64 }

// compare checks got against the fixture tensor within atol + rtol·|want|.
func (m *mismatch) compare(f torchFixture, what string, got []float32, name string, atol, rtol float64) {
	f.t.Helper()
	want := f.tensor(name).Data()
	if err := closeSlices(got, want, atol, rtol); err != nil {
		f.t.Errorf("%s: %s: %v", f.path, what, err)
		return
	}
	for i := range got {
		m.worst = max(m.worst, math.Abs(float64(got[i])-float64(want[i]))/(1+math.Abs(float64(want[i]))))
	}
}

// TestConv2dMatchesPyTorch replays every case of conv_torch.safetensors (3×3
// stride 1 and 2 with odd sizes, 1×1, depthwise 3×3 stride 2 and 5×5 with a
// depth multiplier, groups 2 with dilation 2), comparing the output and the
// gradients of input, weight and bias within 1e-5 absolute plus 1e-5 relative.
func TestConv2dMatchesPyTorch(t *testing.T) {
	f := openTorchFixture(t, "testdata/conv_torch.safetensors")
	var m mismatch
	for _, name := range f.cases() {
		o := f.ints(name, 0, 8)
		spec := ConvSpec{Stride: [2]int{o[0], o[1]}, Padding: [2]int{o[2], o[3]}, Dilation: [2]int{o[4], o[5]}, Groups: o[6]}
		p := name + "."
		x := f.tensor(p + "x").SetRequiresGrad(true)
		w := f.tensor(p + "w").SetRequiresGrad(true)
		var bias *Tensor
		if o[7] == 1 {
			bias = f.tensor(p + "bias").SetRequiresGrad(true)
		}
		out := Conv2d(x, w, bias, spec).Retain()
		weightedLoss(out, float64s(f.tensor(p+"r").Data())).Backward()
		const atol, rtol = 1e-5, 1e-5
		m.compare(f, name+" output", out.Data(), p+"out", atol, rtol)
		m.compare(f, name+" input gradient", x.Grad(), p+"grad_x", atol, rtol)
		m.compare(f, name+" weight gradient", w.Grad(), p+"grad_w", atol, rtol)
		if bias != nil {
			m.compare(f, name+" bias gradient", bias.Grad(), p+"grad_bias", atol, rtol)
		}
	}
	if n := len(f.cases()); n != 6 {
		t.Errorf("%s holds %d cases, want 6", f.path, n)
	}
	t.Logf("largest difference from PyTorch: %.3g (relative to 1+|value|)", m.worst)
}

func float64s(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// Inference on several goroutines at once: each call takes its own workspace.
func TestConv2dConcurrentInference(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	w := param(rng, 8, 4, 3, 3)
	spec := ConvSpec{Padding: [2]int{1, 1}}
	inputs := make([]*Tensor, 6)
	want := make([][]float32, len(inputs))
	for i := range inputs {
		inputs[i] = randTensor(rng, -1, 1, 2, 4, 9, 9)
		want[i] = Conv2d(NoGrad(inputs[i]), w, nil, spec).Data()
	}
	var wg sync.WaitGroup
	for i := range inputs {
		wg.Go(func() {
			for range 20 {
				y := Conv2d(NoGrad(inputs[i]), w, nil, spec)
				if err := closeSlices(y.Data(), want[i], 0, 0); err != nil {
					t.Error(err)
					return
				}
				Release(y)
			}
		})
	}
	wg.Wait()
}

func TestConv2dShapeErrors(t *testing.T) {
	x := Zeros(1, 4, 5, 5)
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"3-dimensional input", func() { Conv2d(Zeros(4, 5, 5), Zeros(2, 4, 3, 3), nil, ConvSpec{}) }},
		{"channel mismatch", func() { Conv2d(x, Zeros(2, 3, 3, 3), nil, ConvSpec{}) }},
		{"groups do not divide", func() { Conv2d(x, Zeros(3, 2, 3, 3), nil, ConvSpec{Groups: 2}) }},
		{"bias size", func() { Conv2d(x, Zeros(2, 4, 3, 3), Zeros(3), ConvSpec{}) }},
		{"kernel larger than input", func() { Conv2d(x, Zeros(2, 4, 7, 7), nil, ConvSpec{}) }},
		{"negative padding", func() { Conv2d(x, Zeros(2, 4, 3, 3), nil, ConvSpec{Padding: [2]int{-1, 0}}) }},
	} {
		msg := panicText(tc.f)
		if !strings.Contains(msg, "autograd.Conv2d") {
			t.Errorf("%s: panic %q does not name autograd.Conv2d", tc.name, msg)
		}
	}
}

// panicText runs f and returns what it panicked with ("" if it did not).
func panicText(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}
