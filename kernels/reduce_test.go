package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Tests of the reductions against plain float64 loops and their references.

func TestSumMeanAndSquaredDiff(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{0, 1, 3, 17, sumChunkMin - 1, sumChunkMin + 5, 3*sumChunkMin + 1, 2_000_003} {
		x, y := randSlice(rng, n), randSlice(rng, n)
		var s, sq float64
		for i := range x {
			s += float64(x[i])
			d := float64(x[i]) - float64(y[i])
			sq += d * d
		}
		if got := Sum(x); math.Abs(got-s) > 1e-9*(1+math.Abs(s)) {
			t.Errorf("n=%d: Sum %v, want %v", n, got, s)
		}
		if got := SumSquaredDiff(x, y); math.Abs(got-sq) > 1e-9*(1+sq) {
			t.Errorf("n=%d: SumSquaredDiff %v, want %v", n, got, sq)
		}
		if n > 0 {
			if got := Mean(x); math.Abs(got-s/float64(n)) > 1e-12*(1+math.Abs(s)) {
				t.Errorf("n=%d: Mean %v, want %v", n, got, s/float64(n))
			}
		}
	}
	if !math.IsNaN(Mean(nil)) {
		t.Error("the mean of nothing should be NaN, as in PyTorch")
	}
}

// sumToCases are (g shape, x shape or nil, dst shape) triples.
var sumToCases = []struct{ g, x, dst []int }{
	{[]int{2, 3, 4, 5}, nil, []int{1, 3, 1, 1}},               // bias gradient
	{[]int{2, 3, 4, 5}, []int{2, 3, 4, 5}, []int{2, 3, 1, 1}}, // SE scale gradient
	{[]int{2, 3, 4, 5}, []int{2, 1, 4, 1}, []int{1, 3, 1, 5}}, // both sides broadcast
	{[]int{2, 3, 4, 5}, []int{1, 3, 1, 5}, []int{2, 1, 4, 1}},
	{[]int{2, 3, 4, 5}, nil, []int{5}},
	{[]int{2, 3, 4, 5}, []int{2, 3, 4, 5}, []int{}}, // to a scalar with a product
	{[]int{2, 3, 4, 5}, nil, []int{2, 3, 4, 5}},     // nothing summed
	{[]int{37, 29}, nil, []int{29}},                 // column sums
	{[]int{37, 29}, []int{37, 1}, []int{37, 1}},     // row dot products
	{[]int{3, 1, 5, 7, 2}, []int{5, 1, 2}, []int{3, 1, 1, 7, 1}},
	{[]int{32, 24, 13, 11}, nil, []int{32, 24, 1, 1}},               // global average pooling
	{[]int{300000}, nil, []int{1}},                                  // full sum, chunked
	{[]int{0, 4}, nil, []int{1, 4}},                                 // empty
	{[]int{64, 24, 2, 2}, []int{64, 24, 2, 2}, []int{64, 24, 1, 1}}, // SE scale gradient on 2×2 maps (sumPlanes)
	{[]int{64, 24, 1, 3}, nil, []int{64, 24, 1, 1}},
}

func TestSumToShapeMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, c := range sumToCases {
		g := randSlice(rng, numElements(c.g))
		var x []float32
		if c.x != nil {
			x = randSlice(rng, numElements(c.x))
		}
		start := randSlice(rng, numElements(c.dst))
		got, want := slices.Clone(start), slices.Clone(start)
		SumToShape(-0.5, g, c.g, x, c.x, got, c.dst)
		SumToShapeRef(-0.5, g, c.g, x, c.x, want, c.dst)
		for i := range got {
			if math.Abs(float64(got[i]-want[i])) > 1e-5*(1+math.Abs(float64(want[i]))) {
				t.Errorf("g %v, x %v, dst %v: element %d is %v, reference %v", c.g, c.x, c.dst, i, got[i], want[i])
				break
			}
		}
	}
}

// The reference itself, on a case small enough to work out by hand.
func TestSumToShapeRefByHand(t *testing.T) {
	g := []float32{1, 2, 3, 4, 5, 6} // (2, 3)
	x := []float32{10, 100}          // (2, 1)
	rows := make([]float32, 3)
	SumToShapeRef(1, g, []int{2, 3}, nil, nil, rows, []int{3})
	dots := make([]float32, 1)
	SumToShapeRef(2, g, []int{2, 3}, x, []int{2, 1}, dots, []int{1, 1})
	if !slices.Equal(rows, []float32{5, 7, 9}) || dots[0] != 2*(60+1500) {
		t.Fatalf("column sums %v, weighted total %v", rows, dots)
	}
}

func TestReductionThreadDeterminism(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	g := randSlice(rng, 16*32*15*15)
	gShape := []int{16, 32, 15, 15}
	run := func(threads int) ([]float32, []float32, float64) {
		old := SetThreads(threads)
		defer SetThreads(old)
		bias, scale := make([]float32, 32), make([]float32, 16*32)
		SumToShape(1, g, gShape, nil, nil, bias, []int{1, 32, 1, 1})
		SumToShape(1, g, gShape, g, gShape, scale, []int{16, 32, 1, 1})
		return bias, scale, Sum(g)
	}
	b1, s1, t1 := run(1)
	b4, s4, t4 := run(4)
	if !slices.Equal(b1, b4) || !slices.Equal(s1, s4) || t1 != t4 {
		t.Fatal("reductions differ between 1 and 4 threads")
	}
}
