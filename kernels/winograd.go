package kernels

// Winograd convolution F(2×2, 3×3) for 3×3 filters with stride 1.
//
// A 2×2 tile of output pixels depends on a 4×4 patch d of the input. Winograd's
// minimal filtering algorithm computes the tile from d and the 3×3 filter g
// with 16 multiplications instead of 36:
//
//	Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
//
//	     ⎡1  0 −1  0⎤        ⎡ 1    0    0 ⎤        ⎡1  1  1  0⎤
//	Bᵀ = ⎢0  1  1  0⎥    G = ⎢ ½    ½    ½ ⎥   Aᵀ = ⎣0  1 −1 −1⎦
//	     ⎢0 −1  1  0⎥        ⎢ ½   −½    ½ ⎥
//	     ⎣0  1  0 −1⎦        ⎣ 0    0    1 ⎦
//
// where ⊙ multiplies element by element. Summed over the input channels,
// each of the 16 elements ξ of the 4×4 transformed tile is a GEMM:
//
//	M_ξ (K × T) = U_ξ (K × C) · V_ξ (C × T)
//
// with U = G g Gᵀ for every (output, input) channel pair (the transformed
// filter), V = Bᵀ d B for every (input channel, tile) pair (the transformed
// input) and T the number of tiles. The output transform Aᵀ M A then gives
// each tile's four pixels. Against im2col's 9·K·C multiply-adds per output
// pixel, the 16 GEMMs do 4·K·C: 2.25× fewer. The transforms are additions
// only (the halves in G are exact), so the result differs from the direct
// sum by a few roundings, as a different order of summation would.
//
// The filter gradient follows from the same factorisation. With dY the
// gradient of a tile's output, dL/dU_ξ = Σ_tiles (A dY Aᵀ)_ξ · V_ξ, a GEMM
// per ξ over the tiles (M′_ξ (K × T) · V_ξᵀ (T × C)), and dL/dg = Gᵀ dU G.
//
// The 16 GEMMs of a chunk are independent and run in parallel, each on
// one thread where no other is free: they are too small to split well
// (64 × 64 outputs for the filter gradient of a 64-channel layer).
//
// The tiles are processed in chunks of winogradChunk(p) tiles, so the
// workspace is U plus one chunk of V and M whatever the batch and image
// size. Every element of the output (and so of the input gradient) is
// computed by the same operations whatever the chunking and the number of
// threads: each tile's GEMM column is an in-order sum over C (see
// sgemm.go), and the transforms are fixed expressions. The filter gradient
// sums over the chunks in order, so it depends on the chunk size, which
// depends on the shape alone, and never on the threads.

// winogradFits reports whether the Winograd algorithm can compute p: a 3×3
// filter, stride 1, no dilation, one group.
func (p ConvParams) winogradFits() bool {
	return p.R == 3 && p.S == 3 && p.StrideH == 1 && p.StrideW == 1 && p.DilH == 1 && p.DilW == 1 && p.Groups == 1
}

// winogradPays reports whether the Winograd algorithm is faster than
// im2col for p (which it fits). The GEMMs save 5·K·C multiply-adds per
// 2×2 tile, the transforms cost about 16·(C + K) values per tile and
// 16·K·C per filter, plus a little per row of tiles. So it takes enough
// channels, enough tiles to amortise the filter transform, and maps wide
// enough for the rows of tiles; the more channels, the smaller the maps
// may be (winogradMinSide). The rule holds on every path: the AVX2 and
// AVX-512 ones have their transforms in assembly, and the generic one,
// whose GEMM is slow, gains even with plain Go transforms (1.7×).
func (p ConvParams) winogradPays() bool {
	c := min(p.C, p.K)
	return c >= winogradMinChannels && p.winogradTiles() >= winogradMinTiles &&
		min(p.OutH(), p.OutW()) >= winogradMinSide(c)
}

// winogradMinSide returns the smallest output side (height and width) for
// which Winograd pays with c = min(C, K) channels. Measured at batch 1–128,
// one and two threads, time of im2col ÷ time of Winograd over the three
// passes: 512 channels gain on 4×4 to 8×8 maps (1.1–1.75×) and lose on 3×3
// and 2×2 (0.70–1.05); 256 channels gain on 6×6 and 8×8 (1.1–1.7×), break
// even on 7×7 (0.86–1.24) and lose on 4×4 (0.71–1.44, the forward pass
// the least); 128 channels gain on 8×8 and 14×14 (0.95–1.75) and lose on
// 7×7 and smaller (0.37–1.09); 64 channels gain from 28×28 (1.0–1.5), break
// even on 14×14 to 16×16 and lose on 8×8 (0.71–0.86).
func winogradMinSide(c int) int {
	switch {
	case c >= 512:
		return 4
	case c >= 256:
		return 6
	case c >= 128:
		return 8
	}
	return 14
}

