package kernels

import "sync"

// The transforms of Winograd F(2×2, 3×3) (winograd.go): each pass over a
// chunk of tiles calls a row kernel, once per run of tiles in a row (or
// run of filters), from the current path's winogradKernels. The row
// kernels here are the plain Go ones, which the generic path runs and the
// assembly ones (winograd_amd64.s, winograd_avx2_amd64.s) match bit for
// bit: their expressions round in the same order.

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
// winogradFilterAVX512 and winogradFilterAVX2.
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
// along the width, then the height, then the batch. For each image and
// channel, the input rows that the chunk's tiles read are copied once into
// a zero-padded block, 2·tw + 2 floats a row (a row of tiles' patches), so
// that the row kernel (winogradInputRow or its assembly) reads no bounds.
func winogradInput(p ConvParams, x, v []float32, t0, n, ldv int) {
	th, tw := p.winogradTileGrid()
	ldr := 2*tw + 2
	hw := p.H * p.W
	cs := p.C * ldv
	runs := p.winogradRuns(t0, n)
	images := winogradImages(runs)
	rowKernel := winogradKernelsFor(impl.path).input
	Parallel(p.C, GrainFor(p.C, 40*n), func(lo, hi int) {
		span := min(th, (n+tw-1)/tw+1) // rows of tiles of one image in the chunk
		block := winogradBlock((2*span+2)*ldr + winogradSlack)
		defer winogradBlocks.Put(block)
		for c := lo; c < hi; c++ {
			for g := range len(images) - 1 {
				i, j := images[g], images[g+1]
				ty0 := runs[i].ty
				plane := x[(runs[i].img*p.C+c)*hw:][:hw]
				for r := range 2*(runs[j-1].ty-ty0) + 4 {
					row := (*block)[r*ldr:][:ldr]
					if h := 2*ty0 - p.PadH + r; h >= 0 && h < p.H {
						clear(row[:p.PadW])
						clear(row[p.PadW+copy(row[p.PadW:], plane[h*p.W:][:p.W]):])
					} else {
						clear(row)
					}
				}
				for _, r := range runs[i:j] {
					rowKernel(v[c*ldv+r.j:], cs, (*block)[2*(r.ty-ty0)*ldr+2*r.tx:], ldr, r.n)
				}
			}
		}
	})
}

// winogradSlack is how far past the last padded row the input kernels may
// read: from tile t of a row of tw, the assembly reads 32·⌈(tw − t)/16⌉ + 34
// floats of a row (AVX2: 16·⌈(tw − t)/8⌉ + 18), at most 2·(tw − t) + 64,
// which a row of 2·tw + 2 floats followed by these 64 holds.
const winogradSlack = 64

// winogradBlocks holds the padded blocks of winogradInput for reuse.
var winogradBlocks sync.Pool

// winogradBlock returns a block of at least n floats from winogradBlocks.
func winogradBlock(n int) *[]float32 {
	b, _ := winogradBlocks.Get().(*[]float32)
	if b == nil || len(*b) < n {
		s := make([]float32, n)
		b = &s
	}
	return b
}

// winogradInputRow computes V[ξ][t] = (Bᵀ d B)[ξ] into v[ξ·cs + t] for
// tiles t < tiles, whose patch d[i][j] is rows[i·ldr + 2t + j]: the plain
// Go of winogradInputAVX512 and winogradInputAVX2.
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
	ow := p.OutW()
	plane := p.OutH() * ow
	ks := p.K * ldm
	runs := p.winogradRuns(t0, n)
	rowKernel := winogradKernelsFor(impl.path).output
	Parallel(p.K, GrainFor(p.K, 30*n), func(lo, hi int) {
		for k := lo; k < hi; k++ {
			var bk float32
			if bias != nil && !accumulate {
				bk = bias[k]
			}
			for _, r := range runs {
				rowKernel(m[k*ldm+r.j:], ks, y[(r.img*p.K+k)*plane+r.off:], ow, r.n, r.cols, r.rows, bk, accumulate)
			}
		}
	})
}

// winogradOutputRow writes the pixels of output tiles t < tiles, with
// M[ξ] = m[ξ·ks + t], to y[i·ldy + 2t + j] for rows i < rows and columns
// 2t + j < cols, adding bias, or with accumulate adding the pixel to y:
// the plain Go of winogradOutputAVX512 and winogradOutputAVX2.
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

// winogradGrad writes M′[ξ][k][j] = (A dY Aᵀ)[ξ] for the output gradient dY
// of tile t0 + j (j < n) in output channel k, into mg (16 × K × ldm); dY
// reads zeros beyond the output's edge.
func winogradGrad(p ConvParams, dy, mg []float32, t0, n, ldm int) {
	ow := p.OutW()
	plane := p.OutH() * ow
	ks := p.K * ldm
	runs := p.winogradRuns(t0, n)
	rowKernel := winogradKernelsFor(impl.path).grad
	Parallel(p.K, GrainFor(p.K, 30*n), func(lo, hi int) {
		for k := lo; k < hi; k++ {
			for _, r := range runs {
				rowKernel(mg[k*ldm+r.j:], ks, dy[(r.img*p.K+k)*plane+r.off:], ow, r.n, r.cols, r.rows)
			}
		}
	})
}

// winogradGradRow computes M′[ξ][t] = (A dY Aᵀ)[ξ] into mg[ξ·ks + t] for
// tiles t < tiles, with dY[i][j] = dy[i·ldy + 2t + j] for rows i < rows and
// columns 2t + j < cols, zero elsewhere: the plain Go of winogradGradAVX512
// and winogradGradAVX2.
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

// winogradFilterGradRun adds (Gᵀ dU G)[i][j] into dw[9f + 3i + j] for the
// filters f < filters, dU[ξ] = du[ξ·kc + f]: the plain Go of
// winogradFilterGradAVX512 and winogradFilterGradAVX2. The halves are
// rounded before they are added (float32 conversions), as the assembly
// does, even where the compiler would fuse a multiply and an add.
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
