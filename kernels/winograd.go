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
// size. Every element of the output is computed by the same operations
// whatever the chunking and the number of threads: each tile's GEMM column
// is an in-order sum over C (see sgemm.go), and the transforms are fixed
// expressions.

// winogradFits reports whether the Winograd algorithm can compute p: a 3×3
// filter, stride 1, no dilation, one group.
func (p ConvParams) winogradFits() bool {
	return p.R == 3 && p.S == 3 && p.StrideH == 1 && p.StrideW == 1 && p.DilH == 1 && p.DilW == 1 && p.Groups == 1
}

// winogradPays reports whether the Winograd algorithm is faster than
// im2col for p (which it fits). The GEMMs save 5·K·C
// multiply-adds per 2×2 tile, the transforms cost about 16·(C + K) values
// per tile and 16·K·C per filter, plus a little per row of tiles. So it
// takes enough channels, enough tiles to amortise the filter transform,
// and maps whose tiles are mostly inside them (a 7×7 map's 4×4 tiles cover
// 64 pixels for 49, a 1×1 map's one tile 4 for 1). Measured at batch 1–64,
// one and two threads: 14×14 and larger maps with 64–512 channels gain
// 1.1–1.6×, 7×7 maps with 512 channels 1.1–1.3×, while 8×8 maps with 64
// channels lose (0.75–0.86×) and maps of 4×4 and less lose 2–10×. The
// rule holds on every path: the AVX2 and AVX-512 ones have their transforms
// in assembly, and the generic one, whose GEMM is slow, gains even with
// plain Go transforms (1.7×).
func (p ConvParams) winogradPays() bool {
	oh, ow := p.OutH(), p.OutW()
	return p.C >= winogradMinChannels && p.K >= winogradMinChannels &&
		p.winogradTiles() >= winogradMinTiles && min(oh, ow) >= 7 && (ow >= 14 || min(p.C, p.K) >= 256)
}

