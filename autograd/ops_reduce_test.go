package autograd

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// Tests of Sum, Mean, SumAxes and MeanAxes: values, shapes and gradients.

func TestFullReductions(t *testing.T) {
	x := New([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	if s := Sum(x); s.Item() != 21 || len(s.Shape()) != 0 {
		t.Errorf("Sum = %v with shape %v, want 21 with shape []", s.Item(), s.Shape())
	}
	if m := Mean(x); m.Item() != 3.5 || len(m.Shape()) != 0 {
		t.Errorf("Mean = %v with shape %v, want 3.5 with shape []", m.Item(), m.Shape())
	}
	if m := Mean(Zeros(0, 3)).Item(); !math.IsNaN(float64(m)) {
		t.Errorf("Mean of an empty tensor = %v, want NaN", m)
	}
	rng := rand.New(rand.NewPCG(41, 42))
	p := param(rng, 3, 4, 5)
	gradCheck(t, "Sum", func(in []*Tensor) *Tensor { return Sum(in[0]) }, []*Tensor{p}, 1e-2, 1e-3)
	gradCheck(t, "Mean", func(in []*Tensor) *Tensor { return Mean(in[0]) }, []*Tensor{p}, 1e-2, 1e-3)
}

func TestAxisReductions(t *testing.T) {
	x := New([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	cases := []struct {
		name  string
		got   *Tensor
		shape []int
		want  []float32
	}{
		{"sum rows", SumAxes(x, false, 1), []int{2}, []float32{6, 15}},
		{"sum columns keepdim", SumAxes(x, true, 0), []int{1, 3}, []float32{5, 7, 9}},
		{"sum last axis by -1", SumAxes(x, true, -1), []int{2, 1}, []float32{6, 15}},
		{"sum of no axes is all", SumAxes(x, true), []int{1, 1}, []float32{21}},
		{"sum both axes dropped", SumAxes(x, false, 0, 1), nil, []float32{21}},
		{"mean rows", MeanAxes(x, false, 1), []int{2}, []float32{2, 5}},
		{"mean columns keepdim", MeanAxes(x, true, 0), []int{1, 3}, []float32{2.5, 3.5, 4.5}},
	}
	for _, c := range cases {
		if !sameShape(c.got.Shape(), c.shape) {
			t.Errorf("%s: shape %v, want %v", c.name, c.got.Shape(), c.shape)
		}
		if err := closeSlices(c.got.Data(), c.want, 0, 1e-7); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if msg := panicMessage(func() { SumAxes(x, false, 1, -1) }); !strings.Contains(msg, "[2 3]") {
		t.Errorf("repeated axis: panic %q", msg)
	}
	if msg := panicMessage(func() { MeanAxes(x, false, 2) }); !strings.Contains(msg, "autograd.MeanAxes") {
		t.Errorf("axis out of range: panic %q", msg)
	}
}

func TestAxisReductionGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	x := param(rng, 2, 3, 4, 5)
	for _, c := range []struct {
		keep bool
		axes []int
	}{{true, []int{2, 3}}, {false, []int{2, 3}}, {false, []int{0}}, {true, []int{1, -1}}, {false, nil}} {
		gradCheck(t, "SumAxes", func(in []*Tensor) *Tensor { return SumAxes(in[0], c.keep, c.axes...) }, []*Tensor{x}, 1e-2, 1e-3)
		gradCheck(t, "MeanAxes", func(in []*Tensor) *Tensor { return MeanAxes(in[0], c.keep, c.axes...) }, []*Tensor{x}, 1e-2, 1e-3)
	}
}

// Global average pooling as MeanAxes over H and W agrees with a direct loop.
func TestMeanAxesIsGlobalAveragePooling(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 46))
	n, c, hw := 3, 4, 7*7
	x := randTensor(rng, -1, 1, n, c, 7, 7)
	got := MeanAxes(x, true, 2, 3)
	want := make([]float32, n*c)
	for i := range want {
		var s float64
		for _, v := range x.Data()[i*hw : (i+1)*hw] {
			s += float64(v)
		}
		want[i] = float32(s / float64(hw))
	}
	if err := closeSlices(got.Data(), want, 0, 1e-6); err != nil {
		t.Fatal(err)
	}
}
