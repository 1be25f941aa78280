package kernels

import "fmt"

// Elementwise arithmetic with NumPy/PyTorch broadcasting.
//
// Every operand is a contiguous row-major slice plus its shape. Shapes are
// aligned at their last dimension; a missing leading dimension or a
// dimension of size 1 is repeated to match the other operand. For example a
// (N, C, H, W) activation times a (N, C, 1, 1) squeeze-excitation scale
// repeats each scale value over one H×W plane, and a (1, C, 1, 1) or (C)
// bias repeats one value per channel or per column.
//
// Before any arithmetic the shapes are turned into a layout: dimensions of
// size 1 in the result are dropped, and neighbouring dimensions are merged
// whenever every operand is either contiguous across both or broadcast along
// both. The common cases then collapse to one or two loops:
//
//	same shape              (N,C,H,W) + (N,C,H,W)  → one flat loop
//	channel scale           (N,C,H,W) · (N,C,1,1)  → N·C rows of H·W, one scale per row
//	channel bias            (N,C,H,W) + (1,C,1,1)  → N×C rows of H·W, one bias per row
//	column bias             (N,F)     + (F)        → N rows of F
//
// and the innermost loop always walks unit-stride memory (or repeats one
// value). Results are computed element by element, so they do not depend on
// the number of threads.

// MaxDims is the largest rank the broadcasting kernels accept.
const MaxDims = 8

// BinaryOp selects the arithmetic Binary performs for each element.
type BinaryOp uint8

const (
	OpAdd    BinaryOp = iota // out = a + b
	OpSub                    // out = a − b
	OpMul                    // out = a · b
	OpMulAcc                 // out += a · b (accumulates, for gradients; the product rounded before the sum, never fused)
)

func (op BinaryOp) String() string {
	switch op {
	case OpAdd:
		return "add"
	case OpSub:
		return "sub"
	case OpMul:
		return "mul"
	case OpMulAcc:
		return "mul-accumulate"
	}
	return fmt.Sprintf("BinaryOp(%d)", uint8(op))
}

// BroadcastShape returns the shape of a op b under broadcasting, or false if
// the shapes are not compatible (some aligned pair of dimensions differs and
// neither is 1, or a dimension is negative) or the result would have more
// than MaxDims dimensions.
func BroadcastShape(a, b []int) ([]int, bool) {
	nd := max(len(a), len(b))
	if nd > MaxDims {
		return nil, false
	}
	out := make([]int, nd)
	for i := range nd {
		da, db := alignedDim(a, nd, i), alignedDim(b, nd, i)
		switch {
		case da < 0 || db < 0:
			return nil, false
		case da == db || db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, false
		}
	}
	return out, true
}

// Broadcastable reports whether shape from broadcasts to exactly shape to.
func Broadcastable(from, to []int) bool {
	if len(from) > len(to) || len(to) > MaxDims {
		return false
	}
	for i, d := range to {
		if f := alignedDim(from, len(to), i); f != d && f != 1 {
			return false
		}
	}
	return true
}

// alignedDim returns the size of dimension i of shape when shape is aligned
// at its end with a shape of rank nd (missing leading dimensions are 1).
func alignedDim(shape []int, nd, i int) int {
	j := i - (nd - len(shape))
	if j < 0 {
		return 1
	}
	return shape[j]
}

// numElements is the product of a shape's dimensions.
func numElements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// layout describes up to three operands broadcast over one result shape
// after dropping size-1 dimensions and merging neighbours (see the file
// comment). st[k][i] is how far one step along merged dimension i moves in
// operand k: 0 where operand k is broadcast.
type layout struct {
	nd   int
	dims [MaxDims]int
	st   [3][MaxDims]int
}

