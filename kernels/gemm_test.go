package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// Tests of Sgemm on every kernel path against SgemmRef: ragged shapes, all
// transposes, padded leading dimensions, alpha and beta, several thread
// counts, and bit-identical results whatever the thread count and whether
// the operands are packed or read in place.

// gemmCase is one Sgemm call: sizes, transposes, padding of the leading
// dimensions beyond the row width, and the scalars.
type gemmCase struct {
	m, n, k        int
	transA, transB bool
	pad            int
	alpha, beta    float32
}

func (c gemmCase) String() string {
	return fmt.Sprintf("m=%d n=%d k=%d tA=%v tB=%v pad=%d alpha=%v beta=%v", c.m, c.n, c.k, c.transA, c.transB, c.pad, c.alpha, c.beta)
}

// gemmOperands holds the random matrices of a case, with a sentinel in every
// padding element of C, and NaN everywhere in C when beta is 0 (which must
// then be ignored).
type gemmOperands struct {
	a, b, c       []float32
	lda, ldb, ldc int
}

const gemmSentinel = -12345.5

func newGemmOperands(rng *rand.Rand, gc gemmCase) gemmOperands {
	rowsA, colsA := gc.m, gc.k
	if gc.transA {
		rowsA, colsA = gc.k, gc.m
	}
	rowsB, colsB := gc.k, gc.n
	if gc.transB {
		rowsB, colsB = gc.n, gc.k
	}
	o := gemmOperands{lda: colsA + gc.pad, ldb: colsB + gc.pad, ldc: gc.n + gc.pad}
	o.a = gemmRandom(rng, rowsA*o.lda)
	o.b = gemmRandom(rng, rowsB*o.ldb)
	o.c = gemmRandom(rng, gc.m*o.ldc)
	for i := range gc.m {
		for j := range o.ldc {
			switch {
			case j >= gc.n:
				o.c[i*o.ldc+j] = gemmSentinel
			case gc.beta == 0:
				o.c[i*o.ldc+j] = float32(math.NaN())
			}
		}
	}
	return o
}

func gemmRandom(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = rng.Float32()*2 - 1
	}
	return x
}

// gemmTolerances returns the float32 error bound of every element of C
// (row-major, n columns): about k rounding errors on the sum of the products'
// magnitudes (the accumulation) and two more on the alpha and beta terms,
// doubled because both results being compared carry such an error.
func gemmTolerances(gc gemmCase, o gemmOperands, cOld []float32) []float64 {
	tol := make([]float64, gc.m*gc.n)
	const eps = 1.0 / (1 << 23)
	for i := range gc.m {
		for j := range gc.n {
			var abs float64
			for p := range gc.k {
				var x, y float32
				if gc.transA {
					x = o.a[p*o.lda+i]
				} else {
					x = o.a[i*o.lda+p]
				}
				if gc.transB {
					y = o.b[j*o.ldb+p]
				} else {
					y = o.b[p*o.ldb+j]
				}
				abs += math.Abs(float64(x) * float64(y))
			}
			scale := math.Abs(float64(gc.alpha)) * abs
			if gc.beta != 0 {
				scale += math.Abs(float64(gc.beta) * float64(cOld[i*o.ldc+j]))
			}
			tol[i*gc.n+j] = 2 * float64(gc.k+2) * eps * scale
		}
	}
	return tol
}

// checkGemmCase runs one case on the current path and compares with SgemmRef.
func checkGemmCase(t *testing.T, rng *rand.Rand, gc gemmCase) {
	t.Helper()
	o := newGemmOperands(rng, gc)
	want := append([]float32(nil), o.c...)
	SgemmRef(gc.transA, gc.transB, gc.m, gc.n, gc.k, gc.alpha, o.a, o.lda, o.b, o.ldb, gc.beta, want, o.ldc)
	got := append([]float32(nil), o.c...)
	Sgemm(gc.transA, gc.transB, gc.m, gc.n, gc.k, gc.alpha, o.a, o.lda, o.b, o.ldb, gc.beta, got, o.ldc)
	tol := gemmTolerances(gc, o, o.c)
	bad := 0
	for i := range gc.m {
		for j := range o.ldc {
			g, w := got[i*o.ldc+j], want[i*o.ldc+j]
			if j >= gc.n {
				if g != gemmSentinel {
					t.Fatalf("%v: C[%d,%d] beyond column n was overwritten with %v", gc, i, j, g)
				}
				continue
			}
			if math.IsNaN(float64(g)) || math.IsInf(float64(g), 0) {
				t.Fatalf("%v: C[%d,%d] = %v", gc, i, j, g)
			}
			if d := math.Abs(float64(g) - float64(w)); d > tol[i*gc.n+j] {
				if bad++; bad <= 3 {
					t.Errorf("%v: C[%d,%d] = %v, reference %v", gc, i, j, g, w)
				}
			}
		}
	}
}

