package kernels

//go:generate go run activation_gen.go

// The assembly activation kernels (activation_amd64.s, written by
// activation_gen.go), 8 lanes at a time with AVX2+FMA, 16 with AVX-512F:
// Sigmoid, SiLU, Tanh and GELUTanh with the algorithm of activation_f32.go,
// and ReLU, ReLU6, Hardswish and Hardsigmoid bit for bit as the reference
// loops of activation.go (Hardswish and Hardsigmoid with denormals flushed).
// What each computes, in Go, for n elements:
//
//	forward  (x, y, n):      y[i] = f(x[i])               (sigmoid32, silu32, tanh32, geluTanh32; actForwardRef)
//	backward (v, dy, dx, n): dx[i] += dy[i]·f'(v[i])      (v = y for Sigmoid and Tanh, x for the others; actBackwardRef)
//	reluBwdSet (v, dy, dx, n): dx[i] = v[i] > 0 ? dy[i] : 0 (actBackwardSetRef)
//	other …BwdSet (v, dy, dx, n): dx[i] = 0 + dy[i]·f'(v[i]), the backward kernel starting from +0 instead of dx

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

//go:noescape
func reluFwdAVX2(x, y *float32, n int)

//go:noescape
func relu6FwdAVX2(x, y *float32, n int)

//go:noescape
func hardswishFwdAVX2(x, y *float32, n int)

//go:noescape
func hardsigmoidFwdAVX2(x, y *float32, n int)

//go:noescape
func reluBwdAVX2(v, dy, dx *float32, n int)

//go:noescape
func relu6BwdAVX2(v, dy, dx *float32, n int)

//go:noescape
func hardswishBwdAVX2(v, dy, dx *float32, n int)

//go:noescape
func hardsigmoidBwdAVX2(v, dy, dx *float32, n int)

//go:noescape
func reluFwdAVX512(x, y *float32, n int)

//go:noescape
func relu6FwdAVX512(x, y *float32, n int)

//go:noescape
func hardswishFwdAVX512(x, y *float32, n int)

//go:noescape
func hardsigmoidFwdAVX512(x, y *float32, n int)

//go:noescape
func reluBwdAVX512(v, dy, dx *float32, n int)

//go:noescape
func relu6BwdAVX512(v, dy, dx *float32, n int)

//go:noescape
func hardswishBwdAVX512(v, dy, dx *float32, n int)

//go:noescape
func hardsigmoidBwdAVX512(v, dy, dx *float32, n int)

//go:noescape
func reluBwdSetAVX2(v, dy, dx *float32, n int)

//go:noescape
func reluBwdSetAVX512(v, dy, dx *float32, n int)

//go:noescape
func sigmoidBwdSetAVX2(v, dy, dx *float32, n int)

//go:noescape
func tanhBwdSetAVX2(v, dy, dx *float32, n int)

//go:noescape
func siluBwdSetAVX2(v, dy, dx *float32, n int)

//go:noescape
func geluTanhBwdSetAVX2(v, dy, dx *float32, n int)

//go:noescape
func relu6BwdSetAVX2(v, dy, dx *float32, n int)

//go:noescape
func hardswishBwdSetAVX2(v, dy, dx *float32, n int)

//go:noescape
func hardsigmoidBwdSetAVX2(v, dy, dx *float32, n int)

//go:noescape
func sigmoidBwdSetAVX512(v, dy, dx *float32, n int)

//go:noescape
func tanhBwdSetAVX512(v, dy, dx *float32, n int)

//go:noescape
func siluBwdSetAVX512(v, dy, dx *float32, n int)

//go:noescape
func geluTanhBwdSetAVX512(v, dy, dx *float32, n int)

//go:noescape
func relu6BwdSetAVX512(v, dy, dx *float32, n int)

//go:noescape
func hardswishBwdSetAVX512(v, dy, dx *float32, n int)

//go:noescape
func hardsigmoidBwdSetAVX512(v, dy, dx *float32, n int)

var actVecSets = map[Path]*actVecKernels{
	AVX2: {
		fwd: [numActs]func(x, y *float32, n int){
			ReLU: reluFwdAVX2, ReLU6: relu6FwdAVX2, Hardswish: hardswishFwdAVX2, Hardsigmoid: hardsigmoidFwdAVX2,
			Sigmoid: sigmoidFwdAVX2, SiLU: siluFwdAVX2, Tanh: tanhFwdAVX2, GELUTanh: geluTanhFwdAVX2,
		},
		bwd: [numActs]func(v, dy, dx *float32, n int){
			ReLU: reluBwdAVX2, ReLU6: relu6BwdAVX2, Hardswish: hardswishBwdAVX2, Hardsigmoid: hardsigmoidBwdAVX2,
			Sigmoid: sigmoidBwdAVX2, SiLU: siluBwdAVX2, Tanh: tanhBwdAVX2, GELUTanh: geluTanhBwdAVX2,
		},
		bwdSet: [numActs]func(v, dy, dx *float32, n int){
			ReLU: reluBwdSetAVX2, ReLU6: relu6BwdSetAVX2, Hardswish: hardswishBwdSetAVX2, Hardsigmoid: hardsigmoidBwdSetAVX2,
			Sigmoid: sigmoidBwdSetAVX2, SiLU: siluBwdSetAVX2, Tanh: tanhBwdSetAVX2, GELUTanh: geluTanhBwdSetAVX2,
		},
	},
	AVX512: {
		fwd: [numActs]func(x, y *float32, n int){
			ReLU: reluFwdAVX512, ReLU6: relu6FwdAVX512, Hardswish: hardswishFwdAVX512, Hardsigmoid: hardsigmoidFwdAVX512,
			Sigmoid: sigmoidFwdAVX512, SiLU: siluFwdAVX512, Tanh: tanhFwdAVX512, GELUTanh: geluTanhFwdAVX512,
		},
		bwd: [numActs]func(v, dy, dx *float32, n int){
			ReLU: reluBwdAVX512, ReLU6: relu6BwdAVX512, Hardswish: hardswishBwdAVX512, Hardsigmoid: hardsigmoidBwdAVX512,
			Sigmoid: sigmoidBwdAVX512, SiLU: siluBwdAVX512, Tanh: tanhBwdAVX512, GELUTanh: geluTanhBwdAVX512,
		},
		bwdSet: [numActs]func(v, dy, dx *float32, n int){
			ReLU: reluBwdSetAVX512, ReLU6: relu6BwdSetAVX512, Hardswish: hardswishBwdSetAVX512, Hardsigmoid: hardsigmoidBwdSetAVX512,
			Sigmoid: sigmoidBwdSetAVX512, SiLU: siluBwdSetAVX512, Tanh: tanhBwdSetAVX512, GELUTanh: geluTanhBwdSetAVX512,
		},
	},
}