// makeLayout builds the layout of operands with the given shapes over the
// result shape out. Every shape must broadcast to out; a nil shape stands for
// an absent operand (all its strides are 0). A result with no dimension
// larger than 1 gets one dimension of size 1.
func makeLayout(out []int, shapes [3][]int) layout {
	var l layout
	var acc [3]int // product of each operand's dimensions to the right of i
	for k := range acc {
		acc[k] = 1
	}
	// Walk from the last dimension, prepending to the layout, merging each new
	// dimension into the one after it when every operand allows it.
	var rev layout // dimensions in reverse order while building
	for i := len(out) - 1; i >= 0; i-- {
		d := out[i]
		var st [3]int
		for k, s := range shapes {
			if s == nil {
				continue
			}
			if od := alignedDim(s, len(out), i); od != 1 {
				st[k] = acc[k]
				acc[k] *= od
			}
		}
		if d == 1 {
			continue
		}
		if j := rev.nd - 1; j >= 0 && mergeable(&rev, j, st) {
			rev.dims[j] *= d
			continue
		}
		rev.dims[rev.nd] = d
		for k := range st {
			rev.st[k][rev.nd] = st[k]
		}
		rev.nd++
	}
	if rev.nd == 0 {
		l.nd, l.dims[0] = 1, 1
		return l
	}
	l.nd = rev.nd
	for i := range rev.nd {
		l.dims[i] = rev.dims[rev.nd-1-i]
		for k := range 3 {
			l.st[k][i] = rev.st[k][rev.nd-1-i]
		}
	}
	return l
}

// mergeable reports whether a dimension with strides st, lying just outside
// dimension j of rev, can be merged into it: for every operand, stepping once
// along the outer dimension equals stepping dims[j] times along dimension j.
func mergeable(rev *layout, j int, st [3]int) bool {
	for k := range st {
		if st[k] != rev.st[k][j]*rev.dims[j] {
			return false
		}
	}
	return true
}

// count returns the number of positions in the first m dimensions.
func (l *layout) count(m int) int {
	n := 1
	for _, d := range l.dims[:m] {
		n *= d
	}
	return n
}

// cursor walks the positions of the first m dimensions of a layout in
// row-major order, keeping each operand's offset.
type cursor struct {
	l   *layout
	m   int
	idx [MaxDims]int
	off [3]int
}

// cursorAt returns a cursor at position pos of the first m dimensions.
func (l *layout) cursorAt(m, pos int) cursor {
	c := cursor{l: l, m: m}
	for i := m - 1; i >= 0; i-- {
		c.idx[i] = pos % l.dims[i]
		pos /= l.dims[i]
		for k := range c.off {
			c.off[k] += c.idx[i] * l.st[k][i]
		}
	}
	return c
}

// next moves the cursor to the following position.
func (c *cursor) next() {
	for i := c.m - 1; i >= 0; i-- {
		c.idx[i]++
		for k := range c.off {
			c.off[k] += c.l.st[k][i]
		}
		if c.idx[i] < c.l.dims[i] {
			return
		}
		for k := range c.off {
			c.off[k] -= c.l.st[k][i] * c.l.dims[i]
		}
		c.idx[i] = 0
	}
}

// checkBinary panics unless a and b broadcast to a result of len(out)
// elements and every slice holds its shape.
func checkBinary(name string, a []float32, aShape []int, b []float32, bShape []int, out []float32) []int {
	shape, ok := BroadcastShape(aShape, bShape)
	if !ok {
		panic(fmt.Sprintf("kernels.%s: shapes %v and %v do not broadcast", name, aShape, bShape))
	}
	if len(a) != numElements(aShape) || len(b) != numElements(bShape) || len(out) != numElements(shape) {
		panic(fmt.Sprintf("kernels.%s: slices of %d, %d and %d elements for shapes %v, %v and result %v", name, len(a), len(b), len(out), aShape, bShape, shape))
	}
	return shape
}

// Binary computes out = a op b element by element, broadcasting a (shape
// aShape) and b (shape bShape) to their common shape, which out must hold.
// out may be the same slice as a or b when that operand already has the
// result's shape (in-place update). It panics if the shapes do not
// broadcast or a slice does not fit its shape.
func Binary(op BinaryOp, a []float32, aShape []int, b []float32, bShape []int, out []float32) {
	shape := checkBinary("Binary", a, aShape, b, bShape, out)
	if len(out) == 0 {
		return
	}
	l := makeLayout(shape, [3][]int{aShape, bShape, shape})
	inner := l.dims[l.nd-1]
	sa, sb := l.st[0][l.nd-1], l.st[1][l.nd-1]
	if l.nd == 2 && inner < minVecRow && (sa == 1 && sb == 0 && l.st[0][0] == inner && l.st[1][0] == 1 ||
		sa == 0 && sb == 1 && l.st[0][0] == 1 && l.st[1][0] == inner) {
		binaryPlanes(op, out, a, b, sa == 1, inner)
		return
	}
	// Chunks are ranges of result elements; one may start or end inside a
	// row (a same-shape add is a single row of all the elements).
	Parallel(len(out), GrainFor(len(out), 1), func(lo, hi int) {
		col := lo % inner
		c := l.cursorAt(l.nd-1, lo/inner)
		for lo < hi {
			n := min(inner-col, hi-lo)
			oa, ob := c.off[0]+col*sa, c.off[1]+col*sb
			binaryRow(op, out[lo:lo+n], a[oa:], sa, b[ob:], sb)
			lo += n
			col = 0
			c.next()
		}
	})
}

