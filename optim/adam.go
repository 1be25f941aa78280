package optim

import (
	"fmt"
	"math"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/kernels"
)

// Adam and AdamW (torch.optim.Adam, torch.optim.AdamW): adaptive moment
// estimation with bias correction, optional AMSGrad, and weight decay either
// added to the gradient (Adam) or applied to the parameter directly
// (AdamW, "decoupled"). The state per parameter is its step count and the
// buffers exp_avg (m), exp_avg_sq (v) and, with AMSGrad, max_exp_avg_sq,
// each shaped like the parameter and created on the parameter's first step.

// AdamConfig holds Adam's and AdamW's settings. Beta1 and Beta2 are copied
// into every group's Momentum and Beta2; Eps and AMSGrad apply to all groups.
// Every field is used as given, so the zero value is not PyTorch's default
// (β = 0 and ε = 0 divide 0 by 0 where a gradient is zero): start from
// DefaultAdamConfig.
type AdamConfig struct {
	Beta1   float64 `json:"beta1"`
	Beta2   float64 `json:"beta2"`
	Eps     float64 `json:"eps"`
	AMSGrad bool    `json:"amsgrad"`
}

// DefaultAdamConfig returns PyTorch's defaults: β = (0.9, 0.999), ε = 1e-8,
// no AMSGrad.
func DefaultAdamConfig() AdamConfig { return AdamConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8} }

// Adam is the Adam or AdamW optimiser.
type Adam struct {
	base
	cfg       AdamConfig
	decoupled bool // AdamW: decay the parameter, not the gradient
}

// NewAdam returns an Adam optimiser; a group's WeightDecay is added to the
// gradient as λ·p. It returns an error for settings PyTorch rejects.
func NewAdam(groups []Group, cfg AdamConfig) (*Adam, error) { return newAdam(groups, cfg, false) }

// NewAdamW returns an AdamW optimiser; a group's WeightDecay multiplies the
// parameter by 1 − lr·λ before the Adam update. (PyTorch's AdamW default
// weight decay is 1e-2; here every group states its own.)
func NewAdamW(groups []Group, cfg AdamConfig) (*Adam, error) { return newAdam(groups, cfg, true) }

func newAdam(groups []Group, cfg AdamConfig, decoupled bool) (*Adam, error) {
	if !unitInterval(cfg.Beta1) || !unitInterval(cfg.Beta2) {
		return nil, fmt.Errorf("optim: Adam betas must lie in [0, 1), got (%v, %v)", cfg.Beta1, cfg.Beta2)
	}
	if !(cfg.Eps >= 0) || math.IsInf(cfg.Eps, 0) {
		return nil, fmt.Errorf("optim: invalid Adam epsilon %v", cfg.Eps)
	}
	b, err := newBase(groups, cfg.Beta1, cfg.Beta2)
	if err != nil {
		return nil, err
	}
	return &Adam{base: b, cfg: cfg, decoupled: decoupled}, nil
}

// Step updates every parameter that has a gradient (see the package
// documentation for the rule).
func (o *Adam) Step() {
	for _, g := range o.groups {
		c := kernels.AdamCoeffs{
			AddDecay: g.WeightDecay != 0 && !o.decoupled,
			Shrink:   g.WeightDecay != 0 && o.decoupled,
			Decay:    float32(g.WeightDecay),
			Factor:   float32(1 - g.LR*g.WeightDecay),
			Beta1:    float32(g.Momentum),
			Beta2:    float32(g.Beta2),
			Keep1:    float32(1 - g.Momentum),
			Keep2:    float32(1 - g.Beta2),
			Eps:      float32(o.cfg.Eps),
		}
		amsgrad := o.cfg.AMSGrad
		o.eachUpdated(g, func(p *autograd.Tensor, st *paramState) {
			data, grad := p.Data(), p.Grad()
			if st.expAvg == nil {
				st.expAvg = make([]float32, len(data))
				st.expAvgSq = make([]float32, len(data))
			}
			var vmax []float32
			if amsgrad {
				if st.maxExpAvgSq == nil {
					st.maxExpAvgSq = make([]float32, len(data))
				}
				vmax = st.maxExpAvgSq
			}
			st.step++
			t := float64(st.step)
			c.NegStepSize = float32(-(g.LR / (1 - math.Pow(g.Momentum, t))))
			c.BC2Sqrt = float32(math.Sqrt(1 - math.Pow(g.Beta2, t)))
			kernels.AdamUpdate(c, data, grad, st.expAvg, st.expAvgSq, vmax)
		})
	}
}

// adamBuffers are the state buffers Adam and AdamW keep, by PyTorch's names.
var adamBuffers = []string{"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}

// kind names the optimiser in saved state.
func (o *Adam) kind() string {
	if o.decoupled {
		return "adamw"
	}
	return "adam"
}

// State returns a copy of the moment buffers, step counts and the groups'
// settings.
func (o *Adam) State() State {
	cfg := o.cfg
	st := State{Kind: o.kind(), Adam: &cfg}
	o.saveState(&st, true)
	return st
}

// LoadState restores state saved by the same kind of optimiser (Adam or
// AdamW) with the same ε and AMSGrad setting over parameters of the same
// shapes.
func (o *Adam) LoadState(st State) error {
	if st.Kind != o.kind() || st.Adam == nil {
		return fmt.Errorf("optim: cannot load %q optimiser state into an %s optimiser", st.Kind, o.kind())
	}
	if st.Adam.Eps != o.cfg.Eps || st.Adam.AMSGrad != o.cfg.AMSGrad {
		return fmt.Errorf("optim: state saved with eps %v, AMSGrad %v; this %s has eps %v, AMSGrad %v",
			st.Adam.Eps, st.Adam.AMSGrad, o.kind(), o.cfg.Eps, o.cfg.AMSGrad)
	}
	return o.loadState(st, adamBuffers, true, func(gi int, g GroupState) error {
		if !unitInterval(g.Momentum) || !unitInterval(g.Beta2) {
			return fmt.Errorf("optim: state group %d: betas must lie in [0, 1), got (%v, %v)", gi, g.Momentum, g.Beta2)
		}
		return nil
	}, func(ps *paramState) error {
		switch {
		case ps.step == 0 && (ps.expAvg != nil || ps.expAvgSq != nil || ps.maxExpAvgSq != nil):
			return fmt.Errorf("has moment buffers but step count 0")
		case ps.step > 0 && (ps.expAvg == nil || ps.expAvgSq == nil):
			return fmt.Errorf("has step count %d but lacks exp_avg or exp_avg_sq", ps.step)
		case ps.step > 0 && o.cfg.AMSGrad && ps.maxExpAvgSq == nil:
			return fmt.Errorf("lacks max_exp_avg_sq, which AMSGrad needs")
		case !o.cfg.AMSGrad && ps.maxExpAvgSq != nil:
			return fmt.Errorf("has max_exp_avg_sq, but AMSGrad is off")
		}
		return nil
	})
}
