package kernels

import "sync"

// The inner kernels of batch norm, and how a group of channels is cut into
// calls of them.
//
// Seen from memory, an NCHW tensor is n rows (images) of c·hw values; channel
// ch owns the columns [ch·hw, (ch+1)·hw) of every row. Batch norm needs, per
// channel, sums down its columns and then an update of every value with
// per-channel coefficients. Both become loops over a block of rows × columns
// of this matrix, with one coefficient (or one running sum) per column:
//
//	bnColSums  s1[e] += Σ_r d, s2[e] += Σ_r d²  with d = x[r][e] − k[e]   (forward statistics)
//	bnColDots  s1[e] += Σ_r dy, s2[e] += Σ_r dy·(x − k[e])                (backward sums)
//	bnNormRows y[r][e] = (x[r][e] − mu[e])·s[e] + t[e]                     (normalise)
//	bnDxRows   dx[r][e] += a[e]·((dy − md[e]) − (x − mu[e])·p[e])           (input gradient; or =)
//
// The same kernels serve small maps, where one block holds several whole
// channels side by side (at 1×1 a row of 256 channels is one vector loop,
// not 256 loops of one value), and large maps, where a channel's columns are
// cut into tiles of bnTile. The SIMD versions (batchnorm_amd64.s) go along
// each row in vector strips, reading the column sums from and writing them
// back to arrays that stay in L1, so each sum adds its rows in row order,
// exactly as the Go loops below do, with the same roundings (the explicit
// conversions forbid fused multiply-adds): every dispatch path gives the
// same bits, unless denormals are involved (the SIMD versions flush them).

// bnTile is the most columns one kernel call covers: its float64 column sums
// and its coefficients (a few KiB) stay in L1, and the 64-image block of a
// tile (64 KiB) stays in L2 between a statistics pass and the pass that
// normalises it.
const bnTile = 256

// bnScratch is the per-column scratch of the batch-norm loops: shifts,
// sums and coefficients for one tile. Taken from a pool, not declared as
// arrays on the stack: those are zeroed at every call (8–17 KiB), which on
// small maps, where a call covers little work, cost up to a fifth of a
// batch norm. The loops write every entry they read.
type bnScratch struct {
	f64 [3][bnTile]float64
	f32 [4][bnTile]float32
}

var bnScratches = sync.Pool{New: func() any { return new(bnScratch) }}

func getBNScratch() *bnScratch { return bnScratches.Get().(*bnScratch) }

// bnGroup is how many channels share one block: as many whole channels as
// fit in a tile, at least one.
func bnGroup(hw int) int { return max(1, bnTile/max(hw, 1)) }

// bnColSumsGo adds, for every column e < len(k) of the rows×len(k) block of
// x whose rows start stride values apart, the shifted sums
// s1[e] += Σ_r (x[r][e] − k[e]) and s2[e] += Σ_r (x[r][e] − k[e])², in float64.
func bnColSumsGo(x []float32, stride, rows int, k, s1, s2 []float64) {
	for r := range rows {
		for e, v := range x[r*stride : r*stride+len(k)] {
			d := float64(v) - k[e]
			s1[e] += d
			s2[e] += float64(d * d)
		}
	}
}

// bnColDotsGo adds, for every column e < len(k) of the block, in float64,
// s1[e] += Σ_r dy[r][e] and s2[e] += Σ_r dy[r][e]·(x[r][e] − k[e]).
func bnColDotsGo(dy, x []float32, stride, rows int, k, s1, s2 []float64) {
	for r := range rows {
		g := dy[r*stride : r*stride+len(k)]
		for e, v := range x[r*stride : r*stride+len(k)] {
			s1[e] += float64(g[e])
			s2[e] += float64(float64(g[e]) * (float64(v) - k[e]))
		}
	}
}

// bnNormRowsGo writes y[r][e] = (x[r][e] − mu[e])·s[e] + t[e] for every
// column e < len(mu) of the block.
func bnNormRowsGo(x, y []float32, stride, rows int, mu, s, t []float32) {
	for r := range rows {
		dst := y[r*stride : r*stride+len(mu)]
		for e, v := range x[r*stride : r*stride+len(mu)] {
			dst[e] = float32((v-mu[e])*s[e]) + t[e]
		}
	}
}

