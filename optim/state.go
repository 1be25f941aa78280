package optim

import (
	"fmt"
	"math"
	"slices"

	"github.com/gocnn/gocnn/autograd"
)

// Saving and restoring optimiser state. A State has two parts: a small
// description that marshals to JSON (kind, settings, each group's
// hyper-parameters and parameter count, Adam's per-parameter step counts),
// and Buffers, the per-parameter tensors, named
//
//	group.<g>.param.<i>.<buffer>
//
// where g and i index Groups and Group.Params and <buffer> is PyTorch's state
// key: momentum_buffer (SGD), exp_avg, exp_avg_sq, max_exp_avg_sq (Adam,
// AdamW). A trainer stores the buffers as float32 tensors in a checkpoint and
// the description as its metadata. Parameters that have not been stepped yet
// have no buffers.

// State is an optimiser's resumable state. Everything but Buffers marshals
// to JSON.
type State struct {
	Kind    string       `json:"kind"` // "sgd", "adam" or "adamw"
	SGD     *SGDConfig   `json:"sgd,omitempty"`
	Adam    *AdamConfig  `json:"adam,omitempty"`
	Groups  []GroupState `json:"groups"`
	Buffers []Buffer     `json:"-"`
}

// GroupState is one group's hyper-parameters and parameter count.
type GroupState struct {
	Name        string  `json:"name,omitempty"`
	Params      int     `json:"params"`
	LR          float64 `json:"lr"`
	InitialLR   float64 `json:"initial_lr"`
	WeightDecay float64 `json:"weight_decay"`
	Momentum    float64 `json:"momentum"`
	Beta2       float64 `json:"beta2,omitempty"`
	Steps       []int64 `json:"steps,omitempty"` // Adam and AdamW: steps taken by each parameter
}

// Buffer is one named state tensor, shaped like its parameter.
type Buffer struct {
	Name  string
	Shape []int
	Data  []float32
}

// bufferNames are PyTorch's names of the per-parameter state tensors.
var bufferNames = []string{"momentum_buffer", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}

func bufferName(group, param int, buffer string) string {
	return fmt.Sprintf("group.%d.param.%d.%s", group, param, buffer)
}

// buffer returns where ps keeps the state tensor with the given name.
func (ps *paramState) buffer(name string) *[]float32 {
	switch name {
	case "momentum_buffer":
		return &ps.momentum
	case "exp_avg":
		return &ps.expAvg
	case "exp_avg_sq":
		return &ps.expAvgSq
	case "max_exp_avg_sq":
		return &ps.maxExpAvgSq
	}
	panic("optim: unknown state buffer " + name)
}

// empty reports whether ps holds nothing worth saving.
func (ps *paramState) empty() bool {
	return ps.step == 0 && ps.momentum == nil && ps.expAvg == nil && ps.expAvgSq == nil && ps.maxExpAvgSq == nil
}

// saveState appends the groups' descriptions and copies of all buffers to
// st; withSteps records each parameter's step count.
func (b *base) saveState(st *State, withSteps bool) {
	for gi, g := range b.groups {
		gs := GroupState{Name: g.Name, Params: len(g.Params), LR: g.LR, InitialLR: g.InitialLR,
			WeightDecay: g.WeightDecay, Momentum: g.Momentum, Beta2: g.Beta2}
		if withSteps {
			gs.Steps = make([]int64, len(g.Params))
		}
		for pi, p := range g.Params {
			ps := b.state[p]
			if ps == nil {
				continue
			}
			if withSteps {
				gs.Steps[pi] = ps.step
			}
			for _, name := range bufferNames {
				if data := *ps.buffer(name); data != nil {
					st.Buffers = append(st.Buffers, Buffer{
						Name:  bufferName(gi, pi, name),
						Shape: slices.Clone(p.Shape()),
						Data:  slices.Clone(data),
					})
				}
			}
		}
		st.Groups = append(st.Groups, gs)
	}
}

