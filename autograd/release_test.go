package autograd

import (
	"strings"
	"testing"
)

// ReleaseIntermediate: which tensors it hands back to the pool, and that it
// never hands one buffer back twice.

// releaseSize is the element count of the tensors below; its size class is
// counted in the pool's free list to see whether a buffer came back.
const releaseSize = 4 * 250

// freeBuffers returns how many buffers of releaseSize's class are waiting in
// the pool.
func freeBuffers() int {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	return len(pool.free[classSize(releaseSize)])
}

func TestReleaseIntermediateChoosesWhatIsSafe(t *testing.T) {
	leaf := func() *Tensor { return Full(1, 4, 250) }
	inferred := func() *Tensor { return Scale(NoGrad(leaf()), 2) }
	for _, c := range []struct {
		name     string
		make     func() (t *Tensor, keep []*Tensor)
		released bool
	}{
		{"inference result", func() (*Tensor, []*Tensor) { return inferred(), nil }, true},
		{"view of an inference result", func() (*Tensor, []*Tensor) { return Reshape(inferred(), releaseSize), nil }, true},
		{"kept itself", func() (*Tensor, []*Tensor) { a := inferred(); return a, []*Tensor{nil, a} }, false},
		{"kept through a view", func() (*Tensor, []*Tensor) { a := inferred(); return a, []*Tensor{Flatten(a)} }, false},
		{"a view whose result is kept", func() (*Tensor, []*Tensor) { a := inferred(); return Flatten(a), []*Tensor{a} }, false},
		{"retained", func() (*Tensor, []*Tensor) { return inferred().Retain(), nil }, false},
		{"view retained", func() (*Tensor, []*Tensor) { a := inferred(); Flatten(a).Retain(); return a, nil }, false},
		{"NoGrad of a leaf", func() (*Tensor, []*Tensor) { return NoGrad(leaf()), nil }, false},
		{"leaf", func() (*Tensor, []*Tensor) { return leaf(), nil }, false},
		{"recorded result", func() (*Tensor, []*Tensor) { return Scale(leaf().SetRequiresGrad(true), 2), nil }, false},
		// Made without NoGrad, so a recorded op could still read it later.
		{"result outside NoGrad", func() (*Tensor, []*Tensor) { return Scale(leaf(), 2), nil }, false},
		{"NoGrad of a result outside NoGrad", func() (*Tensor, []*Tensor) { return NoGrad(Scale(leaf(), 2)), nil }, false},
	} {
		tt, keep := c.make()
		want := append([]float32(nil), tt.Data()...)
		before := freeBuffers()
		ReleaseIntermediate(tt, keep...)
		got := freeBuffers() - before
		switch {
		case c.released && got != 1:
			t.Errorf("%s: %d buffers came back, want 1", c.name, got)
		case c.released:
			mustPanic(t, c.name+": Scale of the released tensor", func() { Scale(tt, 1) })
		case got != 0:
			t.Errorf("%s: %d buffers came back, want none", c.name, got)
		default:
			if err := closeSlices(tt.Data(), want, 0, 0); err != nil {
				t.Errorf("%s: values changed: %v", c.name, err)
			}
		}
	}
	ReleaseIntermediate(nil) // nothing to do
}

// A result and its views share one buffer: releasing it through one of them
// and then through another must not put it in the pool twice (two later
// results would then share it).
func TestReleaseIntermediateOnce(t *testing.T) {
	a := Scale(NoGrad(Full(1, 4, 250)), 2)
	v, w := Reshape(a, releaseSize), Flatten(a)
	before := freeBuffers()
	ReleaseIntermediate(v)
	ReleaseIntermediate(w)
	ReleaseIntermediate(a)
	if got := freeBuffers() - before; got != 1 {
		t.Fatalf("%d buffers came back, want 1", got)
	}
	msg := panicText(func() { Scale(a, 1) })
	if !strings.Contains(msg, "ReleaseIntermediate") {
		t.Errorf("an op given a released result panicked with %q, want a message naming ReleaseIntermediate", msg)
	}
}
