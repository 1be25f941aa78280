"""Writes the PyTorch fixtures for package optim into optim/testdata/.

optimizers.safetensors: three parameters (shapes 4x3, 5, 2x3) start from
  init.p<j>; step k (0..9) feeds the gradients grad.<k>.p<j>; after each step
  the parameters are stored as <case>.<k>.p<j>. The metadata key "cases"
  lists the cases; optim/optim_test.go builds the same optimisers.
schedules.safetensors: two groups with learning rates 0.1 and 0.01;
  <schedule>.lr holds the rates at steps 0..49 (float64, shape 50x2) and, for
  OneCycleLR, <schedule>.momentum the momentum (SGD) or beta1 (Adam).
clip.safetensors: gradients clip.in.p<j> (p1 has none), and for each
  max_norm case the norm torch returns (<case>.norm) and the clipped
  gradients (<case>.out.p<j>).

Run: /usr/bin/python3 scripts/fixtures_optim.py
"""
import os
import sys
import warnings

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_np  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "optim", "testdata")
SHAPES = [(4, 3), (5,), (2, 3)]
STEPS = 10

torch.manual_seed(1234)
INIT = [torch.randn(s) for s in SHAPES]
GRADS = [[torch.randn(s) * (0.5 + k / 10) for s in SHAPES] for k in range(STEPS)]


def groups_all(params, **kw):
    return [dict(params=params, **kw)]


def one_cycle(**kw):
    def make(opt):
        max_lr = [g["lr"] for g in opt.param_groups]
        return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, total_steps=STEPS, **kw)
    return make


# name -> (optimizer class, groups(params) -> list of dicts, defaults,
#          frozen parameter indices, {step: parameter indices without a gradient},
#          optionally a scheduler stepped after every optimiser step)
CASES = {
    "sgd_plain": (torch.optim.SGD, lambda p: groups_all(p, lr=0.1), {}, (), {}),
    "sgd_momentum": (torch.optim.SGD, lambda p: groups_all(p, lr=0.05), dict(momentum=0.9), (), {}),
    "sgd_nesterov_wd": (torch.optim.SGD, lambda p: groups_all(p, lr=0.05, weight_decay=1e-2),
                        dict(momentum=0.9, nesterov=True), (), {}),
    "sgd_dampening": (torch.optim.SGD, lambda p: groups_all(p, lr=0.05, weight_decay=1e-3),
                      dict(momentum=0.9, dampening=0.3), (), {}),
    "sgd_groups": (torch.optim.SGD, lambda p: [
        dict(params=p[:2], lr=1e-2, weight_decay=1e-4),
        dict(params=p[2:], lr=1e-1, weight_decay=1e-3, momentum=0.8)], dict(momentum=0.9), (), {}),
    "adam": (torch.optim.Adam, lambda p: groups_all(p, lr=1e-2), {}, (), {}),
    "adam_amsgrad_wd": (torch.optim.Adam, lambda p: groups_all(p, lr=1e-2, weight_decay=1e-2),
                        dict(amsgrad=True, betas=(0.8, 0.99), eps=1e-6), (), {}),
    "adamw": (torch.optim.AdamW, lambda p: groups_all(p, lr=1e-2, weight_decay=0.1), {}, (), {}),
    "adamw_groups": (torch.optim.AdamW, lambda p: [
        dict(params=p[:2], lr=1e-3, weight_decay=1e-2),
        dict(params=p[2:], lr=1e-2, weight_decay=0.0, betas=(0.85, 0.98))], {}, (), {}),
    "adam_frozen": (torch.optim.Adam, lambda p: groups_all(p, lr=1e-2, weight_decay=1e-2), {}, (1,), {}),
    "adam_missing_grad": (torch.optim.Adam, lambda p: groups_all(p, lr=1e-2), {}, (), {3: (2,), 4: (2,)}),
    "sgd_onecycle": (torch.optim.SGD, lambda p: [
        dict(params=p[:2], lr=1e-2), dict(params=p[2:], lr=1e-1)],
        dict(momentum=0.9, weight_decay=1e-3), (), {}, one_cycle()),
    "adam_onecycle": (torch.optim.Adam, lambda p: groups_all(p, lr=1e-2),
                      {}, (), {}, one_cycle(anneal_strategy="linear", pct_start=0.4)),
}