// bnDxRowsGo adds a[e]·((dy − md[e]) − (x − mu[e])·p[e]) into dx, or with
// add false writes it there, for every column e < len(mu) of the block.
func bnDxRowsGo(dy, x, dx []float32, stride, rows int, mu, md, p, a []float32, add bool) {
	for r := range rows {
		g, d := dy[r*stride:r*stride+len(mu)], dx[r*stride:r*stride+len(mu)]
		for e, v := range x[r*stride : r*stride+len(mu)] {
			t := float32(a[e] * ((g[e] - md[e]) - float32((v-mu[e])*p[e])))
			if add {
				t += d[e]
			}
			d[e] = t
		}
	}
}

// bnSpread sets dst[j] to vals[ch−g0] for the channel ch that owns column
// e0+j of a row (channels of hw columns each).
func bnSpread[T float32 | float64](dst, vals []T, e0, hw, g0 int) {
	for j, ch := 0, e0/hw; j < len(dst); ch++ {
		run := dst[j:min(len(dst), (ch+1)*hw-e0)]
		v := vals[ch-g0]
		for i := range run {
			run[i] = v
		}
		j += len(run)
	}
}

// bnGroupSums adds two sums over images r0..r1−1 of each channel ch of
// g0..g1−1 (at most bnGroup(hw) channels) into a[ch−g0] and b[ch−g0]:
//
//	dy == nil:  a += Σ (x − k),  b += Σ (x − k)²    (k = center[ch−g0])
//	dy != nil:  a += Σ dy,       b += Σ dy·(x − k)
//
// The column sums of each tile are added in column order, so a channel's
// result does not depend on how its columns were tiled.
func bnGroupSums(x, dy []float32, c, hw, r0, r1, g0, g1 int, center, a, b []float64) {
	sc := getBNScratch()
	defer bnScratches.Put(sc)
	k, s1, s2 := &sc.f64[0], &sc.f64[1], &sc.f64[2]
	stride, first, last := c*hw, g0*hw, g1*hw
	// All the tiles of a group share their centres: a group of several
	// channels is one tile, and the tiles of a large channel have one centre.
	bnSpread(k[:min(last-first, bnTile)], center, first, hw, g0)
	for e0 := first; e0 < last; e0 += bnTile {
		cols := min(bnTile, last-e0)
		clear(s1[:cols])
		clear(s2[:cols])
		off := r0*stride + e0
		if dy == nil {
			bnColSums(x[off:], stride, r1-r0, k[:cols], s1[:cols], s2[:cols])
		} else {
			bnColDots(dy[off:], x[off:], stride, r1-r0, k[:cols], s1[:cols], s2[:cols])
		}
		for j, ch := 0, e0/hw; j < cols; ch++ {
			for end := min(cols, (ch+1)*hw-e0); j < end; j++ {
				a[ch-g0] += s1[j]
				b[ch-g0] += s2[j]
			}
		}
	}
}

// bnQuad is how many channels bnChannelSums sums side by side.
const bnQuad = 4

// bnChannelSums is bnGroupSums for each of the channels g0..g1−1 (at most
// bnQuad, each of more than half a tile, so each its own group) done side
// by side: the tiles at the same offset in every channel are summed, then
// added into their channels' sums in column order. Every channel gets the
// additions bnGroupSums makes for it alone, in the same order, so the same
// bits; but with one image the additions into a channel's two sums are a
// chain of hw dependent float64 adds each, and four channels' chains now
// overlap instead of running one after the other.
func bnChannelSums(x, dy []float32, c, hw, r0, r1, g0, g1 int, center, a, b []float64) {
	q := g1 - g0
	if q < bnQuad {
		for i := range q {
			bnGroupSums(x, dy, c, hw, r0, r1, g0+i, g0+i+1, center[i:i+1], a[i:i+1], b[i:i+1])
		}
		return
	}
	var k, s1, s2 [bnQuad][bnTile]float64
	for i := range bnQuad {
		for j := range k[i] {
			k[i][j] = center[i]
		}
	}
	stride := c * hw
	a0, a1, a2, a3 := a[0], a[1], a[2], a[3]
	b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
	for e0 := 0; e0 < hw; e0 += bnTile {
		cols := min(bnTile, hw-e0)
		for i := range bnQuad {
			clear(s1[i][:cols])
			clear(s2[i][:cols])
			off := r0*stride + (g0+i)*hw + e0
			if dy == nil {
				bnColSums(x[off:], stride, r1-r0, k[i][:cols], s1[i][:cols], s2[i][:cols])
			} else {
				bnColDots(dy[off:], x[off:], stride, r1-r0, k[i][:cols], s1[i][:cols], s2[i][:cols])
			}
		}
		for j := range cols {
			a0 += s1[0][j]
			b0 += s2[0][j]
			a1 += s1[1][j]
			b1 += s2[1][j]
			a2 += s1[2][j]
			b2 += s2[2][j]
			a3 += s1[3][j]
			b3 += s2[3][j]
		}
	}
	a[0], a[1], a[2], a[3] = a0, a1, a2, a3
	b[0], b[1], b[2], b[3] = b0, b1, b2, b3
}