// loadState replaces the state and the groups' hyper-parameters with st's
// after checking all of it: the group and parameter counts, every buffer's
// name (one of allowed) and shape, and, through the callbacks, the
// optimiser-specific hyper-parameters and per-parameter consistency. On
// error nothing changes.
func (b *base) loadState(st State, allowed []string, withSteps bool,
	checkGroup func(gi int, g GroupState) error, checkParam func(ps *paramState) error) error {
	if len(st.Groups) != len(b.groups) {
		return fmt.Errorf("optim: state has %d parameter groups, the optimiser %d", len(st.Groups), len(b.groups))
	}
	byName := make(map[string]Buffer, len(st.Buffers))
	for _, buf := range st.Buffers {
		if _, dup := byName[buf.Name]; dup {
			return fmt.Errorf("optim: state buffer %q appears twice", buf.Name)
		}
		byName[buf.Name] = buf
	}
	used := make(map[string]bool, len(st.Buffers))
	state := make(map[*autograd.Tensor]*paramState)
	for gi, g := range b.groups {
		gs := st.Groups[gi]
		if gs.Params != len(g.Params) {
			return fmt.Errorf("optim: state group %d has %d parameters, the optimiser's has %d", gi, gs.Params, len(g.Params))
		}
		if !(gs.LR >= 0) || math.IsInf(gs.LR, 0) || !(gs.InitialLR >= 0) || math.IsInf(gs.InitialLR, 0) {
			return fmt.Errorf("optim: state group %d: invalid learning rate %v (initial %v)", gi, gs.LR, gs.InitialLR)
		}
		if !(gs.WeightDecay >= 0) || math.IsInf(gs.WeightDecay, 0) {
			return fmt.Errorf("optim: state group %d: invalid weight decay %v", gi, gs.WeightDecay)
		}
		if err := checkGroup(gi, gs); err != nil {
			return err
		}
		switch {
		case withSteps && len(gs.Steps) != len(g.Params):
			return fmt.Errorf("optim: state group %d has %d step counts for %d parameters", gi, len(gs.Steps), len(g.Params))
		case !withSteps && gs.Steps != nil:
			return fmt.Errorf("optim: state group %d has step counts, which this optimiser does not keep", gi)
		}
		for pi, p := range g.Params {
			ps := &paramState{}
			if withSteps {
				if gs.Steps[pi] < 0 {
					return fmt.Errorf("optim: state group %d parameter %d: negative step count %d", gi, pi, gs.Steps[pi])
				}
				ps.step = gs.Steps[pi]
			}
			for _, name := range allowed {
				full := bufferName(gi, pi, name)
				buf, ok := byName[full]
				if !ok {
					continue
				}
				used[full] = true
				if !slices.Equal(buf.Shape, p.Shape()) || len(buf.Data) != p.Numel() {
					return fmt.Errorf("optim: state buffer %q has shape %v and %d values; the parameter has shape %v",
						full, buf.Shape, len(buf.Data), p.Shape())
				}
				*ps.buffer(name) = slices.Clone(buf.Data)
			}
			if checkParam != nil {
				if err := checkParam(ps); err != nil {
					return fmt.Errorf("optim: state of group %d parameter %d %w", gi, pi, err)
				}
			}
			if !ps.empty() {
				state[p] = ps
			}
		}
	}
	for _, buf := range st.Buffers {
		if !used[buf.Name] {
			return fmt.Errorf("optim: unexpected buffer %q in %q optimiser state", buf.Name, st.Kind)
		}
	}
	for gi, g := range b.groups {
		gs := st.Groups[gi]
		g.LR, g.InitialLR, g.WeightDecay, g.Momentum, g.Beta2 = gs.LR, gs.InitialLR, gs.WeightDecay, gs.Momentum, gs.Beta2
	}
	b.state = state
	return nil
}