def optimizers():
    out = {f"init.p{j}": t.numpy() for j, t in enumerate(INIT)}
    for k in range(STEPS):
        for j, g in enumerate(GRADS[k]):
            out[f"grad.{k}.p{j}"] = g.numpy()
    for name, (cls, groups, defaults, frozen, missing, *schedule) in CASES.items():
        params = [t.clone().requires_grad_(j not in frozen) for j, t in enumerate(INIT)]
        opt = cls(groups(params), **defaults)
        sched = schedule[0](opt) if schedule else None
        for k in range(STEPS):
            for j, p in enumerate(params):
                skip = j in frozen or j in missing.get(k, ())
                p.grad = None if skip else GRADS[k][j].clone()
            opt.step()
            if sched:
                sched.step()
            for j, p in enumerate(params):
                out[f"{name}.{k}.p{j}"] = p.detach().numpy().copy()
    safetensors_np.save(os.path.join(OUT, "optimizers.safetensors"), out, metadata={"cases": ",".join(CASES)})


SCHED_STEPS = 50
LRS = (0.1, 0.01)

L = torch.optim.lr_scheduler
SCHEDULES = {
    "step": ("sgd", lambda o: L.StepLR(o, step_size=7, gamma=0.5)),
    "multistep": ("sgd", lambda o: L.MultiStepLR(o, milestones=[10, 25, 25, 40], gamma=0.1)),
    "exponential": ("sgd", lambda o: L.ExponentialLR(o, gamma=0.93)),
    "cosine": ("sgd", lambda o: L.CosineAnnealingLR(o, T_max=20, eta_min=1e-3)),
    "linear": ("sgd", lambda o: L.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=10)),
    "warmup_cosine": ("sgd", lambda o: L.SequentialLR(o, [
        L.LinearLR(o, start_factor=0.01, end_factor=1.0, total_iters=5),
        L.CosineAnnealingLR(o, T_max=45, eta_min=1e-4)], milestones=[5])),
    "onecycle_cos_sgd": ("sgd", lambda o: L.OneCycleLR(o, max_lr=list(LRS), total_steps=SCHED_STEPS)),
    "onecycle_linear_adam": ("adam", lambda o: L.OneCycleLR(
        o, max_lr=list(LRS), total_steps=SCHED_STEPS, pct_start=0.25, anneal_strategy="linear",
        base_momentum=0.8, max_momentum=0.9, div_factor=10.0, final_div_factor=100.0)),
    "onecycle_three_phase": ("sgd", lambda o: L.OneCycleLR(
        o, max_lr=list(LRS), total_steps=SCHED_STEPS, three_phase=True)),
}


def schedules():
    out = {}
    for name, (kind, make) in SCHEDULES.items():
        groups = [dict(params=[torch.zeros(1, requires_grad=True)], lr=lr) for lr in LRS]
        opt = torch.optim.SGD(groups, lr=LRS[0], momentum=0.9) if kind == "sgd" else torch.optim.Adam(groups, lr=LRS[0])
        sched = make(opt)
        lrs, moms = [], []
        for _ in range(SCHED_STEPS):
            lrs.append([g["lr"] for g in opt.param_groups])
            moms.append([g["momentum"] if kind == "sgd" else g["betas"][0] for g in opt.param_groups])
            opt.step()
            sched.step()
        out[f"{name}.lr"] = np.array(lrs, dtype=np.float64)
        if name.startswith("onecycle"):
            out[f"{name}.momentum"] = np.array(moms, dtype=np.float64)
    safetensors_np.save(os.path.join(OUT, "schedules.safetensors"), out)


def clip():
    grads = [torch.randn(s) * 0.7 for s in SHAPES]
    grads[1] = None
    out = {f"clip.in.p{j}": g.numpy() for j, g in enumerate(grads) if g is not None}
    for name, max_norm in (("clips", 1.0), ("keeps", 100.0)):
        params = [torch.zeros(s, requires_grad=True) for s in SHAPES]
        for p, g in zip(params, grads):
            p.grad = None if g is None else g.clone()
        norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
        out[f"{name}.norm"] = np.array([norm.item()], dtype=np.float32)
        for j, p in enumerate(params):
            if p.grad is not None:
                out[f"{name}.out.p{j}"] = p.grad.numpy()
    safetensors_np.save(os.path.join(OUT, "clip.safetensors"), out)


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    os.makedirs(OUT, exist_ok=True)
    optimizers()
    schedules()
    clip()
    for f in sorted(os.listdir(OUT)):
        print("wrote", os.path.normpath(os.path.join(OUT, f)), os.path.getsize(os.path.join(OUT, f)), "bytes")
