package optim

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/gocnn/gocnn/autograd"
)

// Optimiser state: saving, restoring through JSON and stepping on must give
// the bits of an uninterrupted run; states that do not fit are refused.

// runSteps steps opt over the fixture gradients for steps [from, to), applying
// the case's schedule or else halving the first group's learning rate by
// hand before step 3 (so that restoring must bring back changed
// hyper-parameters too).
func runSteps(t *testing.T, opt Optimizer, params []*autograd.Tensor, c optimCase, from, to int) {
	f := readFixture(t, "optimizers.safetensors")
	for k := from; k < to; k++ {
		if c.sched != nil {
			ApplySchedule(opt, c.sched, k)
		} else if k == 3 {
			opt.Groups()[0].LR /= 2
		}
		setFixtureGrads(t, f, params, c, k)
		opt.Step()
	}
}

// Saving after four steps, restoring into a fresh optimiser over copies of the
// parameters (the description through JSON) and stepping on gives exactly
// the bits of ten uninterrupted steps, for every fixture case.
func TestStateResumeIsExact(t *testing.T) {
	f := readFixture(t, "optimizers.safetensors")
	for name, c := range optimCases {
		t.Run(name, func(t *testing.T) {
			fresh := func(from []*autograd.Tensor) ([]*autograd.Tensor, Optimizer) {
				params := make([]*autograd.Tensor, len(from))
				for j, p := range from {
					params[j] = p.Clone().SetRequiresGrad(!slices.Contains(c.frozen, j))
				}
				opt, err := c.make(params)
				if err != nil {
					t.Fatal(err)
				}
				return params, opt
			}
			start := fixtureParams(t, f)
			straight, opt := fresh(start)
			runSteps(t, opt, straight, c, 0, fixtureSteps)

			first, opt := fresh(start)
			runSteps(t, opt, first, c, 0, 4)
			saved := opt.State()
			desc, err := json.Marshal(saved)
			if err != nil {
				t.Fatal(err)
			}
			var restored State
			if err := json.Unmarshal(desc, &restored); err != nil {
				t.Fatal(err)
			}
			restored.Buffers = saved.Buffers

			resumed, opt := fresh(first)
			if err := opt.LoadState(restored); err != nil {
				t.Fatal(err)
			}
			for _, b := range restored.Buffers { // LoadState must have copied them
				clear(b.Data)
			}
			runSteps(t, opt, resumed, c, 4, fixtureSteps)
			for j := range straight {
				if !slices.Equal(resumed[j].Data(), straight[j].Data()) {
					t.Fatalf("p%d after resuming differs from the uninterrupted run:\n%v\n%v", j, resumed[j].Data(), straight[j].Data())
				}
			}
		})
	}
}

// stateAfterSteps returns an optimiser of the given case stepped twice and
// its saved state.
func stateAfterSteps(t *testing.T, name string) (Optimizer, State) {
	f := readFixture(t, "optimizers.safetensors")
	c := optimCases[name]
	params := fixtureParams(t, f)
	opt, err := c.make(params)
	if err != nil {
		t.Fatal(err)
	}
	runSteps(t, opt, params, c, 0, 2)
	return opt, opt.State()
}

func TestStateNamesAndShapes(t *testing.T) {
	_, st := stateAfterSteps(t, "adam_amsgrad_wd")
	var names []string
	for _, b := range st.Buffers {
		names = append(names, b.Name)
	}
	want := []string{
		"group.0.param.0.exp_avg", "group.0.param.0.exp_avg_sq", "group.0.param.0.max_exp_avg_sq",
		"group.0.param.1.exp_avg", "group.0.param.1.exp_avg_sq", "group.0.param.1.max_exp_avg_sq",
		"group.0.param.2.exp_avg", "group.0.param.2.exp_avg_sq", "group.0.param.2.max_exp_avg_sq",
	}
	if !slices.Equal(names, want) {
		t.Fatalf("buffer names %v, want %v", names, want)
	}
	if !slices.Equal(st.Buffers[0].Shape, []int{4, 3}) || !slices.Equal(st.Groups[0].Steps, []int64{2, 2, 2}) {
		t.Fatalf("first buffer shape %v, steps %v", st.Buffers[0].Shape, st.Groups[0].Steps)
	}
	_, st = stateAfterSteps(t, "sgd_plain")
	if len(st.Buffers) != 0 || st.Groups[0].Steps != nil {
		t.Fatalf("SGD without momentum saved %d buffers and steps %v", len(st.Buffers), st.Groups[0].Steps)
	}
}

