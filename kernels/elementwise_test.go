package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// Tests of the broadcasting elementwise kernels against their references.

func randSlice(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = rng.Float32()*2 - 1
	}
	return x
}

// broadcastPairs are the shape pairs the models need plus ragged ones.
var broadcastPairs = [][2][]int{
	{{2, 3, 4, 5}, {2, 3, 4, 5}},          // residual add
	{{2, 3, 4, 5}, {1, 3, 1, 1}},          // channel bias
	{{2, 3, 4, 5}, {2, 3, 1, 1}},          // squeeze-excitation scale
	{{2, 3, 4, 5}, {5}},                   // trailing vector
	{{2, 1, 4, 1}, {1, 3, 1, 5}},          // both sides broadcast
	{{1, 3, 1, 1}, {2, 3, 4, 5}},          // broadcast operand first
	{{6, 10}, {10}},                       // column bias
	{{7, 1}, {1, 9}},                      // outer product
	{{}, {3, 4}},                          // scalar tensor
	{{1}, {1}},                            // one element
	{{3, 1, 5, 1, 2}, {4, 1, 1, 2}},       // rank 5, mixed
	{{2, 3, 33, 17}, {2, 3, 1, 17}},       // ragged sizes
	{{64, 8, 9, 9}, {64, 8, 1, 1}},        // chunks that end inside a row
	{{300, 257}, {300, 257}},              // one long row split between chunks
	{{1000, 77}, {77}},                    // many short rows
	{{0, 3}, {1, 3}},                      // empty
	{{1, 1, 1, 1}, {2, 1, 1, 1}},          // size-1 result dims
	{{2, 3, 4, 5, 1, 2}, {3, 1, 1, 1, 2}}, // rank 6
	{{64, 24, 2, 2}, {64, 24, 1, 1}},      // squeeze-excitation on 2×2 maps (binaryPlanes)
	{{9, 40, 1, 1}, {9, 40, 3, 1}},        // the repeated operand first, one-row planes
	{{5, 7, 7, 9}, {5, 7, 1, 1}},          // planes of 63: the last short ones
}

func TestBinaryMatchesReference(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for _, p := range broadcastPairs {
			for _, op := range []BinaryOp{OpAdd, OpSub, OpMul, OpMulAcc} {
				checkBinaryCase(t, rng, op, p[0], p[1])
			}
		}
		// Random shapes: rank 1–5, each dimension either shared or 1 on one side.
		for range 200 {
			nd := 1 + rng.IntN(5)
			a, b := make([]int, nd), make([]int, nd)
			for i := range nd {
				d := 1 + rng.IntN(12)
				a[i], b[i] = d, d
				switch rng.IntN(3) {
				case 0:
					a[i] = 1
				case 1:
					b[i] = 1
				}
			}
			b = b[rng.IntN(nd):] // drop some leading dimensions of b
			checkBinaryCase(t, rng, BinaryOp(rng.IntN(4)), a, b)
		}
	})
}

// TestBinaryRowKernels runs the row kernels of every path on rows of 1 to
// 40, 257 and 2·streamBlock + 21 elements (whole vectors and masked tails of
// both widths, several calls), each op, each operand walked or repeated,
// between sentinels, against the Go loop's arithmetic written out: the same
// bits on ordinary values.
func TestBinaryRowKernels(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(21, 22))
		for _, n := range append(rangeInts(1, 41), 257, 2*streamBlock+21) {
			for op := OpAdd; op <= OpMulAcc; op++ {
				for _, st := range [][2]int{{1, 1}, {1, 0}, {0, 1}} {
					a, b := randSlice(rng, n), randSlice(rng, n)
					start := randSlice(rng, n)
					out := sentinelled(n)
					copy(out, start)
					binaryRow(op, out[:n], a, st[0], b, st[1])
					checkSentinel(t, fmt.Sprintf("%v n=%d steps %v", op, n, st), out, n)
					for i := range n {
						want := binaryScalar(op, start[i], a[i*st[0]], b[i*st[1]])
						if math.Float32bits(out[i]) != math.Float32bits(want) {
							t.Fatalf("%v n=%d steps %v: out[%d] = %v, want %v", op, n, st, i, out[i], want)
						}
					}
				}
			}
		}
	})
}