// gemmShapes are (m, n, k) triples: single elements, k = 1, exact tiles of
// every path, ragged edges in each dimension, k beyond one kc block, n beyond
// one nc block, the in-place cases (small k, few rows, few columns) and a
// row stride of A that makes the strided kernels pack it.
var gemmShapes = [][3]int{
	{1, 1, 1}, {1, 1, 7}, {3, 2, 1}, {1, 37, 5}, {29, 1, 9},
	{4, 4, 4}, {6, 16, 8}, {12, 32, 16}, {24, 64, 33},
	{7, 19, 3}, {13, 33, 17}, {5, 70, 40}, {37, 45, 1},
	{19, 250, 27}, {64, 96, 31}, {300, 20, 70}, {71, 3, 100},
	{25, 17, 600}, {40, 700, 20}, {97, 131, 129},
	{1, 1500, 7}, {1500, 1, 7}, {1, 1, 5000}, {2, 3, 1000},
	{30, 300, 256}, // untransposed, unpadded: A's rows 1 KiB apart, packed so they do not alias
}

func forEachPath(t *testing.T, fn func(t *testing.T)) {
	for _, p := range Paths() {
		old, err := UsePath(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(string(p), fn)
		if _, err := UsePath(old); err != nil {
			t.Fatal(err)
		}
	}
}

func withThreads(n int, fn func()) {
	old := SetThreads(n)
	defer SetThreads(old)
	fn()
}

func TestSgemmMatchesReferenceOnEveryPath(t *testing.T) {
	scalars := [][2]float32{{1, 0}, {1, 1}, {-0.5, 2.25}, {1.5, 0}}
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for si, s := range gemmShapes {
			for tr := range 4 {
				gc := gemmCase{m: s[0], n: s[1], k: s[2], transA: tr&1 != 0, transB: tr&2 != 0,
					pad: (si + tr) % 3 * 5, alpha: scalars[(si+tr)%4][0], beta: scalars[(si+tr)%4][1]}
				withThreads(1+(si+tr)%3, func() { checkGemmCase(t, rng, gc) })
			}
		}
	})
}

// TestSgemmBlockLoops shrinks the block sizes so that small matrices run
// through every loop of the blocked algorithm several times (several mc, kc
// and nc blocks, packed and in-place operands, edges in each), on every
// micro-kernel.
func TestSgemmBlockLoops(t *testing.T) {
	var kernels []microKernel
	for _, s := range sets {
		kernels = append(kernels, s.gemm.microKernel)
	}
	shapes := [][3]int{{50, 170, 75}, {3*12 + 5, 3*32 + 7, 130}, {7, 300, 90}, {200, 9, 64}, {70, 70, 20}, {6*12 + 5, 3*32 + 7, 130}}
	for _, uk := range kernels {
		d := newGemmDriver(uk, cacheSizes{l1d: 1, l2: 1, l3: 1})
		d.kc, d.nc, d.mc = 16, 2*uk.nr, 2*uk.mr
		t.Run(fmt.Sprintf("%dx%d", uk.mr, uk.nr), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			for _, threads := range []int{1, 2} {
				for _, s := range shapes {
					for tr := range 4 {
						gc := gemmCase{m: s[0], n: s[1], k: s[2], transA: tr&1 != 0, transB: tr&2 != 0, pad: 3, alpha: 0.75, beta: -1.5}
						o := newGemmOperands(rng, gc)
						want := append([]float32(nil), o.c...)
						SgemmRef(gc.transA, gc.transB, gc.m, gc.n, gc.k, gc.alpha, o.a, o.lda, o.b, o.ldb, gc.beta, want, o.ldc)
						got := append([]float32(nil), o.c...)
						withThreads(threads, func() {
							d.blocked(gc.transA, gc.transB, gc.m, gc.n, gc.k, gc.alpha, o.a, o.lda, o.b, o.ldb, gc.beta, got, o.ldc)
						})
						tol := gemmTolerances(gc, o, o.c)
						for i := range gc.m {
							for j := range gc.n {
								g, w := got[i*o.ldc+j], want[i*o.ldc+j]
								if math.Abs(float64(g)-float64(w)) > tol[i*gc.n+j] {
									t.Fatalf("threads=%d %v: C[%d,%d] = %v, reference %v", threads, gc, i, j, g, w)
								}
							}
						}
					}
				}
			}
		})
	}
}

