package autograd

import (
	"fmt"
	"strings"
)

// Tensor is an n-dimensional array of float32 stored contiguously in
// row-major order (for images: N, C, H, W), with an optional gradient.
//
// A tensor made by the user (New, Zeros, …) is a leaf. A tensor made by an op
// whose inputs require gradients carries the record of that op, so Backward
// can reach its inputs. Only leaves with RequiresGrad keep their gradient
// after Backward; intermediate results are recycled (see Retain).
type Tensor struct {
	shape []int
	data  []float32
	grad  []float32
	// spareGrad is a leaf's gradient storage after ZeroGrad, for the next
	// Backward to reuse.
	spareGrad []float32

	requiresGrad bool  // a leaf asked for its gradient, or a result depends on one that did
	inference    bool  // made under NoGrad: ops taking it record nothing
	op           *node // the op that made this tensor while recording; nil for leaves
	base         *Tensor
	pooled       bool // data came from the buffer pool and is ours to hand back
	retained     bool // survives Backward (see Retain)
	consumed     bool // Backward has run through this tensor's graph
}

// New returns a leaf tensor holding data (not copied) with the given shape.
// It panics if the shape does not match len(data).
func New(data []float32, shape ...int) *Tensor {
	if n := numel(shape); n != len(data) {
		panic(fmt.Sprintf("autograd.New: shape %v holds %d values but data has %d", shape, n, len(data)))
	}
	return &Tensor{shape: append([]int(nil), shape...), data: data}
}

// Zeros returns a leaf tensor of zeros.
func Zeros(shape ...int) *Tensor { return New(make([]float32, numel(shape)), shape...) }

// Full returns a leaf tensor with every element set to v.
func Full(v float32, shape ...int) *Tensor {
	t := Zeros(shape...)
	for i := range t.data {
		t.data[i] = v
	}
	return t
}

// Scalar returns a 0-dimensional leaf tensor holding v.
func Scalar(v float32) *Tensor { return New([]float32{v}) }

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("autograd: negative dimension in shape %v", shape))
		}
		n *= d
	}
	return n
}

// Shape returns the tensor's dimensions. The caller must not modify it.
func (t *Tensor) Shape() []int { return t.shape }

// Dim returns the size of dimension i; negative i counts from the end.
func (t *Tensor) Dim(i int) int {
	if i < 0 {
		i += len(t.shape)
	}
	return t.shape[i]
}

// Numel returns the number of elements.
func (t *Tensor) Numel() int { return len(t.data) }

// Data returns the tensor's values (shared, not copied). It panics if
// they were recycled: by Backward (see Retain), Release or ReleaseIntermediate.
func (t *Tensor) Data() []float32 {
	if t.data == nil && t.consumed && numel(t.shape) > 0 {
		panic("autograd: this intermediate result was recycled (by Backward, Release or ReleaseIntermediate); call Retain on it before Backward to keep it")
	}
	return t.data
}

// Item returns the value of a one-element tensor.
func (t *Tensor) Item() float32 {
	if len(t.Data()) != 1 {
		panic(fmt.Sprintf("autograd.Item: tensor of shape %v has %d elements", t.shape, len(t.data)))
	}
	return t.data[0]
}

// Grad returns the accumulated gradient (same length as Data), or nil if none
// has been computed.
func (t *Tensor) Grad() []float32 { return t.grad }

// RequiresGrad reports whether gradients flow to or through this tensor.
func (t *Tensor) RequiresGrad() bool { return t.requiresGrad }

// SetRequiresGrad marks a leaf as wanting its gradient (parameters) or not
// (frozen parameters). It panics on a result of a recorded op.
func (t *Tensor) SetRequiresGrad(on bool) *Tensor {
	if t.op != nil {
		panic("autograd.SetRequiresGrad: only leaves can change requires-grad; use Detach to cut a result from its graph")
	}
	t.requiresGrad = on
	return t
}

// ZeroGrad drops the accumulated gradient, like PyTorch's
// zero_grad(set_to_none=True): Grad returns nil until the next Backward,
// which starts from zero. That Backward reuses the dropped gradient's
// storage rather than allocating (a parameter's gradient is as large as the
// parameter, and fresh memory costs a page fault per 4 KiB on every step),
// so copy a slice from Grad that must outlive ZeroGrad.
func (t *Tensor) ZeroGrad() {
	if t.grad != nil {
		t.spareGrad = t.grad
	}
	t.grad = nil
}

// SetGrad replaces the gradient (for optimisers and loading state); g must
// have Numel elements or be nil. The tensor then owns g (see ZeroGrad).
func (t *Tensor) SetGrad(g []float32) {
	if g != nil && len(g) != len(t.data) {
		panic(fmt.Sprintf("autograd.SetGrad: gradient has %d values, tensor %v has %d", len(g), t.shape, len(t.data)))
	}
	t.grad, t.spareGrad = g, nil
}

// Detach returns a leaf sharing t's data, cut from any graph and not
// requiring gradients (it is not marked for inference either). Since the
// leaf keeps reading t's values, a recorded t keeps them through Backward,
// as if Retain had been called on it.
func (t *Tensor) Detach() *Tensor {
	keepShared(t)
	return &Tensor{shape: t.shape, data: t.Data(), base: t.root()}
}

// Clone returns a leaf with a copy of t's data.
func (t *Tensor) Clone() *Tensor {
	return New(append([]float32(nil), t.Data()...), t.shape...)
}

// NoGrad returns t marked for inference: it shares t's data, and every op
// that takes it (directly or through other results) records nothing and
// marks its own result the same way. Model inference is
//
//	logits := model.Forward(autograd.NoGrad(images))
//
// which keeps no graph and may run on many goroutines at once. A recorded t
// keeps its values through Backward, as with Detach.
func NoGrad(t *Tensor) *Tensor {
	keepShared(t)
	return &Tensor{shape: t.shape, data: t.Data(), inference: true, base: t.root()}
}

// keepShared marks the storage of a recorded result as retained before a
// tensor outside its graph (Detach, NoGrad) starts sharing it: Backward would
// otherwise hand it back to the pool while that tensor still reads it.
func keepShared(t *Tensor) {
	if r := t.root(); r.op != nil {
		r.retained = true
	}
}

// Inference reports whether t was made under NoGrad.
func (t *Tensor) Inference() bool { return t.inference }

// Retain keeps an intermediate result's values alive through Backward (by
// default Backward recycles them as soon as the backward pass is done with
// them). It returns t.
func (t *Tensor) Retain() *Tensor {
	t.retained = true
	t.root().retained = true
	return t
}

// root is the tensor that owns the storage t shares (t itself if t owns it).
func (t *Tensor) root() *Tensor {
	if t.base != nil {
		return t.base
	}
	return t
}

// String prints the shape and the first few values.
func (t *Tensor) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Tensor%v[", t.shape)
	for i, v := range t.data {
		if i == 8 {
			b.WriteString(" …")
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.4g", v)
	}
	b.WriteByte(']')
	if t.requiresGrad {
		b.WriteString(" requires-grad")
	}
	return b.String()
}

// sameShape reports whether a and b have equal dimensions.
func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
