package kernels

import (
	"sync"
	"unsafe"
)

// Blocked SGEMM in the GotoBLAS/BLIS style, shared by every kernel path.
//
// C (m×n, row-major) is computed in tiles of mr×nr elements by a micro-kernel
// that keeps the whole tile in registers and walks the k dimension once: for
// p = 0, 1, …, kc−1 it multiplies column p of an mr-row sliver of op(A) by row
// p of an nr-column sliver of op(B) and adds the outer product to the tile.
// The loops around it decide where those slivers come from and how long they
// stay in each cache level:
//
//	for ic in [0, m) step mc:            A block: mc×kc, re-read once per jc block
//	  for pc in [0, k) step kc:          k is split only here, into equal blocks that depend on k alone
//	    pack A[ic:ic+mc, pc:pc+kc]       into mr-row micro-panels: panel[p·mr + i]
//	    for jc in [0, n) step nc:
//	      pack B[pc:pc+kc, jc:jc+nc]     into nr-column micro-panels: panel[p·nr + j]
//	      for ir in [0, mc) step mr:     one A micro-panel (mr×kc) stays in L1 ...
//	        for jr in [0, nc) step nr:   ... while the B micro-panels stream from L2
//	          micro-kernel(kc, A panel ir, B panel jr, C tile (ic+ir, jc+jr))
//
// Packing makes every micro-kernel read contiguous, aligned memory and
// absorbs the transposes: after packing, all four combinations of transA and
// transB are the same problem. Panels at a ragged edge are zero-padded to a
// full mr or nr, and the micro-kernel stores only the mr×nr corner that lies
// inside C, so edges cost about as much as full tiles.
//
// Packing does not always pay. The assembly micro-kernels read A and B with
// arbitrary strides, so they read an untransposed A in place (its mr rows are
// streams that the prefetchers follow, and packing would cost about what it
// saves; nothing then limits the A block, so mc spans all rows), and an
// untransposed B when k is small or op(A) has few rows (each B micro-panel is
// then read a handful of times), except where the rows of the operand are a
// multiple of 1 KiB apart and would evict each other from L1 (for A, only
// when C is wide enough for the packed panels to be reused). Only the
// ragged-edge panels of an operand read in place are packed, so the kernel
// never reads outside the matrix.
// The generic kernel always reads packed panels, and on the generic path
// problems too small to be worth blocking go to sgemmGo.
//
// Packing a B that is not in the caches reads it from memory at a poor
// rate: a micro-panel's kc rows are each a row of B apart, often a new page
// every row, where the hardware prefetchers do not follow, and the
// micro-kernels wait while it happens (12–15% of a 256×3136×2304 product).
// Where a path can stream B (AVX2, AVX-512), a block of such a B whose A block
// fits in half of L2, over a deep k block (a few hundred rows of C, as in
// the 1×1 convolutions over large maps, whose B is their input), is walked
// column by column instead (macroKernelByColumns): the top tile of each
// column reads its B panel in place and packs it as it computes, and the
// tiles below it, reading the packed panel, fetch the next panel's source
// rows into L2 a few at a time, so B's trip from memory overlaps the
// arithmetic instead of preceding it. A block walked by rows still packs
// its full panels in the top tile of each column where the path can, so
// that at least the first row of tiles overlaps the packing's reads.
//
// Every element of C is computed by the same sequence of operations whatever
// the tile, the task or the number of threads: an in-order chain over p
// within each kc block, then c = alpha·acc + beta·c (beta = 1 after the first
// block). Threads split C into blocks of rows or columns (never k), so the
// result is bit-identical for any thread count.
//
// The assembly micro-kernels run with the FPU's flush-to-zero and
// denormals-are-zero modes (and restore the caller's mode before returning):
// a denormal input counts as zero and a denormal result becomes zero, as in
// TensorFlow's CPU kernels, because each denormal would otherwise cost about
// a hundred cycles. Results differ from SgemmRef's only below 2^-126.

