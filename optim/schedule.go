package optim

import (
	"fmt"
	"math"
	"slices"
)

// Learning-rate schedules as closed forms. A Schedule maps a group's initial
// learning rate and the number of scheduler steps taken so far (PyTorch's
// last_epoch: 0 before the first scheduler.step()) to the rate to train with
// now; a step may be an epoch or a batch, as the caller decides. Nothing is
// accumulated, so a resumed run needs only its step count, and no rounding
// drift builds up over long runs.
//
// A training loop calls, before each optimiser step k,
//
//	optim.ApplySchedule(opt, sched, k)
//
// which sets every group's LR from its InitialLR (and, for schedules that
// cycle momentum, every group's Momentum, which is β₁ for Adam and AdamW).

// Schedule gives the learning rate at a step.
type Schedule interface {
	// LR returns the learning rate after step scheduler steps, for a group
	// whose learning rate was initial when the optimiser was made.
	LR(initial float64, step int) float64
	// Validate reports settings that make the schedule meaningless.
	Validate() error
}

// MomentumSchedule is a Schedule that may also set the momentum (SGD) or β₁
// (Adam, AdamW) of every group.
type MomentumSchedule interface {
	Schedule
	// Momentum returns the momentum at a step, and false if this schedule
	// leaves momentum alone.
	Momentum(step int) (float64, bool)
}

// ApplySchedule sets each group's LR to s.LR(group.InitialLR, step) and, when
// s cycles momentum, each group's Momentum.
func ApplySchedule(opt Optimizer, s Schedule, step int) {
	ms, cycles := s.(MomentumSchedule)
	for _, g := range opt.Groups() {
		g.LR = s.LR(g.InitialLR, step)
		if cycles {
			if m, ok := ms.Momentum(step); ok {
				g.Momentum = m
			}
		}
	}
}

// StepLR multiplies the rate by Gamma every StepSize steps:
// lr = initial·Gamma^⌊step/StepSize⌋.
type StepLR struct {
	StepSize int
	Gamma    float64
}

func (s StepLR) LR(initial float64, step int) float64 {
	return initial * math.Pow(s.Gamma, float64(step/s.StepSize))
}

func (s StepLR) Validate() error {
	if s.StepSize < 1 {
		return fmt.Errorf("optim.StepLR: step size %d must be at least 1", s.StepSize)
	}
	return checkFactor("StepLR", "gamma", s.Gamma)
}

// MultiStepLR multiplies the rate by Gamma at each milestone:
// lr = initial·Gamma^(number of milestones ≤ step). A milestone listed
// twice counts twice, as in PyTorch.
type MultiStepLR struct {
	Milestones []int
	Gamma      float64
}

func (s MultiStepLR) LR(initial float64, step int) float64 {
	passed := 0
	for _, m := range s.Milestones {
		if m <= step {
			passed++
		}
	}
	return initial * math.Pow(s.Gamma, float64(passed))
}

func (s MultiStepLR) Validate() error { return checkFactor("MultiStepLR", "gamma", s.Gamma) }

// ExponentialLR multiplies the rate by Gamma every step:
// lr = initial·Gamma^step.
type ExponentialLR struct {
	Gamma float64
}

func (s ExponentialLR) LR(initial float64, step int) float64 {
	return initial * math.Pow(s.Gamma, float64(step))
}

func (s ExponentialLR) Validate() error { return checkFactor("ExponentialLR", "gamma", s.Gamma) }

// CosineAnnealingLR follows half a cosine from the initial rate down to
// EtaMin (an absolute rate) over TMax steps:
// lr = EtaMin + (initial − EtaMin)·(1 + cos(π·step/TMax))/2. Past TMax the
// cosine continues and the rate climbs again, as in PyTorch.
type CosineAnnealingLR struct {
	TMax   int
	EtaMin float64
}

func (s CosineAnnealingLR) LR(initial float64, step int) float64 {
	return s.EtaMin + (initial-s.EtaMin)*(1+math.Cos(math.Pi*float64(step)/float64(s.TMax)))/2
}

func (s CosineAnnealingLR) Validate() error {
	if s.TMax < 1 {
		return fmt.Errorf("optim.CosineAnnealingLR: TMax %d must be at least 1", s.TMax)
	}
	if !(s.EtaMin >= 0) || math.IsInf(s.EtaMin, 0) {
		return fmt.Errorf("optim.CosineAnnealingLR: invalid EtaMin %v", s.EtaMin)
	}
	return nil
}