func rangeInts(lo, hi int) []int {
	var s []int
	for i := lo; i < hi; i++ {
		s = append(s, i)
	}
	return s
}

// TestBinaryFlushesDenormals: the vector paths read a denormal as zero (so
// 1e-40 · 1 is 0 on rows long enough for the kernels, minVecRow) and put
// the caller's MXCSR back.
func TestBinaryFlushesDenormals(t *testing.T) {
	const n = minVecRow + 37
	a, b := make([]float32, n), []float32{1}
	for i := range a {
		a[i] = 1e-40
	}
	forEachPath(t, func(t *testing.T) {
		if CurrentPath() == Generic {
			t.Skip("the Go loops keep denormals")
		}
		out := make([]float32, n)
		Binary(OpMul, a, []int{n}, b, []int{1}, out)
		if i := slices.IndexFunc(out, func(v float32) bool { return v != 0 }); i >= 0 {
			t.Fatalf("out[%d] = %g, want 0 (denormal operands read as zero)", i, out[i])
		}
		if tiny := a[0] * b[0]; tiny == 0 {
			t.Fatal("after the kernel, Go flushes denormals: the caller's MXCSR was not restored")
		}
	})
}

func checkBinaryCase(t *testing.T, rng *rand.Rand, op BinaryOp, aShape, bShape []int) {
	t.Helper()
	shape, ok := BroadcastShape(aShape, bShape)
	if !ok {
		t.Fatalf("BroadcastShape(%v, %v) failed", aShape, bShape)
	}
	a, b := randSlice(rng, numElements(aShape)), randSlice(rng, numElements(bShape))
	start := randSlice(rng, numElements(shape))
	got, want := slices.Clone(start), slices.Clone(start)
	Binary(op, a, aShape, b, bShape, got)
	BinaryRef(op, a, aShape, b, bShape, want)
	for i := range got {
		// MulAcc may be fused into one FMA in one path and not the other.
		if math.Abs(float64(got[i]-want[i])) > 1e-6 {
			t.Fatalf("%v %v, %v: element %d is %v, reference %v", op, aShape, bShape, i, got[i], want[i])
		}
	}
}

func TestBinaryInPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	aShape, bShape := []int{3, 4, 5}, []int{4, 1}
	a, b := randSlice(rng, 60), randSlice(rng, 4)
	want := make([]float32, 60)
	BinaryRef(OpMul, a, aShape, b, bShape, want)
	Binary(OpMul, a, aShape, b, bShape, a)
	if !slices.Equal(a, want) {
		t.Fatalf("in-place result %v, want %v", a[:5], want[:5])
	}
}

func TestBroadcastShape(t *testing.T) {
	cases := []struct {
		a, b, want []int
		ok         bool
	}{
		{[]int{2, 3, 4, 5}, []int{1, 3, 1, 1}, []int{2, 3, 4, 5}, true},
		{[]int{2, 1, 4, 1}, []int{1, 3, 1, 5}, []int{2, 3, 4, 5}, true},
		{[]int{5}, []int{2, 3, 4, 5}, []int{2, 3, 4, 5}, true},
		{nil, []int{3}, []int{3}, true},
		{[]int{2, 3}, []int{3, 2}, nil, false},
		{[]int{4}, []int{2, 3, 4, 5}, nil, false},
		{make([]int, MaxDims+1), []int{1}, nil, false},
		{[]int{-1, -1}, []int{-1, -1}, nil, false},
		{[]int{-1}, []int{1}, nil, false},
	}
	for _, c := range cases {
		got, ok := BroadcastShape(c.a, c.b)
		if ok != c.ok || (ok && !slices.Equal(got, c.want)) {
			t.Errorf("BroadcastShape(%v, %v) = %v, %v; want %v, %v", c.a, c.b, got, ok, c.want, c.ok)
		}
	}
	if !Broadcastable([]int{3, 1}, []int{2, 3, 4}) || Broadcastable([]int{2, 3, 4}, []int{3, 4}) {
		t.Error("Broadcastable gives the wrong answer")
	}
}

func TestBinaryPanicsNamingShapes(t *testing.T) {
	defer func() {
		msg := fmt.Sprint(recover())
		if !strings.Contains(msg, "[2 3]") || !strings.Contains(msg, "[3 2]") {
			t.Fatalf("panic %q does not name both shapes", msg)
		}
	}()
	Binary(OpAdd, make([]float32, 6), []int{2, 3}, make([]float32, 6), []int{3, 2}, make([]float32, 6))
}