// TestSgemmDeterministicAcrossThreads checks that 1, 2 and 3 threads give the
// same bits, on shapes that are split by rows and by columns.
func TestSgemmDeterministicAcrossThreads(t *testing.T) {
	shapes := [][3]int{{64, 400, 100}, {300, 32, 200}, {64, 2000, 27}, {130, 140, 150}}
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, s := range shapes {
			for tr := range 4 {
				gc := gemmCase{m: s[0], n: s[1], k: s[2], transA: tr&1 != 0, transB: tr&2 != 0, alpha: 1, beta: 0.5}
				o := newGemmOperands(rng, gc)
				var first []float32
				for threads := 1; threads <= 3; threads++ {
					got := append([]float32(nil), o.c...)
					withThreads(threads, func() {
						Sgemm(gc.transA, gc.transB, gc.m, gc.n, gc.k, gc.alpha, o.a, o.lda, o.b, o.ldb, gc.beta, got, o.ldc)
					})
					if first == nil {
						first = got
						continue
					}
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(first[i]) {
							t.Fatalf("%v: %d threads give C[%d] = %v, 1 thread %v", gc, threads, i, got[i], first[i])
						}
					}
				}
			}
		}
	})
}

// TestSgemmOperandSourcesSameBits checks, on the strided kernels, that
// reading A and B packed or in place gives the same bits: the kernels'
// arithmetic (the order of the FMAs over p) must not depend on where the
// operands come from, only their loads and prefetches may. Packed and in-place
// panels take different prefetch distances and, for A, different addressing,
// so this pins down that tuning those leaves every result unchanged.
func TestSgemmOperandSourcesSameBits(t *testing.T) {
	shapes := [][3]int{{50, 170, 75}, {3*12 + 5, 3*32 + 7, 600}, {130, 140, 150}, {24, 64, 33}}
	for _, set := range sets {
		d := set.gemm
		if !d.strided {
			continue
		}
		rng := rand.New(rand.NewPCG(11, 12))
		for _, s := range shapes {
			for tr := range 4 {
				gc := gemmCase{m: s[0], n: s[1], k: s[2], transA: tr&1 != 0, transB: tr&2 != 0, pad: 3, alpha: 0.75, beta: -1.5}
				o := newGemmOperands(rng, gc)
				var first []float32
				for src := range 4 {
					packA, packB := src&1 != 0, src&2 != 0
					if gc.transB && !packB { // a transposed B is always packed
						continue
					}
					got := append([]float32(nil), o.c...)
					j := &gemmJob{d: d, transA: gc.transA, transB: gc.transB, m: gc.m, n: gc.n, k: gc.k,
						alpha: gc.alpha, beta: gc.beta, a: o.a, b: o.b, c: got, lda: o.lda, ldb: o.ldb, ldc: o.ldc,
						packA: packA, packB: packB}
					j.plan(1)
					j.runTasks(0, j.tasks)
					if first == nil {
						first = got
						continue
					}
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(first[i]) {
							t.Fatalf("%s %v: packA=%v packB=%v gives C[%d] = %v, the first source %v", set.path, gc, packA, packB, i, got[i], first[i])
						}
					}
				}
			}
		}
	}
}

// TestSgemmByColumnsSameBits checks, on the paths that stream B, that the
// column walk of macroKernelByColumns (top tiles packing their panels, the
// tiles below fetching the next panel) gives the bits of the row walk over
// panels packed beforehand: full and ragged panels and row tiles, several
// k, column and row blocks (blocks shrunk as in TestSgemmBlockLoops, and
// those of a 48 KiB L1 and 2 MiB L2), A packed or read in place, and 1 to 3
// threads.
func TestSgemmByColumnsSameBits(t *testing.T) {
	byColumns := func(j *gemmJob, mc int) bool { return j.streamsB(mc, j.kcBlock()) }
	rng := rand.New(rand.NewPCG(13, 14))
	for _, set := range sets {
		uk := set.gemm.microKernel
		if uk.packingTile == nil {
			continue
		}
		checkStreamingSameBits(t, rng, uk, [][3]int{{100, 34*32 + 12, 500}, {256, 8 * 32, 2304}, {65, 2100, 300}, {150, 700, 1100}}, nil, []int{0, 5}, byColumns)
		small := func(d *gemmDriver) { d.kc, d.nc, d.mc = 16, 3*uk.nr, 3*uk.mr }
		checkStreamingSameBits(t, rng, uk, [][3]int{{77, 3*32 + 7, 130}, {80, 2 * 32, 60}, {90, 50, 70}}, small, []int{0, 5}, byColumns)
	}
}

