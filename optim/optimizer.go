package optim

import (
	"fmt"
	"math"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/kernels"
)

// What every optimiser shares: parameter groups, the per-parameter state
// they accumulate, and the float32 arithmetic helpers of the update rules.
// Each parameter's update is elementwise, so the elements are split across
// the worker pool in fixed chunks; the result does not depend on how many
// threads run.

// Group is a set of parameters that share hyper-parameters.
type Group struct {
	Name        string // optional label, e.g. "backbone" or "head"
	Params      []*autograd.Tensor
	LR          float64 // learning rate; schedules set it
	WeightDecay float64 // λ: L2 penalty for SGD and Adam, decoupled decay for AdamW

	// The constructor fills these in from the optimiser's config; change them
	// afterwards (through Groups) to give a group its own values.
	Momentum  float64 // SGD's momentum μ, or Adam's and AdamW's β₁; OneCycleLR cycles it
	Beta2     float64 // Adam's and AdamW's β₂; unused by SGD
	InitialLR float64 // LR when the optimiser was made; schedules start from it
}

// Optimizer updates parameters from their gradients.
type Optimizer interface {
	// Step applies one update to every parameter that has a gradient.
	Step()
	// ZeroGrad drops every parameter's gradient (PyTorch's set_to_none).
	ZeroGrad()
	// Groups returns the parameter groups, in order, for reading and for
	// changing their hyper-parameters.
	Groups() []*Group
	// State returns a copy of the optimiser's state for a checkpoint.
	State() State
	// LoadState replaces the optimiser's state with st, after checking that
	// st was saved by the same kind of optimiser over parameters of the same
	// shapes.
	LoadState(st State) error
}

// paramState is what an optimiser remembers about one parameter. Buffers are
// created on the parameter's first step, so a parameter that never had a
// gradient has none.
type paramState struct {
	step        int64     // Adam: steps taken by this parameter
	momentum    []float32 // SGD: momentum buffer
	expAvg      []float32 // Adam: first moment m
	expAvgSq    []float32 // Adam: second moment v
	maxExpAvgSq []float32 // Adam with AMSGrad: running maximum of v
}

// base holds the groups and the per-parameter state. State is looked up by
// tensor, so it follows a parameter even if the caller reorders a group's
// Params; saving and loading walk the groups in order.
type base struct {
	groups []*Group
	state  map[*autograd.Tensor]*paramState
}

// newBase copies the caller's groups, records each group's InitialLR and
// checks the learning rates and weight decays.
func newBase(groups []Group, momentum, beta2 float64) (base, error) {
	if len(groups) == 0 {
		return base{}, fmt.Errorf("optim: no parameter groups")
	}
	b := base{state: make(map[*autograd.Tensor]*paramState)}
	seen := make(map[*autograd.Tensor]int)
	for gi, g := range groups {
		if !(g.LR >= 0) || math.IsInf(g.LR, 0) {
			return base{}, fmt.Errorf("optim: group %d (%q): invalid learning rate %v", gi, g.Name, g.LR)
		}
		if !(g.WeightDecay >= 0) || math.IsInf(g.WeightDecay, 0) {
			return base{}, fmt.Errorf("optim: group %d (%q): invalid weight decay %v", gi, g.Name, g.WeightDecay)
		}
		for _, p := range g.Params {
			if p == nil {
				return base{}, fmt.Errorf("optim: group %d (%q) holds a nil parameter", gi, g.Name)
			}
			if other, dup := seen[p]; dup {
				return base{}, fmt.Errorf("optim: a parameter appears in groups %d and %d", other, gi)
			}
			seen[p] = gi
		}
		g.Params = append([]*autograd.Tensor(nil), g.Params...)
		g.Momentum, g.Beta2, g.InitialLR = momentum, beta2, g.LR
		b.groups = append(b.groups, &g)
	}
	return b, nil
}

// Groups returns the parameter groups in order.
func (b *base) Groups() []*Group { return b.groups }

// ZeroGrad drops every parameter's gradient.
func (b *base) ZeroGrad() {
	for _, g := range b.groups {
		for _, p := range g.Params {
			p.ZeroGrad()
		}
	}
}

// eachUpdated calls fn for every parameter of g that Step updates (those that
// require a gradient and have one) with its state, created empty on first use.
func (b *base) eachUpdated(g *Group, fn func(p *autograd.Tensor, st *paramState)) {
	for _, p := range g.Params {
		if !p.RequiresGrad() || p.Grad() == nil {
			continue
		}
		st := b.state[p]
		if st == nil {
			st = &paramState{}
			b.state[p] = st
		}
		fn(p, st)
	}
}

// elementwise runs fn over [0, n) in fixed chunks on the worker pool; cost is
// the rough number of floating-point operations per element.
func elementwise(n, cost int, fn func(lo, hi int)) {
	kernels.Parallel(n, kernels.GrainFor(n, cost), fn)
}

// unitInterval reports whether 0 ≤ v < 1, the range of momentum-like factors.
func unitInterval(v float64) bool { return v >= 0 && v < 1 }
