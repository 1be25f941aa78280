package kernels

import (
	"runtime"
	"sync/atomic"
	"unsafe"
)

// The backward passes of a large image, with its bands in order.
//
// When a convolution's tiles run in turn (their GEMMs are large, see
// planConv) and an image is cut into several bands, the tiles in turn
// split each step of a band (unfold, GEMM, col2im) among the threads,
// with a fork and a join per step. The forward pass runs its bands as
// tasks instead (convTiling.forward), but the backward passes add every
// band into the same memory, so a band's adds must come after the
// previous band's, or the sums change their bits. convTiling.backward
// chooses, from measurements (BenchmarkConvBackwardBands), one of two
// ways to run the steps serially, one thread each, in that order:
//
//   - the input gradient of an image with few input channels runs as a
//     two-stage pipeline (below);
//   - the weight gradient of a wide dw cuts it into slices of columns,
//     each a task that runs through all the bands in order (further down).
//
// Otherwise the tiles stay in turn.
//
// The pipeline. Each tile of the input gradient has two steps:
//
//	1. dcol_band = Wᵀ · dY_band, into the column buffer of the tile's slot
//	2. col2im: add dcol_band back onto dx
//
// Step 1 writes only the tile's own slot, so the steps 1 of several tiles
// may run at once and ahead of the steps 2 of earlier tiles. Step 2 adds
// into rows of dx that the neighbouring bands add into as well, so the
// steps 2 run one at a time, in the order of the tiles. Each step is the
// very call the tiles in turn make (same arguments, same tile), so every
// sum happens in the same order and the result has the same bits. The
// tiles take the slots of the workspace in rotation (tile i uses slot i
// mod slots), and tile i's step 1 starts only once tile i − slots has done
// its step 2, which frees that slot. Every thread runs the same loop: do
// the next step 2 if its step 1 is done and no one else runs a step 2,
// else start the next step 1 if its slot is free, else wait a moment. The
// thread that does step 2 is therefore not fixed, and one thread alone
// (Parallel running the chunks one after the other, when no worker is
// free) does every step in order, so the pipeline never waits on a thread
// that is not running.
//
// Measured on the two cores of a Xeon with AVX-512 (best wall times of
// eight rounds, two threads against one thread in turn), the pipeline wins
// where col2im splits badly: the tiles in turn share col2im out by input
// channel, 2:1 with three channels, and the 7×7 stem's input gradient ran
// 1.72× with the pipeline against 1.41× in turn. With many channels the
// split is even and the pipeline, which also moves each column buffer from
// the core that computed it to the core that folds it back, gains nothing
// (3×3 stride 2 on 128 channels: 1.65× both ways); with two bands it can
// overlap only one pair of steps (3×3 stride 2 on 3 channels: 1.08×
// against 1.45×). The same pipeline for the weight gradient (step 1
// unfolds, step 2 adds dY · colᵀ into dw; tried, then removed) lost to the
// tiles in turn on every shape measured (0.85–1.11× against 1.04–1.56×):
// its GEMM is most of the work, the unfolding too short to hide much.

const (
	// pipelineMaxChannels: the input gradient runs as the pipeline when
	// the image has fewer input channels than this (col2im would be
	// shared unevenly) and at least pipelineMinBands bands.
	pipelineMaxChannels = 8
	pipelineMinBands    = 3
)

// backward returns the tiling of the backward passes: t, or, when t runs
// the several bands of each image in turn, t with the input gradient as a
// pipeline and the weight gradient by slices of dw where those win (see
// above). Tiles in parallel groups and folded images are left as they are.
func (t convTiling) backward(p ConvParams) convTiling {
	if !t.packed || t.images > 1 || t.groups(p) > 1 || t.bandsPerImage(p) < 2 {
		return t
	}
	t.slices = t.sliceCount(p)
	if p.C < pipelineMaxChannels && t.bandsPerImage(p) >= pipelineMinBands {
		t = t.pipelined(p)
	}
	return t
}

// pipelined returns t with its tiles run as the pipeline.
func (t convTiling) pipelined(p ConvParams) convTiling {
	t.pipe = true
	t.slots = min(t.tasks(p), convSlots)
	return t
}

// inTurn returns t with its tiles in turn: without the pipeline or slices
// of dw.
func (t convTiling) inTurn() convTiling {
	if t.pipe {
		t.pipe, t.slots = false, 1
	}
	t.slices = 0
	return t
}

