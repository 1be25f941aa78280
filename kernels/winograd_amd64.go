package kernels

// The AVX-512 transforms of Winograd F(2×2, 3×3), winograd_amd64.s.

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

// winogradSets holds the assembly row kernels of each path that has them.
var winogradSets = map[Path]winogradKernels{
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
