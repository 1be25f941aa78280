package zoo

import (
	"slices"
	"testing"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/layers"
)

// Inference passes give their intermediate results back to the buffer pool
// as soon as they are read (the blocks, Sequential, SqueezeExcitation and
// Model.Forward step with layers.Step). Every architecture, with its own head
// and with an MLP head (Dropout in evaluation mode passes its input on), must
// give exactly the logits of a recorded pass, which recycles nothing, and a
// second pass must find its buffers in the pool.

// recycleModels returns each architecture reduced, with fixture weights
// (random running statistics too), in evaluation mode, once with its own
// head and once with an MLP head.
func recycleModels(t *testing.T) []namedModel {
	var out []namedModel
	for _, arch := range Names() {
		for _, head := range []HeadSpec{{Kind: HeadOwn}, {Kind: HeadMLP, Hidden: []int{16}}} {
			m := small(t, arch, Options{Head: head})
			fillFixture(m)
			layers.SetTraining(m, false)
			out = append(out, namedModel{arch + "/" + string(head.Kind), m})
		}
	}
	return out
}

type namedModel struct {
	name string
	m    *Model
}

// secondInput returns a batch of the given shape with other values than
// fixtureInput's.
func secondInput(shape ...int) *autograd.Tensor {
	x := autograd.Zeros(shape...)
	for i, u := range fixtureValues(fixtureInputIndex-1, x.Numel()) {
		x.Data()[i] = float32(3*u - 1)
	}
	return x
}

func TestInferenceRecyclingKeepsLogits(t *testing.T) {
	for _, nm := range recycleModels(t) {
		name, m := nm.name, nm.m
		xa, xb := fixtureInput(2, 3, 40, 40), secondInput(2, 3, 40, 40)
		// The parameters require gradients, so these passes record and
		// release nothing.
		wantA, wantB := m.Forward(xa).Data(), m.Forward(xb).Data()
		// Back to back, holding results while later passes reuse the pool,
		// then interleaved.
		ga := m.Forward(autograd.NoGrad(xa))
		gb := m.Forward(autograd.NoGrad(xb))
		type pass struct {
			got  *autograd.Tensor
			want []float32
		}
		passes := []pass{{ga, wantA}, {gb, wantB}}
		for _, x := range []*autograd.Tensor{xa, xb, xb, xa} {
			want := wantA
			if x == xb {
				want = wantB
			}
			passes = append(passes, pass{m.Forward(autograd.NoGrad(x)), want})
		}
		for i, p := range passes {
			if !slices.Equal(p.got.Data(), p.want) {
				t.Errorf("%s: inference pass %d gave %v, want %v", name, i, p.got.Data(), p.want)
			}
			autograd.Release(p.got)
		}
	}
}

// heldInput is a module's input that the test keeps, with a copy of its
// values at the time.
type heldInput struct {
	module string
	t      *autograd.Tensor
	values []float32
}

// byHand runs m on x as internal/vis does: a Sequential's children one at a
// time, anything else whole. It keeps every input it hands a module, to
// check that no module released or overwrote its input.
func byHand(name string, m layers.Module, x *autograd.Tensor, held *[]heldInput) *autograd.Tensor {
	if s, ok := m.(*layers.Sequential); ok {
		for _, c := range layers.Children(s) {
			x = byHand(name+"."+c.Name, c.Module, x, held)
		}
		return x
	}
	*held = append(*held, heldInput{name, x, slices.Clone(x.Data())})
	return m.Forward(x)
}

// Running the backbone's children by hand (every block on an input the test
// holds) and then ForwardHead gives Forward's logits, and every input the
// test held survives further passes: blocks and ForwardHead leave their
// input to the caller.
func TestInferenceRecyclingLeavesInputsToTheCaller(t *testing.T) {
	for _, nm := range recycleModels(t) {
		name, m := nm.name, nm.m
		// An inference result, as a caller's own intermediate would be.
		x := autograd.Scale(autograd.NoGrad(fixtureInput(2, 3, 32, 32)), 1)
		want := m.Forward(x).Data()
		var held []heldInput
		h := x
		for _, c := range layers.Children(m) {
			if c.Name == "avgpool" {
				break
			}
			h = byHand(c.Name, c.Module, h, &held)
		}
		held = append(held, heldInput{"head", h, slices.Clone(h.Data())})
		logits := m.ForwardHead(h)
		autograd.Release(m.Forward(autograd.NoGrad(secondInput(2, 3, 32, 32)))) // churn the pool
		if !slices.Equal(logits.Data(), want) {
			t.Errorf("%s: logits by hand %v, want %v", name, logits.Data(), want)
		}
		for _, in := range held {
			if !slices.Equal(in.t.Data(), in.values) {
				t.Errorf("%s: the input of %s changed", name, in.module)
				break
			}
		}
	}
}

func TestInferenceReusesPooledBuffers(t *testing.T) {
	for _, nm := range recycleModels(t) {
		name, m := nm.name, nm.m
		x := autograd.NoGrad(fixtureInput(2, 3, 32, 32))
		autograd.Release(m.Forward(x)) // warm-up: the pool learns the sizes
		before := autograd.Stats()
		autograd.Release(m.Forward(x))
		after := autograd.Stats()
		if fresh, reused := after.Fresh-before.Fresh, after.Reused-before.Reused; fresh != 0 || reused < 20 {
			t.Errorf("%s: second pass took %d fresh buffers and %d reused, want 0 fresh and at least 20 reused", name, fresh, reused)
		}
	}
}