// winogradDataByConv reports whether the input gradient of p, which
// winogradFits, runs as the forward pass of dataConv (which is then also
// 3×3 with stride 1) by Winograd: whenever there is one, padding at most 2.
func (p ConvParams) winogradDataByConv() bool {
	_, ok := p.dataConv()
	return ok
}

// winogradDataWorkspace returns the scratch winogradBackwardData needs.
func (p ConvParams) winogradDataWorkspace() int {
	q, _ := p.dataConv()
	return winogradWorkspace(q)
}

const (
	// winogradMinChannels is the fewest input and output channels for which
	// ChooseConvAlgo picks Winograd.
	winogradMinChannels = 64
	// winogradMinTiles is the fewest 2×2 output tiles (over the batch) for
	// which ChooseConvAlgo picks Winograd: the filter transform, 16·K·C
	// values, must be small next to the GEMMs (ResNet's 7×7 maps with 512
	// channels: 0.7× at batch 2, 32 tiles; 1.15× at batch 8, 128 tiles).
	winogradMinTiles = 128
	// winogradChunkFloats bounds one chunk's transformed input and output
	// (16·(C + K) floats per tile).
	winogradChunkFloats = 1 << 22
)

// winogradTileGrid returns the tiles along the output's height and width.
func (p ConvParams) winogradTileGrid() (th, tw int) {
	return (p.OutH() + 1) / 2, (p.OutW() + 1) / 2
}

// winogradTiles returns the number of 2×2 output tiles over the batch.
func (p ConvParams) winogradTiles() int {
	th, tw := p.winogradTileGrid()
	return p.N * th * tw
}

// winogradRun is the part of one row of tiles that a chunk holds: tiles
// tx … tx+n−1 of row ty of image img, the first of them tile j of the
// chunk. Its output pixels start at off in an output plane, and rows (1
// or 2) of its two rows and cols of its 2·n columns lie inside the plane.
type winogradRun struct{ img, ty, tx, n, j, off, rows, cols int }

// winogradRuns returns the runs of the chunk of tiles t0 … t0+n−1, in order.
func (p ConvParams) winogradRuns(t0, n int) []winogradRun {
	th, tw := p.winogradTileGrid()
	oh, ow := p.OutH(), p.OutW()
	var runs []winogradRun
	for r := t0 / tw; r*tw < t0+n; r++ {
		ty, lo, hi := r%th, max(t0-r*tw, 0), min(t0+n-r*tw, tw)
		runs = append(runs, winogradRun{img: r / th, ty: ty, tx: lo, n: hi - lo, j: r*tw + lo - t0,
			off: 2*ty*ow + 2*lo, rows: min(2, oh-2*ty), cols: min(2*hi, ow) - 2*lo})
	}
	return runs
}

// winogradImages returns where each image's runs start in runs, and
// len(runs) last: the runs of image runs[g[i]].img are runs[g[i]:g[i+1]].
func winogradImages(runs []winogradRun) []int {
	var g []int
	for i, r := range runs {
		if i == 0 || r.img != runs[i-1].img {
			g = append(g, i)
		}
	}
	return append(g, len(runs))
}

// winogradChunk returns the tiles of one chunk: as many as fit
// winogradChunkFloats, a multiple of 32 (a column tile of the AVX-512
// GEMM), at least 64 and at most all the tiles.
func winogradChunk(p ConvParams) int {
	tc := winogradChunkFloats / (16 * (p.C + p.K)) &^ 31
	return min(max(tc, 64), p.winogradTiles())
}

// winogradWorkspace returns the floats of scratch winogradForward and
// winogradBackwardFilter need: U or dU (16·K·C), then one chunk of V
// (16·C per tile) and of M or M′ (16·K per tile).
func winogradWorkspace(p ConvParams) int {
	return 16*p.K*p.C + 16*(p.C+p.K)*winogradChunk(p)
}

// winogradForward computes y = conv(x, w) + bias (bias may be nil) for a
// convolution that winogradFits, or with accumulate adds conv(x, w) into y.
func winogradForward(p ConvParams, x, w, bias, y, ws []float32, accumulate bool) {
	winogradForwardChunks(p, winogradChunk(p), x, w, bias, y, ws, accumulate)
}

// winogradForwardChunks is winogradForward with chunks of tc tiles; ws
// holds 16·K·C + 16·(C + K)·tc floats.
func winogradForwardChunks(p ConvParams, tc int, x, w, bias, y, ws []float32, accumulate bool) {
	u := ws[:16*p.K*p.C]
	winogradFilter(p, w, u)
	winogradChunks(p, tc, x, u, false, bias, y, ws[len(u):], accumulate)
}

