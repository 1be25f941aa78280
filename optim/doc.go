// Package optim updates a model's parameters from their gradients: the SGD,
// Adam and AdamW optimisers, learning-rate schedules, gradient clipping by
// global norm, and optimiser state that can be saved and restored.
//
// # Parameters and groups
//
// Parameters are *autograd.Tensor leaves. An optimiser holds them in ordered
// groups (Group), each with its own learning rate and weight decay (and
// momentum / β₁, β₂), so a pretrained backbone can train at 1e-4 while a new
// head trains at 1e-3. Step skips a parameter whose RequiresGrad is false
// (frozen) or whose Grad is nil (nothing reached it), exactly as PyTorch
// skips p.grad is None; such a parameter gets no state and no weight decay.
//
// # Update rules
//
// These are PyTorch 1.13's (torch/optim/sgd.py, adam.py, adamw.py). For one
// parameter p with gradient g, learning rate lr and weight decay λ:
//
// SGD with momentum μ, dampening τ:
//
//	d = g + λ·p
//	b = d                       on the parameter's first step (a copy, not (1−τ)·d)
//	b = μ·b + (1−τ)·d           afterwards
//	d = d + μ·b   (Nesterov)    or   d = b   (otherwise; only when μ ≠ 0)
//	p = p − lr·d
//
// Adam with β₁, β₂, ε, step t counted per parameter from 1:
//
//	g = g + λ·p                 (Adam; AdamW instead first sets p = p·(1 − lr·λ))
//	m = β₁·m + (1−β₁)·g
//	v = β₂·v + (1−β₂)·g²
//	v̂ = max(v̂, v)              (AMSGrad only; then v̂ replaces v below)
//	p = p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)
//
// The arithmetic is float32 in PyTorch's order: scalars such as lr, 1−β₁ or
// 1 − lr·λ are computed in float64 and rounded to float32 once, and every
// "a + s·b" is one fused multiply-add, as PyTorch's vectorised add_(…,
// alpha=s) and addcmul_ are. Ten steps therefore agree with PyTorch to a few
// units in the last place (the tests compare against PyTorch fixtures). The
// per-element loops are kernels.SGDUpdate and kernels.AdamUpdate: vector
// kernels with the bits of their plain Go loops, 7–24× faster on one
// thread (docs/PERF.md, "Optimiser updates").
//
// # Schedules
//
// A Schedule is a closed form: given a group's initial learning rate and the
// number of scheduler steps taken so far, it returns the rate to use now.
// ApplySchedule sets every group's LR (and, for OneCycleLR, its momentum or
// β₁) for a given step. Because nothing is accumulated, resuming at step k
// needs only k. The closed forms equal PyTorch's chainable schedulers
// (StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR,
// SequentialLR, OneCycleLR) up to float64 rounding.
//
// # Clipping and state
//
// ClipGradNorm scales all gradients together so that their global L2 norm is
// at most a limit, like torch.nn.utils.clip_grad_norm_. State returns the
// optimiser's buffers (momentum, exp_avg, exp_avg_sq, max_exp_avg_sq) as named
// float32 tensors plus a small JSON-able description (hyper-parameters, step
// counts); LoadState puts them back, and stepping on from there gives the same
// bits as never having stopped.
package optim
