package optim_test

import (
	"fmt"
	"math"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/optim"
)

// Fine-tuning with two parameter groups: a pretrained backbone at a tenth of
// the head's learning rate, AdamW, a linear warm-up into cosine decay, and
// gradient clipping. The "model" here is two vectors pulled towards a target
// by the loss ½‖w − target‖², whose gradient w − target is set by hand; in a
// real loop loss.Backward() fills the gradients.
func Example() {
	backbone := autograd.New([]float32{0.5, -0.5}, 2).SetRequiresGrad(true)
	head := autograd.New([]float32{2, 0, -2}, 3).SetRequiresGrad(true)
	params := []*autograd.Tensor{backbone, head}
	targets := [][]float32{{0, 0}, {1, 1, 1}}

	opt, err := optim.NewAdamW([]optim.Group{
		{Name: "backbone", Params: []*autograd.Tensor{backbone}, LR: 1e-2, WeightDecay: 1e-2},
		{Name: "head", Params: []*autograd.Tensor{head}, LR: 1e-1, WeightDecay: 1e-2},
	}, optim.DefaultAdamConfig())
	if err != nil {
		panic(err)
	}
	const steps = 200
	schedule := optim.SequentialLR{
		Schedules: []optim.Schedule{
			optim.LinearLR{StartFactor: 0.1, EndFactor: 1, TotalIters: 10},
			optim.CosineAnnealingLR{TMax: steps - 10},
		},
		Milestones: []int{10},
	}
	if err := schedule.Validate(); err != nil {
		panic(err)
	}

	for step := range steps {
		optim.ApplySchedule(opt, schedule, step)
		opt.ZeroGrad()
		for j, p := range params {
			grad := make([]float32, p.Numel())
			for i, v := range p.Data() {
				grad[i] = v - targets[j][i]
			}
			p.SetGrad(grad)
		}
		norm := optim.ClipGradNorm(params, 1.0)
		if step == 0 {
			fmt.Printf("gradient norm %.3f clipped to 1\n", norm)
		}
		opt.Step()
		if step == 50 {
			for _, g := range opt.Groups() {
				fmt.Printf("step 50: %s lr %.5f\n", g.Name, g.LR)
			}
		}
	}
	worst := 0.0
	for j, p := range params {
		for i, v := range p.Data() {
			worst = max(worst, math.Abs(float64(v-targets[j][i])))
		}
	}
	fmt.Printf("largest distance from the target after %d steps: %.3f\n", steps, worst)
	// Output:
	// gradient norm 3.391 clipped to 1
	// step 50: backbone lr 0.00895
	// step 50: head lr 0.08946
	// largest distance from the target after 200 steps: 0.004
}
