package autograd

import (
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
)

func TestLinearAndMatMulGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x, w, b := param(rng, 5, 7), param(rng, 3, 7), param(rng, 3)
	gradCheck(t, "Linear", func(in []*Tensor) *Tensor { return Linear(in[0], in[1], in[2]) }, []*Tensor{x, w, b}, 1e-2, 1e-2)
	a, c := param(rng, 4, 6), param(rng, 6, 5)
	gradCheck(t, "MatMul", func(in []*Tensor) *Tensor { return MatMul(in[0], in[1]) }, []*Tensor{a, c}, 1e-2, 1e-2)
}

func TestShapeOpGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := param(rng, 2, 3, 4, 5)
	gradCheck(t, "Permute", func(in []*Tensor) *Tensor { return Permute(in[0], 0, 2, 3, 1) }, []*Tensor{x}, 1e-2, 1e-3)
	gradCheck(t, "Reshape", func(in []*Tensor) *Tensor { return Reshape(in[0], 6, -1) }, []*Tensor{x}, 1e-2, 1e-3)
	gradCheck(t, "Narrow", func(in []*Tensor) *Tensor { return Narrow(in[0], 1, 2) }, []*Tensor{x}, 1e-2, 1e-3)
	y := param(rng, 2, 1, 4, 5)
	gradCheck(t, "Cat", func(in []*Tensor) *Tensor { return Cat(1, in[0], in[1]) }, []*Tensor{x, y}, 1e-2, 1e-3)
}

func TestPermuteValues(t *testing.T) {
	x := New([]float32{0, 1, 2, 3, 4, 5}, 1, 2, 3, 1) // N=1, C=2, H=3, W=1
	got := Permute(x, 0, 2, 3, 1)                     // N, H, W, C
	want := []float32{0, 3, 1, 4, 2, 5}
	if err := closeSlices(got.Data(), want, 0, 0); err != nil {
		t.Fatal(err)
	}
	if s := got.Shape(); !sameShape(s, []int{1, 3, 1, 2}) {
		t.Fatalf("shape %v", s)
	}
}

func TestCatValues(t *testing.T) {
	a := New([]float32{1, 2, 3, 4}, 2, 2)
	b := New([]float32{5, 6}, 2, 1)
	got := Cat(1, a, b)
	if err := closeSlices(got.Data(), []float32{1, 2, 5, 3, 4, 6}, 0, 0); err != nil {
		t.Fatal(err)
	}
}

// Gradients accumulate across Backward calls until ZeroGrad, as in PyTorch.
func TestGradientsAccumulate(t *testing.T) {
	w := New([]float32{2}, 1, 1).SetRequiresGrad(true)
	x := New([]float32{3}, 1, 1)
	for range 2 {
		MatMul(x, w).Backward()
	}
	if g := w.Grad()[0]; g != 6 {
		t.Fatalf("accumulated gradient %v, want 6", g)
	}
	old := w.Grad()
	w.ZeroGrad()
	if w.Grad() != nil {
		t.Fatal("Grad is not nil after ZeroGrad")
	}
	MatMul(x, w).Backward()
	if g := w.Grad()[0]; g != 3 {
		t.Fatalf("gradient after ZeroGrad %v, want 3", g)
	}
	if &w.Grad()[0] != &old[0] {
		t.Error("the gradient after ZeroGrad did not reuse the dropped one's storage")
	}
	w.SetGrad(nil)
	w.ZeroGrad()
	MatMul(x, w).Backward()
	if g := w.Grad()[0]; g != 3 || &w.Grad()[0] == &old[0] {
		t.Fatalf("after SetGrad(nil): gradient %v in the old storage %v, want 3 in new storage", g, &w.Grad()[0] == &old[0])
	}
}

// A tensor used twice receives the sum of both contributions.
func TestSharedInputGetsSummedGradient(t *testing.T) {
	x := New([]float32{3}, 1, 1).SetRequiresGrad(true)
	MatMul(x, x).Backward() // d(x²)/dx = 2x
	if g := x.Grad()[0]; g != 6 {
		t.Fatalf("gradient %v, want 6", g)
	}
}