// winogradBackwardData adds dL/dx into dx, or with accumulate false writes
// it there, for a convolution p that winogradFits and has a dataConv q: the
// forward pass of q on dy, by Winograd. q's filter is p's turned (each 3×3
// filter rotated by 180°, input and output channels swapped), and since
// G·rot180(g)·Gᵀ is G g Gᵀ with its rows and columns reversed in the order
// 3, 1, 2, 0 (rows 1 and 2 of G are symmetric), q's U is p's U read through
// transposed GEMMs (turned), bit for bit what transforming the turned
// filter gives, without it.
func winogradBackwardData(p ConvParams, dy, w, dx, ws []float32, accumulate bool) {
	q, _ := p.dataConv()
	u := ws[:16*p.K*p.C]
	winogradFilter(p, w, u)
	winogradChunks(q, winogradChunk(q), dy, u, true, nil, dx, ws[len(u):], accumulate)
}

// winogradTurn is the order 3, 1, 2, 0 that turning a filter puts the rows
// and columns of its transform in: U_q[4i + j] = U_p[4·turn[i] + turn[j]].
var winogradTurn = [4]int{3, 1, 2, 0}

// winogradChunks runs the GEMMs and the input and output transforms of
// the forward pass of p, chunk by chunk, with the transformed filter u
// (16 × K × C), or with turned u of the convolution p is the dataConv of
// (16 × C × K, see winogradBackwardData); ws holds 16·(C + K)·tc floats.
func winogradChunks(p ConvParams, tc int, x, u []float32, turned bool, bias, y, ws []float32, accumulate bool) {
	v := ws[:16*p.C*tc]
	m := ws[len(v):][:16*p.K*tc]
	total := p.winogradTiles()
	for t0 := 0; t0 < total; t0 += tc {
		n := min(tc, total-t0)
		winogradInput(p, x, v, t0, n, tc)
		Parallel(16, 1, func(lo, hi int) {
			for xi := lo; xi < hi; xi++ {
				if turned {
					a := u[(4*winogradTurn[xi/4]+winogradTurn[xi%4])*p.K*p.C:]
					Sgemm(true, false, p.K, n, p.C, 1, a, p.K, v[xi*p.C*tc:], tc, 0, m[xi*p.K*tc:], tc)
				} else {
					Sgemm(false, false, p.K, n, p.C, 1, u[xi*p.K*p.C:], p.C, v[xi*p.C*tc:], tc, 0, m[xi*p.K*tc:], tc)
				}
			}
		})
		winogradOutput(p, m, bias, y, t0, n, tc, accumulate)
	}
}

// winogradBackwardFilter adds dL/dw into dw for a convolution that
// winogradFits, from its input x and output gradient dy.
func winogradBackwardFilter(p ConvParams, x, dy, dw, ws []float32) {
	winogradBackwardFilterChunks(p, winogradChunk(p), x, dy, dw, ws)
}

// winogradBackwardFilterChunks is winogradBackwardFilter with chunks of tc
// tiles; ws holds 16·K·C + 16·(C + K)·tc floats. The GEMMs of later chunks
// add into dU, so the chunk size decides the order of the sums over tiles.
func winogradBackwardFilterChunks(p ConvParams, tc int, x, dy, dw, ws []float32) {
	du := ws[:16*p.K*p.C]
	v := ws[len(du):][:16*p.C*tc]
	mg := ws[len(du)+len(v):][:16*p.K*tc]
	total := p.winogradTiles()
	for t0 := 0; t0 < total; t0 += tc {
		n := min(tc, total-t0)
		winogradInput(p, x, v, t0, n, tc)
		winogradGrad(p, dy, mg, t0, n, tc)
		beta := float32(1)
		if t0 == 0 {
			beta = 0
		}
		Parallel(16, 1, func(lo, hi int) {
			for xi := lo; xi < hi; xi++ {
				Sgemm(false, true, p.K, p.C, n, 1, mg[xi*p.K*tc:], tc, v[xi*p.C*tc:], tc, beta, du[xi*p.K*p.C:], p.C)
			}
		})
	}
	kc := p.K * p.C
	kernel := winogradKernelsFor(impl.path).filterGrad
	Parallel(kc, GrainFor(kc, 60), func(lo, hi int) {
		kernel(dw[9*lo:], kc, du[lo:], hi-lo)
	})
}

// winogradKernels are one path's row kernels of the transforms.
type winogradKernels struct {
	filter     func(u []float32, kc int, w []float32, filters int)
	filterGrad func(dw []float32, kc int, du []float32, filters int)
	grad       func(mg []float32, ks int, dy []float32, ldy, tiles, cols, rows int)
	input      func(v []float32, cs int, rows []float32, ldr, tiles int)
	output     func(m []float32, ks int, y []float32, ldy, tiles, cols, rows int, bias float32, accumulate bool)
}

// winogradKernelsFor returns the row kernels of path: the assembly ones
// where the path has them, else the plain Go ones.
func winogradKernelsFor(path Path) winogradKernels {
	if k, ok := winogradSets[path]; ok {
		return k
	}
	return winogradKernels{filter: winogradFilterRun, filterGrad: winogradFilterGradRun, grad: winogradGradRow, input: winogradInputRow, output: winogradOutputRow}
}
