package kernels

//go:generate go run activation_gen.go

// The assembly activation kernels (activation_amd64.s, written by
// activation_gen.go): the algorithm of activation_f32.go, 8 lanes at a time
// with AVX2+FMA, 16 with AVX-512F. What each computes, in Go, for n elements:
//
//	forward  (x, y, n):      y[i] = f(x[i])               (sigmoid32, silu32, tanh32, geluTanh32)
//	backward (v, dy, dx, n): dx[i] += dy[i]·f'(v[i])      (v = x for SiLU and GELUTanh, y for Sigmoid and Tanh)

//go:noescape
func sigmoidFwdAVX2(x, y *float32, n int)

//go:noescape
func siluFwdAVX2(x, y *float32, n int)

//go:noescape
func tanhFwdAVX2(x, y *float32, n int)

//go:noescape
func geluTanhFwdAVX2(x, y *float32, n int)

//go:noescape
func sigmoidBwdAVX2(v, dy, dx *float32, n int)

//go:noescape
func tanhBwdAVX2(v, dy, dx *float32, n int)

//go:noescape
func siluBwdAVX2(v, dy, dx *float32, n int)

//go:noescape
func geluTanhBwdAVX2(v, dy, dx *float32, n int)

//go:noescape
func sigmoidFwdAVX512(x, y *float32, n int)

//go:noescape
func siluFwdAVX512(x, y *float32, n int)

//go:noescape
func tanhFwdAVX512(x, y *float32, n int)

//go:noescape
func geluTanhFwdAVX512(x, y *float32, n int)

//go:noescape
func sigmoidBwdAVX512(v, dy, dx *float32, n int)

//go:noescape
func tanhBwdAVX512(v, dy, dx *float32, n int)

//go:noescape
func siluBwdAVX512(v, dy, dx *float32, n int)

//go:noescape
func geluTanhBwdAVX512(v, dy, dx *float32, n int)

var actVecSets = map[Path]*actVecKernels{
	AVX2: {
		fwd: [numActs]func(x, y *float32, n int){Sigmoid: sigmoidFwdAVX2, SiLU: siluFwdAVX2, Tanh: tanhFwdAVX2, GELUTanh: geluTanhFwdAVX2},
		bwd: [numActs]func(v, dy, dx *float32, n int){Sigmoid: sigmoidBwdAVX2, SiLU: siluBwdAVX2, Tanh: tanhBwdAVX2, GELUTanh: geluTanhBwdAVX2},
	},
	AVX512: {
		fwd: [numActs]func(x, y *float32, n int){Sigmoid: sigmoidFwdAVX512, SiLU: siluFwdAVX512, Tanh: tanhFwdAVX512, GELUTanh: geluTanhFwdAVX512},
		bwd: [numActs]func(v, dy, dx *float32, n int){Sigmoid: sigmoidBwdAVX512, SiLU: siluBwdAVX512, Tanh: tanhBwdAVX512, GELUTanh: geluTanhBwdAVX512},
	},
}
