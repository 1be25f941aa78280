package kernels

// The assembly transforms of Winograd F(2×2, 3×3): AVX-512 in
// winograd_amd64.s, sixteen tiles or filters at a time, and AVX2 in
// winograd_avx2_amd64.s, eight at a time. Each is bit for bit the plain Go
// row kernel of winograd_transforms.go with the same role.

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
	AVX2: winogradAsm{winogradFilterAVX2, winogradFilterGradAVX2, winogradGradAVX2,
		winogradInputAVX2, winogradOutputAVX2}.kernels(),
	AVX512: winogradAsm{winogradFilterAVX512, winogradFilterGradAVX512, winogradGradAVX512,
		winogradInputAVX512, winogradOutputAVX512}.kernels(),
}

// winogradAsm is one path's assembly transforms.
type winogradAsm struct {
	filter     func(u *float32, kc int, w *float32, filters int)
	filterGrad func(dw *float32, kc int, du *float32, filters int)
	grad       func(mg *float32, ks int, dy *float32, ldy, tiles, cols, rows int)
	input      func(v *float32, cs int, rows *float32, ldr, tiles int)
	output     func(m *float32, ks int, y *float32, ldy, tiles, cols, rows int, bias float32, accumulate int)
}

// kernels wraps a's transforms as row kernels. Each first checks the last
// element its assembly reads or writes, so the assembly stays within the
// slices (the input kernels read at most 2·tiles + 63 floats past the
// first tile's column of their fourth row; see winogradSlack).
func (a winogradAsm) kernels() winogradKernels {
	return winogradKernels{
		filter: func(u []float32, kc int, w []float32, filters int) {
			_, _ = u[15*kc+filters-1], w[9*filters-1]
			a.filter(&u[0], kc, &w[0], filters)
		},
		filterGrad: func(dw []float32, kc int, du []float32, filters int) {
			_, _ = dw[9*filters-1], du[15*kc+filters-1]
			a.filterGrad(&dw[0], kc, &du[0], filters)
		},
		grad: func(mg []float32, ks int, dy []float32, ldy, tiles, cols, rows int) {
			_, _ = mg[15*ks+tiles-1], dy[(rows-1)*ldy+cols-1]
			a.grad(&mg[0], ks, &dy[0], ldy, tiles, cols, rows)
		},
		input: func(v []float32, cs int, rows []float32, ldr, tiles int) {
			_, _ = v[15*cs+tiles-1], rows[3*ldr+2*tiles+63]
			a.input(&v[0], cs, &rows[0], ldr, tiles)
		},
		output: func(m []float32, ks int, y []float32, ldy, tiles, cols, rows int, bias float32, accumulate bool) {
			_, _ = m[15*ks+tiles-1], y[(rows-1)*ldy+cols-1]
			acc := 0
			if accumulate {
				acc = 1
			}
			a.output(&m[0], ks, &y[0], ldy, tiles, cols, rows, bias, acc)
		},
	}
}