// winogradDataByConv reports whether the input gradient of p, which
// winogradFits, runs as the forward pass of dataConv (which is then also
// 3×3 with stride 1): whenever there is one, padding at most 2.
func (p ConvParams) winogradDataByConv() bool {
	_, ok := p.dataConv()
	return ok
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

// winogradChunk returns the tiles of one chunk: as many as fit
// winogradChunkFloats, a multiple of 32 (a column tile of the AVX-512
// GEMM), at least 64 and at most all the tiles.
func winogradChunk(p ConvParams) int {
	tc := winogradChunkFloats / (16 * (p.C + p.K)) &^ 31
	return min(max(tc, 64), p.winogradTiles())
}

// winogradWorkspace returns the floats of scratch winogradForward needs:
// U (16·K·C), then one chunk of V (16·C per tile) and M (16·K per tile).
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
	v := ws[len(u):][:16*p.C*tc]
	m := ws[len(u)+len(v):][:16*p.K*tc]
	winogradFilter(p, w, u)
	total := p.winogradTiles()
	for t0 := 0; t0 < total; t0 += tc {
		n := min(tc, total-t0)
		winogradInput(p, x, v, t0, n, tc)
		Parallel(16, 1, func(lo, hi int) {
			for xi := lo; xi < hi; xi++ {
				Sgemm(false, false, p.K, n, p.C, 1, u[xi*p.K*p.C:], p.C, v[xi*p.C*tc:], tc, 0, m[xi*p.K*tc:], tc)
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

// winogradFilterGradRun adds (Gᵀ dU G)[i][j] into dw[9f + 3i + j] for the
// filters f < filters, dU[ξ] = du[ξ·kc + f]: the plain Go of
// winogradFilterGradAVX512. The halves are rounded before they are added
// (float32 conversions), as the assembly does.
func winogradFilterGradRun(dw []float32, kc int, du []float32, filters int) {
	for f := range filters {
		var r [3][4]float32 // Gᵀ dU
		for j := range 4 {
			u0, u1, u2, u3 := du[j*kc+f], du[(4+j)*kc+f], du[(8+j)*kc+f], du[(12+j)*kc+f]
			h := float32((u1 + u2) * 0.5)
			r[0][j] = u0 + h
			r[1][j] = (u1 - u2) * 0.5
			r[2][j] = h + u3
		}
		g := dw[9*f:][:9]
		for i := range 3 {
			r0, r1, r2, r3 := r[i][0], r[i][1], r[i][2], r[i][3]
			h := float32((r1 + r2) * 0.5)
			g[3*i] += r0 + h
			g[3*i+1] += (r1 - r2) * 0.5
			g[3*i+2] += h + r3
		}
	}
}

// winogradGrad writes M′[ξ][k][j] = (A dY Aᵀ)[ξ] for the output gradient dY
// of tile t0 + j (j < n) in output channel k, into mg (16 × K × ldm); dY
// reads zeros beyond the output's edge.
func winogradGrad(p ConvParams, dy, mg []float32, t0, n, ldm int) {
	th, tw := p.winogradTileGrid()
	oh, ow := p.OutH(), p.OutW()
	ks := p.K * ldm
	rowKernel := winogradKernelsFor(impl.path).grad
	Parallel(p.K, GrainFor(p.K, 30*n), func(lo, hi int) {
		for k := lo; k < hi; k++ {
			for r := t0 / tw; r*tw < t0+n; r++ {
				img, ty := r/th, r%th
				txLo, txHi := max(t0-r*tw, 0), min(t0+n-r*tw, tw)
				rows := min(2, oh-2*ty)
				cols := min(2*txHi, ow) - 2*txLo
				rowKernel(mg[k*ldm+r*tw+txLo-t0:], ks, dy[((img*p.K+k)*oh+2*ty)*ow+2*txLo:], ow, txHi-txLo, cols, rows)
			}
		}
	})
}

// winogradGradRow computes M′[ξ][t] = (A dY Aᵀ)[ξ] into mg[ξ·ks + t] for
// tiles t < tiles, with dY[i][j] = dy[i·ldy + 2t + j] for rows i < rows and
// columns 2t + j < cols, zero elsewhere: the plain Go of winogradGradAVX512.
func winogradGradRow(mg []float32, ks int, dy []float32, ldy, tiles, cols, rows int) {
	for t := range tiles {
		var e [2][2]float32
		for i := range rows {
			for j := range 2 {
				if col := 2*t + j; col < cols {
					e[i][j] = dy[i*ldy+col]
				}
			}
		}
		a, b, c, d := e[0][0], e[0][1], e[1][0], e[1][1]
		ad := [4][2]float32{{a, b}, {a + c, b + d}, {a - c, b - d}, {-c, -d}} // A dY
		for i, row := range ad {
			p, q := row[0], row[1]
			mg[(4*i+0)*ks+t] = p
			mg[(4*i+1)*ks+t] = p + q
			mg[(4*i+2)*ks+t] = p - q
			mg[(4*i+3)*ks+t] = -q
		}
	}
}

// winogradFilter writes U[ξ][k][c] = (G g Gᵀ)[ξ] for the 3×3 filter g of
// output channel k and input channel c, into u (16 × K × C). The K·C
// filters lie one after another in w, as do their places in each U[ξ].
func winogradFilter(p ConvParams, w, u []float32) {
	kc := p.K * p.C
	kernel := winogradKernelsFor(impl.path).filter
	Parallel(kc, GrainFor(kc, 40), func(lo, hi int) {
		kernel(u[lo:], kc, w[9*lo:], hi-lo)
	})
}

// winogradFilterRun computes U[ξ] = (G g Gᵀ)[ξ] into u[ξ·kc + f] for the
// filters f < filters, g[i][j] = w[9f + 3i + j]: the plain Go of
// winogradFilterAVX512.
func winogradFilterRun(u []float32, kc int, w []float32, filters int) {
	for f := range filters {
		g := w[9*f:][:9]
		var t [4][3]float32 // G g
		for j := range 3 {
			g0, g1, g2 := g[j], g[3+j], g[6+j]
			t[0][j] = g0
			t[1][j] = (g0 + g2 + g1) * 0.5
			t[2][j] = (g0 + g2 - g1) * 0.5
			t[3][j] = g2
		}
		for i := range 4 {
			r0, r1, r2 := t[i][0], t[i][1], t[i][2]
			u[(4*i+0)*kc+f] = r0
			u[(4*i+1)*kc+f] = (r0 + r2 + r1) * 0.5
			u[(4*i+2)*kc+f] = (r0 + r2 - r1) * 0.5
			u[(4*i+3)*kc+f] = r2
		}
	}
}

// winogradInput writes V[ξ][c][j] = (Bᵀ d B)[ξ] for the input patch d of
// tile t0 + j (j < n) in channel c, into v (16 × C × ldv). Tiles count
// along the width, then the height, then the batch. For each row of tiles
// the four input rows its patches read are copied into a zero-padded
// buffer, so that the row kernel (winogradInputRow or its assembly) reads
// no bounds.
func winogradInput(p ConvParams, x, v []float32, t0, n, ldv int) {
	th, tw := p.winogradTileGrid()
	ldr := winogradRowFloats(tw)
	hw := p.H * p.W
	cs := p.C * ldv
	rowKernel := winogradKernelsFor(impl.path).input
	Parallel(p.C, GrainFor(p.C, 40*n), func(lo, hi int) {
		rows := make([]float32, 4*ldr)
		for c := lo; c < hi; c++ {
			for r := t0 / tw; r*tw < t0+n; r++ {
				img, ty := r/th, r%th
				txLo, txHi := max(t0-r*tw, 0), min(t0+n-r*tw, tw)
				plane := x[(img*p.C+c)*hw:][:hw]
				for i := range 4 {
					row := rows[i*ldr:][:ldr]
					if h := 2*ty - p.PadH + i; h >= 0 && h < p.H {
						clear(row[:p.PadW])
						clear(row[p.PadW+copy(row[p.PadW:], plane[h*p.W:][:p.W]):])
					} else {
						clear(row)
					}
				}
				rowKernel(v[c*ldv+r*tw+txLo-t0:], cs, rows[2*txLo:], ldr, txHi-txLo)
			}
		}
	})
}

// winogradRowFloats returns the length of one padded input row for tw
// tiles: their 2·tw + 2 columns, and what the assembly reads beyond them
// (from tile t, 32·⌈tiles/16⌉ + 34 floats, at most 2·(tw − t) + 64).
func winogradRowFloats(tw int) int {
	return 2*tw + 64
}

// winogradInputRow computes V[ξ][t] = (Bᵀ d B)[ξ] into v[ξ·cs + t] for
// tiles t < tiles, whose patch d[i][j] is rows[i·ldr + 2t + j]: the plain
// Go of winogradInputAVX512.
func winogradInputRow(v []float32, cs int, rows []float32, ldr, tiles int) {
	for t := range tiles {
		var b [4][4]float32 // Bᵀ d
		for j := range 4 {
			d0, d1, d2, d3 := rows[2*t+j], rows[ldr+2*t+j], rows[2*ldr+2*t+j], rows[3*ldr+2*t+j]
			b[0][j] = d0 - d2
			b[1][j] = d1 + d2
			b[2][j] = d2 - d1
			b[3][j] = d1 - d3
		}
		for i := range 4 {
			r0, r1, r2, r3 := b[i][0], b[i][1], b[i][2], b[i][3]
			v[(4*i+0)*cs+t] = r0 - r2
			v[(4*i+1)*cs+t] = r1 + r2
			v[(4*i+2)*cs+t] = r2 - r1
			v[(4*i+3)*cs+t] = r1 - r3
		}
	}
}

// winogradOutput writes the 2×2 output tile Aᵀ M A (+ bias) of tiles
// t0 + j (j < n) into y, from m (16 × K × ldm), dropping the pixels beyond
// the output's edge; with accumulate it adds the tile instead.
func winogradOutput(p ConvParams, m, bias, y []float32, t0, n, ldm int, accumulate bool) {
	th, tw := p.winogradTileGrid()
	oh, ow := p.OutH(), p.OutW()
	ks := p.K * ldm
	rowKernel := winogradKernelsFor(impl.path).output
	Parallel(p.K, GrainFor(p.K, 30*n), func(lo, hi int) {
		for k := lo; k < hi; k++ {
			var bk float32
			if bias != nil && !accumulate {
				bk = bias[k]
			}
			for r := t0 / tw; r*tw < t0+n; r++ {
				img, ty := r/th, r%th
				txLo, txHi := max(t0-r*tw, 0), min(t0+n-r*tw, tw)
				rows := min(2, oh-2*ty)
				cols := min(2*txHi, ow) - 2*txLo
				out := y[((img*p.K+k)*oh+2*ty)*ow+2*txLo:]
				rowKernel(m[k*ldm+r*tw+txLo-t0:], ks, out, ow, txHi-txLo, cols, rows, bk, accumulate)
			}
		}
	})
}

// winogradOutputRow writes the pixels of output tiles t < tiles, with
// M[ξ] = m[ξ·ks + t], to y[i·ldy + 2t + j] for rows i < rows and columns
// 2t + j < cols, adding bias, or with accumulate adding the pixel to y:
// the plain Go of winogradOutputAVX512.
func winogradOutputRow(m []float32, ks int, y []float32, ldy, tiles, cols, rows int, bias float32, accumulate bool) {
	for t := range tiles {
		var s [2][4]float32 // Aᵀ M
		for j := range 4 {
			m0, m1, m2, m3 := m[j*ks+t], m[(4+j)*ks+t], m[(8+j)*ks+t], m[(12+j)*ks+t]
			s[0][j] = m0 + m1 + m2
			s[1][j] = m1 - m2 - m3
		}
		for i := range rows {
			r := s[i]
			px := [2]float32{r[0] + r[1] + r[2], r[1] - r[2] - r[3]}
			for j := range 2 {
				if col := 2*t + j; col < cols {
					if accumulate {
						y[i*ldy+col] += px[j]
					} else {
						y[i*ldy+col] = px[j] + bias
					}
				}
			}
		}
	}
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