// TestSgemmTopTilesPackSameBits checks, on the paths with a packing tile,
// that a block walked by rows whose top tiles pack the B panels as they
// compute (macroKernel's topPacks) gives the bits of the same walk over
// panels packed beforehand: full and ragged panels and row tiles, one and
// several k, column and row blocks, and 1 to 3 threads.
func TestSgemmTopTilesPackSameBits(t *testing.T) {
	byRows := func(j *gemmJob, mc int) bool { return !j.streamsB(mc, j.kcBlock()) && j.packsInTopTiles(mc) }
	rng := rand.New(rand.NewPCG(15, 16))
	for _, set := range sets {
		uk := set.gemm.microKernel
		if uk.packingTile == nil {
			continue
		}
		checkStreamingSameBits(t, rng, uk, [][3]int{{100, 3*32 + 5, 300}, {256, 8 * 32, 700}, {70, 2 * 32, 40}, {77, 20, 1100}}, nil, []int{3, 8}, byRows)
		// An A block higher than a B block is wide, so that B is not
		// streamed by columns; more than 64 rows, so that B is packed.
		small := func(d *gemmDriver) { d.kc, d.nc, d.mc = 16, 3*uk.nr, 12*uk.mr }
		checkStreamingSameBits(t, rng, uk, [][3]int{{13*uk.mr + 5, 3*32 + 7, 130}, {12*uk.mr + 1, 2 * 32, 60}, {12 * uk.mr, 50, 70}}, small, []int{3, 8}, byRows)
	}
}

