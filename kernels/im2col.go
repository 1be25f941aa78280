package kernels

import (
	"math/bits"
	"sync/atomic"
	"unsafe"
)

// The GEMM algorithms for convolution: Im2col and Pointwise.
//
// Im2col unfolds the input into a column matrix with one row per (input
// channel c, kernel tap r, s) and one column per output pixel q = oh·OW + ow:
//
//	col[(c·R + r)·S + s, q] = x[c, oh·StrideH − PadH + r·DilH, ow·StrideW − PadW + s·DilW]
//
// (0 where that falls in the padding). Group g owns the C/G·R·S consecutive
// rows of its input channels, so with the weight of group g viewed as a
// K/G × (C/G·R·S) matrix W_g, the convolution is one GEMM per group:
//
//	forward          Y_g  = W_g · col_g
//	backward data    dcol_g = W_gᵀ · dY_g,  then col2im adds dcol back onto dx
//	backward filter  dW_g += dY_g · col_gᵀ
//
// With stride 1, the input gradient is itself a convolution: dy correlated
// with the filter turned by 180° and its input and output channels swapped,
// padded by Dil·(R−1) − Pad (dataConv). When the batch has many output
// pixels per output channel, that is cheaper than col2im, whose scattered
// adds cost more than the unfolding of dy and the turning of the filter
// (dataByConv).
//
// Pointwise is the case where col is the image itself (C rows, H·W columns),
// so the GEMMs read x, y, dx and dy where they lie and no column buffer is
// needed. On 1×1 images it is a fully connected layer: the batch is one
// N×C matrix, and each pass is a single GEMM over all images (dense tiling).
//
// Runs. A row of the column matrix is mostly copies of input rows: through
// tap (r, s), the pixels ow in [lo, hi) of output row oh (validRange) read
// input row ih = oh·StrideH − PadH + r·DilH at columns lo·StrideW + off,
// (lo+1)·StrideW + off, …, a contiguous run of the input when StrideW is 1;
// the other pixels, or the whole row when ih is outside the image, read
// padding. A tile's run table (runTable) describes each tap once as copies
// and zeros, merged across output rows where it can (a 3×3 tap of a padded
// stride-1 convolution is one copy of nearly the whole plane). im2col does
// the copies (strided for strides above 1) and the zeros, col2im adds the
// copies back, each for all the images of a tile in one call of the run
// primitives (im2col_runs.go; assembly on amd64), with no per-pixel index
// arithmetic. The table depends only on the tap and the tile's pixels,
// never on the channel or the image.
//
// Tiles keep the workspace bounded and the GEMMs well shaped (convTiling).
// A large image is processed a band of output pixels at a time, so the column
// buffer holds about colBufferFloats, or minTileCols columns where the
// channels and taps make more rows than that holds. Images with few output
// pixels (the late layers of a network, down to 1×1) are folded together
// until they make minTileCols columns: the columns of several images sit
// side by side, so one GEMM covers them all instead of a thin product per
// image that streams the whole weight from memory (measured on ResNet-50's
// 3×3 layers on 7×7 maps at batch 16: forward and input gradient 1.1–1.7×
// faster with folds of six images than one image at a time). Folded tiles compute into (or gather dy
// into) a K × columns buffer, because their outputs are not contiguous in y.
//
// Tiles in parallel. A tile's steps (unfold, GEMM, fold back or scatter) can
// each be split among the threads, but every split is a fork and a join of
// the worker pool, and on small feature maps a step is over in a few
// microseconds. So when a tile's GEMM is small (tileParallelWork), the tasks
// (an image, with its bands in order, or a fold of images) are dealt into up
// to convSlots fixed groups that run in parallel, each with its own slot of
// the workspace and every step inside it serial: one fork and join per pass.
// The groups depend only on the convolution, not on the thread count, and
// tasks write disjoint parts of y and dx; for the weight gradient each group
// sums its tiles into its own partial dW, and the partials are added into dw
// in group order. Results are therefore the same bits on any thread count.
//
// Bands in parallel. When the tiles would run in turn because their GEMMs
// are large, an image cut into several bands (batch 1) spent most of its
// time in steps too short to split well: the unfolding and a GEMM of a few
// hundred columns, each with its fork and join. The forward pass then makes
// every band a task of its own (convTiling.forward): each thread, in its
// own slot, takes the next band while any is left, and runs its steps
// serially. The bands stay those of the tiles run in turn (a GEMM's bits
// for a column depend on where the column falls among its N columns), and
// forward tiles write disjoint parts of y, so the bits are the same. With
// only two bands, the second often short, one thread would be left mostly
// idle, so that case keeps the steps split among threads.
//
// The backward passes cannot take bands in any order: the weight gradient
// adds every band into all of dw, and col2im adds neighbouring bands into
// the same rows of dx, so a band's adds must come after the previous
// band's, or the sums change their bits. Where it wins (measured; see
// convTiling.backward in conv_pipeline.go), they keep that order and still
// run their steps serially, one thread each:
//
//   - the weight gradient of a wide dw (3×3 layers of 64 channels and
//     more) cuts it into slices of columns (rows of the column matrix: input
//     channels and taps); a slice is a task that unfolds its rows of each
//     band and adds them into its columns of dw, bands in order;
//   - the input gradient of an image with few input channels (a stem),
//     whose col2im the threads would share unevenly, runs as a two-stage
//     pipeline: the GEMMs of later bands (dcol = Wᵀ·dY, each into a slot of
//     its own) run on one thread while another folds the earlier bands back
//     into dx with col2im, in order.
//
// Otherwise the bands stay in turn, each step split among threads. Each
// GEMM, unfolding and col2im is the call the tiles in turn make, or, for a
// slice, the part of it that computes the slice's columns, so the bits are
// those of the tiles in turn.
//
// Cache lines. The forward pass's bands are a whole number of cache lines
// (lineFloats) wide and every slot of the workspace a whole number of lines
// long, so each row of a band's column buffer starts on a line (the
// workspace does: Go gives large allocations whole pages) and the GEMM,
// which reads the columns in place when the output has few channels, never
// loads a 64-byte vector that straddles two lines. Measured on
// 3x3s1_c64_k64_56 (455 columns a band before, 448 now): 1.1–1.3× faster on
// one thread. The backward passes keep the bands of planConv: there the
// band width is the weight gradient's k, which decides its sums, and
// narrower bands measured no faster.
//
// Unfolding into panels. When a forward tile's GEMM would pack the column
// matrix into B panels anyway (more output channels than the micro-kernels
// read B in place for) and the tile runs on one goroutine, the column
// matrix is never written: the GEMM asks for each packed block of B and
// panelUnfolder unfolds those rows, a few at a time through a scratch
// buffer in L1, straight into the panels (7–10% faster forward passes on
// such layers; the same values, so the same bits). Folds of images that
// would run in turn, with their steps split among threads, run instead as
// tasks, as bands do, when there are at least minFoldTasks of them and two
// for each thread, every one unfolds into panels, and their slots (no
// column buffer, but a K-row result each) fit in the one slot of the folds
// in turn.

