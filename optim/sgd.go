package optim

import (
	"fmt"
	"math"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/kernels"
)

// SGD: stochastic gradient descent with momentum, dampening, Nesterov
// momentum and L2 weight decay (torch.optim.SGD). Its state is one momentum
// buffer per parameter, shaped like the parameter, created on the
// parameter's first step when the group's momentum is not zero.

// SGDConfig holds SGD's settings. Momentum is copied into every group's
// Momentum; Dampening and Nesterov apply to all groups.
type SGDConfig struct {
	Momentum  float64 `json:"momentum"`
	Dampening float64 `json:"dampening"`
	Nesterov  bool    `json:"nesterov"`
}

// SGD is the stochastic gradient descent optimiser.
type SGD struct {
	base
	cfg SGDConfig
}

// NewSGD returns an SGD optimiser over the given groups, each with its own
// LR and WeightDecay. It returns an error for negative or non-finite
// settings, a parameter listed twice, or Nesterov without momentum or with
// dampening (as PyTorch does).
func NewSGD(groups []Group, cfg SGDConfig) (*SGD, error) {
	if !(cfg.Momentum >= 0) || math.IsInf(cfg.Momentum, 0) {
		return nil, fmt.Errorf("optim.NewSGD: invalid momentum %v", cfg.Momentum)
	}
	if math.IsNaN(cfg.Dampening) || math.IsInf(cfg.Dampening, 0) {
		return nil, fmt.Errorf("optim.NewSGD: invalid dampening %v", cfg.Dampening)
	}
	if cfg.Nesterov && (cfg.Momentum <= 0 || cfg.Dampening != 0) {
		return nil, fmt.Errorf("optim.NewSGD: Nesterov momentum needs momentum > 0 and zero dampening (got momentum %v, dampening %v)", cfg.Momentum, cfg.Dampening)
	}
	b, err := newBase(groups, cfg.Momentum, 0)
	if err != nil {
		return nil, err
	}
	return &SGD{base: b, cfg: cfg}, nil
}

// Step updates every parameter that has a gradient:
//
//	d = g + λ·p;  b = μ·b + (1−τ)·d (b = d at first);  d = d + μ·b or b;  p = p − lr·d
func (o *SGD) Step() {
	for _, g := range o.groups {
		c := kernels.SGDCoeffs{
			UseDecay:    g.WeightDecay != 0,
			UseMomentum: g.Momentum != 0,
			Decay:       float32(g.WeightDecay),
			Momentum:    float32(g.Momentum),
			Keep:        float32(1 - o.cfg.Dampening),
			NegLR:       float32(-g.LR),
			Nesterov:    o.cfg.Nesterov,
		}
		o.eachUpdated(g, func(p *autograd.Tensor, st *paramState) {
			data := p.Data()
			c.First = c.UseMomentum && st.momentum == nil
			if c.First {
				st.momentum = make([]float32, len(data))
			}
			kernels.SGDUpdate(c, data, p.Grad(), st.momentum)
		})
	}
}

// State returns a copy of the momentum buffers and the groups' settings.
func (o *SGD) State() State {
	cfg := o.cfg
	st := State{Kind: "sgd", SGD: &cfg}
	o.saveState(&st, false)
	return st
}

// LoadState restores state saved by an SGD optimiser with the same
// dampening and Nesterov setting over parameters of the same shapes.
func (o *SGD) LoadState(st State) error {
	if st.Kind != "sgd" || st.SGD == nil {
		return fmt.Errorf("optim: cannot load %q optimiser state into an sgd optimiser", st.Kind)
	}
	if st.SGD.Dampening != o.cfg.Dampening || st.SGD.Nesterov != o.cfg.Nesterov {
		return fmt.Errorf("optim: state saved with dampening %v, Nesterov %v; this SGD has dampening %v, Nesterov %v",
			st.SGD.Dampening, st.SGD.Nesterov, o.cfg.Dampening, o.cfg.Nesterov)
	}
	return o.loadState(st, []string{"momentum_buffer"}, false, func(gi int, g GroupState) error {
		if !(g.Momentum >= 0) || math.IsInf(g.Momentum, 0) {
			return fmt.Errorf("optim: state group %d: invalid momentum %v", gi, g.Momentum)
		}
		return nil
	}, nil)
}