// bnGroupNormalise writes y = (x − mu)·s + t over images r0..r1−1 of the
// channels g0..g1−1, with mu, s and t indexed by ch − g0.
func bnGroupNormalise(x, y []float32, c, hw, r0, r1, g0, g1 int, mu, s, t []float32) {
	sc := getBNScratch()
	defer bnScratches.Put(sc)
	cm, cs, ct := &sc.f32[0], &sc.f32[1], &sc.f32[2]
	stride, first, last := c*hw, g0*hw, g1*hw
	cols := min(last-first, bnTile)
	bnSpread(cm[:cols], mu, first, hw, g0)
	bnSpread(cs[:cols], s, first, hw, g0)
	bnSpread(ct[:cols], t, first, hw, g0)
	for e0 := first; e0 < last; e0 += bnTile {
		cols := min(bnTile, last-e0)
		off := r0*stride + e0
		bnNormRows(x[off:], y[off:], stride, r1-r0, cm[:cols], cs[:cols], ct[:cols])
	}
}

// bnActMinRun is the fewest values per image for which a forward pass that
// fuses an activation applies it chunk by chunk (bnActRows), one call per
// image; below it the activation takes a pass of its own after the
// normalisation. On 64 channels of 8×8 maps at batch 64, chunks of 4
// channels are 256 values an image, and the calls cost more than the pass
// they saved (0.85–0.96× on one thread); 4 channels of 14×14 (784 values)
// gained 1.06–1.12×, 16×16 and larger 1.1–1.25×.
const bnActMinRun = 512

// bnActGradRows sets dx = dz·act'(z) over images r0..r1−1 of the channels
// g0..g1−1 (nothing for noAct), as ActBackwardSet(act, z, z, dz, dx) does:
// the batch norm's output gradient of a chunk, made just before the
// backward passes read it (BatchNormBackwardSetAct).
func bnActGradRows(act Act, z, dz, dx []float32, c, hw, r0, r1, g0, g1 int) {
	if act == noAct {
		return
	}
	for r := r0; r < r1; r++ {
		lo, hi := (r*c+g0)*hw, (r*c+g1)*hw
		actBackwardSetSpan(act, z[lo:hi], z[lo:hi], dz[lo:hi], dx[lo:hi])
	}
}

// bnActRows sets y = act(y) over images r0..r1−1 of the channels g0..g1−1
// (nothing for noAct): the activation of the forward passes that fuse one,
// applied to a chunk just normalised, while it is in cache, with one call
// per image (the chunk's channels of an image are contiguous).
func bnActRows(act Act, y []float32, c, hw, r0, r1, g0, g1 int) {
	if act == noAct {
		return
	}
	for r := r0; r < r1; r++ {
		seg := y[(r*c+g0)*hw : (r*c+g1)*hw]
		actForwardSpan(act, seg, seg)
	}
}

// bnGroupDx adds a·((dy − md) − (x − mu)·p) into dx (or writes it, add
// false) over images r0..r1−1 of the channels g0..g1−1, with the
// coefficients indexed by ch − g0.
func bnGroupDx(dy, x, dx []float32, c, hw, r0, r1, g0, g1 int, mu, md, p, a []float32, add bool) {
	sc := getBNScratch()
	defer bnScratches.Put(sc)
	cm, cd, cp, ca := &sc.f32[0], &sc.f32[1], &sc.f32[2], &sc.f32[3]
	stride, first, last := c*hw, g0*hw, g1*hw
	cols := min(last-first, bnTile)
	bnSpread(cm[:cols], mu, first, hw, g0)
	bnSpread(cd[:cols], md, first, hw, g0)
	bnSpread(cp[:cols], p, first, hw, g0)
	bnSpread(ca[:cols], a, first, hw, g0)
	for e0 := first; e0 < last; e0 += bnTile {
		cols := min(bnTile, last-e0)
		off := r0*stride + e0
		bnDxRows(dy[off:], x[off:], dx[off:], stride, r1-r0, cm[:cols], cd[:cols], cp[:cols], ca[:cols], add)
	}
}
