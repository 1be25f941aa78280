"""Writes PyTorch fixtures for batch norm, activations and softmax.

Run: /usr/bin/python3 scripts/fixtures_norm.py   (PyTorch 1.13, numpy)

Files (float32 safetensors, read by autograd/ops_norm_test.go,
autograd/ops_act_test.go and autograd/ops_softmax_test.go):

autograd/testdata/norm_bn.safetensors
    Cases of F.batch_norm on NCHW input, each with randomised affine
    parameters and running statistics (a fresh BatchNorm is near-identity in
    eval mode and would prove nothing). Every case has a metadata entry
    "<case>" = "training,momentum,eps,affine". A case holds
    <case>.weight, <case>.bias (affine cases only), <case>.running_mean0 and
    <case>.running_var0 (before the first step), and for each step s = 1, 2:
    <case>.x<s>, <case>.r<s> (loss = Σ out·r), <case>.out<s>,
    <case>.grad_x<s>, <case>.grad_weight<s>, <case>.grad_bias<s> (gradients
    of that step alone) and <case>.running_mean<s>, <case>.running_var<s>
    (the buffers after the step). Training cases take two consecutive steps on
    different batches, so the second starts from running statistics the first
    updated.

autograd/testdata/act_all.safetensors
    x: inputs including every kink (0, ±3, 6) and their neighbours plus
    random values; r: loss weights; for each activation name A (ReLU, ReLU6,
    Hardswish, Hardsigmoid, SiLU, Sigmoid, Tanh, GELU, GELUTanh):
    A.out and A.grad (the gradient of Σ A(x)·r).

autograd/testdata/act_softmax.safetensors
    x: (6, 10) logits with rows reaching ±80; r: loss weights; softmax.out,
    softmax.grad, log_softmax.out, log_softmax.grad.
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
torch.manual_seed(2024)


def f32(t):
    return t.detach().cpu().numpy().astype(np.float32)


def batch_norm_fixtures():
    tensors, meta = {}, {}
    shape = (3, 4, 5, 3)  # N, C, H, W: odd sizes, 15 values per channel per image
    cases = [
        ("train_m0.1_eps1e-5", True, 0.1, 1e-5, True),
        ("train_m0.01_eps1e-3", True, 0.01, 1e-3, True),
        ("train_noaffine", True, 0.1, 1e-5, False),
        ("eval_eps1e-5", False, 0.1, 1e-5, True),
        ("eval_eps1e-3", False, 0.1, 1e-3, True),
    ]
    c = shape[1]
    for name, training, momentum, eps, affine in cases:
        meta[name] = f"{str(training).lower()},{momentum},{eps},{str(affine).lower()}"
        weight = (torch.rand(c) + 0.5).requires_grad_(affine)
        bias = (torch.rand(c) - 0.5).requires_grad_(affine)
        running_mean = torch.randn(c) * 0.5
        running_var = torch.rand(c) * 2 + 0.3
        if affine:
            tensors[f"{name}.weight"] = f32(weight)
            tensors[f"{name}.bias"] = f32(bias)
        tensors[f"{name}.running_mean0"] = f32(running_mean)
        tensors[f"{name}.running_var0"] = f32(running_var)
        for step in (1, 2):
            # Per-channel offsets and scales so the statistics differ by channel.
            x = (torch.randn(shape) * (torch.rand(1, c, 1, 1) * 2 + 0.5)
                 + torch.randn(1, c, 1, 1)).requires_grad_(True)
            r = torch.rand(shape) * 2 - 1
            out = F.batch_norm(x, running_mean, running_var,
                               weight if affine else None, bias if affine else None,
                               training=training, momentum=momentum, eps=eps)
            (out * r).sum().backward()
            p = f"{name}."
            tensors[p + f"x{step}"] = f32(x)
            tensors[p + f"r{step}"] = f32(r)
            tensors[p + f"out{step}"] = f32(out)
            tensors[p + f"grad_x{step}"] = f32(x.grad)
            if affine:
                tensors[p + f"grad_weight{step}"] = f32(weight.grad)
                tensors[p + f"grad_bias{step}"] = f32(bias.grad)
                weight.grad, bias.grad = None, None
            tensors[p + f"running_mean{step}"] = f32(running_mean)
            tensors[p + f"running_var{step}"] = f32(running_var)
    return tensors, meta


ACTS = {
    "ReLU": F.relu,
    "ReLU6": F.relu6,
    "Hardswish": F.hardswish,
    "Hardsigmoid": F.hardsigmoid,
    "SiLU": F.silu,
    "Sigmoid": torch.sigmoid,
    "Tanh": torch.tanh,
    "GELU": F.gelu,
    "GELUTanh": lambda x: F.gelu(x, approximate="tanh"),
}


def activation_fixtures():
    kinks = [0.0, -0.0, 3.0, -3.0, 6.0, -6.0]
    near = [k + d for k in (0.0, 3.0, -3.0, 6.0) for d in (-1e-3, 1e-3)]
    extremes = [-20.0, 20.0, -100.0, 100.0]
    # The kinks come first so PyTorch's vectorised CPU loop, not its scalar
    # tail, computes them: at x = 3 the two disagree for Hardswish (1 against
    # 3/2), and gocnn follows the vectorised loop (see kernels/activation.go).
    x = torch.cat([torch.tensor(kinks + near + extremes), torch.randn(100) * 4])
    r = torch.rand(x.shape) * 2 - 1
    tensors = {"x": f32(x), "r": f32(r)}
    for name, fn in ACTS.items():
        xg = x.clone().requires_grad_(True)
        out = fn(xg)
        (out * r).sum().backward()
        tensors[f"{name}.out"] = f32(out)
        tensors[f"{name}.grad"] = f32(xg.grad)
    return tensors


def softmax_fixtures():
    x = torch.randn(6, 10) * 30
    x = x.clamp(-80, 80)
    x[0, 0], x[0, 1] = 80.0, -80.0  # a saturated row
    x[1] = torch.randn(10)          # a moderate row
    x[2, :] = 80.0                  # ties at the largest logit
    x[3, 3] = -80.0
    r = torch.rand(x.shape) * 2 - 1
    tensors = {"x": f32(x), "r": f32(r)}
    for name, fn in (("softmax", F.softmax), ("log_softmax", F.log_softmax)):
        xg = x.clone().requires_grad_(True)
        out = fn(xg, dim=1)
        (out * r).sum().backward()
        tensors[f"{name}.out"] = f32(out)
        tensors[f"{name}.grad"] = f32(xg.grad)
    return tensors


def main():
    os.makedirs(testdata, exist_ok=True)
    tensors, meta = batch_norm_fixtures()
    files = {
        "norm_bn.safetensors": (tensors, meta),
        "act_all.safetensors": (activation_fixtures(), None),
        "act_softmax.safetensors": (softmax_fixtures(), None),
    }
    for fname, (t, m) in files.items():
        path = os.path.join(testdata, fname)
        safetensors_np.save(path, t, metadata=m)
        print("wrote", os.path.normpath(path), os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