// A state that does not fit is refused with an error, and the optimiser is
// left as it was. Each edit starts from fresh states of an Adam and an SGD
// with momentum, both stepped twice.
func TestLoadStateRejectsMismatches(t *testing.T) {
	cases := map[string]struct {
		into string // fixture case of the optimiser that loads
		edit func(adam, sgd State) State
	}{
		"SGD state into Adam":   {"adam", func(a, s State) State { return s }},
		"Adam state into AdamW": {"adamw", func(a, s State) State { return a }},
		"Adam state into SGD":   {"sgd_momentum", func(a, s State) State { return a }},
		"eps differs":           {"adam", func(a, s State) State { a.Adam.Eps = 1e-3; return a }},
		"AMSGrad differs":       {"adam", func(a, s State) State { a.Adam.AMSGrad = true; return a }},
		"Nesterov differs":      {"sgd_momentum", func(a, s State) State { s.SGD.Nesterov = true; return s }},
		"group count":           {"adam", func(a, s State) State { a.Groups = append(a.Groups, a.Groups[0]); return a }},
		"parameter count":       {"adam", func(a, s State) State { a.Groups[0].Params = 2; return a }},
		"step counts":           {"adam", func(a, s State) State { a.Groups[0].Steps = a.Groups[0].Steps[:2]; return a }},
		"SGD with steps":        {"sgd_momentum", func(a, s State) State { s.Groups[0].Steps = []int64{1, 1, 1}; return s }},
		"negative step":         {"adam", func(a, s State) State { a.Groups[0].Steps[1] = -1; return a }},
		"step without buffers":  {"adam", func(a, s State) State { a.Buffers = a.Buffers[2:]; return a }},
		"buffers, step 0":       {"adam", func(a, s State) State { a.Groups[0].Steps[0] = 0; return a }},
		"buffer shape":          {"adam", func(a, s State) State { a.Buffers[0].Shape = []int{3, 4}; return a }},
		"buffer length":         {"adam", func(a, s State) State { a.Buffers[0].Data = a.Buffers[0].Data[:5]; return a }},
		"duplicate buffer":      {"adam", func(a, s State) State { a.Buffers = append(a.Buffers, a.Buffers[0]); return a }},
		"parameter out of range": {"adam", func(a, s State) State {
			a.Buffers = append(a.Buffers, Buffer{"group.0.param.9.exp_avg", []int{1}, []float32{0}})
			return a
		}},
		"SGD buffer in Adam state": {"adam", func(a, s State) State {
			a.Buffers = append(a.Buffers, Buffer{"group.0.param.0.momentum_buffer", []int{4, 3}, make([]float32, 12)})
			return a
		}},
		"AMSGrad buffer without AMSGrad": {"adam", func(a, s State) State {
			a.Buffers = append(a.Buffers, Buffer{"group.0.param.0.max_exp_avg_sq", []int{4, 3}, make([]float32, 12)})
			return a
		}},
		"Adam buffer in SGD state": {"sgd_momentum", func(a, s State) State { s.Buffers[0].Name = "group.0.param.0.exp_avg"; return s }},
		"negative lr":              {"adam", func(a, s State) State { a.Groups[0].LR = -1; return a }},
		"infinite initial lr":      {"adam", func(a, s State) State { a.Groups[0].InitialLR = math.Inf(1); return a }},
		"NaN weight decay":         {"adam", func(a, s State) State { a.Groups[0].WeightDecay = math.NaN(); return a }},
		"beta1 of 1":               {"adam", func(a, s State) State { a.Groups[0].Momentum = 1; return a }},
		"negative momentum":        {"sgd_momentum", func(a, s State) State { s.Groups[0].Momentum = -0.5; return s }},
	}
	for name, c := range cases {
		_, adam := stateAfterSteps(t, "adam")
		_, sgd := stateAfterSteps(t, "sgd_momentum")
		st := c.edit(adam, sgd)
		opt, before := stateAfterSteps(t, c.into)
		err := opt.LoadState(st)
		switch {
		case err == nil:
			t.Errorf("%s: LoadState accepted the state", name)
		case !reflect.DeepEqual(opt.State(), before):
			t.Errorf("%s: a failed LoadState changed the optimiser (error: %v)", name, err)
		default:
			t.Logf("%s: %v", name, err)
		}
	}
}
