package autograd

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// Tests of Add, Sub, Mul and the scalar ops: finite differences over the
// broadcast cases the models need, and PyTorch fixtures.

var broadcastCases = [][2][]int{
	{{2, 3, 4, 5}, {2, 3, 4, 5}},
	{{2, 3, 4, 5}, {1, 3, 1, 1}},
	{{2, 3, 4, 5}, {2, 3, 1, 1}},
	{{2, 3, 4, 5}, {5}},
	{{2, 1, 4, 1}, {1, 3, 1, 5}},
	{{1, 3, 1, 1}, {2, 3, 4, 5}},
	{{}, {3, 4}},
}

func TestBroadcastOpGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	ops := []struct {
		name string
		f    func(a, b *Tensor) *Tensor
	}{{"Add", Add}, {"Sub", Sub}, {"Mul", Mul}}
	for _, c := range broadcastCases {
		for _, op := range ops {
			a, b := param(rng, c[0]...), param(rng, c[1]...)
			gradCheck(t, fmt.Sprintf("%s %v %v", op.name, c[0], c[1]),
				func(in []*Tensor) *Tensor { return op.f(in[0], in[1]) },
				[]*Tensor{a, b}, 1e-2, 1e-3)
		}
	}
}

// An operand used twice receives both contributions: d(x·x)/dx = 2x.
func TestMulSameTensorTwice(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	x := param(rng, 3, 4)
	gradCheck(t, "Mul(x, x)", func(in []*Tensor) *Tensor { return Mul(in[0], in[0]) }, []*Tensor{x}, 1e-2, 1e-3)
}

// An intermediate result whose first gradient comes from Add or Sub
// receives a copy of it (negated for Sub's second operand), and later
// contributions add to it: h = 1.5x used by Add(h, h) and by Mul(h, k),
// whose results are added, or subtracted.
func TestAddGradientIntoFreshIntermediate(t *testing.T) {
	rng := rand.New(rand.NewPCG(37, 38))
	x := param(rng, 3, 4)
	for name, join := range map[string]func(a, b *Tensor) *Tensor{"Add": Add, "Sub": Sub} {
		gradCheck(t, name+"(Add(h, h), Mul(h, k))", func(in []*Tensor) *Tensor {
			h, k := Scale(in[0], 1.5), Scale(in[0], -0.5)
			return join(Add(h, h), Mul(h, k))
		}, []*Tensor{x}, 1e-2, 1e-3)
	}
}

func TestScalarOpGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	x := param(rng, 2, 3, 4)
	gradCheck(t, "Scale", func(in []*Tensor) *Tensor { return Scale(in[0], -1.75) }, []*Tensor{x}, 1e-2, 1e-3)
	gradCheck(t, "AddScalar", func(in []*Tensor) *Tensor { return AddScalar(in[0], 3) }, []*Tensor{x}, 1e-2, 1e-3)
	gradCheck(t, "Neg", func(in []*Tensor) *Tensor { return Neg(in[0]) }, []*Tensor{x}, 1e-2, 1e-3)
	y := New([]float32{1, -2}, 2)
	if err := closeSlices(AddScalar(Scale(y, 3), 0.5).Data(), []float32{3.5, -5.5}, 0, 0); err != nil {
		t.Error(err)
	}
	if err := closeSlices(Neg(y).Data(), []float32{-1, 2}, 0, 0); err != nil {
		t.Error(err)
	}
}

func TestBroadcastOpsMatchPyTorch(t *testing.T) {
	f := openLossFixture(t, "testdata/elem_broadcast.safetensors")
	cases := strings.Split(f.file.Metadata["cases"], ",")
	if len(cases) < 6 {
		t.Fatalf("fixture lists cases %q", f.file.Metadata["cases"])
	}
	ops := map[string]func(a, b *Tensor) *Tensor{"add": Add, "sub": Sub, "mul": Mul}
	for _, c := range cases {
		for _, op := range []string{"add", "sub", "mul"} {
			a := f.tensor(c + ".a").SetRequiresGrad(true)
			b := f.tensor(c + ".b").SetRequiresGrad(true)
			out := ops[op](a, b).Retain()
			Sum(Mul(out, f.tensor(c+".r"))).Backward()
			key := c + "." + op
			f.compare(key+" out", out.Data(), key+".out", 0, 0)
			f.compare(key+" d/da", a.Grad(), key+".grad_a", 1e-6, 1e-5)
			f.compare(key+" d/db", b.Grad(), key+".grad_b", 1e-6, 1e-5)
		}
	}
}

func TestBroadcastOpPanicsNamingShapes(t *testing.T) {
	msg := panicMessage(func() { Add(Zeros(2, 3, 4), Zeros(2, 4, 3)) })
	if !strings.Contains(msg, "autograd.Add") || !strings.Contains(msg, "[2 3 4]") || !strings.Contains(msg, "[2 4 3]") {
		t.Fatalf("panic %q does not name the op and both shapes", msg)
	}
}