// microKernel is one path's register-tiled kernel and its tile size.
type microKernel struct {
	mr, nr int // rows and columns of the C tile held in registers
	// strided says that tile reads A and B in place with any row and column
	// strides; otherwise both operands are always packed.
	strided bool
	// tile computes C[0:mr, 0:nr] = alpha·Â·B̂ + beta·C (beta = 0: C is not
	// read) over kc steps, where Â[i, p] = a[i·rsA + p·csA] for i < mr (the
	// kernel may also read rows up to its full tile height, which packing
	// pads with zeros) and B̂[p, j] = b[p·rsB + j] for j < its full width.
	// C[i, j] is c[i·ldc + j]. On entry 1 ≤ mr ≤ its mr and 1 ≤ nr ≤ its nr.
	tile func(kc int, a []float32, rsA, csA int, b []float32, rsB int, c []float32, ldc int, alpha, beta float32, mr, nr int)
	// tiles, where the path has it, is n calls of tile with the full nr
	// side by side: tile t reads B̂ from b[t·bStep:] and writes C from
	// c[t·nr:]. The assembly switches the floating-point control register
	// (mxcsr_amd64.h) once for the row instead of once a tile, which costs
	// about as much as two to four steps of a tile, so a short k gains most: a
	// 96×3136×16 product (a pointwise convolution over 16 channels) 1.10×
	// with AVX-512 and 1.41× with AVX2, k = 64 1.02–1.05×.
	tiles func(n, kc int, a []float32, rsA, csA int, b []float32, rsB, bStep int, c []float32, ldc int, alpha, beta float32, mr int)
	// packingTile and fetchingTile, where the path has them, are tile for a
	// full mr×nr tile that also streams B (macroKernelByColumns):
	// packingTile reads B̂ in place (rows rsB apart) and copies each of its
	// rows to pack[p·nr:], packing the panel it computes with; fetchingTile
	// reads a packed panel (rsB = nr) and, one row every fetchEvery steps,
	// fetches the first nr floats of rows rows of next (nextStride apart)
	// into L2.
	packingTile  func(kc int, a []float32, rsA, csA int, b []float32, rsB int, c []float32, ldc int, alpha, beta float32, pack []float32)
	fetchingTile func(kc int, a []float32, rsA, csA int, b []float32, c []float32, ldc int, alpha, beta float32, next []float32, nextStride, rows int)
	// copyPanel and gatherPanel build packed micro-panels (sgemm_pack.go).
	copyPanel, gatherPanel panelPacker
	// transpose sets dst[j·ldd + i] = src[i·lds + j] for i < rows, j < cols
	// (the swapped product's C, sgemm_swap.go).
	transpose func(dst, src []float32, rows, cols, ldd, lds int)
}

// gemmDriver runs the blocked algorithm with one micro-kernel and block sizes
// derived from the cache sizes.
type gemmDriver struct {
	microKernel
	// kc is the depth of one pass: an mr×kc micro-panel of A fills half of the
	// L1 data cache, leaving the other half to the B micro-panels streaming
	// past it.
	kc int
	// nc is the width of the packed B block: kc×nc floats fill half of L2,
	// so the block stays there while every A micro-panel of the A block
	// visits it.
	nc int
	// mc is the height of the packed A block: mc×kc floats fill half of this
	// core's share of L3, from where the block is re-read once per B block.
	mc int

	mu         sync.Mutex
	freeSpaces []*gemmWorkspace
	freeJobs   []*gemmJob
}

