"""Writes PyTorch fixtures for the losses and broadcasting elementwise ops.

Run: /usr/bin/python3 scripts/fixtures_loss.py   (PyTorch 1.13, numpy)

Files (safetensors, read by autograd/ops_loss_test.go and
autograd/ops_elementwise_test.go):

autograd/testdata/loss_ce.safetensors
    Cases of F.cross_entropy (reduction "mean") on (7, 5) logits that include
    large values (±40). Metadata "<case>" = "label_smoothing,ignore_index"
    (ignore_index -100 is PyTorch's default). A case holds <case>.x (logits),
    <case>.target (I64, class indices, some equal to the ignore index in the
    ignore cases), <case>.weight (class weights, weighted cases only),
    <case>.loss (0-d) and <case>.grad (gradient of the loss with respect to
    the logits).

autograd/testdata/loss_mse.safetensors
    pred, target (3, 4, 5), loss (0-d), grad_pred, grad_target for
    F.mse_loss (reduction "mean").

autograd/testdata/elem_broadcast.safetensors
    For each case k: k.a, k.b (shapes that broadcast) and k.r (weights of the
    loss Σ out·r, shaped like the result); for each op in add, sub, mul:
    k.<op>.out, k.<op>.grad_a, k.<op>.grad_b. Metadata "cases" lists the
    case names separated by commas.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_np  # noqa: E402

here = os.path.dirname(__file__)
testdata = os.path.join(here, "..", "autograd", "testdata")
torch.manual_seed(1913)


def f32(t):
    return t.detach().cpu().numpy().astype(np.float32)


def cross_entropy_fixtures():
    n, classes = 7, 5
    cases = [
        # name, weighted, label smoothing, ignore index, targets
        ("plain", False, 0.0, -100, [0, 4, 2, 2, 1, 3, 4]),
        ("smooth", False, 0.1, -100, [1, 0, 3, 4, 2, 2, 0]),
        ("weighted", True, 0.0, -100, [3, 1, 4, 0, 0, 2, 1]),
        ("weighted_smooth", True, 0.2, -100, [2, 2, 0, 4, 3, 1, 4]),
        ("ignore_default", False, 0.0, -100, [1, -100, 3, 0, -100, 4, 2]),
        ("ignore_weighted_smooth", True, 0.15, 2, [2, 0, 1, 2, 4, 3, 2]),
    ]
    tensors, meta = {}, {}
    for name, weighted, smoothing, ignore, targets in cases:
        x = torch.randn(n, classes) * 3
        x[1, 2] = 40.0  # large logits: the log-softmax must stay stable
        x[4, 0] = -40.0
        x.requires_grad_(True)
        target = torch.tensor(targets, dtype=torch.int64)
        weight = torch.rand(classes) * 1.5 + 0.25 if weighted else None
        loss = F.cross_entropy(x, target, weight=weight, ignore_index=ignore,
                               label_smoothing=smoothing)
        loss.backward()
        tensors[f"{name}.x"] = f32(x)
        tensors[f"{name}.target"] = target.numpy()
        if weighted:
            tensors[f"{name}.weight"] = f32(weight)
        tensors[f"{name}.loss"] = f32(loss)
        tensors[f"{name}.grad"] = f32(x.grad)
        meta[name] = f"{smoothing},{ignore}"
    safetensors_np.save(os.path.join(testdata, "loss_ce.safetensors"), tensors, meta)


def mse_fixture():
    pred = torch.randn(3, 4, 5, requires_grad=True)
    target = torch.randn(3, 4, 5, requires_grad=True)
    loss = F.mse_loss(pred, target)
    loss.backward()
    safetensors_np.save(os.path.join(testdata, "loss_mse.safetensors"), {
        "pred": f32(pred), "target": f32(target), "loss": f32(loss),
        "grad_pred": f32(pred.grad), "grad_target": f32(target.grad),
    })


def broadcast_fixtures():
    cases = {
        "same": ((2, 3, 4, 5), (2, 3, 4, 5)),
        "channel_bias": ((2, 3, 4, 5), (1, 3, 1, 1)),
        "se_scale": ((2, 3, 4, 5), (2, 3, 1, 1)),
        "trailing": ((2, 3, 4, 5), (5,)),
        "both_sides": ((2, 1, 4, 1), (1, 3, 1, 5)),
        "scalar_first": ((), (3, 4)),
    }
    tensors = {}
    for name, (sa, sb) in cases.items():
        a, b = torch.randn(sa), torch.randn(sb)
        r = torch.randn(torch.broadcast_shapes(sa, sb))
        tensors[f"{name}.a"], tensors[f"{name}.b"], tensors[f"{name}.r"] = f32(a), f32(b), f32(r)
        for op, fn in (("add", torch.add), ("sub", torch.sub), ("mul", torch.mul)):
            ga, gb = a.clone().requires_grad_(True), b.clone().requires_grad_(True)
            out = fn(ga, gb)
            (out * r).sum().backward()
            tensors[f"{name}.{op}.out"] = f32(out)
            tensors[f"{name}.{op}.grad_a"] = f32(ga.grad)
            tensors[f"{name}.{op}.grad_b"] = f32(gb.grad)
    safetensors_np.save(os.path.join(testdata, "elem_broadcast.safetensors"), tensors,
                        {"cases": ",".join(cases)})


if __name__ == "__main__":
    os.makedirs(testdata, exist_ok=True)
    cross_entropy_fixtures()
    mse_fixture()
    broadcast_fixtures()
