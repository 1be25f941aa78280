package autograd

import (
	"fmt"

	"github.com/gocnn/gocnn/kernels"
)

// node is the record of one op: the inputs it read and the closure that
// turns the gradient of its result into gradients of those inputs.
type node struct {
	inputs   []*Tensor
	backward func()
	scratch  [][]float32 // pooled buffers the backward closure needs (masks, saved statistics, …)
}

// newResult returns the output tensor of an op, with storage of the given
// shape from the pool (contents undefined). If any input requires a gradient
// and none was made under NoGrad, the result records the op: it requires a
// gradient too, and the op must register its backward closure with
// out.backward. Nil inputs (an absent bias, say) are ignored.
func newResult(shape []int, inputs ...*Tensor) *Tensor {
	out := &Tensor{shape: append([]int(nil), shape...), data: alloc(numel(shape)), pooled: true}
	needsGrad := false
	for _, in := range inputs {
		if in == nil {
			continue
		}
		if in.data == nil && in.consumed && len(in.shape) > 0 && numel(in.shape) > 0 {
			panic("autograd: an op was given a result that was already recycled (by Backward, Release or ReleaseIntermediate); call Retain on it before Backward to keep it")
		}
		out.inference = out.inference || in.inference
		needsGrad = needsGrad || in.requiresGrad
	}
	if needsGrad && !out.inference {
		out.requiresGrad = true
		out.op = &node{inputs: inputs}
	}
	return out
}

// recording reports whether this result records its op, so the op must
// register a backward closure.
func (t *Tensor) recording() bool { return t.op != nil }

// backward registers the op's backward closure. The closure reads t.grad (the
// gradient of the result) and adds into the gradBuf of each input that
// needsGrad.
func (t *Tensor) backward(fn func()) { t.op.backward = fn }

// hold keeps a pooled scratch buffer alive until the op's backward has run,
// or hands it back at once when nothing is recorded.
func (t *Tensor) hold(buf []float32) {
	if t.op == nil {
		release(buf)
		return
	}
	t.op.scratch = append(t.op.scratch, buf)
}

// needsGrad reports whether the backward pass must compute t's gradient.
func (t *Tensor) needsGrad() bool { return t != nil && t.requiresGrad }

// gradBuf returns t's gradient buffer, creating it filled with zeros on first
// use. Backward closures add into it; they never overwrite it, so a tensor
// used by several ops receives the sum of their contributions.
func (t *Tensor) gradBuf() []float32 {
	if t.grad == nil {
		switch {
		case t.op != nil:
			t.grad = allocZero(len(t.data))
		case t.spareGrad != nil: // a leaf's gradient outlives the graph: its own storage, not the pool's
			t.grad, t.spareGrad = t.spareGrad, nil
			kernels.Zero(t.grad)
		default:
			t.grad = make([]float32, len(t.data))
		}
	}
	return t.grad
}

// gradTarget returns t's gradient buffer for an op whose kernel can either
// add into it or overwrite it, and whether to add: the first gradient of an
// intermediate result is written into a pooled buffer whose contents are
// undefined, and a leaf's first after ZeroGrad into the storage it kept,
// which saves zeroing the buffer and reading the zeros back (for a large
// weight, two passes over memory as long as the gradient).
func (t *Tensor) gradTarget() (buf []float32, add bool) {
	if t.grad != nil {
		return t.grad, true
	}
	switch {
	case t.op != nil:
		t.grad = alloc(len(t.data))
	case t.spareGrad != nil:
		t.grad, t.spareGrad = t.spareGrad, nil
	default:
		t.grad = make([]float32, len(t.data))
	}
	return t.grad, false
}