// stages runs the two steps of every tile: step1 then step2 for each tile,
// the tiles in turn (see run), or, with the pipeline and at least two
// threads, as the pipeline above.
func (t convTiling) stages(p ConvParams, ws []float32, step1, step2 func(s *convSlot, tl convTile)) {
	if !t.pipe || Threads() < 2 {
		t.inTurn().run(p, ws, func(s *convSlot, tl convTile) {
			step1(s, tl)
			step2(s, tl)
		})
		return
	}
	pix, per := p.OutH()*p.OutW(), t.bandsPerImage(p)
	n := t.tasks(p)
	slots := min(t.groups(p), Threads()+1) // enough for each thread to run ahead
	var ss [convSlots]convSlot
	for i := range slots {
		ss[i] = t.slot(p, ws, i)
	}
	tile := func(i int) convTile {
		q0 := i % per * t.pixels
		return convTile{n0: i / per, nb: 1, q0: q0, q1: min(q0+t.pixels, pix)}
	}
	var (
		started  atomic.Int64            // tiles whose step 1 has begun
		finished atomic.Int64            // tiles whose step 2 is done
		busy     atomic.Bool             // a thread is running a step 2
		ready    [convSlots]atomic.Int64 // i+1 once tile i's step 1 is done in slot i mod slots
	)
	Parallel(min(Threads(), n), 1, func(_, _ int) {
		for {
			f := int(finished.Load())
			if f == n {
				return
			}
			if ready[f%slots].Load() == int64(f+1) && busy.CompareAndSwap(false, true) {
				// Another thread may have done step 2 of tile f between
				// the loads and the swap: look again, now that no other
				// thread can.
				if f = int(finished.Load()); f < n && ready[f%slots].Load() == int64(f+1) {
					step2(&ss[f%slots], tile(f))
					finished.Store(int64(f + 1))
				}
				busy.Store(false)
				continue
			}
			if i := int(started.Load()); i < n && i < f+slots && started.CompareAndSwap(int64(i), int64(i+1)) {
				s, tl := &ss[i%slots], tile(i)
				s.runs.build(p, tl.q0, tl.q1)
				step1(s, tl)
				ready[i%slots].Store(int64(i + 1))
				continue
			}
			// The other threads are running the steps this one waits for.
			runtime.Gosched()
			osYield()
		}
	})
}

// The weight gradient by slices of dw.
//
// Column j of dw_g (an input channel and a kernel tap) sums only row j of
// each band's column matrix,
//
//	dw_g[:, j0:j1] += dY_g,band · col_g,band[j0:j1, :]ᵀ
//
// so a slice of columns [j0, j1) of dw_g is a weight gradient of its own,
// which needs only rows [j0, j1) of the columns unfolded. Each slice is a
// task: unfold its rows of band 1 and add them into its columns of dw,
// then band 2, and so on, serially. The slices share out the unfolding and
// the GEMMs, write disjoint columns of dw, and need no synchronisation but
// the one join at the end. Sgemm computes every element of C by the same
// operations whatever the shape it is part of (an in-order chain over k
// within k blocks that depend on k alone, see sgemm.go), so a slice's GEMM
// gives the bits that the whole GEMM gives for those columns, provided
// both take the blocked algorithm (slicesLikeWhole). The slices write
// their rows into one column buffer (rows j0..j1, each a band wide), and
// every thread has a run table of its own, after it.
//
// Measured as above, 8 slices beat the tiles in turn a little on the 3×3
// layers of 64 and 128 channels (1.58–1.62× against 1.47–1.54×), but a
// narrow dw lost: the 7×7 stem's 147 columns are five of the widest
// micro-kernel's tiles, which two slices share 2:3 (1.26× against 1.32×),
// and cutting its rows (output channels) as well, which unfolds each
// slice once per row block, lost more (1.02×; tried, then removed). So
// dw is sliced when it makes at least minSlices slices, and the tiles
// stay in turn otherwise.

const (
	// sliceAlign: slices start at multiples of this many columns of dw,
	// the width of the widest micro-kernel tile (AVX-512, 32 columns; the
	// others divide it), so that cutting dw adds no ragged tiles.
	sliceAlign = 32
	// minSliceTiles is the fewest sliceAlign-wide tiles per slice; dw is
	// sliced into at least minSlices and at most maxSlices slices.
	minSliceTiles = 2
	minSlices     = 4
	maxSlices     = 8
)

