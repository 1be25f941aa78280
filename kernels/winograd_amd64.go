package kernels

// The assembly transforms of Winograd F(2×2, 3×3): AVX-512 in
// winograd_amd64.s, sixteen tiles or filters at a time, and AVX2 in
// winograd_avx2_amd64.s, eight at a time. Each is bit for bit the plain Go
// row kernel of winograd.go with the same role.

//go:noescape
func winogradFilterAVX512(u *float32, kc int, w *float32, filters int)

//go:noescape
func winogradFilterGradAVX512(dw *float32, kc int, du *float32, filters int)

//go:noescape
func winogradGradAVX512(mg *float32, ks int, dy *float32, ldy, tiles, cols, rows int)

//go:noescape
func winogradInputAVX512(v *float32, cs int, rows *float32, ldr, tiles int)

//go:noescape
func winogradOutputAVX512(m *float32, ks int, y *float32, ldy, tiles, cols, rows int, bias float32, accumulate int)

//go:noescape
func winogradFilterAVX2(u *float32, kc int, w *float32, filters int)

//go:noescape
func winogradFilterGradAVX2(dw *float32, kc int, du *float32, filters int)

//go:noescape
func winogradGradAVX2(mg *float32, ks int, dy *float32, ldy, tiles, cols, rows int)

//go:noescape
func winogradInputAVX2(v *float32, cs int, rows *float32, ldr, tiles int)

//go:noescape
func winogradOutputAVX2(m *float32, ks int, y *float32, ldy, tiles, cols, rows int, bias float32, accumulate int)

// winogradSets holds the assembly row kernels of each path that has them.
var winogradSets = map[Path]winogradKernels{
	AVX2: {filter: winogradFilterRunAVX2, filterGrad: winogradFilterGradRunAVX2, grad: winogradGradRowAVX2,
		input: winogradInputRowAVX2, output: winogradOutputRowAVX2},
	AVX512: {filter: winogradFilterRunAVX512, filterGrad: winogradFilterGradRunAVX512, grad: winogradGradRowAVX512, input: winogradInputRowAVX512, output: winogradOutputRowAVX512},
}

func winogradInputRowAVX512(v []float32, cs int, rows []float32, ldr, tiles int) {
	_, _ = v[15*cs+tiles-1], rows[3*ldr+(tiles+15)/16*32+33] // the assembly stays within these
	winogradInputAVX512(&v[0], cs, &rows[0], ldr, tiles)
}

func winogradOutputRowAVX512(m []float32, ks int, y []float32, ldy, tiles, cols, rows int, bias float32, accumulate bool) {
	_, _ = m[15*ks+tiles-1], y[(rows-1)*ldy+cols-1] // the assembly stays within these
	acc := 0
	if accumulate {
		acc = 1
	}
	winogradOutputAVX512(&m[0], ks, &y[0], ldy, tiles, cols, rows, bias, acc)
}

func winogradFilterRunAVX512(u []float32, kc int, w []float32, filters int) {
	_, _ = u[15*kc+filters-1], w[9*filters-1] // the assembly stays within these
	winogradFilterAVX512(&u[0], kc, &w[0], filters)
}

func winogradFilterGradRunAVX512(dw []float32, kc int, du []float32, filters int) {
	_, _ = dw[9*filters-1], du[15*kc+filters-1] // the assembly stays within these
	winogradFilterGradAVX512(&dw[0], kc, &du[0], filters)
}

func winogradGradRowAVX512(mg []float32, ks int, dy []float32, ldy, tiles, cols, rows int) {
	_, _ = mg[15*ks+tiles-1], dy[(rows-1)*ldy+cols-1] // the assembly stays within these
	winogradGradAVX512(&mg[0], ks, &dy[0], ldy, tiles, cols, rows)
}

func winogradFilterRunAVX2(u []float32, kc int, w []float32, filters int) {
	_, _ = u[15*kc+filters-1], w[9*filters-1] // the assembly stays within these
	winogradFilterAVX2(&u[0], kc, &w[0], filters)
}

func winogradFilterGradRunAVX2(dw []float32, kc int, du []float32, filters int) {
	_, _ = dw[9*filters-1], du[15*kc+filters-1] // the assembly stays within these
	winogradFilterGradAVX2(&dw[0], kc, &du[0], filters)
}

func winogradGradRowAVX2(mg []float32, ks int, dy []float32, ldy, tiles, cols, rows int) {
	_, _ = mg[15*ks+tiles-1], dy[(rows-1)*ldy+cols-1] // the assembly stays within these
	winogradGradAVX2(&mg[0], ks, &dy[0], ldy, tiles, cols, rows)
}

func winogradInputRowAVX2(v []float32, cs int, rows []float32, ldr, tiles int) {
	_, _ = v[15*cs+tiles-1], rows[3*ldr+(tiles+7)/8*16+17] // the assembly stays within these
	winogradInputAVX2(&v[0], cs, &rows[0], ldr, tiles)
}

func winogradOutputRowAVX2(m []float32, ks int, y []float32, ldy, tiles, cols, rows int, bias float32, accumulate bool) {
	_, _ = m[15*ks+tiles-1], y[(rows-1)*ldy+cols-1] // the assembly stays within these
	acc := 0
	if accumulate {
		acc = 1
	}
	winogradOutputAVX2(&m[0], ks, &y[0], ldy, tiles, cols, rows, bias, acc)
}
