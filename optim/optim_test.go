package optim

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/safetensors"
)

// Optimisers against PyTorch: testdata/optimizers.safetensors holds, for each
// case of scripts/fixtures_optim.py, the three parameters after each of ten
// steps fed the same fixed gradients from the same start.

const fixtureSteps = 10

// optimCase mirrors one case of scripts/fixtures_optim.py.
type optimCase struct {
	make    func(params []*autograd.Tensor) (Optimizer, error)
	frozen  []int         // parameters with RequiresGrad false
	missing map[int][]int // step → parameters given no gradient at that step
	sched   Schedule      // applied before every step, or nil
}

func oneGroup(params []*autograd.Tensor, lr, wd float64) []Group {
	return []Group{{Params: params, LR: lr, WeightDecay: wd}}
}

var optimCases = map[string]optimCase{
	"sgd_plain": {make: func(p []*autograd.Tensor) (Optimizer, error) {
		return NewSGD(oneGroup(p, 0.1, 0), SGDConfig{})
	}},
	"sgd_momentum": {make: func(p []*autograd.Tensor) (Optimizer, error) {
		return NewSGD(oneGroup(p, 0.05, 0), SGDConfig{Momentum: 0.9})
	}},
	"sgd_nesterov_wd": {make: func(p []*autograd.Tensor) (Optimizer, error) {
		return NewSGD(oneGroup(p, 0.05, 1e-2), SGDConfig{Momentum: 0.9, Nesterov: true})
	}},
	"sgd_dampening": {make: func(p []*autograd.Tensor) (Optimizer, error) {
		return NewSGD(oneGroup(p, 0.05, 1e-3), SGDConfig{Momentum: 0.9, Dampening: 0.3})
	}},
	"sgd_groups": {make: func(p []*autograd.Tensor) (Optimizer, error) {
		opt, err := NewSGD([]Group{
			{Name: "backbone", Params: p[:2], LR: 1e-2, WeightDecay: 1e-4},
			{Name: "head", Params: p[2:], LR: 1e-1, WeightDecay: 1e-3},
		}, SGDConfig{Momentum: 0.9})
		if err == nil {
			opt.Groups()[1].Momentum = 0.8
		}
		return opt, err
	}},
	"adam": {make: func(p []*autograd.Tensor) (Optimizer, error) {
		return NewAdam(oneGroup(p, 1e-2, 0), DefaultAdamConfig())
	}},
	"adam_amsgrad_wd": {make: func(p []*autograd.Tensor) (Optimizer, error) {
		return NewAdam(oneGroup(p, 1e-2, 1e-2), AdamConfig{Beta1: 0.8, Beta2: 0.99, Eps: 1e-6, AMSGrad: true})
	}},
	"adamw": {make: func(p []*autograd.Tensor) (Optimizer, error) {
		return NewAdamW(oneGroup(p, 1e-2, 0.1), DefaultAdamConfig())
	}},
	"adamw_groups": {make: func(p []*autograd.Tensor) (Optimizer, error) {
		opt, err := NewAdamW([]Group{
			{Params: p[:2], LR: 1e-3, WeightDecay: 1e-2},
			{Params: p[2:], LR: 1e-2},
		}, DefaultAdamConfig())
		if err == nil {
			opt.Groups()[1].Momentum, opt.Groups()[1].Beta2 = 0.85, 0.98
		}
		return opt, err
	}},
	"adam_frozen": {make: func(p []*autograd.Tensor) (Optimizer, error) {
		return NewAdam(oneGroup(p, 1e-2, 1e-2), DefaultAdamConfig())
	}, frozen: []int{1}},
	"adam_missing_grad": {make: func(p []*autograd.Tensor) (Optimizer, error) {
		return NewAdam(oneGroup(p, 1e-2, 0), DefaultAdamConfig())
	}, missing: map[int][]int{3: {2}, 4: {2}}},
	"sgd_onecycle": {make: func(p []*autograd.Tensor) (Optimizer, error) {
		return NewSGD([]Group{{Params: p[:2], LR: 1e-2, WeightDecay: 1e-3}, {Params: p[2:], LR: 1e-1, WeightDecay: 1e-3}},
			SGDConfig{Momentum: 0.9})
	}, sched: NewOneCycleLR(fixtureSteps)},
	"adam_onecycle": {make: func(p []*autograd.Tensor) (Optimizer, error) {
		return NewAdam(oneGroup(p, 1e-2, 0), DefaultAdamConfig())
	}, sched: func() Schedule {
		s := NewOneCycleLR(fixtureSteps)
		s.Anneal, s.PctStart = AnnealLinear, 0.4
		return s
	}()},
}