// Backward computes the gradient of the scalar t with respect to every leaf
// that requires one, adding it to what those leaves already hold (call
// ZeroGrad between steps, as in PyTorch). The graph is consumed: every
// intermediate result's gradient and (unless Retain was called on it) its
// values are handed back to the buffer pool as soon as the backward pass no
// longer needs them, so Backward can be called only once per graph; it
// panics on a loss that depends on a result an earlier Backward consumed
// (two losses sharing part of a graph: call Backward once on their sum).
func (t *Tensor) Backward() {
	if len(t.data) != 1 {
		panic(fmt.Sprintf("autograd.Backward: the loss must have one element, this tensor has shape %v", t.shape))
	}
	if t.op == nil {
		switch {
		case t.consumed:
			panic("autograd.Backward: this graph was already consumed by an earlier Backward")
		case t.requiresGrad: // a leaf: d t / d t = 1
			t.gradBuf()[0]++
			return
		default:
			panic("autograd.Backward: the loss does not depend on anything that requires a gradient")
		}
	}
	order := topoOrder(t)
	t.gradBuf()[0] = 1
	t.retained = true
	for i := len(order) - 1; i >= 0; i-- {
		v := order[i]
		if v.grad != nil && v.op.backward != nil {
			v.op.backward()
		}
		for _, buf := range v.op.scratch {
			release(buf)
		}
		release(v.grad)
		v.grad = nil
		v.op = nil
		v.consumed = true
		if !v.retained && !v.root().retained {
			if v.pooled {
				release(v.data)
			}
			v.data = nil
		}
	}
}

// topoOrder returns the recorded results reachable from t, each after every
// result it was computed from (a depth-first post-order, iterative so that
// very deep networks cannot overflow the stack).
func topoOrder(t *Tensor) []*Tensor {
	type frame struct {
		t    *Tensor
		next int // index of the next input to visit
	}
	var order []*Tensor
	seen := map[*Tensor]bool{t: true}
	stack := []frame{{t: t}}
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		if f.next < len(f.t.op.inputs) {
			in := f.t.op.inputs[f.next]
			f.next++
			if in != nil && in.op == nil && in.consumed && in.requiresGrad {
				panic("autograd.Backward: this loss depends on a result whose graph an earlier Backward already consumed; add the losses and call Backward once on their sum")
			}
			if in != nil && in.op != nil && !seen[in] {
				seen[in] = true
				stack = append(stack, frame{t: in})
			}
			continue
		}
		order = append(order, f.t)
		stack = stack[:len(stack)-1]
	}
	return order
}

// Release hands the storage of op results that are no longer needed back to
// the buffer pool, for example the activations of an inference pass once the
// predictions are read. It ignores leaves and results still part of a graph.
// The tensors must not be used afterwards.
func Release(ts ...*Tensor) {
	for _, t := range ts {
		if t != nil && t.pooled && t.op == nil && !t.retained {
			release(t.data)
			t.data = nil
			t.consumed = true
		}
	}
}

// ReleaseIntermediate hands the storage of an inference pass's intermediate
// result t back to the buffer pool, unless it is still needed: modules that
// chain other modules (layers.Sequential, the zoo's blocks) call it on each
// result they made once the next step has read it, so an inference pass
// reuses its own activations instead of allocating fresh ones.
//
// The storage released is the one t's values live in: t's own, or, when t is
// a view (Reshape, Flatten, Narrow), the storage of the result it views. It
// is released only when all of these hold, and otherwise nothing happens:
//
//   - t and that storage were made under NoGrad (an inference tensor is never
//     the input of a recorded op, so no backward pass can need it);
//   - the storage came from the pool: it is an op's result, not a leaf the
//     user made (New, Zeros, NoGrad of a leaf, Detach);
//   - neither t nor the storage was marked with Retain;
//   - no tensor in keep shares it (keep compares storage, not tensors: a view
//     of t, or t itself returned by Identity or Dropout in evaluation mode,
//     protects t).
//
// The caller guarantees the rest, which cannot be checked: nobody else holds
// t, the tensor t views, or another view of that storage, beyond the tensors
// in keep. A container meets it by passing its own input and the next
// step's result in keep, and by releasing only results its own steps
// returned. Afterwards t must not be used; an op given it panics.
func ReleaseIntermediate(t *Tensor, keep ...*Tensor) {
	if t == nil || !t.inference || t.retained {
		return
	}
	r := t.root()
	if !r.inference || !r.pooled || r.retained || r.op != nil || r.data == nil {
		return
	}
	for _, k := range keep {
		if k != nil && k.root() == r {
			return
		}
	}
	release(r.data)
	for _, v := range []*Tensor{r, t} {
		v.data = nil
		v.consumed = true
	}
}
