package autograd

import (
	"fmt"

	"github.com/gocnn/gocnn/kernels"
)

// MatMul returns the matrix product a·b of a (m×k) and b (k×n).
//
// Backward: with G the gradient of the m×n result,
// dA += G·bᵀ and dB += aᵀ·G, both single GEMM calls (beta = 1 accumulates;
// beta = 0 writes a first gradient, see gradGEMMTarget).
func MatMul(a, b *Tensor) *Tensor {
	if len(a.shape) != 2 || len(b.shape) != 2 || a.shape[1] != b.shape[0] {
		panic(fmt.Sprintf("autograd.MatMul: cannot multiply %v by %v", a.shape, b.shape))
	}
	m, k, n := a.shape[0], a.shape[1], b.shape[1]
	out := newResult([]int{m, n}, a, b)
	kernels.Sgemm(false, false, m, n, k, 1, a.data, k, b.data, n, 0, out.data, n)
	if out.recording() {
		out.backward(func() {
			if a.needsGrad() {
				da, beta := gradGEMMTarget(a)
				kernels.Sgemm(false, true, m, k, n, 1, out.grad, n, b.data, n, beta, da, k)
			}
			if b.needsGrad() {
				db, beta := gradGEMMTarget(b)
				kernels.Sgemm(true, false, k, n, m, 1, a.data, k, out.grad, n, beta, db, n)
			}
		})
	}
	return out
}

// Linear returns x·wᵀ + bias for x of shape (N, in), w of shape (out, in) and
// an optional bias of shape (out): PyTorch's nn.functional.linear.
//
// Backward: dX += G·w, dW += Gᵀ·x, dBias += the column sums of G.
func Linear(x, w, bias *Tensor) *Tensor {
	if len(x.shape) != 2 || len(w.shape) != 2 || x.shape[1] != w.shape[1] {
		panic(fmt.Sprintf("autograd.Linear: input %v does not fit weight %v (want input (N, %d))", x.shape, w.shape, w.Dim(-1)))
	}
	n, in, outF := x.shape[0], x.shape[1], w.shape[0]
	if bias != nil && (len(bias.shape) != 1 || bias.shape[0] != outF) {
		panic(fmt.Sprintf("autograd.Linear: bias %v does not fit weight %v", bias.shape, w.shape))
	}
	out := newResult([]int{n, outF}, x, w, bias)
	beta := float32(0)
	if bias != nil {
		for i := range n {
			copy(out.data[i*outF:(i+1)*outF], bias.data)
		}
		beta = 1
	}
	kernels.Sgemm(false, true, n, outF, in, 1, x.data, in, w.data, in, beta, out.data, outF)
	if out.recording() {
		out.backward(func() {
			if x.needsGrad() {
				dx, beta := gradGEMMTarget(x)
				kernels.Sgemm(false, false, n, in, outF, 1, out.grad, outF, w.data, in, beta, dx, in)
			}
			if w.needsGrad() {
				dw, beta := gradGEMMTarget(w)
				kernels.Sgemm(true, false, outF, in, n, 1, out.grad, outF, x.data, in, beta, dw, in)
			}
			if bias.needsGrad() {
				db := bias.gradBuf()
				for i := range n {
					for j, g := range out.grad[i*outF : (i+1)*outF] {
						db[j] += g
					}
				}
			}
		})
	}
	return out
}

// gradGEMMTarget returns t's gradient buffer for a GEMM that computes its
// contribution, and the GEMM's beta: 1 to add into a gradient already
// there, 0 to write the first one (gradTarget).
func gradGEMMTarget(t *Tensor) ([]float32, float32) {
	buf, add := t.gradTarget()
	if add {
		return buf, 1
	}
	return buf, 0
}