// checkStreamingSameBits runs each m×n×k product (C with leading dimension
// n + pad, beta = (pad mod 4)/4) on a driver with uk's streaming tiles and
// on one without, whose blocks are those of a 48 KiB L1 and 2 MiB L2 or as
// blocks sets them, on 1 to 3 threads, and fails unless both give the same
// bits and every product takes the walk under test (walks, given the first
// block's rows).
func checkStreamingSameBits(t *testing.T, rng *rand.Rand, uk microKernel, shapes [][3]int, blocks func(d *gemmDriver), pads []int, walks func(j *gemmJob, mc int) bool) {
	t.Helper()
	plain := uk
	plain.packingTile, plain.fetchingTile = nil, nil
	cs := cacheSizes{l1d: 48 << 10, l2: 2 << 20, l3: 32 << 20} // kc = 512, nc = 512
	streaming, packed := newGemmDriver(uk, cs), newGemmDriver(plain, cs)
	if blocks != nil {
		blocks(streaming)
		blocks(packed)
	}
	for _, s := range shapes {
		for _, pad := range pads {
			gc := gemmCase{m: s[0], n: s[1], k: s[2], pad: pad, alpha: 0.75, beta: float32(pad%4) / 4}
			o := newGemmOperands(rng, gc)
			j := &gemmJob{d: streaming, m: gc.m, n: gc.n, k: gc.k, ldb: o.ldb}
			j.packA, j.packB = streaming.packing(false, false, gc.m, gc.n, gc.k, o.lda, o.ldb)
			if !walks(j, min(gc.m, streaming.mc)) {
				t.Fatalf("mr=%d %v, kc=%d: not the walk under test", uk.mr, gc, streaming.kc)
			}
			for threads := 1; threads <= 3; threads++ {
				want, got := append([]float32(nil), o.c...), append([]float32(nil), o.c...)
				withThreads(threads, func() {
					packed.blocked(false, false, gc.m, gc.n, gc.k, gc.alpha, o.a, o.lda, o.b, o.ldb, gc.beta, want, o.ldc)
					streaming.blocked(false, false, gc.m, gc.n, gc.k, gc.alpha, o.a, o.lda, o.b, o.ldb, gc.beta, got, o.ldc)
				})
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("mr=%d %v, kc=%d, %d threads: C[%d] = %v streaming B, %v packed beforehand", uk.mr, gc, streaming.kc, threads, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestSgemmPlanSplitsWork checks that two threads get at least two tasks on
// the benchmark shapes, along the axis that packs least twice.
func TestSgemmPlanSplitsWork(t *testing.T) {
	for _, set := range sets {
		p, d := set.path, set.gemm
		for _, s := range [][3]int{{2048, 2048, 2048}, {64, 3136, 576}, {1000, 32, 2048}, {64, 50176, 27}, {512, 784, 4608}, {2048, 32, 512}} {
			j := &gemmJob{d: d, m: s[0], n: s[1], k: s[2]}
			j.packA, j.packB = d.packing(false, false, j.m, j.n, j.k, j.k, j.n)
			j.plan(2)
			if j.tasks < 2 {
				t.Errorf("%s %v: %d task(s) for 2 threads", p, s, j.tasks)
			}
			if j.taskRows < j.m && j.taskCols < j.n {
				t.Errorf("%s %v: split along both axes", p, s)
			}
		}
	}
}

// TestSgemmPlanCountsReads pins down the axis two threads split along
// where the cost of each task's reads decides it: B packed by the top tiles
// counts half, an operand read in place larger than L2 counts in full.
func TestSgemmPlanCountsReads(t *testing.T) {
	cs := cacheSizes{l1d: 48 << 10, l2: 2 << 20, l3: 32 << 20} // kc = 512, nc = 512
	for _, set := range sets {
		d := newGemmDriver(set.gemm.microKernel, cs)
		if d.packingTile == nil {
			continue
		}
		for _, c := range []struct {
			m, n, k   int
			splitRows bool
		}{
			{512, 784, 4608, true},   // A and B packed; B by the top tiles
			{512, 128, 4608, true},   // A (9 MB) read in place by every column task
			{256, 196, 1024, false},  // A (1 MB) read in place, from L2
			{256, 3136, 2304, false}, // B, even at half, costs more than A
			{64, 3136, 576, false},   // B (7 MB) read in place by every row task
			{48, 1000, 12000, false}, // B (48 MB) read in place by every row task, A (2 MB) by every column task
		} {
			j := &gemmJob{d: d, m: c.m, n: c.n, k: c.k, lda: c.k, ldb: c.n}
			j.packA, j.packB = d.packing(false, false, c.m, c.n, c.k, c.k, c.n)
			j.plan(2)
			if rows := j.taskRows < j.m; rows != c.splitRows || j.tasks < 2 {
				t.Errorf("%s %+v: %d tasks of %d rows and %d columns", set.path, c, j.tasks, j.taskRows, j.taskCols)
			}
		}
	}
}

// TestSgemmTransposedAInPlace pins down when a transposed A is read in
// place: few column tiles (a convolution's input gradient on a 7×7 map) and
// rows that do not share an L1 set; and that two threads then split the
// rows, so that each does not make a pass over all of A.
func TestSgemmTransposedAInPlace(t *testing.T) {
	for _, set := range sets {
		d := set.gemm
		cases := []struct {
			m, n, k, lda int
			packA        bool
		}{
			{4608, 49, 512, 4608, false}, // 3×3, 512 channels, 7×7
			{512, 49, 2048, 512, false},  // 1×1, 2048 → 512, 7×7
			{1024, 49, 2048, 1024, true}, // rows 4 KiB apart
			{4608, 196, 512, 4608, true}, // 14×14: 7 column tiles of 32
		}
		for _, c := range cases {
			want := c.packA || !d.strided
			packA, _ := d.packing(true, false, c.m, c.n, c.k, c.lda, c.n)
			if packA != want {
				t.Errorf("%s %+v: packA = %v, want %v", set.path, c, packA, want)
			}
			j := &gemmJob{d: d, transA: true, m: c.m, n: c.n, k: c.k, packA: packA, packB: true}
			j.plan(2)
			if j.taskCols < j.n {
				t.Errorf("%s %+v: split by columns (%d-column tasks)", set.path, c, j.taskCols)
			}
		}
	}
}

// TestPanelPackers compares every path's copyPanel and gatherPanel with the
// plain-Go ones for every panel width in use and every fill w ≤ width, and
// checks that nothing beyond the panel is written.
func TestPanelPackers(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const lds = 41
	src := gemmRandom(rng, 32*lds+lds)
	for _, set := range sets {
		uk := set.gemm.microKernel
		for _, width := range []int{uk.mr, uk.nr} {
			for w := 1; w <= width; w++ {
				for _, kc := range []int{13, 3, 8, 29} { // blocks of 8 steps and a rest, or either alone
					for _, c := range []struct {
						name      string
						got, want panelPacker
					}{{"copy", uk.copyPanel, copyPanelGo}, {"gather", uk.gatherPanel, gatherPanelGo}} {
						want := make([]float32, kc*width+1)
						got := make([]float32, kc*width+1)
						for i := range got {
							want[i], got[i] = gemmSentinel, gemmSentinel
						}
						c.want(want, src, lds, kc, w, width)
						c.got(got, src, lds, kc, w, width)
						for i := range got {
							if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
								t.Fatalf("%s %s panel w=%d width=%d kc=%d: element %d is %v, want %v", set.path, c.name, w, width, kc, i, got[i], want[i])
							}
						}
					}
				}
			}
		}
	}
}

// TestSgemmDoesNotAllocate checks that a call in steady state allocates
// nothing: workspaces and job records come from the driver's free lists.
func TestSgemmDoesNotAllocate(t *testing.T) {
	const m, n, k = 70, 90, 600
	rng := rand.New(rand.NewPCG(9, 10))
	a, b, c := gemmRandom(rng, m*k), gemmRandom(rng, k*n), make([]float32, m*n)
	withThreads(1, func() {
		forEachPath(t, func(t *testing.T) {
			for _, tr := range []bool{false, true} {
				lda, ldb := k, n
				if tr {
					lda, ldb = m, k
				}
				call := func() { Sgemm(tr, tr, m, n, k, 1, a, lda, b, ldb, 0, c, n) }
				call()
				if allocs := testing.AllocsPerRun(5, call); allocs != 0 {
					t.Errorf("transposed=%v: %v allocations per call", tr, allocs)
				}
			}
		})
	})
}

// TestSgemmDenormals checks how each path treats denormal numbers: the
// assembly kernels flush them to zero (inputs and results), the generic path
// keeps them, and the floating-point state of the calling goroutine is the
// same afterwards (Go arithmetic still produces denormals).
func TestSgemmDenormals(t *testing.T) {
	const m, n, k = 13, 35, 40
	tiny := float32(1e-39) // denormal: below 2^-126 ≈ 1.18e-38
	runtime.LockOSThread() // the floating-point state belongs to the thread
	defer runtime.UnlockOSThread()
	defer SetThreads(SetThreads(1))
	forEachPath(t, func(t *testing.T) {
		a, b := make([]float32, m*k), make([]float32, k*n)
		for i := range a {
			a[i] = tiny
		}
		for i := range b {
			b[i] = 1
		}
		c := make([]float32, m*n)
		Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		want := float32(k) * tiny
		if CurrentPath() != Generic {
			want = 0
		}
		for i, v := range c {
			if v != want {
				t.Fatalf("C[%d] = %g, want %g", i, v, want)
			}
		}
		if half := a[0] * 0.5; half == 0 {
			t.Fatal("after Sgemm, Go arithmetic flushes denormals to zero: the floating-point state was not restored")
		}
	})
}

// TestSgemmNonFinite checks what Sgemm does with NaN and infinities on every
// path, small products (the generic path's sgemmGo) and blocked ones alike:
// 0·Inf in A·B is NaN, as in SgemmRef; with alpha = 0, A and B are not read,
// so their NaN does not reach C.
func TestSgemmNonFinite(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	forEachPath(t, func(t *testing.T) {
		for _, n := range []int{2, 40} {
			a := make([]float32, n*n) // A[0,0] = 0 meets B's infinite row 0
			b := make([]float32, n*n)
			for i := range a {
				a[i], b[i] = 1, 1
			}
			a[0] = 0
			for j := range n {
				b[j] = inf
			}
			for _, transB := range []bool{false, true} {
				bb := b
				if transB {
					bb = make([]float32, n*n)
					for i := range n {
						for j := range n {
							bb[j*n+i] = b[i*n+j]
						}
					}
				}
				c := make([]float32, n*n)
				Sgemm(false, transB, n, n, n, 1, a, n, bb, n, 0, c, n)
				if !math.IsNaN(float64(c[0])) || !math.IsInf(float64(c[n]), 1) {
					t.Errorf("n = %d, transB %v: C[0,0] = %v, C[1,0] = %v; want NaN (0·Inf) and +Inf", n, transB, c[0], c[n])
				}
			}
			a[0], b[0] = nan, nan
			c := make([]float32, n*n)
			for i := range c {
				c[i] = 2
			}
			Sgemm(false, false, n, n, n, 0, a, n, b, n, 0.5, c, n)
			if c[0] != 1 {
				t.Errorf("n = %d, alpha = 0: C[0,0] = %v, want 0.5·2 with A and B unread", n, c[0])
			}
		}
	})
}