// colBufferFloats bounds the column buffer of one tile: half of the L2
// cache, so the GEMM packs the columns from L2 right after im2col wrote
// them there.
var colBufferFloats = max(caches.l2/2/4, 1<<16)

// minTileCols is the fewest GEMM columns (output pixels) worth a GEMM call:
// images with fewer output pixels are folded together up to this width.
const minTileCols = 256

const (
	// tileParallelWork is the most multiply-adds of a tile's GEMMs (m·n·k,
	// summed over the convolution's groups) for which whole tiles run in
	// parallel rather than one after another with each step split among
	// threads: about 0.3 ms on one core, long enough to amortise one task,
	// too short to amortise a fork and join per step.
	tileParallelWork = 1 << 24
	// convSlots is the most groups of tiles that run at once, each needing
	// its own slot of the workspace.
	convSlots = 8
)

// convTiling says how the output pixels of a convolution are cut into tiles
// and how the tiles are run.
type convTiling struct {
	images int  // images per tile; more than one only when their pixels are folded together
	pixels int  // output pixels per image in one tile (all OH·OW when images > 1)
	packed bool // the columns are unfolded into the workspace (false: Pointwise reading x in place)
	dense  bool // Pointwise on 1×1 images: one GEMM over the whole batch, no workspace
	// slots is the most groups of tasks run in parallel, each in its own
	// slot of the workspace (at most 1: tiles run in turn, each step split
	// among threads).
	slots int
	// bands makes each band of an image (or each fold of images) a task
	// of its own (forward pass only; see convTiling.forward).
	bands bool
	// direct says that every tile unfolds straight into the GEMM's packed
	// panels, so the slots have no column buffer (forward pass only).
	direct bool
	// pipe runs the tiles in turn as a two-stage pipeline, each tile in
	// the next of slots slots, and slices cuts each group of dw into that
	// many slices for the weight gradient (backward passes only; see
	// convTiling.backward).
	pipe   bool
	slices int
}

// planConv chooses the tiling of a GEMM-based convolution.
func planConv(p ConvParams, algo ConvAlgo) convTiling {
	pix := p.OutH() * p.OutW()
	rows := p.C * p.R * p.S
	t := convTiling{images: 1, pixels: pix, slots: 1}
	// A band has the columns that fill colBufferFloats, but at least
	// minTileCols, and a fold the fewest images that reach minTileCols
	// columns, whatever the buffer: with many channels and taps, fewer
	// columns would make thin GEMMs that stream the whole weight once per
	// tile (a 7×7 map has 49).
	cols := max(minTileCols, colBufferFloats/rows)
	nb := min(p.N, (minTileCols+pix-1)/pix)
	switch {
	case algo == Pointwise && p.H*p.W == 1:
		return convTiling{images: p.N, pixels: 1, dense: true, slots: 1}
	case pix < minTileCols && nb > 1:
		t.images, t.packed = nb, true
	case algo == Im2col:
		t.pixels, t.packed = min(pix, cols), true
	}
	if tasks := t.tasks(p); tasks > 1 && t.gemmWork(p) <= tileParallelWork {
		t.slots = min(tasks, convSlots)
	}
	return t
}

// tasks returns how many independent tasks the tiles form: one per fold of
// images, or one per image with its bands of pixels.
func (t convTiling) tasks(p ConvParams) int {
	n := (p.N + t.images - 1) / t.images
	if t.bands || t.pipe {
		n *= t.bandsPerImage(p)
	}
	return n
}

// bandsPerImage returns the number of tiles that cut one image's pixels.
func (t convTiling) bandsPerImage(p ConvParams) int {
	return (p.OutH()*p.OutW() + t.pixels - 1) / t.pixels
}

// forward returns the tiling of the forward pass: t, or, when t runs an
// image's several bands in turn with their steps split among threads, the
// bands as tasks of their own in parallel (see "Bands in parallel"); and
// likewise folds of images in turn whose every tile unfolds straight into
// the GEMM's panels, which then need no column buffer (see "Unfolding into
// panels").
func (t convTiling) forward(p ConvParams) convTiling {
	if pix := p.OutH() * p.OutW(); t.packed && t.images == 1 && t.pixels < pix && t.pixels >= minTileCols {
		t.pixels = t.pixels / lineFloats * lineFloats // see "Cache lines"
	}
	if t.packed && t.images > 1 && t.groups(p) == 1 && t.tasks(p) >= max(minFoldTasks, 2*Threads()) && t.unfoldsEveryTile(p) {
		d := t
		d.bands, d.direct = true, true
		d.slots = min(t.tasks(p), convSlots)
		// Its slots hold no column buffer but each its own K-row result:
		// taken only when they need no more than t's one slot, so the
		// workspace sized for t (on any kernel path) holds them.
		if d.groups(p)*d.slotFloats(p) <= t.slotFloats(p) {
			return d
		}
	}
	if !t.packed || t.images > 1 || t.groups(p) > 1 || t.bandsPerImage(p) < 3 {
		return t
	}
	t.bands = true
	t.slots = min(t.tasks(p), convSlots)
	return t
}

// minFoldTasks is the fewest folds of images that run as tasks, and each
// thread should have two: threads take whole folds, so with fewer the last
// ones leave a thread idle, where the steps in turn keep every thread busy.
// On two threads four folds ran 1.04–1.43× faster as tasks (3×3
// convolutions of 64–256 channels on 4×4, 7×7 and 14×14 maps; 35–40 of 40
// alternating calls won) and three folds 1.01–1.31×. (The forward pass's
// bits do not depend on how its tiles run, so the choice may follow the
// thread count; the tasks' slots fit in the workspace either way.)
const minFoldTasks = 4