// Thresholds of the blocked driver.
const (
	// tinyGemmWork is the largest m·n·k that the generic path hands to
	// sgemmGo, which needs no packing: below it, or when C is thinner than one
	// tile, packing and the 4×4 tiles cost more than they save. The assembly
	// kernels beat sgemmGo at every size.
	tinyGemmWork = 1 << 15
	// smallGemmK is the largest k for which B is read in place whatever the
	// shape: a B micro-panel of at most this many rows costs as much to read
	// in place as to pack, and packing would have to touch all of B.
	smallGemmK = 32
	// directBRows is the most rows of C for which B is read in place (each B
	// micro-panel is then read at most ⌈directBRows/mr⌉ times), provided
	// consecutive rows of B are not a multiple of aliasStride floats apart.
	directBRows = 64
	// aliasStride: rows a multiple of this many floats (1 KiB) apart fall
	// into a few sets of the L1 cache and evict each other (the 12 rows of an
	// A micro-panel 8 KiB apart, as in a 2048-column A, share one set of 12
	// ways), so an operand with such a row stride is packed, not read in place.
	aliasStride = 256
	// aliasPackCols is the least n for which an aliasing A is packed: packing
	// costs a pass over A, which pays only when each A micro-panel then
	// serves several column tiles from L1 (with n = 32, as in a classifier at
	// batch 32, A is streamed once and packing it made the product 30% slower).
	aliasPackCols = 256
	// directATiles is the most column tiles for which a transposed A is read
	// in place (each A micro-panel read at most this many times): the pass
	// over A that packing costs is then more than it saves (the input
	// gradient of a convolution on a 7×7 map, n = 49: 1.07–1.20× with
	// AVX-512, 1.35× with AVX2; with 7 tiles packing wins again), provided
	// its rows are not a multiple of setStride apart.
	directATiles = 4
	// setStride: addresses a multiple of this many floats (4 KiB) apart share
	// a set of the L1 cache (64 sets of 64-byte lines, as on every x86 core
	// with AVX2). A transposed A read in place takes a new row at each step,
	// and with such a row stride the rows fetched ahead all compete for one
	// set (a 1×1 convolution's input gradient with 1024 input channels:
	// 0.88–0.94× in place).
	setStride = 1024
	// parallelGemmWork is the least m·n·k split among threads; smaller
	// problems finish before a second thread would have started.
	parallelGemmWork = 1 << 18
	// maxTasksPerThread bounds the tasks per thread when splitting costs no
	// extra packing: more tasks balance the load when a core is busy with
	// something else, fewer keep the per-task start-up small.
	maxTasksPerThread = 4
	// fetchEvery is how many steps a fetchingTile takes per row it fetches.
	fetchEvery = 8
)

// newGemmDriver derives the block sizes of uk for the given caches.
func newGemmDriver(uk microKernel, cs cacheSizes) *gemmDriver {
	d := &gemmDriver{microKernel: uk}
	d.kc = clampRound(cs.l1d/2/(4*uk.mr), 16, 64, 512)
	d.nc = clampRound(cs.l2/2/(4*d.kc), uk.nr, 4*uk.nr, 4096)
	d.mc = clampRound(cs.l3/2/(4*d.kc), uk.mr, 16*uk.mr, 4096)
	return d
}

// l2Floats is about the floats L2 holds: a kc×nc B block fills half of it.
func (d *gemmDriver) l2Floats() int { return 2 * d.kc * d.nc }

// clampRound rounds v down to a multiple of step and clamps it to [lo, hi].
func clampRound(v, step, lo, hi int) int {
	return min(max(v/step*step, lo), hi)
}

// gemmWorkspace is one task's packing buffers, kept for later calls. Each
// grows to what the calls so far have needed, at most an mc×kc block of A and
// a kc×nc block of B; scratch is lent to a bPacker.
type gemmWorkspace struct {
	a, b, scratch []float32
	t             []float32 // the swapped product's Cᵀ (sgemm_swap.go)
}

// workspace takes a workspace from the free list, making one if it is empty.
func (d *gemmDriver) workspace() *gemmWorkspace {
	d.mu.Lock()
	defer d.mu.Unlock()
	if n := len(d.freeSpaces); n > 0 {
		ws := d.freeSpaces[n-1]
		d.freeSpaces = d.freeSpaces[:n-1]
		return ws
	}
	return &gemmWorkspace{}
}

func (d *gemmDriver) releaseWorkspace(ws *gemmWorkspace) {
	d.mu.Lock()
	d.freeSpaces = append(d.freeSpaces, ws)
	d.mu.Unlock()
}