func TestBackwardConsumesGraph(t *testing.T) {
	w := New([]float32{2}, 1, 1).SetRequiresGrad(true)
	h := MatMul(New([]float32{3}, 1, 1), w)
	kept := MatMul(New([]float32{1}, 1, 1), w).Retain()
	loss := MatMul(h, kept)
	loss.Backward()
	if loss.Item() != 12 {
		t.Fatalf("loss %v", loss.Item())
	}
	if kept.Item() != 2 {
		t.Fatalf("retained value %v", kept.Item())
	}
	mustPanic(t, "reading a recycled result", func() { h.Data() })
	mustPanic(t, "second Backward", func() { loss.Backward() })
}

func TestNoGradRecordsNothing(t *testing.T) {
	w := New([]float32{1, 2, 3, 4}, 2, 2).SetRequiresGrad(true)
	x := NoGrad(New([]float32{1, 1}, 1, 2))
	y := MatMul(x, w)
	if y.RequiresGrad() || y.op != nil || !y.Inference() {
		t.Fatal("an op on a NoGrad input recorded a graph")
	}
	if err := closeSlices(y.Data(), []float32{4, 6}, 0, 0); err != nil {
		t.Fatal(err)
	}
}

// Inference from several goroutines at once gives every caller its own result.
func TestConcurrentInference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	w := param(rng, 16, 32)
	inputs := make([]*Tensor, 8)
	want := make([][]float32, len(inputs))
	for i := range inputs {
		inputs[i] = randTensor(rng, -1, 1, 4, 32)
		want[i] = Linear(NoGrad(inputs[i]), w, nil).Data()
	}
	var wg sync.WaitGroup
	for i := range inputs {
		wg.Go(func() {
			for range 50 {
				y := Linear(NoGrad(inputs[i]), w, nil)
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

func TestPoolReusesBuffers(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	w := param(rng, 64, 64)
	x := randTensor(rng, -1, 1, 32, 64)
	step := func() {
		h := Linear(x, w, nil)
		MatMul(Reshape(h, 1, -1), Reshape(h, -1, 1)).Backward()
	}
	step()
	before := Stats().Fresh
	for range 10 {
		step()
	}
	// Only the loss itself, which Backward leaves to the caller, is new each step.
	if fresh := Stats().Fresh - before; fresh > 10 {
		t.Fatalf("10 steady-state steps allocated %d fresh buffers, want at most 10 (the losses)", fresh)
	}
}

func TestClassSize(t *testing.T) {
	for n := 1; n < 5000; n++ {
		c := classSize(n)
		if c < n || (n > smallest && float64(c) > 1.25*float64(n)+1) || classSize(c) != c {
			t.Fatalf("classSize(%d) = %d", n, c)
		}
	}
}

func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	f()
}

// Detach and NoGrad of a recorded result share its storage, so Backward
// must not hand that storage back to the pool: a later op would reuse it
// and overwrite the values the detached tensor still reads.
func TestDetachAndNoGradKeepValuesThroughBackward(t *testing.T) {
	for name, view := range map[string]func(*Tensor) *Tensor{"Detach": (*Tensor).Detach, "NoGrad": NoGrad} {
		w := Full(1, 64).SetRequiresGrad(true)
		h := Scale(w, 2)
		d := view(h)
		Sum(h).Backward()
		Scale(Full(1, 64).SetRequiresGrad(true), 7) // takes the first free buffer of h's size
		if got := d.Data()[0]; got != 2 {
			t.Errorf("%s of a result reads %v after Backward, want 2", name, got)
		}
	}
}

// A loss built on a result that an earlier Backward consumed cannot reach
// the leaves behind it: Backward says so instead of treating the result as
// a leaf (which gave it the gradient and the real leaf nothing).
func TestBackwardThroughConsumedResultPanics(t *testing.T) {
	w := Full(1, 4).SetRequiresGrad(true)
	h := Scale(w, 2).Retain()
	l1, l2 := Sum(h), Sum(Mul(h, h))
	l1.Backward()
	if msg := panicText(func() { l2.Backward() }); !strings.Contains(msg, "earlier Backward") {
		t.Errorf("second Backward through a consumed result: panic %q", msg)
	}
	if h.Grad() != nil || w.Grad()[0] != 2 {
		t.Errorf("gradients changed: h %v, w %v", h.Grad(), w.Grad())
	}
}