// LinearLR scales the rate by a factor that moves linearly from StartFactor
// to EndFactor over TotalIters steps and then stays at EndFactor; with
// EndFactor 1 it is a linear warm-up.
type LinearLR struct {
	StartFactor, EndFactor float64
	TotalIters             int
}

func (s LinearLR) LR(initial float64, step int) float64 {
	return initial * (s.StartFactor + (s.EndFactor-s.StartFactor)*float64(min(s.TotalIters, step))/float64(s.TotalIters))
}

func (s LinearLR) Validate() error {
	if !(s.StartFactor > 0 && s.StartFactor <= 1) || !(s.EndFactor >= 0 && s.EndFactor <= 1) {
		return fmt.Errorf("optim.LinearLR: factors must satisfy 0 < start ≤ 1 and 0 ≤ end ≤ 1, got %v and %v", s.StartFactor, s.EndFactor)
	}
	if s.TotalIters < 1 {
		return fmt.Errorf("optim.LinearLR: TotalIters %d must be at least 1", s.TotalIters)
	}
	return nil
}

// SequentialLR runs Schedules one after another: Schedules[0] until
// Milestones[0], then Schedules[1] restarted from its step 0, and so on
// (PyTorch's SequentialLR, e.g. a LinearLR warm-up then CosineAnnealingLR).
// Every schedule starts from the group's initial rate.
type SequentialLR struct {
	Schedules  []Schedule
	Milestones []int
}

// active returns the schedule in force at step and the step within it.
func (s SequentialLR) active(step int) (Schedule, int) {
	i := 0
	for i < len(s.Milestones) && s.Milestones[i] <= step {
		i++
	}
	if i > 0 {
		step -= s.Milestones[i-1]
	}
	return s.Schedules[i], step
}

func (s SequentialLR) LR(initial float64, step int) float64 {
	sched, local := s.active(step)
	return sched.LR(initial, local)
}

// Momentum is the active schedule's momentum, if it sets one.
func (s SequentialLR) Momentum(step int) (float64, bool) {
	sched, local := s.active(step)
	if ms, ok := sched.(MomentumSchedule); ok {
		return ms.Momentum(local)
	}
	return 0, false
}

func (s SequentialLR) Validate() error {
	if len(s.Schedules) == 0 || len(s.Milestones) != len(s.Schedules)-1 {
		return fmt.Errorf("optim.SequentialLR: %d schedules need %d milestones, got %d", len(s.Schedules), max(len(s.Schedules)-1, 0), len(s.Milestones))
	}
	if !slices.IsSorted(s.Milestones) || (len(s.Milestones) > 0 && s.Milestones[0] < 1) {
		return fmt.Errorf("optim.SequentialLR: milestones %v must be positive and increasing", s.Milestones)
	}
	for i, sched := range s.Schedules {
		if err := sched.Validate(); err != nil {
			return fmt.Errorf("optim.SequentialLR: schedule %d: %w", i, err)
		}
	}
	return nil
}

// Anneal is how OneCycleLR moves between two values.
type Anneal int

const (
	AnnealCos    Anneal = iota // end + (start − end)·(1 + cos(π·pct))/2
	AnnealLinear               // start + (end − start)·pct
)

func (a Anneal) between(start, end, pct float64) float64 {
	if a == AnnealLinear {
		return (end-start)*pct + start
	}
	return end + (start-end)/2.0*(math.Cos(math.Pi*pct)+1)
}

// OneCycleLR is the 1cycle policy (PyTorch's OneCycleLR) over TotalSteps
// steps. Each group's InitialLR is its peak rate (PyTorch's max_lr): the
// rate rises from peak/DivFactor to the peak over the first PctStart of the
// steps, then falls to peak/(DivFactor·FinalDivFactor). With ThreePhase it
// instead rises, falls back to peak/DivFactor symmetrically, and then
// decays to the minimum. With CycleMomentum the momentum (β₁ for Adam) moves
// the opposite way, between MaxMomentum and BaseMomentum. Steps past
// TotalSteps keep the value at TotalSteps (PyTorch raises an error).
type OneCycleLR struct {
	TotalSteps     int
	PctStart       float64
	Anneal         Anneal
	DivFactor      float64
	FinalDivFactor float64
	ThreePhase     bool
	CycleMomentum  bool
	BaseMomentum   float64
	MaxMomentum    float64
}

