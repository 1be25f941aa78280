package optim

import (
	"math"
	"testing"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/kernels"
)

// Construction (settings checks, ownership of the groups), ZeroGrad, and the
// thread-count independence of Step.

func TestConstructorsRejectBadSettings(t *testing.T) {
	p := autograd.Zeros(2).SetRequiresGrad(true)
	q := autograd.Zeros(3).SetRequiresGrad(true)
	one := func(lr, wd float64) []Group { return []Group{{Params: []*autograd.Tensor{p}, LR: lr, WeightDecay: wd}} }
	sgd := func(g []Group, c SGDConfig) func() error {
		return func() error { _, err := NewSGD(g, c); return err }
	}
	adam := func(g []Group, c AdamConfig) func() error {
		return func() error { _, err := NewAdamW(g, c); return err }
	}
	bad := map[string]func() error{
		"no groups":             sgd(nil, SGDConfig{}),
		"negative lr":           sgd(one(-0.1, 0), SGDConfig{}),
		"NaN lr":                adam(one(math.NaN(), 0), DefaultAdamConfig()),
		"infinite weight decay": sgd(one(0.1, math.Inf(1)), SGDConfig{}),
		"negative weight decay": adam(one(0.1, -1), DefaultAdamConfig()),
		"nil parameter":         sgd([]Group{{Params: []*autograd.Tensor{nil}, LR: 0.1}}, SGDConfig{}),
		"parameter in two groups": sgd([]Group{{Params: []*autograd.Tensor{p, q}, LR: 0.1},
			{Params: []*autograd.Tensor{p}, LR: 0.1}}, SGDConfig{}),
		"negative momentum":         sgd(one(0.1, 0), SGDConfig{Momentum: -0.9}),
		"NaN dampening":             sgd(one(0.1, 0), SGDConfig{Momentum: 0.9, Dampening: math.NaN()}),
		"Nesterov without momentum": sgd(one(0.1, 0), SGDConfig{Nesterov: true}),
		"Nesterov with dampening":   sgd(one(0.1, 0), SGDConfig{Momentum: 0.9, Dampening: 0.1, Nesterov: true}),
		"beta1 of 1":                adam(one(0.1, 0), AdamConfig{Beta1: 1, Beta2: 0.999}),
		"negative beta2":            adam(one(0.1, 0), AdamConfig{Beta1: 0.9, Beta2: -0.1}),
		"negative eps":              adam(one(0.1, 0), AdamConfig{Beta1: 0.9, Beta2: 0.999, Eps: -1}),
	}
	for name, make := range bad {
		if err := make(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := sgd(one(0.1, 0), SGDConfig{Momentum: 0.9, Nesterov: true})(); err != nil {
		t.Errorf("valid Nesterov SGD refused: %v", err)
	}
}

// The optimiser owns copies of the groups: changing the caller's slice does
// nothing, changing a group through Groups changes the next step. Each group
// starts with the config's momentum and its own LR as InitialLR.
func TestGroupsBelongToTheOptimiser(t *testing.T) {
	p := autograd.Full(1, 2).SetRequiresGrad(true)
	groups := []Group{{Name: "head", Params: []*autograd.Tensor{p}, LR: 0.5}}
	opt, err := NewAdam(groups, DefaultAdamConfig())
	if err != nil {
		t.Fatal(err)
	}
	groups[0].LR, groups[0].Params[0] = 100, nil
	g := opt.Groups()[0]
	if g.LR != 0.5 || g.InitialLR != 0.5 || g.Momentum != 0.9 || g.Beta2 != 0.999 || g.Params[0] != p || g.Name != "head" {
		t.Fatalf("group after construction: %+v", *g)
	}
	g.LR = 0.25
	p.SetGrad([]float32{1, -1})
	opt.Step()
	// Adam's first step moves each element by lr·sign(g) (up to ε).
	if d := p.Data(); math.Abs(float64(d[0])-0.75) > 1e-6 || math.Abs(float64(d[1])-1.25) > 1e-6 {
		t.Fatalf("after a step with lr 0.25: %v", d)
	}
	opt.ZeroGrad()
	if p.Grad() != nil {
		t.Fatal("ZeroGrad left a gradient")
	}
	opt.Step() // no gradient: nothing moves
	if d := p.Data(); math.Abs(float64(d[0])-0.75) > 1e-6 {
		t.Fatalf("a step without gradients moved the parameter: %v", d)
	}
}

// A large parameter is updated in several chunks on the worker pool; the
// result equals the same update done on a one-thread pool.
func TestStepIndependentOfThreads(t *testing.T) {
	run := func(threads int) []float32 {
		old := kernels.SetThreads(threads)
		defer kernels.SetThreads(old)
		n := 200_003
		p := autograd.Zeros(n).SetRequiresGrad(true)
		opt, err := NewAdamW([]Group{{Params: []*autograd.Tensor{p}, LR: 1e-3, WeightDecay: 0.01}}, AdamConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, AMSGrad: true})
		if err != nil {
			t.Fatal(err)
		}
		for step := range 3 {
			g := make([]float32, n)
			for i := range g {
				g[i] = float32(math.Sin(float64(i*(step+1)))) * 0.1
			}
			p.SetGrad(g)
			opt.Step()
		}
		return p.Data()
	}
	one, three := run(1), run(3)
	for i := range one {
		if one[i] != three[i] {
			t.Fatalf("element %d: %v on one thread, %v on three", i, one[i], three[i])
		}
	}
}