// The merged layouts of the cases the models need are the short loops the
// file comment promises.
func TestLayoutMergesModelCases(t *testing.T) {
	cases := []struct {
		a, b []int
		dims []int
	}{
		{[]int{8, 16, 7, 7}, []int{8, 16, 7, 7}, []int{8 * 16 * 49}},
		{[]int{8, 16, 7, 7}, []int{8, 16, 1, 1}, []int{8 * 16, 49}},
		{[]int{8, 16, 7, 7}, []int{1, 16, 1, 1}, []int{8, 16, 49}},
		{[]int{8, 16, 7, 7}, []int{16, 1, 1}, []int{8, 16, 49}},
		{[]int{32, 100}, []int{100}, []int{32, 100}},
		{[]int{1, 1}, []int{1}, []int{1}},
	}
	for _, c := range cases {
		shape, _ := BroadcastShape(c.a, c.b)
		l := makeLayout(shape, [3][]int{c.a, c.b, shape})
		if got := l.dims[:l.nd]; !slices.Equal(got, c.dims) {
			t.Errorf("layout of %v with %v has dims %v, want %v", c.a, c.b, got, c.dims)
		}
	}
}

func TestScalarKernels(t *testing.T) {
	forEachPath(t, testScalarKernels)
}

func testScalarKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	n := 100003 // several chunks and a ragged tail
	x := randSlice(rng, n)
	scaled, shifted, acc := make([]float32, n), make([]float32, n), randSlice(rng, n)
	before := slices.Clone(acc)
	Scale(scaled, x, -2.5)
	AddScalar(shifted, x, 0.75)
	Axpy(acc, x, 3)
	for i, v := range x {
		if scaled[i] != -2.5*v || shifted[i] != v+0.75 || acc[i] != before[i]+float32(3*v) {
			t.Fatalf("element %d: scale %v, add %v, axpy %v for x = %v", i, scaled[i], shifted[i], acc[i], v)
		}
	}
	Axpy(acc, x, 1)
	if acc[7] != (before[7]+float32(3*x[7]))+x[7] {
		t.Fatalf("Axpy with alpha 1: %v", acc[7])
	}
	Copy(acc, x)
	if !slices.Equal(acc, x) {
		t.Fatal("Copy: dst differs from src")
	}
	Zero(acc)
	if i := slices.IndexFunc(acc, func(v float32) bool { return v != 0 }); i >= 0 {
		t.Fatalf("Zero: element %d is %v", i, acc[i])
	}
}

// Results must have the same bits for any thread count.
func TestElementwiseThreadDeterminism(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	aShape, bShape := []int{16, 32, 15, 15}, []int{16, 32, 1, 1}
	a, b := randSlice(rng, numElements(aShape)), randSlice(rng, numElements(bShape))
	run := func(threads int) []float32 {
		old := SetThreads(threads)
		defer SetThreads(old)
		out := make([]float32, len(a))
		Binary(OpMul, a, aShape, b, bShape, out)
		return out
	}
	if !slices.Equal(run(1), run(4)) {
		t.Fatal("Binary differs between 1 and 4 threads")
	}
}

// BenchmarkBinaryRows times a squeeze-excitation scale, 64 × 256 planes of
// hw elements times one value per plane, on every path, one thread, in ns
// per row: where the vector kernel takes over (minVecRow) and what it saves.
//
//	go test ./kernels -run '^$' -bench BinaryRows
func BenchmarkBinaryRows(b *testing.B) {
	defer SetThreads(SetThreads(1))
	rng := rand.New(rand.NewPCG(7, 8))
	const rows = 64 * 256
	for _, hw := range []int{8, 16, 49, 64, 196, 3136} {
		x, s := randSlice(rng, rows*hw), randSlice(rng, rows)
		y := make([]float32, len(x))
		for _, path := range Paths() {
			b.Run(fmt.Sprintf("hw=%d/%s", hw, path), func(b *testing.B) {
				usePath(b, path)
				for b.Loop() {
					Binary(OpMul, x, []int{rows, hw}, s, []int{rows, 1}, y)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
			})
		}
	}
}