// binaryPlanes is Binary for one operand repeating a value over each short
// row of the other (a per-channel scale or shift of small planes, as a
// squeeze-and-excitation block applies to 2×2 maps): out[r·n + i] =
// full[r·n + i] op value[r], or value[r] op full[r·n + i] when the full
// operand is b (aFull false). Row by row through binaryRow, each 4-float
// row of a 2×2 map cost as much as a 64-float one; here the rows run in one
// loop, with the same operations as binaryRow's Go loops. Those loops are
// written again here rather than called per row: the call and its switch
// on the strides made a [64 240 2 2] multiply 1.5× slower (155–165 against
// 95–115 µs, one thread).
func binaryPlanes(op BinaryOp, out, a, b []float32, aFull bool, n int) {
	full, value := a, b
	if !aFull {
		full, value = b, a
	}
	rows := len(out) / n
	Parallel(rows, GrainFor(rows, n), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			o, f, v := out[r*n:(r+1)*n], full[r*n:(r+1)*n], value[r]
			switch {
			case op == OpAdd:
				for i, x := range f {
					o[i] = x + v
				}
			case op == OpSub && aFull:
				for i, x := range f {
					o[i] = x - v
				}
			case op == OpSub:
				for i, x := range f {
					o[i] = v - x
				}
			case op == OpMul && aFull:
				for i, x := range f {
					o[i] = x * v
				}
			case op == OpMul:
				for i, x := range f {
					o[i] = v * x
				}
			case op == OpMulAcc && aFull:
				for i, x := range f {
					o[i] += float32(x * v)
				}
			default: // OpMulAcc, b full
				for i, x := range f {
					o[i] += float32(v * x)
				}
			}
		}
	})
}

// minVecRow is the shortest row worth a vector kernel call (binaryRowVec).
// A call costs about 13 ns more than the Go loop (saving and setting the
// MXCSR, filling the repeated operand's vector): scaling 64 × 256 rows by
// one value each, the kernel took 26 ns a row against the Go loop's 13.6 at
// 8 to 16 elements, the same at 49, and less from 64 on
// (BenchmarkBinaryRows: 39–43 against 55 ns at 64, 79 against 145 at 196).
// Shorter rows stay in the Go loop, which keeps denormals.
const minVecRow = 64

// binaryRow computes one row out[i] = a[i·sa] op b[i·sb], where each of sa
// and sb is 1 (walk the operand) or 0 (repeat its first value): with the
// vector kernel of the current path (which flushes denormals to zero) when
// there is one and the row is not short, otherwise with the loops below.
func binaryRow(op BinaryOp, out, a []float32, sa int, b []float32, sb int) {
	if binaryRowVec(op, out, a, sa, b, sb) {
		return
	}
	n := len(out)
	switch {
	case sa == 1 && sb == 1:
		a, b := a[:n], b[:n]
		switch op {
		case OpAdd:
			for i := range out {
				out[i] = a[i] + b[i]
			}
		case OpSub:
			for i := range out {
				out[i] = a[i] - b[i]
			}
		case OpMul:
			for i := range out {
				out[i] = a[i] * b[i]
			}
		case OpMulAcc:
			for i := range out {
				out[i] += float32(a[i] * b[i])
			}
		}
	case sa == 1:
		a, v := a[:n], b[0]
		switch op {
		case OpAdd:
			for i := range out {
				out[i] = a[i] + v
			}
		case OpSub:
			for i := range out {
				out[i] = a[i] - v
			}
		case OpMul:
			for i := range out {
				out[i] = a[i] * v
			}
		case OpMulAcc:
			for i := range out {
				out[i] += float32(a[i] * v)
			}
		}
	case sb == 1:
		v, b := a[0], b[:n]
		switch op {
		case OpAdd:
			for i := range out {
				out[i] = v + b[i]
			}
		case OpSub:
			for i := range out {
				out[i] = v - b[i]
			}
		case OpMul:
			for i := range out {
				out[i] = v * b[i]
			}
		case OpMulAcc:
			for i := range out {
				out[i] += float32(v * b[i])
			}
		}
	default: // a one-element result: both operands repeat
		out[0] = binaryScalar(op, out[0], a[0], b[0])
	}
}