// unfoldsEveryTile reports whether every tile of t, run on one goroutine,
// unfolds straight into the GEMM's panels on the current kernel path: the
// full folds and the last one, which may hold fewer images.
func (t convTiling) unfoldsEveryTile(p ConvParams) bool {
	if !unfoldIntoPanels {
		return false
	}
	kg, crs := p.K/p.Groups, p.C/p.Groups*p.R*p.S
	last := (p.N-1)%t.images + 1
	for _, cols := range []int{t.images * t.pixels, last * t.pixels} {
		if !impl.gemm.fillsB(kg, cols, crs, crs, cols) {
			return false
		}
	}
	return true
}

// gemmWork returns the multiply-adds of the GEMMs of one full tile.
func (t convTiling) gemmWork(p ConvParams) int {
	return p.K * t.images * t.pixels * p.C / p.Groups * p.R * p.S
}

// partials reports whether each group of tiles sums its weight gradient
// into a partial of its own (tiles in parallel groups).
func (t convTiling) partials(p ConvParams) bool { return t.groups(p) > 1 && !t.bands && !t.pipe }

// groups returns the number of groups of tasks: slots, but at least one
// and at most one per task.
func (t convTiling) groups(p ConvParams) int { return max(1, min(t.slots, t.tasks(p))) }

// slotFloats returns one slot's share of the workspace: the column buffer
// and its run table (packed tiles), padding up to a whole number of cache
// lines (slotPad), a K-row buffer for y or dy (folded tiles), and a partial
// weight gradient (tiles in parallel).
func (t convTiling) slotFloats(p ConvParams) int {
	n := t.slotUnpadded(p)
	return n + slotPad(n)
}

func (t convTiling) slotUnpadded(p ConvParams) int {
	cols := t.images * t.pixels
	n := 0
	if t.packed && !t.direct {
		n += p.C * p.R * p.S * cols
	}
	if t.packed {
		n += runTableLen(p, t.pixels)
	}
	if t.images > 1 && !t.dense {
		n += p.K * cols
	}
	if t.partials(p) {
		n += p.K * p.C / p.Groups * p.R * p.S
	}
	return n
}

// slotPad returns the floats that round n up to a multiple of lineFloats.
func slotPad(n int) int { return (lineFloats - n%lineFloats) % lineFloats }

// workspace returns the scratch floats the tiling needs, in all passes.
func (t convTiling) workspace(p ConvParams) int {
	f, b := t.forward(p), t.backward(p)
	return max(t.groups(p)*t.slotFloats(p), f.groups(p)*f.slotFloats(p), b.groups(p)*b.slotFloats(p), b.slicesWorkspace(p))
}

// convSlot is one slot of the workspace.
type convSlot struct {
	col   []float32 // the column buffer (packed tiles)
	rowsK []float32 // K × columns: y or dy of a folded tile
	dw    []float32 // this group's partial weight gradient (tiles in parallel)
	runs  runTable
}

// slot returns slot i of the workspace.
func (t convTiling) slot(p ConvParams, ws []float32, i int) convSlot {
	ws = ws[i*t.slotFloats(p):]
	cols := t.images * t.pixels
	take := func(n int) []float32 {
		s := ws[:n:n]
		ws = ws[n:]
		return s
	}
	var s convSlot
	if t.packed && !t.direct {
		s.col = take(p.C * p.R * p.S * cols)
	}
	if t.packed {
		tab := take(runTableLen(p, t.pixels))
		s.runs.table = unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(tab))), len(tab))
	}
	take(slotPad(t.slotUnpadded(p))) // so the next slot starts on a cache line
	if t.images > 1 && !t.dense {
		s.rowsK = take(p.K * cols)
	}
	if t.partials(p) {
		s.dw = take(p.K * p.C / p.Groups * p.R * p.S)
	}
	return s
}

// convTile is one tile: output pixels [q0, q1) of images [n0, n0+nb).
type convTile struct {
	n0, nb, q0, q1 int
	first          bool // the first tile of its group
	par            bool // its steps may be split among threads (tiles run in turn)
}

// cols returns the number of GEMM columns of the tile.
func (tl convTile) cols() int { return tl.nb * (tl.q1 - tl.q0) }

// run calls fn for every tile with the slot its group owns: tasks in order
// within each group, the bands of an image in order. With one group the
// tiles run in turn on the calling goroutine and may parallelise their
// steps; with more, the groups run in parallel and each tile runs serially.
// With bands as tasks (forward pass), threads take the bands in turn.
// The run table of the slot is filled for the tile's pixels before fn.
func (t convTiling) run(p ConvParams, ws []float32, fn func(s *convSlot, tl convTile)) {
	pix := p.OutH() * p.OutW()
	tasks, groups := t.tasks(p), t.groups(p)
	if t.bands {
		// Each thread takes the next band while any is left, in its own
		// slot: one slot per thread, so one thread reuses one column
		// buffer as the tiles run in turn would.
		per := t.bandsPerImage(p)
		var next atomic.Int64
		Parallel(min(Threads(), groups), 1, func(g, _ int) {
			s := t.slot(p, ws, g)
			for task := int(next.Add(1)) - 1; task < tasks; task = int(next.Add(1)) - 1 {
				n0, q0 := task/per*t.images, task%per*t.pixels
				tl := convTile{n0: n0, nb: min(t.images, p.N-n0), q0: q0, q1: min(q0+t.pixels, pix)}
				s.runs.build(p, tl.q0, tl.q1)
				fn(&s, tl)
			}
		})
		return
	}
	group := func(g, _ int) {
		s := t.slot(p, ws, g)
		built := -1 // q0 of the tile the run table describes
		for task := g * tasks / groups; task < (g+1)*tasks/groups; task++ {
			n0 := task * t.images
			for q0 := 0; q0 < pix; q0 += t.pixels {
				tl := convTile{n0: n0, nb: min(t.images, p.N-n0), q0: q0, q1: min(q0+t.pixels, pix), par: groups == 1}
				tl.first = task == g*tasks/groups && q0 == 0
				if t.packed && built != q0 {
					s.runs.build(p, tl.q0, tl.q1)
					built = q0
				}
				fn(&s, tl)
			}
		}
	}
	if groups == 1 {
		group(0, 1)
		return
	}
	Parallel(groups, 1, group)
}

