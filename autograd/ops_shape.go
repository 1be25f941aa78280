package autograd

import (
	"fmt"
	"slices"
)

// Reshape returns t with a new shape holding the same number of elements.
// It is free: the result shares t's storage. One dimension may be -1, meaning
// "whatever is left", as in PyTorch.
func Reshape(t *Tensor, shape ...int) *Tensor {
	shape = resolveShape(t, shape)
	out := &Tensor{shape: shape, data: t.Data(), base: t.root(), inference: t.inference}
	if t.requiresGrad && !t.inference {
		out.requiresGrad = true
		out.op = &node{inputs: []*Tensor{t}}
		out.backward(func() {
			axpyInto(t.gradBuf(), out.grad)
		})
	}
	return out
}

// Flatten reshapes (N, …) to (N, product of the rest).
func Flatten(t *Tensor) *Tensor { return Reshape(t, t.shape[0], -1) }

func resolveShape(t *Tensor, shape []int) []int {
	shape = slices.Clone(shape)
	infer, known := -1, 1
	for i, d := range shape {
		if d == -1 {
			if infer >= 0 {
				panic(fmt.Sprintf("autograd.Reshape: more than one -1 in %v", shape))
			}
			infer = i
		} else {
			known *= d
		}
	}
	if infer >= 0 && known > 0 && len(t.data)%known == 0 {
		shape[infer] = len(t.data) / known
	}
	if numel(shape) != len(t.data) {
		panic(fmt.Sprintf("autograd.Reshape: cannot view %v (%d elements) as %v", t.shape, len(t.data), shape))
	}
	return shape
}

// axpyInto adds src to dst element by element.
func axpyInto(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] += v
	}
}

// Permute returns a copy of t with its dimensions reordered: dimension i of
// the result is dimension perm[i] of t, as torch.permute (which returns a
// view; gocnn's tensors are always contiguous, so it copies). NCHW→NHWC is
// Permute(x, 0, 2, 3, 1) and NHWC→NCHW is Permute(x, 0, 3, 1, 2).
func Permute(t *Tensor, perm ...int) *Tensor {
	nd := len(t.shape)
	if len(perm) != nd {
		panic(fmt.Sprintf("autograd.Permute: %d axes given for a %d-dimensional tensor", len(perm), nd))
	}
	seen := make([]bool, nd)
	shape := make([]int, nd)
	for i, p := range perm {
		if p < 0 || p >= nd || seen[p] {
			panic(fmt.Sprintf("autograd.Permute: %v is not a permutation of %d axes", perm, nd))
		}
		seen[p] = true
		shape[i] = t.shape[p]
	}
	// srcStride[i] is how far one step along result axis i moves in t.
	strides := rowMajorStrides(t.shape)
	srcStride := make([]int, nd)
	for i, p := range perm {
		srcStride[i] = strides[p]
	}
	out := newResult(shape, t)
	permuteCopy(out.data, t.data, shape, srcStride, false)
	if out.recording() {
		out.backward(func() {
			if t.needsGrad() {
				permuteCopy(out.grad, t.gradBuf(), shape, srcStride, true)
			}
		})
	}
	return out
}

// rowMajorStrides returns the element strides of a contiguous tensor.
func rowMajorStrides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

// permuteCopy walks dst (contiguous, shape dims) in order while src moves by
// srcStride; with back it instead adds dst's values into src (the gradient).
func permuteCopy(dst, src []float32, dims, srcStride []int, back bool) {
	nd := len(dims)
	idx := make([]int, nd)
	off := 0
	for i := range dst {
		if back {
			src[off] += dst[i]
		} else {
			dst[i] = src[off]
		}
		for a := nd - 1; a >= 0; a-- {
			idx[a]++
			off += srcStride[a]
			if idx[a] < dims[a] {
				break
			}
			off -= srcStride[a] * dims[a]
			idx[a] = 0
		}
	}
}

// Narrow returns samples [lo, hi) along the first (batch) dimension. Like
// Reshape it is free: the result shares t's storage.
func Narrow(t *Tensor, lo, hi int) *Tensor {
	if len(t.shape) == 0 || lo < 0 || hi > t.shape[0] || lo > hi {
		panic(fmt.Sprintf("autograd.Narrow: [%d, %d) is outside the first dimension of %v", lo, hi, t.shape))
	}
	per := len(t.data) / max(t.shape[0], 1)
	shape := slices.Clone(t.shape)
	shape[0] = hi - lo
	out := &Tensor{shape: shape, data: t.Data()[lo*per : hi*per], base: t.root(), inference: t.inference}
	if t.requiresGrad && !t.inference {
		out.requiresGrad = true
		out.op = &node{inputs: []*Tensor{t}}
		out.backward(func() {
			axpyInto(t.gradBuf()[lo*per:hi*per], out.grad)
		})
	}
	return out
}

// Cat concatenates tensors along dimension dim; all other dimensions must
// match (torch.cat).
func Cat(dim int, ts ...*Tensor) *Tensor {
	if len(ts) == 0 {
		panic("autograd.Cat: no tensors")
	}
	first := ts[0].shape
	if dim < 0 {
		dim += len(first)
	}
	if dim < 0 || dim >= len(first) {
		panic(fmt.Sprintf("autograd.Cat: dimension %d is out of range for %v", dim, first))
	}
	shape := slices.Clone(first)
	shape[dim] = 0
	for _, t := range ts {
		if len(t.shape) != len(first) {
			panic(fmt.Sprintf("autograd.Cat: shapes %v and %v differ in rank", first, t.shape))
		}
		for i := range first {
			if i != dim && t.shape[i] != first[i] {
				panic(fmt.Sprintf("autograd.Cat: shapes %v and %v differ outside dimension %d", first, t.shape, dim))
			}
		}
		shape[dim] += t.shape[dim]
	}
	outer := numel(first[:dim])
	inner := numel(first[dim+1:])
	rowOut := shape[dim] * inner
	out := newResult(shape, ts...)
	at := 0 // offset of the current tensor's block inside a row of the result
	for _, t := range ts {
		row := t.shape[dim] * inner
		for o := range outer {
			copy(out.data[o*rowOut+at:o*rowOut+at+row], t.data[o*row:(o+1)*row])
		}
		at += row
	}
	if out.recording() {
		out.backward(func() {
			at := 0
			for _, t := range ts {
				row := t.shape[dim] * inner
				if t.needsGrad() {
					g := t.gradBuf()
					for o := range outer {
						axpyInto(g[o*row:(o+1)*row], out.grad[o*rowOut+at:o*rowOut+at+row])
					}
				}
				at += row
			}
		})
	}
	return out
}