// grow returns buf if it holds n floats, or a new aligned buffer that does.
func grow(buf []float32, n int) []float32 {
	if len(buf) >= n {
		return buf
	}
	return alignedFloats(n)
}

// lineFloats is the floats of one 64-byte cache line (one 512-bit vector).
const lineFloats = 64 / 4

// alignedFloats returns n floats starting on a 64-byte boundary (one cache
// line, one 512-bit vector).
func alignedFloats(n int) []float32 {
	buf := make([]float32, n+lineFloats)
	off := int(uintptr(unsafe.Pointer(&buf[0]))%64) / 4
	if off != 0 {
		off = lineFloats - off
	}
	return buf[off : off+n : off+n]
}

// gemmJob is one Sgemm call split into tasks, each a block of C.
type gemmJob struct {
	d              *gemmDriver
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	packA, packB   bool
	// fillB, when set, writes the packed blocks of B instead of packB (see
	// sgemmFillingB); b is then unused.
	fillB bPacker
	// The task grid: task t covers rows [r·taskRows, (r+1)·taskRows) and
	// columns [q·taskCols, (q+1)·taskCols) of C, where r, q = t / colTasks,
	// t % colTasks.
	taskRows, taskCols, colTasks, tasks int
	run                                 func(lo, hi int) // runTasks, bound once so Parallel gets it without allocating
}

func (d *gemmDriver) job() *gemmJob {
	d.mu.Lock()
	defer d.mu.Unlock()
	if n := len(d.freeJobs); n > 0 {
		j := d.freeJobs[n-1]
		d.freeJobs = d.freeJobs[:n-1]
		return j
	}
	j := &gemmJob{d: d}
	j.run = j.runTasks
	return j
}

func (d *gemmDriver) releaseJob(j *gemmJob) {
	j.a, j.b, j.c, j.fillB = nil, nil, nil, nil // do not keep the caller's matrices alive
	d.mu.Lock()
	d.freeJobs = append(d.freeJobs, j)
	d.mu.Unlock()
}