// binaryScalar applies op to one element; o is the current output value.
func binaryScalar(op BinaryOp, o, x, y float32) float32 {
	switch op {
	case OpAdd:
		return x + y
	case OpSub:
		return x - y
	case OpMul:
		return x * y
	case OpMulAcc:
		return o + float32(x*y)
	}
	panic(fmt.Sprintf("kernels: unknown %v", op))
}

// BinaryRef is the reference for Binary: for each result element it works
// out the multi-index and the matching element of each operand directly.
func BinaryRef(op BinaryOp, a []float32, aShape []int, b []float32, bShape []int, out []float32) {
	shape := checkBinary("BinaryRef", a, aShape, b, bShape, out)
	for i := range out {
		ia := broadcastIndex(i, shape, aShape)
		ib := broadcastIndex(i, shape, bShape)
		out[i] = binaryScalar(op, out[i], a[ia], b[ib])
	}
}

// broadcastIndex maps flat index i of a contiguous tensor of shape out to the
// flat index of the element it reads in a contiguous tensor of shape from,
// which broadcasts to out.
func broadcastIndex(i int, out, from []int) int {
	idx, stride := 0, 1
	for d := len(out) - 1; d >= 0; d-- {
		pos := i % out[d]
		i /= out[d]
		if fd := alignedDim(from, len(out), d); fd != 1 {
			idx += pos * stride
			stride *= fd
		}
	}
	return idx
}

// Zero sets every element of dst to 0, and Copy copies src into dst (of the
// same length). Both are single passes over memory; on large slices one core
// cannot keep the memory system busy, so the threads share them.
func Zero(dst []float32) {
	Parallel(len(dst), GrainFor(len(dst), 1), func(lo, hi int) { clear(dst[lo:hi]) })
}

// Copy: see Zero.
func Copy(dst, src []float32) {
	checkSameLen("Copy", dst, src)
	Parallel(len(src), GrainFor(len(src), 1), func(lo, hi int) { copy(dst[lo:hi], src[lo:hi]) })
}

// Scale sets dst[i] = s·src[i]. dst and src may be the same slice. Like
// Binary's rows, these three take the vector kernels where there are some.
func Scale(dst, src []float32, s float32) {
	checkSameLen("Scale", dst, src)
	Parallel(len(src), GrainFor(len(src), 1), func(lo, hi int) {
		binaryRow(OpMul, dst[lo:hi], src[lo:hi], 1, []float32{s}, 0)
	})
}

// AddScalar sets dst[i] = src[i] + s. dst and src may be the same slice.
func AddScalar(dst, src []float32, s float32) {
	checkSameLen("AddScalar", dst, src)
	Parallel(len(src), GrainFor(len(src), 1), func(lo, hi int) {
		binaryRow(OpAdd, dst[lo:hi], src[lo:hi], 1, []float32{s}, 0)
	})
}

// Axpy adds alpha·src to dst element by element (dst[i] += alpha·src[i]).
func Axpy(dst, src []float32, alpha float32) {
	checkSameLen("Axpy", dst, src)
	Parallel(len(src), GrainFor(len(src), 2), func(lo, hi int) {
		binaryRow(OpMulAcc, dst[lo:hi], src[lo:hi], 1, []float32{alpha}, 0)
	})
}

func checkSameLen(name string, dst, src []float32) {
	if len(dst) != len(src) {
		panic(fmt.Sprintf("kernels.%s: destination has %d elements, source %d", name, len(dst), len(src)))
	}
}