// parallelIf calls fn over [0, n) in chunks of grain on the worker pool
// when par is set, or in one call on this goroutine.
func parallelIf(par bool, n, grain int, fn func(lo, hi int)) {
	if par {
		Parallel(n, grain, fn)
		return
	}
	fn(0, n)
}

// columns returns the GEMM operand holding a tile's columns and its leading
// dimension: the unfolded input in the slot's column buffer, or x itself for
// Pointwise.
func (t convTiling) columns(p ConvParams, x []float32, s *convSlot, tl convTile) ([]float32, int) {
	if !t.packed {
		return x[tl.n0*p.C*p.H*p.W+tl.q0:], p.H * p.W
	}
	im2col(p, x, s.col, &s.runs, tl)
	return s.col, tl.cols()
}

// outGrad returns dy for a tile as a K-row matrix and its leading dimension:
// in place for one image, gathered into rowsK for folded images.
func (t convTiling) outGrad(p ConvParams, dy, rowsK []float32, tl convTile) ([]float32, int) {
	pix := p.OutH() * p.OutW()
	if t.images == 1 {
		return dy[tl.n0*p.K*pix+tl.q0:], pix
	}
	cols := tl.cols()
	runs := runKernelsFor()
	parallelIf(tl.par, p.K, GrainFor(p.K, cols), func(lo, hi int) {
		for k := lo; k < hi; k++ {
			if pix == 1 { // a transpose: see scatterFolded
				row, src := rowsK[k*cols:][:cols], dy[tl.n0*p.K+k:]
				for i := range row {
					row[i] = src[i*p.K]
				}
				continue
			}
			copyRuns(runs, rowsK[k*cols:], dy[(tl.n0*p.K+k)*pix:], tl.nb, pix, pix, p.K*pix, 1)
		}
	})
	return rowsK, cols
}

// gemmConvForward computes y = conv(x, w) + bias with Im2col or Pointwise,
// or, when accumulate is set, adds conv(x, w) into y (bias must be nil).
// Callers pass the tiling's forward variant (convTiling.forward); any
// tiling gives the same bits.
func gemmConvForward(p ConvParams, t convTiling, x, w, bias, y, ws []float32, accumulate bool) {
	if t.dense {
		denseForward(p, x, w, bias, y, accumulate)
		return
	}
	pix := p.OutH() * p.OutW()
	cg, kg := p.C/p.Groups, p.K/p.Groups
	crs := cg * p.R * p.S
	gemm := impl.gemm
	t.run(p, ws, func(s *convSlot, tl convTile) {
		ncols := tl.cols()
		// A tile that runs on one goroutine (its steps not split among
		// threads), whose GEMM would pack the columns, unfolds them straight
		// into the packed panels instead.
		fills := gemm.fillsB(kg, ncols, crs, crs, ncols)
		if t.direct && !fills {
			panic("kernels: a tiling planned to unfold into panels on another kernel path")
		}
		direct := fills && (t.direct || unfoldIntoPanels && t.packed && (!tl.par || Threads() == 1))
		var b []float32
		var ldb int
		if !direct {
			b, ldb = t.columns(p, x, s, tl)
		}
		out, ldo, beta := y[tl.n0*p.K*pix+tl.q0:], pix, float32(1)
		switch {
		case t.images > 1:
			out, ldo, beta = s.rowsK, ncols, 0
		case accumulate:
		case bias == nil:
			beta = 0
		default: // the tile's rows of y start at the bias
			for k, bk := range bias[:p.K] {
				fill(out[k*pix:][:ncols], bk)
			}
		}
		for g := range p.Groups {
			if direct {
				u := panelUnfolder{p: p, x: x, runs: &s.runs, tl: tl, row0: g * crs, gemm: gemm}
				gemm.sgemmFillingB(kg, ncols, crs, 1, w[g*kg*crs:], crs, u.fill, beta, out[g*kg*ldo:], ldo)
				continue
			}
			Sgemm(false, false, kg, ncols, crs, 1, w[g*kg*crs:], crs, b[g*crs*ldb:], ldb, beta, out[g*kg*ldo:], ldo)
		}
		if t.images > 1 {
			scatterFolded(p, s.rowsK, bias, y, tl, accumulate)
		}
	})
}

// unfoldIntoPanels lets the forward pass unfold straight into the GEMM's
// packed panels (panelUnfolder); tests turn it off to compare.
var unfoldIntoPanels = true

// panelUnfolder fills the packed blocks of a tile's column matrix (group
// rows from row0) for gemmDriver.sgemmFillingB: a few rows at a time are
// unfolded into the scratch buffer, which stays in L1, and copied into the
// panels from there. This saves the round trip of the whole column matrix
// through L2 (unfolded, then read back by packing), about as much time as
// packing took: the panels hold the same values, so the GEMM's bits are
// those of the column matrix packed.
type panelUnfolder struct {
	p    ConvParams
	x    []float32
	runs *runTable
	tl   convTile
	row0 int
	gemm *gemmDriver
}

func (u *panelUnfolder) fill(dst, scratch []float32, pc, jc, kc, nc int) {
	ld, nr := u.tl.cols(), u.gemm.nr
	rows := max(1, len(scratch)/ld)
	for r0 := 0; r0 < kc; r0 += rows {
		r1 := min(r0+rows, kc)
		im2colRows(u.p, u.x, scratch, u.runs, u.tl, u.row0+pc+r0, u.row0+pc+r1)
		for jp := 0; jp < nc; jp += nr {
			u.gemm.copyPanel(dst[jp*kc+r0*nr:], scratch[jc+jp:], ld, r1-r0, min(nr, nc-jp), nr)
		}
	}
}