// sliceCount returns how many slices each group's columns of dw are cut
// into for the weight gradient with t's bands, or 0 when dw is not sliced
// (fewer than minSlices slices in all, or see slicesLikeWhole).
func (t convTiling) sliceCount(p ConvParams) int {
	crs := p.C / p.Groups * p.R * p.S
	per := max(1, min(maxSlices, crs/sliceAlign/minSliceTiles))
	if p.Groups*per < minSlices || !t.slicesLikeWhole(p, per) {
		return 0
	}
	return per
}

// slicesLikeWhole reports whether the GEMM of every slice, cutting each
// group's dw into per slices, takes the algorithm the whole GEMM takes, for
// full bands and for the short last one: the generic path hands small
// products to sgemmGo (sgemm.go), which sums in another order.
func (t convTiling) slicesLikeWhole(p ConvParams, per int) bool {
	kg, crs := p.K/p.Groups, p.C/p.Groups*p.R*p.S
	g := genericMicroKernel
	blocked := func(n, k int) bool { return kg*n*k > tinyGemmWork && kg >= g.mr && n >= g.nr }
	last := p.OutH()*p.OutW() - (t.bandsPerImage(p)-1)*t.pixels
	for j := range per {
		j0, j1 := slice(crs, per, j)
		for _, k := range []int{t.pixels, last} {
			if j1 <= j0 || blocked(j1-j0, k) != blocked(crs, k) {
				return false
			}
		}
	}
	return true
}

// slice returns columns [j0, j1) of dw_g that slice j of per covers:
// whole sliceAlign-wide tiles, shared out evenly, the last slice taking
// the ragged end.
func slice(crs, per, j int) (j0, j1 int) {
	tiles := (crs + sliceAlign - 1) / sliceAlign
	return min(crs, j*tiles/per*sliceAlign), min(crs, (j+1)*tiles/per*sliceAlign)
}

// slicesWorkspace returns the scratch floats of the weight gradient by
// slices: one column buffer and a run table per thread.
func (t convTiling) slicesWorkspace(p ConvParams) int {
	if t.slices == 0 {
		return 0
	}
	return p.C*p.R*p.S*t.pixels + min(p.Groups*t.slices, convSlots)*runTableLen(p, t.pixels)
}

// filterBySlices adds dL/dw into dw slice by slice (see above) and reports
// true, or reports false and does nothing when t does not slice dw or
// there is one thread.
func (t convTiling) filterBySlices(p ConvParams, x, dy, dw, ws []float32) bool {
	per := t.slices
	if per == 0 || Threads() < 2 {
		return false
	}
	pix, bands := p.OutH()*p.OutW(), t.bandsPerImage(p)
	kg, crs := p.K/p.Groups, p.C/p.Groups*p.R*p.S
	col := ws[:p.C*p.R*p.S*t.pixels]
	tabLen := runTableLen(p, t.pixels)
	slices, tiles := p.Groups*per, p.N*bands
	var next atomic.Int64
	Parallel(min(Threads(), slices, convSlots), 1, func(th, _ int) {
		tab := ws[len(col)+th*tabLen:][:tabLen]
		rt := runTable{table: unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(tab))), tabLen)}
		for sl := int(next.Add(1)) - 1; sl < slices; sl = int(next.Add(1)) - 1 {
			g, j := sl/per, sl%per
			j0, j1 := slice(crs, per, j)
			r0 := g*crs + j0 // the slice's first row of the column matrix
			buf := col[r0*t.pixels:][:(j1-j0)*t.pixels]
			for i := range tiles {
				q0 := i % bands * t.pixels
				tl := convTile{n0: i / bands, nb: 1, q0: q0, q1: min(q0+t.pixels, pix)}
				ncols := tl.cols()
				rt.build(p, tl.q0, tl.q1)
				im2colRows(p, x, buf, &rt, tl, r0, r0+j1-j0)
				d := dy[(tl.n0*p.K+g*kg)*pix+tl.q0:]
				Sgemm(false, true, kg, j1-j0, ncols, 1, d, pix, buf, ncols, 1, dw[g*kg*crs+j0:], crs)
			}
		}
	})
	return true
}
