package autograd

import (
	"math/rand/v2"
	"testing"
)

// Tests of Softmax and LogSoftmax: finite differences, and PyTorch's forward
// and gradient on logits up to ±80 (a naive e^x overflows float32 there).

func TestSoftmaxGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	x := randTensor(rng, -3, 3, 4, 6).SetRequiresGrad(true)
	gradCheck(t, "Softmax", func(in []*Tensor) *Tensor { return Softmax(in[0]) }, []*Tensor{x}, 1e-2, 1e-2)
	gradCheck(t, "LogSoftmax", func(in []*Tensor) *Tensor { return LogSoftmax(in[0]) }, []*Tensor{x}, 1e-2, 1e-2)
}

// TestSoftmaxMatchesPyTorch compares with F.softmax and F.log_softmax on
// (6, 10) logits including ±80, ties and one saturated row, within 1e-6
// absolute and 1e-5 relative.
func TestSoftmaxMatchesPyTorch(t *testing.T) {
	f := openNormFixture(t, "testdata/act_softmax.safetensors")
	const rows, cols = 6, 10
	xs := f.get("x", rows, cols)
	r := to64s(f.get("r", rows, cols))
	for _, c := range []struct {
		name string
		op   func(*Tensor) *Tensor
	}{{"softmax", Softmax}, {"log_softmax", LogSoftmax}} {
		x := New(append([]float32(nil), xs...), rows, cols).SetRequiresGrad(true)
		out := c.op(x).Retain()
		weightedLoss(out, r).Backward()
		if err := closeSlices(out.Data(), f.get(c.name+".out", rows, cols), 1e-6, 1e-5); err != nil {
			t.Errorf("%s forward: %v", c.name, err)
		}
		if err := closeSlices(x.Grad(), f.get(c.name+".grad", rows, cols), 1e-6, 1e-5); err != nil {
			t.Errorf("%s gradient: %v", c.name, err)
		}
	}
}

func TestSoftmaxRejectsNon2D(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Softmax of a 3-D tensor did not panic")
		}
	}()
	Softmax(Zeros(2, 3, 4))
}