// scatterFolded writes (or, when accumulate is set, adds) the K × columns
// result of a folded tile into the images' planes of y, plus the bias. Row
// k holds each image's plane k, pix floats after pix floats, and those
// planes lie K·pix floats apart in y: runs for the run primitives, which
// move a short plane with a masked vector or two (a 2×2 plane is 16 bytes,
// and a memmove call per plane made the scatter most of the time of a 1×1
// convolution on 2×2 maps; the gather into rowsK in outGrad is the same).
func scatterFolded(p ConvParams, rowsK, bias, y []float32, tl convTile, accumulate bool) {
	pix := p.OutH() * p.OutW()
	ncols := tl.cols()
	runs := runKernelsFor()
	parallelIf(tl.par, p.K, GrainFor(p.K, ncols), func(lo, hi int) {
		for k := lo; k < hi; k++ {
			var bk float32
			if bias != nil {
				bk = bias[k]
			}
			if pix == 1 {
				scatterPixels(rowsK[k*ncols:][:ncols], y[tl.n0*p.K+k:], p.K, bias != nil, bk, accumulate)
				continue
			}
			src, dst := rowsK[k*ncols:], y[(tl.n0*p.K+k)*pix:]
			switch {
			case accumulate:
				addRuns(runs, dst, src, tl.nb, pix, p.K*pix, pix, 1)
			case bias == nil: // the GEMM's bits, as a tile that writes into y keeps them (v + 0 would turn −0 into +0)
				copyRuns(runs, dst, src, tl.nb, pix, p.K*pix, pix, 1)
			default:
				for i := range tl.nb {
					d, s := dst[i*p.K*pix:][:pix], src[i*pix:][:pix]
					for q, v := range s {
						d[q] = v + bk
					}
				}
			}
		}
	})
}

// scatterPixels is scatterFolded's row k for 1×1 outputs, a transpose:
// image i's value goes to y[i·stride] (stride K). Moved one float per copy,
// the folded tiles of 1×1 maps (a 3×3 convolution on them, say) spent
// 4–5 ns a float in memmove calls; a loop takes about 1.
func scatterPixels(row, y []float32, stride int, hasBias bool, bk float32, accumulate bool) {
	switch {
	case accumulate:
		for i, v := range row {
			y[i*stride] += v
		}
	case !hasBias:
		for i, v := range row {
			y[i*stride] = v
		}
	default:
		for i, v := range row {
			y[i*stride] = v + bk
		}
	}
}

// fill sets every element of s to v.
func fill(s []float32, v float32) {
	for i := range s {
		s[i] = v
	}
}

// denseForward computes the dense tiling's forward pass: y (N×K) = x (N×C)
// · wᵀ (+ bias), or adds x · wᵀ into y.
func denseForward(p ConvParams, x, w, bias, y []float32, accumulate bool) {
	beta := float32(0)
	if accumulate {
		beta = 1
	} else if bias != nil {
		for n := range p.N {
			copy(y[n*p.K:][:p.K], bias)
		}
		beta = 1
	}
	Sgemm(false, true, p.N, p.K, p.C, 1, x, p.C, w, p.C, beta, y, p.K)
}

// dataConv returns the convolution whose forward pass, run on dy, gives the
// input gradient of p, and whether there is one (stride 1, and padding at
// most Dil·(R−1) on each axis): dy's K channels in, C channels out, the
// filter dataFilter makes from w.
func (p ConvParams) dataConv() (ConvParams, bool) {
	ph, pw := p.DilH*(p.R-1)-p.PadH, p.DilW*(p.S-1)-p.PadW
	if p.StrideH != 1 || p.StrideW != 1 || ph < 0 || pw < 0 {
		return p, false
	}
	return ConvParams{N: p.N, C: p.K, H: p.OutH(), W: p.OutW(), K: p.C, R: p.R, S: p.S,
		StrideH: 1, StrideW: 1, PadH: ph, PadW: pw, DilH: p.DilH, DilW: p.DilW, Groups: p.Groups}, true
}

// dataByConv reports whether the Im2col input gradient of p runs as the
// forward pass of dataConv: when the batch has at least dataConvMinPixels
// output pixels per output channel of a group, so that turning the filter
// costs little next to the col2im it saves.
func (p ConvParams) dataByConv() bool {
	_, ok := p.dataConv()
	return ok && p.N*p.OutH()*p.OutW() >= dataConvMinPixels*(p.K/p.Groups)
}

// dataConvMinPixels: see dataByConv.
const dataConvMinPixels = 2

// dataFilter writes the filter of dataConv into wt (C × K/G × R × S): for
// input channel c = g·C/G + j and output channel k = g·K/G + i,
// wt[c, i, r, s] = w[k, j, R−1−r, S−1−s].
func dataFilter(p ConvParams, w, wt []float32) {
	cg, kg, taps := p.C/p.Groups, p.K/p.Groups, p.R*p.S
	Parallel(p.C, GrainFor(p.C, kg*taps), func(lo, hi int) {
		for c := lo; c < hi; c++ {
			g, j := c/cg, c%cg
			for i := range kg {
				src := w[((g*kg+i)*cg+j)*taps:][:taps]
				dst := wt[(c*kg+i)*taps:][:taps]
				for t, v := range src {
					dst[taps-1-t] = v
				}
			}
		}
	})
}

// dataConvWorkspace is the scratch of the input gradient by dataConv: the
// turned filter, then the workspace of the forward pass (by Winograd, that
// pass's workspace alone).
func dataConvWorkspace(p ConvParams) int {
	q, _ := p.dataConv()
	if dataConvAlgo(q) == Winograd {
		return p.winogradDataWorkspace()
	}
	return p.K*p.C/p.Groups*p.R*p.S + planConv(q, Im2col).workspace(q)
}

// dataConvAlgo is the algorithm of dataConv's forward pass q: Winograd
// where ChooseConvAlgo would pick it (winogradBackwardData, which needs no
// turned filter), else Im2col.
func dataConvAlgo(q ConvParams) ConvAlgo {
	if ChooseConvAlgo(q) == Winograd {
		return Winograd
	}
	return Im2col
}

// gemmConvBackwardDataByConv adds dL/dx into dx as the forward pass of
// dataConv on dy.
func gemmConvBackwardDataByConv(p ConvParams, dy, w, dx, ws []float32, accumulate bool) {
	q, _ := p.dataConv()
	if dataConvAlgo(q) == Winograd {
		winogradBackwardData(p, dy, w, dx, ws, accumulate)
		return
	}
	wt := ws[:p.K*p.C/p.Groups*p.R*p.S]
	dataFilter(p, w, wt)
	gemmConvForward(q, planConv(q, Im2col).forward(q), dy, wt, nil, dx, ws[len(wt):], accumulate)
}