func readFixture(t *testing.T, name string) *safetensors.File {
	t.Helper()
	f, err := safetensors.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func fixtureF32(t *testing.T, f *safetensors.File, name string) ([]float32, []int) {
	t.Helper()
	v, shape, err := f.Float32(name)
	if err != nil {
		t.Fatal(err)
	}
	return v, shape
}

// fixtureF64 reads an F64 tensor without rounding it to float32.
func fixtureF64(t *testing.T, f *safetensors.File, name string) ([]float64, []int) {
	t.Helper()
	tensor, ok := f.Get(name)
	if !ok || tensor.DType != safetensors.Float64 {
		t.Fatalf("fixture has no F64 tensor %q", name)
	}
	out := make([]float64, len(tensor.Data)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(tensor.Data[8*i:]))
	}
	return out, tensor.Shape
}

// fixtureParams returns fresh parameters holding the fixture's start values.
func fixtureParams(t *testing.T, f *safetensors.File) []*autograd.Tensor {
	var params []*autograd.Tensor
	for j := 0; ; j++ {
		name := fmt.Sprintf("init.p%d", j)
		if _, ok := f.Get(name); !ok {
			return params
		}
		v, shape := fixtureF32(t, f, name)
		params = append(params, autograd.New(v, shape...).SetRequiresGrad(true))
	}
}

// setFixtureGrads gives each parameter a copy of the fixture's gradient for
// step k, or none where the case says so. A frozen parameter gets one too:
// Step must skip it because it does not require a gradient.
func setFixtureGrads(t *testing.T, f *safetensors.File, params []*autograd.Tensor, c optimCase, k int) {
	for j, p := range params {
		g, _ := fixtureF32(t, f, fmt.Sprintf("grad.%d.p%d", k, j))
		if slices.Contains(c.missing[k], j) {
			g = nil
		}
		p.SetGrad(g)
	}
}

// closeTo reports whether got is within atol + rtol·|want| of want.
func closeTo(got, want float32, atol, rtol float64) bool {
	return math.Abs(float64(got)-float64(want)) <= atol+rtol*math.Abs(float64(want))
}

func TestOptimizersMatchPyTorch(t *testing.T) {
	f := readFixture(t, "optimizers.safetensors")
	names := strings.Split(f.Metadata["cases"], ",")
	if len(names) != len(optimCases) {
		t.Fatalf("fixture has cases %v; the test knows %d", names, len(optimCases))
	}
	for _, name := range names {
		c, ok := optimCases[name]
		if !ok {
			t.Fatalf("fixture case %q is not in optimCases", name)
		}
		t.Run(name, func(t *testing.T) {
			params := fixtureParams(t, f)
			for _, j := range c.frozen {
				params[j].SetRequiresGrad(false)
			}
			opt, err := c.make(params)
			if err != nil {
				t.Fatal(err)
			}
			worst, differing := 0.0, 0
			for k := range fixtureSteps {
				setFixtureGrads(t, f, params, c, k)
				if c.sched != nil {
					ApplySchedule(opt, c.sched, k)
				}
				opt.Step()
				for j, p := range params {
					want, _ := fixtureF32(t, f, fmt.Sprintf("%s.%d.p%d", name, k, j))
					for i, g := range p.Data() {
						if g != want[i] {
							differing++
							worst = max(worst, math.Abs(float64(g-want[i]))/math.Abs(float64(want[i])))
						}
						if !closeTo(g, want[i], 1e-7, 1e-6) {
							t.Fatalf("step %d, p%d[%d] = %v, PyTorch %v", k, j, i, g, want[i])
						}
					}
				}
			}
			t.Logf("%d values differ from PyTorch's bits; largest relative difference %.3g", differing, worst)
		})
	}
}