// NewOneCycleLR returns a OneCycleLR over totalSteps with PyTorch's defaults:
// 30% warm-up, cosine annealing, div factor 25, final div factor 1e4, two
// phases, momentum cycled between 0.85 and 0.95.
func NewOneCycleLR(totalSteps int) OneCycleLR {
	return OneCycleLR{TotalSteps: totalSteps, PctStart: 0.3, Anneal: AnnealCos, DivFactor: 25, FinalDivFactor: 1e4,
		CycleMomentum: true, BaseMomentum: 0.85, MaxMomentum: 0.95}
}

// oneCycleLevel names the values a phase starts and ends at.
type oneCycleLevel int

const (
	levelInitial oneCycleLevel = iota // rate peak/DivFactor
	levelMax                          // rate peak; momentum MaxMomentum
	levelBase                         // momentum BaseMomentum
	levelMin                          // rate peak/DivFactor/FinalDivFactor
)

// oneCyclePhase is one phase of the cycle, ending at (fractional) step end.
type oneCyclePhase struct {
	end              float64
	startLR, endLR   oneCycleLevel
	startMom, endMom oneCycleLevel
}

func (s OneCycleLR) phases() []oneCyclePhase {
	last := float64(s.TotalSteps - 1)
	if s.ThreePhase {
		return []oneCyclePhase{
			{s.PctStart*float64(s.TotalSteps) - 1, levelInitial, levelMax, levelMax, levelBase},
			{2*s.PctStart*float64(s.TotalSteps) - 2, levelMax, levelInitial, levelBase, levelMax},
			{last, levelInitial, levelMin, levelMax, levelMax},
		}
	}
	return []oneCyclePhase{
		{s.PctStart*float64(s.TotalSteps) - 1, levelInitial, levelMax, levelMax, levelBase},
		{last, levelMax, levelMin, levelBase, levelMax},
	}
}

// at returns the phase in force at step and how far through it step is.
func (s OneCycleLR) at(step int) (oneCyclePhase, float64) {
	t := float64(min(step, s.TotalSteps))
	ps := s.phases()
	start := 0.0
	for _, p := range ps[:len(ps)-1] {
		if t <= p.end {
			return p, (t - start) / (p.end - start)
		}
		start = p.end
	}
	last := ps[len(ps)-1]
	return last, (t - start) / (last.end - start)
}

func (s OneCycleLR) LR(initial float64, step int) float64 {
	first := initial / s.DivFactor
	levels := [...]float64{levelInitial: first, levelMax: initial, levelMin: first / s.FinalDivFactor}
	p, pct := s.at(step)
	return s.Anneal.between(levels[p.startLR], levels[p.endLR], pct)
}

func (s OneCycleLR) Momentum(step int) (float64, bool) {
	if !s.CycleMomentum {
		return 0, false
	}
	levels := [...]float64{levelMax: s.MaxMomentum, levelBase: s.BaseMomentum}
	p, pct := s.at(step)
	return s.Anneal.between(levels[p.startMom], levels[p.endMom], pct), true
}

func (s OneCycleLR) Validate() error {
	switch {
	case s.TotalSteps < 1:
		return fmt.Errorf("optim.OneCycleLR: TotalSteps %d must be at least 1", s.TotalSteps)
	case !(s.PctStart >= 0 && s.PctStart <= 1):
		return fmt.Errorf("optim.OneCycleLR: PctStart %v must lie in [0, 1]", s.PctStart)
	case s.Anneal != AnnealCos && s.Anneal != AnnealLinear:
		return fmt.Errorf("optim.OneCycleLR: unknown anneal strategy %d", s.Anneal)
	case !(s.DivFactor > 0) || !(s.FinalDivFactor > 0) || math.IsInf(s.DivFactor, 0) || math.IsInf(s.FinalDivFactor, 0):
		return fmt.Errorf("optim.OneCycleLR: div factors must be positive, got %v and %v", s.DivFactor, s.FinalDivFactor)
	case s.CycleMomentum && !(unitInterval(s.BaseMomentum) && unitInterval(s.MaxMomentum)):
		return fmt.Errorf("optim.OneCycleLR: momenta must lie in [0, 1), got base %v, max %v", s.BaseMomentum, s.MaxMomentum)
	}
	if s.PctStart*float64(s.TotalSteps) == 1 {
		return fmt.Errorf("optim.OneCycleLR: PctStart %v of %d steps makes the warm-up phase empty", s.PctStart, s.TotalSteps)
	}
	return nil
}

// checkFactor reports a decay factor that is not a positive finite number.
func checkFactor(schedule, name string, v float64) error {
	if !(v > 0) || math.IsInf(v, 0) {
		return fmt.Errorf("optim.%s: %s %v must be positive", schedule, name, v)
	}
	return nil
}