// gemmConvBackwardData adds dL/dx into dx with Im2col or Pointwise, through
// col2im, or with accumulate false writes it there. Tasks write disjoint
// images of dx, and the bands of one image are folded back in order. A
// tile's first stage (the GEMM into the slot's column buffer) writes only
// its slot, so with the pipeline it may run ahead of earlier tiles' col2im
// (convTiling.stages).
func gemmConvBackwardData(p ConvParams, t convTiling, dy, w, dx, ws []float32, accumulate bool) {
	beta := float32(1)
	if !accumulate {
		beta = 0
	}
	if t.dense { // dx (N×C) += dy (N×K) · w (K×C)
		Sgemm(false, false, p.N, p.C, p.K, 1, dy, p.K, w, p.C, beta, dx, p.C)
		return
	}
	if t.packed && !accumulate { // col2im adds
		Zero(dx)
	}
	hw := p.H * p.W
	cg, kg := p.C/p.Groups, p.K/p.Groups
	crs := cg * p.R * p.S
	gemm := func(s *convSlot, tl convTile) {
		d, ldd := t.outGrad(p, dy, s.rowsK, tl)
		ncols := tl.cols()
		if !t.packed { // Pointwise: dx_n += wᵀ · dy_n straight into dx
			Sgemm(true, false, p.C, ncols, p.K, 1, w, p.C, d, ldd, beta, dx[tl.n0*p.C*hw+tl.q0:], hw)
			return
		}
		for g := range p.Groups {
			Sgemm(true, false, crs, ncols, kg, 1, w[g*kg*crs:], crs, d[g*kg*ldd:], ldd, 0, s.col[g*crs*ncols:], ncols)
		}
	}
	t.stages(p, ws, gemm, func(s *convSlot, tl convTile) {
		if t.packed {
			col2im(p, s.col, dx, &s.runs, tl)
		}
	})
}

// gemmConvBackwardFilter adds dL/dw into dw with Im2col or Pointwise. The
// tiles add their share in a fixed order (with groups in parallel: each
// group into its partial, then the partials in group order; by slices of
// dw, each slice in the order of the tiles), so the sum does not depend on
// threads.
func gemmConvBackwardFilter(p ConvParams, t convTiling, x, dy, dw, ws []float32) {
	if t.dense { // dw (K×C) += dyᵀ (K×N) · x (N×C)
		Sgemm(true, false, p.K, p.C, p.N, 1, dy, p.K, x, p.C, 1, dw, p.C)
		return
	}
	if t.filterBySlices(p, x, dy, dw, ws) {
		return
	}
	t = t.inTurn() // no pipeline for the weight gradient (see conv_pipeline.go)
	cg, kg := p.C/p.Groups, p.K/p.Groups
	crs := cg * p.R * p.S
	t.run(p, ws, func(s *convSlot, tl convTile) {
		b, ldb := t.columns(p, x, s, tl)
		d, ldd := t.outGrad(p, dy, s.rowsK, tl)
		ncols := tl.cols()
		acc, beta := dw, float32(1)
		if s.dw != nil {
			acc = s.dw
			if tl.first {
				beta = 0
			}
		}
		for g := range p.Groups {
			Sgemm(false, true, kg, crs, ncols, 1, d[g*kg*ldd:], ldd, b[g*crs*ldb:], ldb, beta, acc[g*kg*crs:], crs)
		}
	})
	if groups := t.groups(p); groups > 1 {
		n := p.K * crs
		sf := t.slotFloats(p)
		off := sf - n // each slot ends with its partial
		runs := runKernelsFor()
		Parallel(n, GrainFor(n, groups), func(lo, hi int) {
			for g := range groups {
				addRuns(runs, dw[lo:hi], ws[g*sf+off:][lo:hi], 1, hi-lo, 0, 0, 1)
			}
		})
	}
}

// A runTable says, for every kernel tap t = r·S + s, how a tile's output
// pixels [q0, q1) read the input plane through that tap, as copies and
// zeros, each repeated count times down the output rows:
//
//	copy (d, src, n, count)   for j < count, pixels q0 + d + j·OW + [0, n)
//	                          read the input at src + j·StrideH·W + [0, n)·StrideW
//	zero (d, n, count, step)  for j < count, pixels q0 + d + j·step + [0, n)
//	                          read padding
//
// Unfolding does the copies, then the zeros. The pixels of one output row
// that read real input form one run (validRange). With stride 1, the runs
// of consecutive output rows are merged into one copy whenever the input is
// as far from the column in both, as in every "same" convolution (OW = W):
// the merged copy also fills the gaps between the runs with neighbouring
// pixels, which the zeros then overwrite. So a 3×3 tap of a padded stride-1
// convolution is one copy of nearly the whole plane and one zero repeated
// down the rows, not a copy and a zero per row. Otherwise runs of equal
// length on consecutive rows form one repeated copy (a stride-2 tap is one
// entry), and so do gaps of equal length at equal distances. Folding back
// (col2im) zeroes the gaps of the column buffer first when a copy spans
// them, then adds the copies.
//
// Tap t's header at table[table[t]] holds the number of copies, the number
// of zeros, and 1 if some copy spans a gap (else 0); the copies follow,
// then the zeros, four int32s each. The R·S offsets come first, and for
// tiny planes the taps' permutations last (see "Tiny planes" below);
// everything lies in a slot of the workspace.
type runTable struct {
	table  []int32
	stride int // StrideW: the step between the input pixels of a copy
	ow     int // OW: the step between the rows of a copy in the column matrix
	srcRow int // StrideH·W: the step between the rows of a copy in the input
}

// runTableLen returns the int32s a run table takes for tiles of the given
// number of pixels per image: each tap has at most one copy and two gaps
// per output row that the tile touches, and one more gap.
func runTableLen(p ConvParams, pixels int) int {
	rows := min(p.OutH(), (pixels-1)/p.OutW()+2)
	n := p.R * p.S * (1 + 3 + 4*rows + 4*(2*rows+1))
	if p.tinyPlanes() {
		n += p.R * p.S * permTap
	}
	return n
}

