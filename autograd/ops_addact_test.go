package autograd

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gocnn/gocnn/kernels"
)

// TestAddActSameBits checks AddAct against Add and Activate as two ops: the
// same result and gradients, bit for bit, for ReLU and ReLU6, when the
// operands' gradients are written (their first) and when they are added to
// (an operand used again elsewhere), when only one operand needs a
// gradient, and when both operands are the same tensor; and that it refuses
// an activation whose derivative needs its input.
func TestAddActSameBits(t *testing.T) {
	bits := func(s []float32) []uint32 {
		out := make([]uint32, len(s))
		for i, v := range s {
			out[i] = math.Float32bits(v)
		}
		return out
	}
	for k, act := range []kernels.Act{kernels.ReLU, kernels.ReLU6} {
		for _, c := range []struct {
			name         string
			reuseA, same bool
			aGrad, bGrad bool
		}{
			{"written", false, false, true, true},
			{"a added to", true, false, true, true},
			{"a alone", false, false, true, false},
			{"b alone", false, false, false, true},
			{"a + a", false, true, true, true},
		} {
			run := func(fused bool) (out, ga, gb []float32) {
				rng := rand.New(rand.NewPCG(47, uint64(k)))
				a := randTensor(rng, -5, 5, 2, 3, 4, 4).SetRequiresGrad(c.aGrad)
				b := randTensor(rng, -5, 5, 2, 3, 4, 4).SetRequiresGrad(c.bGrad)
				if c.same {
					b = a
				}
				// Operands that are results of other ops, as in a residual
				// block, so that their first gradient is written.
				a2, b2 := Scale(a, 1.5), Scale(b, 0.5)
				if c.same {
					b2 = a2
				}
				var z *Tensor
				if fused {
					z = AddAct(a2, b2, act)
				} else {
					z = Activate(Add(a2, b2), act)
				}
				loss := z
				if c.reuseA { // a2 also feeds the loss directly: its gradient is added to
					loss = Add(z, Scale(a2, 0.25))
				}
				r := make([]float64, z.Numel())
				for i := range r {
					r[i] = rng.Float64()*2 - 1
				}
				out = slices.Clone(z.data)
				weightedLoss(loss, r).Backward()
				return out, a.Grad(), b.Grad()
			}
			wantOut, wantA, wantB := run(false)
			gotOut, gotA, gotB := run(true)
			if !slices.Equal(bits(gotOut), bits(wantOut)) || !slices.Equal(bits(gotA), bits(wantA)) || !slices.Equal(bits(gotB), bits(wantB)) {
				t.Errorf("%v, %s: differs from Add then Activate", act, c.name)
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("AddAct took SiLU, whose derivative needs the sum")
		}
	}()
	AddAct(Zeros(2, 2), Zeros(2, 2), kernels.SiLU)
}
