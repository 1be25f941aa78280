package optim

import (
	"math"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/autograd"
)

// Schedules against PyTorch: testdata/schedules.safetensors holds the
// learning rate of two groups (initial rates 0.1 and 0.01) at steps 0..49 of
// each scheduler in scripts/fixtures_optim.py, and OneCycleLR's momentum or β₁.

var scheduleCases = map[string]struct {
	sched Schedule
	adam  bool
}{
	"step":        {sched: StepLR{StepSize: 7, Gamma: 0.5}},
	"multistep":   {sched: MultiStepLR{Milestones: []int{10, 25, 25, 40}, Gamma: 0.1}},
	"exponential": {sched: ExponentialLR{Gamma: 0.93}},
	"cosine":      {sched: CosineAnnealingLR{TMax: 20, EtaMin: 1e-3}},
	"linear":      {sched: LinearLR{StartFactor: 0.1, EndFactor: 1, TotalIters: 10}},
	"warmup_cosine": {sched: SequentialLR{
		Schedules:  []Schedule{LinearLR{StartFactor: 0.01, EndFactor: 1, TotalIters: 5}, CosineAnnealingLR{TMax: 45, EtaMin: 1e-4}},
		Milestones: []int{5},
	}},
	"onecycle_cos_sgd": {sched: NewOneCycleLR(50)},
	"onecycle_linear_adam": {sched: OneCycleLR{TotalSteps: 50, PctStart: 0.25, Anneal: AnnealLinear, DivFactor: 10,
		FinalDivFactor: 100, CycleMomentum: true, BaseMomentum: 0.8, MaxMomentum: 0.9}, adam: true},
	"onecycle_three_phase": {sched: func() Schedule { s := NewOneCycleLR(50); s.ThreePhase = true; return s }()},
}

// twoGroups returns an optimiser with groups at learning rates 0.1 and 0.01.
func twoGroups(t *testing.T, adam bool) Optimizer {
	groups := []Group{
		{Params: []*autograd.Tensor{autograd.Zeros(1).SetRequiresGrad(true)}, LR: 0.1},
		{Params: []*autograd.Tensor{autograd.Zeros(1).SetRequiresGrad(true)}, LR: 0.01},
	}
	var opt Optimizer
	var err error
	if adam {
		opt, err = NewAdam(groups, DefaultAdamConfig())
	} else {
		opt, err = NewSGD(groups, SGDConfig{Momentum: 0.9})
	}
	if err != nil {
		t.Fatal(err)
	}
	return opt
}

func TestSchedulesMatchPyTorch(t *testing.T) {
	f := readFixture(t, "schedules.safetensors")
	seen := 0
	for _, name := range f.Names() {
		base, ok := strings.CutSuffix(name, ".lr")
		if !ok {
			continue
		}
		seen++
		c, ok := scheduleCases[base]
		if !ok {
			t.Fatalf("fixture schedule %q is not in scheduleCases", base)
		}
		t.Run(base, func(t *testing.T) {
			if err := c.sched.Validate(); err != nil {
				t.Fatal(err)
			}
			lrs, shape := fixtureF64(t, f, name)
			var momenta []float64
			if _, ok := f.Get(base + ".momentum"); ok {
				momenta, _ = fixtureF64(t, f, base+".momentum")
			}
			opt := twoGroups(t, c.adam)
			worst := 0.0
			for step := range shape[0] {
				ApplySchedule(opt, c.sched, step)
				for gi, g := range opt.Groups() {
					want := lrs[step*2+gi]
					worst = max(worst, math.Abs(g.LR-want)/want)
					if math.Abs(g.LR-want) > 1e-12*want {
						t.Fatalf("step %d group %d: lr %.17g, PyTorch %.17g", step, gi, g.LR, want)
					}
					if momenta != nil && math.Abs(g.Momentum-momenta[step*2+gi]) > 1e-12 {
						t.Fatalf("step %d group %d: momentum %.17g, PyTorch %.17g", step, gi, g.Momentum, momenta[step*2+gi])
					}
				}
			}
			t.Logf("largest relative lr difference %.3g over %d steps", worst, shape[0])
		})
	}
	if seen != len(scheduleCases) {
		t.Fatalf("fixture has %d schedules, the test knows %d", seen, len(scheduleCases))
	}
}

// Without momentum cycling OneCycleLR leaves the groups' momentum alone, and
// past TotalSteps the rate stays put.
func TestOneCycleEdges(t *testing.T) {
	s := NewOneCycleLR(20)
	s.CycleMomentum = false
	opt := twoGroups(t, false)
	ApplySchedule(opt, s, 5)
	if m := opt.Groups()[0].Momentum; m != 0.9 {
		t.Fatalf("momentum changed to %v without CycleMomentum", m)
	}
	if a, b := s.LR(1, 20), s.LR(1, 500); a != b {
		t.Fatalf("lr past the end moves: %v at TotalSteps, %v later", a, b)
	}
	if got, want := s.LR(1, 19), 1.0/25/1e4; math.Abs(got-want) > 1e-18 {
		t.Fatalf("last step lr %v, want the minimum %v", got, want)
	}
}

func TestScheduleValidation(t *testing.T) {
	bad := map[string]Schedule{
		"step size 0":          StepLR{Gamma: 0.5},
		"negative gamma":       ExponentialLR{Gamma: -1},
		"NaN gamma":            MultiStepLR{Gamma: math.NaN()},
		"cosine TMax 0":        CosineAnnealingLR{},
		"linear start 0":       LinearLR{EndFactor: 1, TotalIters: 5},
		"linear no iterations": LinearLR{StartFactor: 0.5, EndFactor: 1},
		"sequential milestones": SequentialLR{
			Schedules: []Schedule{ExponentialLR{Gamma: 0.9}, ExponentialLR{Gamma: 0.9}}},
		"sequential unsorted": SequentialLR{
			Schedules:  []Schedule{ExponentialLR{Gamma: 0.9}, ExponentialLR{Gamma: 0.9}, ExponentialLR{Gamma: 0.9}},
			Milestones: []int{5, 3}},
		"sequential bad child": SequentialLR{
			Schedules: []Schedule{ExponentialLR{Gamma: 0.9}, StepLR{}}, Milestones: []int{3}},
		"onecycle no steps":     OneCycleLR{PctStart: 0.3, DivFactor: 25, FinalDivFactor: 1e4},
		"onecycle pct":          func() Schedule { s := NewOneCycleLR(10); s.PctStart = 1.5; return s }(),
		"onecycle momentum":     func() Schedule { s := NewOneCycleLR(10); s.MaxMomentum = 1; return s }(),
		"onecycle empty warmup": func() Schedule { s := NewOneCycleLR(10); s.PctStart = 0.1; return s }(),
		"onecycle div":          func() Schedule { s := NewOneCycleLR(10); s.DivFactor = 0; return s }(),
		"onecycle anneal":       func() Schedule { s := NewOneCycleLR(10); s.Anneal = 7; return s }(),
	}
	for name, s := range bad {
		if err := s.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", name, s)
		}
	}
}