// build fills the table for output pixels [q0, q1).
func (rt *runTable) build(p ConvParams, q0, q1 int) {
	rt.stride, rt.ow, rt.srcRow = p.StrideW, p.OutW(), p.StrideH*p.W
	k := p.R * p.S
	for r := range p.R {
		for s := range p.S {
			rt.table[r*p.S+s] = int32(k)
			hdr := k
			k += 3
			spans := int32(0)
			// The copies: the run of each output row, merged into the
			// previous copy when it continues it in the column and the
			// input or (stride 1) reads the input at the same distance, or
			// else repeating it one row down.
			first := k
			p.eachRun(r, s, q0, q1, func(d, src, n int) {
				if k > first {
					e := rt.table[k-4 : k]
					pd, psrc, pn, pc := int(e[0]), int(e[1]), int(e[2]), int(e[3])
					switch {
					case pc == 1 && d == pd+pn && src == psrc+pn*p.StrideW:
						e[2] = int32(pn + n)
						return
					case pc == 1 && p.StrideW == 1 && src-d == psrc-pd:
						e[2] = int32(d + n - pd)
						spans = 1
						return
					case n == pn && d == pd+pc*rt.ow && src == psrc+pc*rt.srcRow:
						e[3]++
						return
					}
				}
				rt.table[k], rt.table[k+1], rt.table[k+2], rt.table[k+3] = int32(d), int32(src), int32(n), 1
				k += 4
			})
			nc := (k - first) / 4
			// The zeros: the gaps between the runs, a gap repeating the
			// previous one when it has the same length and lies as far on.
			first = k
			pos := 0
			gap := func(end int) {
				n := end - pos
				if n <= 0 {
					return
				}
				if k > first {
					e := rt.table[k-4 : k]
					zd, zn, zc, step := int(e[0]), int(e[1]), int(e[2]), int(e[3])
					if n == zn && (zc == 1 || pos == zd+zc*step) {
						e[2]++
						e[3] = int32((pos - zd) / zc)
						return
					}
				}
				rt.table[k], rt.table[k+1], rt.table[k+2], rt.table[k+3] = int32(pos), int32(n), 1, 0
				k += 4
			}
			p.eachRun(r, s, q0, q1, func(d, _, n int) {
				gap(d)
				pos = d + n
			})
			gap(q1 - q0)
			rt.table[hdr], rt.table[hdr+1], rt.table[hdr+2] = int32(nc), int32((k-first)/4), spans
		}
	}
	if p.tinyPlanes() {
		rt.buildPerm(p, q0, q1)
	}
}

// Tiny planes. When a convolution's input and output planes each fit in
// one vector (tinyPlanes: the late layers of a 32×32 input, 4×4 maps and
// smaller), the runs of a tap are a float or two per output row, and their
// entries cost more than the copies: a 3×3 convolution on 2×2 maps spent as
// long unfolding as in its GEMM. Where the path's permutation takes such
// planes (AVX-512; AVX2 for planes of at most 8 floats: elsewhere the runs
// are faster than a permutation in Go), a tile is unfolded instead by
// permuting each image's whole plane, once per tap (permuteRows; the
// unfolding 1.4–2.7× faster, the passes that unfold 1.12–1.36× on 4×4 to
// 2×2 maps at batch 64, the same on 1×1 maps; BenchmarkConvSmallMaps): the
// table then also holds, for every tap, which input pixel each output pixel
// of the tile reads, or −1 for padding (permTap int32s: the tinyPlane
// indices and the mask of those that are not −1), in its last R·S·permTap
// entries. col2im keeps the runs.

// tinyPlane is the most floats of an input or output plane that im2col
// unfolds by permutation: one 512-bit vector.
const tinyPlane = 16

// permTap is the int32s of one tap's permutation: an index per lane, then
// the mask of the lanes with an index.
const permTap = tinyPlane + 1

// tinyPlanes reports whether p's planes are tiny: the run table then holds
// their permutations, which im2colRows uses where the path's permutation
// takes the planes (runKernels.permutes). It does not depend on the path,
// so that the workspace a convolution needs does not either.
func (p ConvParams) tinyPlanes() bool {
	return p.H*p.W <= tinyPlane && p.OutH()*p.OutW() <= tinyPlane
}

// buildPerm fills the permutation of every tap for output pixels [q0, q1).
func (rt *runTable) buildPerm(p ConvParams, q0, q1 int) {
	for t := range p.R * p.S {
		tap := rt.perm(p, t)
		var valid int32
		for q := range tinyPlane {
			tap[q] = -1
		}
		for q := range q1 - q0 {
			if src, in := p.tapSource(t, q0+q); in {
				tap[q] = int32(src)
				valid |= 1 << q
			}
		}
		tap[tinyPlane] = valid
	}
}

// perm returns tap t's permutation (tiny planes only).
func (rt *runTable) perm(p ConvParams, t int) []int32 {
	rs := p.R * p.S
	return rt.table[len(rt.table)-(rs-t)*permTap:][:permTap]
}

// eachRun calls fn(d, src, n) for each output row of pixels [q0, q1) in
// turn whose pixels read real input through tap (r, s): pixels q0+d, …,
// q0+d+n−1 read the input plane at src, src + StrideW, ….
func (p ConvParams) eachRun(r, s, q0, q1 int, fn func(d, src, n int)) {
	ow := p.OutW()
	offH, offW := r*p.DilH-p.PadH, s*p.DilW-p.PadW
	lo, hi := validRange(offW, p.StrideW, p.W, ow)
	for q := q0; q < q1; {
		oh, o0 := q/ow, q%ow
		o1 := min(ow, o0+q1-q)
		ih := oh*p.StrideH + offH
		if a, b := max(lo, o0), min(hi, o1); ih >= 0 && ih < p.H && a < b {
			fn(q+a-o0-q0, ih*p.W+a*p.StrideW+offW, b-a)
		}
		q += o1 - o0
	}
}

// tap returns the copies and zeros of tap t, and whether some copy spans a
// gap.
func (rt *runTable) tap(t int) (copies, zeros []int32, spansGaps bool) {
	at := rt.table[t]
	nc, nz := rt.table[at], rt.table[at+1]
	copies = rt.table[at+3:][:4*nc]
	zeros = rt.table[at+3+4*nc:][:4*nz]
	return copies, zeros, rt.table[at+2] != 0
}

// A tile's segment of a column-matrix row repeats in each of its nb images,
// span floats apart, and the images' planes of one channel lie C·H·W floats
// apart in x (and dx); a copy or zero entry repeats count times on top of
// that. copyEntry, zeroEntry and addEntry hand one entry to the run
// primitives, with the larger of the two repetitions as their rows.

