package autograd

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/kernels"
)

// MaxPool2d, AvgPool2d and AdaptiveAvgPool2d against finite differences and
// against PyTorch fixtures written by scripts/fixtures_conv.py
// (testdata/pool_torch.safetensors).

// distinctTensor returns a leaf holding a shuffled ramp of values 0.01 apart,
// so no two inputs of a max-pool window are within a finite-difference step.
func distinctTensor(rng *rand.Rand, shape ...int) *Tensor {
	t := Zeros(shape...)
	for i, v := range rng.Perm(len(t.data)) {
		t.data[i] = float32(v-len(t.data)/2) * 0.01
	}
	return t.SetRequiresGrad(true)
}

func TestPoolGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	k3s2p1 := PoolSpec{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}
	ceil := PoolSpec{Kernel: [2]int{3, 2}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, CeilMode: true}
	ceilInclude := ceil
	ceilInclude.CountIncludePad = true
	for _, tc := range []struct {
		name string
		x    *Tensor
		f    func(x *Tensor) *Tensor
	}{
		{"MaxPool2d 3x3 s2 p1", distinctTensor(rng, 2, 3, 9, 7), func(x *Tensor) *Tensor { return MaxPool2d(x, k3s2p1) }},
		{"MaxPool2d ceil", distinctTensor(rng, 1, 2, 8, 9), func(x *Tensor) *Tensor { return MaxPool2d(x, ceil) }},
		{"MaxPool2d default stride", distinctTensor(rng, 1, 2, 6, 7), func(x *Tensor) *Tensor { return MaxPool2d(x, PoolSpec{Kernel: [2]int{2, 2}}) }},
		{"AvgPool2d 3x3 s2 p1", param(rng, 2, 3, 9, 7), func(x *Tensor) *Tensor { return AvgPool2d(x, k3s2p1) }},
		{"AvgPool2d ceil", param(rng, 1, 2, 8, 9), func(x *Tensor) *Tensor { return AvgPool2d(x, ceil) }},
		{"AvgPool2d ceil include pad", param(rng, 1, 2, 8, 9), func(x *Tensor) *Tensor { return AvgPool2d(x, ceilInclude) }},
		{"AdaptiveAvgPool2d 10x13 to 7x7", param(rng, 1, 2, 10, 13), func(x *Tensor) *Tensor { return AdaptiveAvgPool2d(x, 7, 7) }},
		{"AdaptiveAvgPool2d to 1x1", param(rng, 2, 3, 5, 6), func(x *Tensor) *Tensor { return AdaptiveAvgPool2d(x, 1, 1) }},
	} {
		gradCheck(t, tc.name, func(in []*Tensor) *Tensor { return tc.f(in[0]) }, []*Tensor{tc.x}, 1e-3, 1e-2)
	}
}

// A zero stride means the stride equals the kernel.
func TestPoolSpecDefaultStride(t *testing.T) {
	x := New([]float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, 1, 1, 4, 4)
	y := MaxPool2d(x, PoolSpec{Kernel: [2]int{2, 2}})
	if err := closeSlices(y.Data(), []float32{6, 8, 14, 16}, 0, 0); err != nil {
		t.Error(err)
	}
	if s := y.Shape(); !sameShape(s, []int{1, 1, 2, 2}) {
		t.Errorf("shape %v, want [1 1 2 2]", s)
	}
}

// TestPoolMatchesPyTorch replays every case of pool_torch.safetensors: max
// pooling 3×3 stride 2 padding 1 (one input full of ties, where the gradient
// must go to the first maximum) and in ceil mode, average pooling with and
// without count_include_pad in ceil mode with windows over the padded edge,
// adaptive average pooling 10×13 → 7×7 and → 1×1. Outputs and input
// gradients must agree within 1e-6 absolute plus 1e-5 relative, and max
// pooling's argmax positions exactly.
func TestPoolMatchesPyTorch(t *testing.T) {
	f := openTorchFixture(t, "testdata/pool_torch.safetensors")
	var m mismatch
	kinds := map[string]int{}
	for _, name := range f.cases() {
		kind, _, _ := strings.Cut(f.file.Metadata[name], ",")
		kinds[kind]++
		p := name + "."
		x := f.tensor(p + "x").SetRequiresGrad(true)
		var out *Tensor
		switch kind {
		case "max", "avg":
			fields := 7
			if kind == "avg" {
				fields = 8
			}
			o := f.ints(name, 1, fields)
			spec := PoolSpec{Kernel: [2]int{o[0], o[1]}, Stride: [2]int{o[2], o[3]}, Padding: [2]int{o[4], o[5]}, CeilMode: o[6] == 1}
			if kind == "max" {
				out = MaxPool2d(x, spec)
				checkArgmax(t, f, name, x, spec)
			} else {
				spec.CountIncludePad = o[7] == 1
				out = AvgPool2d(x, spec)
			}
		case "adaptive":
			o := f.ints(name, 1, 2)
			out = AdaptiveAvgPool2d(x, o[0], o[1])
		default:
			t.Fatalf("%s: case %s has unknown kind %q", f.path, name, kind)
		}
		out.Retain()
		weightedLoss(out, float64s(f.tensor(p+"r").Data())).Backward()
		m.compare(f, name+" output", out.Data(), p+"out", 1e-6, 1e-5)
		m.compare(f, name+" input gradient", x.Grad(), p+"grad_x", 1e-6, 1e-5)
	}
	if kinds["max"] != 4 || kinds["avg"] != 5 || kinds["adaptive"] != 2 {
		t.Errorf("%s holds cases %v, want 4 max, 5 avg, 2 adaptive", f.path, kinds)
	}
	t.Logf("largest difference from PyTorch: %.3g (relative to 1+|value|)", m.worst)
}

// checkArgmax compares the kernel's argmax positions with PyTorch's indices.
func checkArgmax(t *testing.T, f torchFixture, name string, x *Tensor, spec PoolSpec) {
	t.Helper()
	p := spec.params("MaxPool2d", x)
	want := f.tensor(name + ".indices").Data()
	y, idx := make([]float32, len(want)), make([]int32, len(want))
	kernels.MaxPool2dForward(p, x.Data(), y, idx)
	for i, w := range want {
		if idx[i] != int32(w) {
			t.Errorf("%s: argmax %d is %d, PyTorch has %d", name, i, idx[i], int32(w))
			return
		}
	}
}

func TestPoolShapeErrors(t *testing.T) {
	x := Zeros(1, 2, 5, 5)
	for _, tc := range []struct {
		name, op string
		f        func()
	}{
		{"3-dimensional input", "autograd.MaxPool2d", func() { MaxPool2d(Zeros(2, 5, 5), PoolSpec{Kernel: [2]int{2, 2}}) }},
		{"padding over half the window", "autograd.MaxPool2d", func() {
			MaxPool2d(x, PoolSpec{Kernel: [2]int{3, 3}, Padding: [2]int{2, 2}})
		}},
		{"zero window", "autograd.AvgPool2d", func() { AvgPool2d(x, PoolSpec{}) }},
		{"window larger than input", "autograd.AvgPool2d", func() { AvgPool2d(x, PoolSpec{Kernel: [2]int{6, 6}}) }},
		{"zero output", "autograd.AdaptiveAvgPool2d", func() { AdaptiveAvgPool2d(x, 0, 3) }},
	} {
		if msg := panicText(tc.f); !strings.Contains(msg, tc.op) {
			t.Errorf("%s: panic %q does not name %s", tc.name, msg, tc.op)
		}
	}
}
