package optim

import (
	"fmt"
	"math"
	"testing"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/kernels"
)

// Gradient clipping by global norm: against PyTorch, and deterministic.

// ClipGradNorm against torch.nn.utils.clip_grad_norm_ (testdata/clip.safetensors):
// one limit below the gradients' norm ("clips"), one above ("keeps"); the
// second parameter has no gradient and must be ignored.
func TestClipGradNormMatchesPyTorch(t *testing.T) {
	f := readFixture(t, "clip.safetensors")
	for name, maxNorm := range map[string]float64{"clips": 1, "keeps": 100} {
		params := make([]*autograd.Tensor, 3)
		for j := range params {
			in := fmt.Sprintf("clip.in.p%d", j)
			if _, ok := f.Get(in); !ok {
				params[j] = autograd.Zeros(1).SetRequiresGrad(true) // no gradient
				continue
			}
			g, shape := fixtureF32(t, f, in)
			params[j] = autograd.Zeros(shape...).SetRequiresGrad(true)
			params[j].SetGrad(g)
		}
		norm := ClipGradNorm(params, maxNorm)
		want, _ := fixtureF32(t, f, name+".norm")
		if math.Abs(norm-float64(want[0])) > 1e-6*float64(want[0]) {
			t.Errorf("%s: norm %v, PyTorch %v", name, norm, want[0])
		}
		for j, p := range params {
			if p.Grad() == nil {
				continue
			}
			wantGrad, _ := fixtureF32(t, f, fmt.Sprintf("%s.out.p%d", name, j))
			for i, g := range p.Grad() {
				if !closeTo(g, wantGrad[i], 1e-7, 1e-6) {
					t.Fatalf("%s: p%d grad[%d] = %v, PyTorch %v", name, j, i, g, wantGrad[i])
				}
			}
		}
	}
}

// The norm of a large gradient is the same to the bit on one thread and on
// several, and matches a plain float64 sum.
func TestClipGradNormDeterministic(t *testing.T) {
	g := make([]float32, 3*normChunk+17)
	for i := range g {
		g[i] = float32(math.Sin(float64(i))) * 0.01
	}
	p := autograd.Zeros(len(g)).SetRequiresGrad(true)
	var norms []float64
	for _, threads := range []int{1, 2, 5} {
		old := kernels.SetThreads(threads)
		p.SetGrad(append([]float32(nil), g...))
		norms = append(norms, ClipGradNorm([]*autograd.Tensor{p}, math.Inf(1)))
		kernels.SetThreads(old)
	}
	if norms[0] != norms[1] || norms[0] != norms[2] {
		t.Fatalf("norm depends on the thread count: %v", norms)
	}
	plain := 0.0
	for _, v := range g {
		plain += float64(v) * float64(v)
	}
	if math.Abs(norms[0]-math.Sqrt(plain)) > 1e-12*norms[0] {
		t.Fatalf("norm %v, plain sum gives %v", norms[0], math.Sqrt(plain))
	}
}