// copyEntry does copy (d, at, n, count) of every image: dst is the row at
// d, src the first image's plane at at.
func (rt *runTable) copyEntry(k *runKernels, dst, src []float32, n, count, nb, span, chw int) {
	if count <= nb {
		for j := range count {
			copyRuns(k, dst[j*rt.ow:], src[j*rt.srcRow:], nb, n, span, chw, rt.stride)
		}
		return
	}
	for i := range nb {
		copyRuns(k, dst[i*span:], src[i*chw:], count, n, rt.ow, rt.srcRow, rt.stride)
	}
}

// zeroTap does a tap's zero entries in every image of a tile's row dst.
// Where the images are small (a span of at most 64 pixels) and several, it
// gathers the entries into one mask of the span's padded pixels and clears
// those pixels image by image, instead of a run-primitive call per entry
// and image (3×3 taps on 8×8 maps: a zero entry is a pixel per output row).
func zeroTap(k *runKernels, dst []float32, zeros []int32, nb, span int) {
	if len(zeros) == 0 {
		return
	}
	if nb > 1 && span <= 64 {
		var mask uint64
		for e := 0; e+3 < len(zeros); e += 4 {
			d, n, count, step := int(zeros[e]), int(zeros[e+1]), int(zeros[e+2]), int(zeros[e+3])
			run := uint64(1)<<n - 1
			for j := range count {
				mask |= run << (d + j*step)
			}
		}
		for i := range nb {
			row := dst[i*span:][:span]
			for m := mask; m != 0; m &= m - 1 {
				row[bits.TrailingZeros64(m)] = 0
			}
		}
		return
	}
	for e := 0; e+3 < len(zeros); e += 4 {
		d, n, count, step := int(zeros[e]), int(zeros[e+1]), int(zeros[e+2]), int(zeros[e+3])
		zeroEntry(k, dst[d:], n, count, step, nb, span)
	}
}

// zeroEntry does zero (d, n, count, step) of every image: dst is the row
// at d.
func zeroEntry(k *runKernels, dst []float32, n, count, step, nb, span int) {
	if count <= nb {
		for j := range count {
			zeroRuns(k, dst[j*step:], nb, n, span)
		}
		return
	}
	for i := range nb {
		zeroRuns(k, dst[i*span:], count, n, step)
	}
}

// addEntry adds back copy (d, at, n, count) of every image: dst is the
// first image's plane of dx at at, src the row at d.
func (rt *runTable) addEntry(k *runKernels, dst, src []float32, n, count, nb, span, chw int) {
	if count <= nb {
		for j := range count {
			addRuns(k, dst[j*rt.srcRow:], src[j*rt.ow:], nb, n, chw, span, rt.stride)
		}
		return
	}
	for i := range nb {
		addRuns(k, dst[i*chw:], src[i*span:], count, n, rt.srcRow, rt.ow, rt.stride)
	}
}

// im2col unfolds a tile into col, a C·R·S × nb·(q1−q0) matrix whose columns
// hold image n0 first, then n0+1, …: each row (channel, tap) gets the
// copies of its tap from the channel's plane of every image, then the
// zeros.
func im2col(p ConvParams, x, col []float32, rt *runTable, tl convTile) {
	rows, ld := p.C*p.R*p.S, tl.cols()
	parallelIf(tl.par, rows, GrainFor(rows, ld), func(lo, hi int) {
		im2colRows(p, x, col[lo*ld:], rt, tl, lo, hi)
	})
}

// im2colRows unfolds rows [lo, hi) of a tile's column matrix into col,
// which starts at row lo.
func im2colRows(p ConvParams, x, col []float32, rt *runTable, tl convTile, lo, hi int) {
	rs := p.R * p.S
	chw, hw := p.C*p.H*p.W, p.H*p.W
	span := tl.q1 - tl.q0
	ld := tl.nb * span
	k := runKernelsFor()
	if p.tinyPlanes() && k.permutes(hw, span) {
		for row := lo; row < hi; row++ {
			dst, tap := col[(row-lo)*ld:][:ld], rt.perm(p, row%rs)
			if tap[tinyPlane] == 0 { // the tap reads only padding
				clear(dst)
				continue
			}
			permuteRows(k, dst, x[tl.n0*chw+row/rs*hw:], tap, tl.nb, span, hw, span, chw)
		}
		return
	}
	for row := lo; row < hi; row++ {
		dst := col[(row-lo)*ld:][:ld]
		copies, zeros, spansGaps := rt.tap(row % rs)
		if tl.nb > 1 && !spansGaps && len(zeros) > 0 {
			// Small images: clearing the whole row first costs less
			// than clearing each gap image by image.
			clear(dst)
			zeros = nil
		}
		src := x[tl.n0*chw+row/rs*hw:]
		for e := 0; e+3 < len(copies); e += 4 {
			d, at, n, count := int(copies[e]), int(copies[e+1]), int(copies[e+2]), int(copies[e+3])
			rt.copyEntry(k, dst[d:], src[at:], n, count, tl.nb, span, chw)
		}
		zeroTap(k, dst, zeros, tl.nb, span)
	}
}

// col2im adds the columns of col (laid out as im2col writes them) back onto
// the input pixels they came from, in dx: for each tap, the copies are
// added back; where a copy spans gaps, the tap's zeros are first cleared in
// col, so the gaps add nothing. Each channel's planes are summed by one
// goroutine, taps in order, so the result is deterministic.
func col2im(p ConvParams, col, dx []float32, rt *runTable, tl convTile) {
	chw, hw, rs := p.C*p.H*p.W, p.H*p.W, p.R*p.S
	span := tl.q1 - tl.q0
	ld := tl.nb * span
	k := runKernelsFor()
	parallelIf(tl.par, p.C, GrainFor(p.C, rs*ld), func(lo, hi int) {
		for c := lo; c < hi; c++ {
			dst := dx[tl.n0*chw+c*hw:]
			for t := range rs {
				src := col[(c*rs+t)*ld:][:ld]
				copies, zeros, spansGaps := rt.tap(t)
				if spansGaps {
					zeroTap(k, src, zeros, tl.nb, span)
				}
				for e := 0; e+3 < len(copies); e += 4 {
					d, at, n, count := int(copies[e]), int(copies[e+1]), int(copies[e+2]), int(copies[e+3])
					rt.addEntry(k, dst[at:], src[d:], n, count, tl.nb, span, chw)
				}
			}
		}
	})
}