// sgemm is the kernelSet entry: Sgemm has checked the arguments and handled
// m, n, k or alpha being zero.
func (d *gemmDriver) sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if d.unblocked(m, n, k) {
		sgemmGo(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if d.swapPays(transA, transB, m, n, k, lda, ldb) {
		d.swapped(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	d.blocked(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// unblocked reports whether sgemm hands an m×n×k product to sgemmGo.
func (d *gemmDriver) unblocked(m, n, k int) bool {
	return !d.strided && (m*n*k <= tinyGemmWork || m < d.mr || n < d.nr)
}

// blocked runs the blocked algorithm.
func (d *gemmDriver) blocked(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	j := d.job()
	j.transA, j.transB, j.m, j.n, j.k = transA, transB, m, n, k
	j.alpha, j.beta = alpha, beta
	j.a, j.b, j.c, j.lda, j.ldb, j.ldc = a, b, c, lda, ldb, ldc
	j.packA, j.packB = d.packing(transA, transB, m, n, k, lda, ldb)
	j.plan(Threads())
	Parallel(j.tasks, 1, j.run)
	d.releaseJob(j)
}

// bPacker writes the packed panels of B[pc:pc+kc, jc:jc+nc] (B is k×n) into
// dst, exactly as packB would from B stored as a matrix, using scratch
// (bPackerScratch floats, and at least one row of B) as it likes.
type bPacker func(dst, scratch []float32, pc, jc, kc, nc int)

// bPackerScratch is the scratch a bPacker gets: 16 KiB, well inside L1.
const bPackerScratch = 4096

// fillsB reports whether sgemmFillingB computes the product that sgemm
// would for A (m×k, lda, not transposed) and B (k×n, ldb, not transposed),
// with the same bits: sgemm would pack B (so packed panels of the same
// values give the same micro-kernel calls) in one block of columns (so
// the bPacker is asked for each row of B once).
func (d *gemmDriver) fillsB(m, n, k, lda, ldb int) bool {
	if d.unblocked(m, n, k) {
		return false
	}
	_, packB := d.packing(false, false, m, n, k, lda, ldb)
	return packB && n <= d.nc
}

// sgemmFillingB computes C = alpha·A·B + beta·C on the calling goroutine,
// where B is not a matrix in memory but what fill writes, one packed block
// at a time: a convolution unfolds its input straight into the panels
// rather than into a column matrix that packing then copies. Callers check
// fillsB first; alpha ≠ 0 and m, n, k > 0.
func (d *gemmDriver) sgemmFillingB(m, n, k int, alpha float32, a []float32, lda int, fill bPacker, beta float32, c []float32, ldc int) {
	j := d.job()
	j.transA, j.transB, j.m, j.n, j.k = false, false, m, n, k
	j.alpha, j.beta = alpha, beta
	j.a, j.c, j.lda, j.ldc = a, c, lda, ldc
	j.packA, _ = d.packing(false, false, m, n, k, lda, n)
	j.packB, j.fillB = true, fill
	j.plan(1)
	j.runTasks(0, j.tasks)
	d.releaseJob(j)
}

// packing decides which operands are packed. The generic kernel reads
// packed panels only. The strided ones read an untransposed A in place (its
// rows are streams that the prefetchers follow, and packing would cost about
// as much as the reads it saves) unless its rows alias in the caches and
// C is wide enough to reuse the packed panels, but pack a transposed A,
// whose columns would each be a separate cache line, unless C has only a
// few column tiles and A's rows do not share L1 sets. B is read in place
// when it is not transposed and its micro-panels are read few times or are
// short (k small), unless its rows alias in the caches.
func (d *gemmDriver) packing(transA, transB bool, m, n, k, lda, ldb int) (packA, packB bool) {
	if !d.strided {
		return true, true
	}
	if transA {
		packA = n > directATiles*d.nr || lda%setStride == 0
	} else {
		packA = lda%aliasStride == 0 && n >= aliasPackCols
	}
	directB := !transB && (k <= smallGemmK || m <= 2*d.mr || (m <= directBRows && ldb%aliasStride != 0))
	return packA, !directB
}

// plan cuts C into tasks for the given number of threads. Splitting the rows
// of C makes every task pack all of B, splitting the columns makes every task
// pack all of A (or, for a transposed A read in place, make a pass over it
// at about the same cost); the split goes along the axis whose extra
// packing costs less, into as many tasks as there are threads, or into a few
// times more when the split packs nothing twice. Packing B in the top
// tiles (tilesPackB) counts half, since it overlaps the arithmetic, and an
// operand read in place counts in full when it is larger than L2, since
// each task then reads it from memory again. On two threads, split by rows
// rather than columns: 512×784×4608 1.05–1.10× (each column task packed
// all of A), 512×128×4608 1.04–1.07× (four column tasks each read the 9 MB
// A in place).
func (j *gemmJob) plan(threads int) {
	tilesM := (j.m + j.d.mr - 1) / j.d.mr
	tilesN := (j.n + j.d.nr - 1) / j.d.nr
	j.taskRows, j.taskCols, j.colTasks, j.tasks = j.m, j.n, 1, 1
	if threads < 2 || j.m*j.n*j.k < parallelGemmWork || tilesM*tilesN < 2 {
		return
	}
	var extraRows, extraCols int // floats packed again per extra task
	if j.packB {
		extraRows = j.n * j.k
	}
	if j.packA || j.transA { // a transposed A read in place costs each task a pass over it too
		extraCols = j.m * j.k
	}
	costRows, costCols := extraRows, extraCols
	if j.tilesPackB() {
		costRows /= 2 // the top tiles pack B as they compute, hiding much of it
	}
	if extraRows == 0 && j.n*j.k > j.d.l2Floats() {
		costRows = j.n * j.k // B read in place from memory by each task
	}
	if extraCols == 0 && j.m*j.k > j.d.l2Floats() {
		costCols = j.m * j.k
	}
	splitRows := costRows < costCols || (costRows == costCols && tilesM >= tilesN)
	if splitRows && tilesM < threads && tilesN > tilesM {
		splitRows = false
	} else if !splitRows && tilesN < threads && tilesM > tilesN {
		splitRows = true
	}
	tiles, extra := tilesN, extraCols
	if splitRows {
		tiles, extra = tilesM, extraRows
	}
	parts := threads
	if extra == 0 {
		parts = maxTasksPerThread * threads
	}
	parts = min(parts, tiles)
	per := (tiles + parts - 1) / parts
	if splitRows {
		j.taskRows = per * j.d.mr
		j.tasks = (j.m + j.taskRows - 1) / j.taskRows
	} else {
		j.taskCols = per * j.d.nr
		j.colTasks = (j.n + j.taskCols - 1) / j.taskCols
		j.tasks = j.colTasks
	}
}

// runTasks computes tasks [lo, hi) with one workspace.
func (j *gemmJob) runTasks(lo, hi int) {
	ws := j.d.workspace()
	for t := lo; t < hi; t++ {
		r, q := t/j.colTasks, t%j.colTasks
		m0, n0 := r*j.taskRows, q*j.taskCols
		j.block(ws, m0, min(m0+j.taskRows, j.m), n0, min(n0+j.taskCols, j.n))
	}
	j.d.releaseWorkspace(ws)
}

// kcBlock returns the depth of the k blocks: k is cut into ⌈k/kc⌉ blocks of
// (nearly) equal depth rather than full blocks and a thin last one, whose
// pass over C would cost as much as a full block's for little work. It
// depends on k alone, so every element of C is summed the same way.
func (j *gemmJob) kcBlock() int {
	blocks := (j.k + j.d.kc - 1) / j.d.kc
	return (j.k + blocks - 1) / blocks
}

// block computes rows [m0, m1) and columns [n0, n1) of C: the loops of the
// algorithm above. When A is read in place, nothing limits the height of the
// A block, so one block spans all the rows and B is packed only once.
func (j *gemmJob) block(ws *gemmWorkspace, m0, m1, n0, n1 int) {
	d := j.d
	kcMax := j.kcBlock()
	mcMax, aFloats := m1-m0, d.mr*kcMax // in place: one edge panel
	if j.packA {
		mcMax = min(d.mc, mcMax)
		aFloats = (mcMax + d.mr - 1) / d.mr * d.mr * kcMax
	}
	bFloats := kcMax * d.nr
	if j.packB {
		bFloats = kcMax * (min(d.nc, n1-n0) + d.nr - 1) / d.nr * d.nr
	}
	ws.a, ws.b = grow(ws.a, aFloats), grow(ws.b, bFloats)
	for ic := m0; ic < m1; ic += mcMax {
		mc := min(mcMax, m1-ic)
		for pc := 0; pc < j.k; pc += kcMax {
			kc := min(kcMax, j.k-pc)
			beta := j.beta
			if pc > 0 {
				beta = 1
			}
			byColumns := j.streamsB(mc, kc)
			topPacks := !byColumns && j.packsInTopTiles(mc)
			var edgeA []float32 // A in place: its ragged-edge panel, packed once for every jc
			switch {
			case j.packA:
				d.packA(ws.a, j.a, j.lda, j.transA, ic, pc, mc, kc)
			case mc%d.mr != 0:
				edgeA = ws.a[:d.mr*kc]
				d.packA(edgeA, j.a, j.lda, j.transA, ic+mc/d.mr*d.mr, pc, mc%d.mr, kc)
			}
			for jc := n0; jc < n1; jc += d.nc {
				nc := min(d.nc, n1-jc)
				switch {
				case j.fillB != nil:
					ws.scratch = grow(ws.scratch, max(bPackerScratch, j.n))
					j.fillB(ws.b, ws.scratch, pc, jc, kc, nc)
				case byColumns: // each column packs its own panel
				case topPacks: // the top tiles pack the full panels; the ragged one first
					if full := nc / d.nr * d.nr; full < nc {
						d.packB(ws.b[full*kc:], j.b, j.ldb, false, pc, jc+full, kc, nc-full)
					}
				case j.packB:
					d.packB(ws.b, j.b, j.ldb, j.transB, pc, jc, kc, nc)
				}
				if byColumns {
					j.macroKernelByColumns(ws, edgeA, ic, mc, pc, kc, jc, nc, beta)
				} else {
					j.macroKernel(ws, edgeA, ic, mc, pc, kc, jc, nc, beta, topPacks)
				}
			}
		}
	}
}

// macroKernel runs the micro-kernel over an mc×nc block of C with the
// current kc slice of A and B, packed or in place; edgeA is the packed
// ragged-edge panel of an A read in place. With topPacks, the full B panels
// are not packed yet: the top tile of each column reads its panel in place
// and packs it as it computes, for the tiles below.
func (j *gemmJob) macroKernel(ws *gemmWorkspace, edgeA []float32, ic, mc, pc, kc, jc, nc int, beta float32, topPacks bool) {
	d := j.d
	var edgeB []float32 // B in place: its packed ragged-edge panel
	if !j.packB && nc%d.nr != 0 {
		edgeB = ws.b[:kc*d.nr]
		d.packB(edgeB, j.b, j.ldb, j.transB, pc, jc+nc/d.nr*d.nr, kc, nc%d.nr)
	}
	full := nc / d.nr * d.nr // the columns of the full tiles
	for ir := 0; ir < mc; ir += d.mr {
		mr := min(d.mr, mc-ir)
		a, rsA, csA := j.aPanel(ws, edgeA, ic, ir, mr, pc, kc)
		c := j.c[(ic+ir)*j.ldc+jc:]
		if topPacks && ir == 0 {
			for jr := 0; jr < full; jr += d.nr {
				d.packingTile(kc, a, rsA, csA, j.b[pc*j.ldb+jc+jr:], j.ldb, c[jr:], j.ldc, j.alpha, beta, ws.b[jr*kc:])
			}
		} else if full > 0 {
			b, rsB, bStep := ws.b, d.nr, kc*d.nr
			if !j.packB {
				b, rsB, bStep = j.b[pc*j.ldb+jc:], j.ldb, d.nr
			}
			d.fullTiles(full/d.nr, kc, a, rsA, csA, b, rsB, bStep, c, j.ldc, j.alpha, beta, mr)
		}
		if full < nc {
			b := edgeB
			if j.packB {
				b = ws.b[full*kc:]
			}
			d.tile(kc, a, rsA, csA, b, d.nr, c[full:], j.ldc, j.alpha, beta, mr, nc-full)
		}
	}
}

// fullTiles computes n full tiles side by side (microKernel.tiles), with
// the path's tiles where it has them and one tile at a time otherwise.
func (d *gemmDriver) fullTiles(n, kc int, a []float32, rsA, csA int, b []float32, rsB, bStep int, c []float32, ldc int, alpha, beta float32, mr int) {
	if d.tiles != nil {
		d.tiles(n, kc, a, rsA, csA, b, rsB, bStep, c, ldc, alpha, beta, mr)
		return
	}
	for t := range n {
		d.tile(kc, a, rsA, csA, b[t*bStep:], rsB, c[t*d.nr:], ldc, alpha, beta, mr, d.nr)
	}
}

// aPanel returns the A micro-panel of rows ic+ir … ic+ir+mr−1 over the kc
// steps from pc, packed or in place, with its row and column strides.
func (j *gemmJob) aPanel(ws *gemmWorkspace, edgeA []float32, ic, ir, mr, pc, kc int) (a []float32, rsA, csA int) {
	switch {
	case j.packA:
		return ws.a[ir*kc:], 1, j.d.mr
	case mr < j.d.mr:
		return edgeA, 1, j.d.mr
	case j.transA:
		return j.a[pc*j.lda+ic+ir:], 1, j.lda
	default:
		return j.a[(ic+ir)*j.lda+pc:], j.lda, 1
	}
}

// packsInTopTiles reports whether, in a block of mc rows walked by rows,
// the top tile of each column packs its full B panel as it computes
// (macroKernel's topPacks) instead of the block being packed beforehand:
// tilesPackB, and the top tiles are full.
func (j *gemmJob) packsInTopTiles(mc int) bool {
	return j.tilesPackB() && mc >= j.d.mr
}

// tilesPackB reports whether full tiles can pack B as they compute: the
// path has a packing tile, B is a matrix that is packed, not transposed,
// and its rows do not alias in L1 (the packing tile reads 16 rows ahead).
func (j *gemmJob) tilesPackB() bool {
	return j.d.packingTile != nil && j.packB && j.fillB == nil && !j.transB && j.ldb%aliasStride != 0
}

// streamsB reports whether a block of mc rows over kc steps runs by
// columns (macroKernelByColumns): the path can stream B; B is a matrix that
// is packed, not transposed (its panel rows are contiguous), and larger than
// two B blocks, L2, so that it comes from L3 or memory (a smaller one, such
// as a convolution's column matrix just written, is in the caches already,
// and the walk by columns then gains nothing); the top tile of a column is
// full; the A block is at most the size of a B block, half of L2, so that
// the columns re-read it from L2 (beside it the walk needs only a panel of
// B and the next one's source rows, not a B block); and kc is at least half
// the full depth, so that each tile's step to the next row of tiles of C, a
// few new cache lines a row, is small beside its arithmetic.
func (j *gemmJob) streamsB(mc, kc int) bool {
	d := j.d
	return d.packingTile != nil && j.packB && j.fillB == nil && !j.transB &&
		j.k*j.n > d.l2Floats() && mc >= d.mr && (mc+d.mr-1)/d.mr*d.mr*kc <= d.kc*d.nc && 2*kc >= d.kc
}

// macroKernelByColumns is macroKernel for a block that streamsB, whose B
// panels are not packed: it walks the tiles column by column, and since a
// panel serves only its own column, one panel buffer serves them all. The
// top tile of each column packs the panel as it computes (a ragged last
// panel is packed first); each full tile below it reads the packed panel
// and fetches a share of the next panel's source rows into L2, where the
// next column's top tile will read them. Every tile computes what
// macroKernel's would.
func (j *gemmJob) macroKernelByColumns(ws *gemmWorkspace, edgeA []float32, ic, mc, pc, kc, jc, nc int, beta float32) {
	d := j.d
	panel := ws.b[:kc*d.nr]
	share := min((kc+mc/d.mr-2)/max(mc/d.mr-1, 1), kc/fetchEvery) // rows fetched by each full tile below the top one
	for jr := 0; jr < nc; jr += d.nr {
		nr := min(d.nr, nc-jr)
		src := j.b[pc*j.ldb+jc+jr:]
		if nr < d.nr {
			d.packB(panel, j.b, j.ldb, false, pc, jc+jr, kc, nr)
		}
		fetched := kc // rows of the next panel's source in L2 or on their way
		if jr+2*d.nr <= nc {
			fetched = 0 // the next panel is full, packed by its top tile
		}
		for ir := 0; ir < mc; ir += d.mr {
			mr := min(d.mr, mc-ir)
			a, rsA, csA := j.aPanel(ws, edgeA, ic, ir, mr, pc, kc)
			c := j.c[(ic+ir)*j.ldc+jc+jr:]
			switch {
			case nr < d.nr || mr < d.mr:
				d.tile(kc, a, rsA, csA, panel, d.nr, c, j.ldc, j.alpha, beta, mr, nr)
			case ir == 0:
				d.packingTile(kc, a, rsA, csA, src, j.ldb, c, j.ldc, j.alpha, beta, panel)
			case fetched < kc:
				rows := min(share, kc-fetched)
				d.fetchingTile(kc, a, rsA, csA, panel, c, j.ldc, j.alpha, beta, src[fetched*j.ldb+d.nr:], j.ldb, rows)
				fetched += rows
			default:
				d.tile(kc, a, rsA, csA, panel, d.nr, c, j.ldc, j.alpha, beta, mr, nr)
			}
		}
	}
}
