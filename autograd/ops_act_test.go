package autograd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gocnn/gocnn/kernels"
	"github.com/gocnn/gocnn/safetensors"
)

// Tests of the activation ops: finite differences away from the kinks, and
// PyTorch's values (forward and gradient) on inputs that include the kinks.

// normFixture is one PyTorch fixture file written by scripts/fixtures_norm.py.
type normFixture struct {
	t    *testing.T
	path string
	file *safetensors.File
}

func openNormFixture(t *testing.T, path string) normFixture {
	t.Helper()
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (regenerate with /usr/bin/python3 scripts/fixtures_norm.py)", err)
	}
	return normFixture{t: t, path: path, file: f}
}

// get returns the named tensor's values; shape, when given, must match.
func (f normFixture) get(name string, shape ...int) []float32 {
	f.t.Helper()
	v, s, err := f.file.Float32(name)
	if err != nil {
		f.t.Fatalf("%s: %v", f.path, err)
	}
	if shape != nil && !sameShape(s, shape) {
		f.t.Fatalf("%s: %s has shape %v, want %v", f.path, name, s, shape)
	}
	return v
}

// tensor returns the named tensor as a leaf of the given shape.
func (f normFixture) tensor(name string, shape ...int) *Tensor {
	f.t.Helper()
	return New(f.get(name, shape...), shape...)
}

func to64s(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// actOps pairs each activation with its op function.
var actOps = []struct {
	act kernels.Act
	op  func(*Tensor) *Tensor
}{
	{kernels.ReLU, ReLU},
	{kernels.ReLU6, ReLU6},
	{kernels.Hardswish, Hardswish},
	{kernels.Hardsigmoid, Hardsigmoid},
	{kernels.SiLU, SiLU},
	{kernels.Sigmoid, Sigmoid},
	{kernels.Tanh, Tanh},
	{kernels.GELU, GELU},
	{kernels.GELUTanh, func(x *Tensor) *Tensor { return Activate(x, kernels.GELUTanh) }},
}

func TestActivationGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	const h = 1e-2
	for _, a := range actOps {
		x := randTensor(rng, -8, 8, 4, 3, 2, 2)
		for i, v := range x.data {
			for _, kink := range []float32{-3, 0, 3, 6} {
				if math.Abs(float64(v-kink)) < 5*h {
					x.data[i] = kink + 10*h
				}
			}
		}
		x.SetRequiresGrad(true)
		gradCheck(t, a.act.String(), func(in []*Tensor) *Tensor { return a.op(in[0]) }, []*Tensor{x}, h, 1e-2)
	}
}

// TestActivationsMatchPyTorch compares every activation with PyTorch on
// inputs including 0, ±3, ±6 and their neighbours. The piecewise-linear ones
// must agree exactly (same float32 operations, same conventions at the
// kinks). The transcendental ones are compared within 1e-6 absolute and 1e-5
// relative: PyTorch evaluates them in float32, where GELU's 1 + erf(x/√2)
// cancels for negative x and loses up to about 2e-7, while gocnn evaluates in
// float64 and rounds once.
func TestActivationsMatchPyTorch(t *testing.T) {
	f := openNormFixture(t, "testdata/act_all.safetensors")
	xs := f.get("x")
	r := to64s(f.get("r", len(xs)))
	exact := map[kernels.Act]bool{kernels.ReLU: true, kernels.ReLU6: true, kernels.Hardswish: true, kernels.Hardsigmoid: true}
	for _, a := range actOps {
		name := a.act.String()
		x := New(append([]float32(nil), xs...), len(xs)).SetRequiresGrad(true)
		out := a.op(x).Retain()
		weightedLoss(out, r).Backward()
		atol, rtol := 1e-6, 1e-5
		if exact[a.act] {
			atol, rtol = 0, 0
		}
		if err := closeSlices(out.Data(), f.get(name+".out", len(xs)), atol, rtol); err != nil {
			t.Errorf("%s forward: %v", name, err)
		}
		if err := closeSlices(x.Grad(), f.get(name+".grad", len(xs)), atol, rtol); err != nil {
			t.Errorf("%s gradient: %v", name, err)
		}
	}
}

// Activate records nothing for a NoGrad input and leaves it untouched.
func TestActivationNoGrad(t *testing.T) {
	x := New([]float32{-1, 2}, 2).SetRequiresGrad(true)
	y := ReLU(NoGrad(x))
	if y.RequiresGrad() || y.op != nil {
		t.Error("ReLU of a NoGrad tensor recorded an op")
	}
	if err := closeSlices(y.Data(), []float32{0, 2}, 0, 0); err != nil {
		t.Error(err)
	}
	if err := closeSlices(x.Data(), []float32{-1, 2}, 0, 0); err != nil {
		t.Error("input changed:", err)
	}
}
