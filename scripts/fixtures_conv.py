"""Writes PyTorch fixtures for convolution and pooling.

Run: /usr/bin/python3 scripts/fixtures_conv.py   (PyTorch 1.13, numpy)

Every case is computed in float64 from float32 inputs and stored as float32,
so the fixtures carry PyTorch's semantics without its float32 rounding. The
loss of a case is sum(out * r) for a random r, so grad_* are the gradients of
that loss. Files (read by autograd/conv_test.go and autograd/pool_test.go):

autograd/testdata/conv_torch.safetensors
    Cases of F.conv2d. Metadata "<case>" =
    "stride_h,stride_w,pad_h,pad_w,dil_h,dil_w,groups,has_bias". Tensors
    <case>.x, <case>.w, <case>.bias (has_bias = 1 only), <case>.r,
    <case>.out, <case>.grad_x, <case>.grad_w, <case>.grad_bias.

autograd/testdata/pool_torch.safetensors
    Cases of F.max_pool2d, F.avg_pool2d and F.adaptive_avg_pool2d. Metadata
    "<case>" = "max,kh,kw,sh,sw,ph,pw,ceil" or
    "avg,kh,kw,sh,sw,ph,pw,ceil,count_include_pad" or "adaptive,out_h,out_w"
    (booleans as 0/1). Tensors <case>.x, <case>.r, <case>.out, <case>.grad_x;
    max cases also <case>.indices (PyTorch's argmax positions in each plane,
    as float32).
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
torch.manual_seed(7)


def f32(t):
    return t.detach().cpu().numpy().astype(np.float32)


def rand(*shape):
    """Uniform in [-1, 1), rounded to float32 so Go starts from the same values."""
    return (torch.rand(*shape) * 2 - 1).float().double()


def conv_fixtures():
    # name, x shape, w shape, stride, padding, dilation, groups, bias
    cases = [
        ("3x3_s1_p1", (2, 3, 8, 8), (4, 3, 3, 3), 1, 1, 1, 1, True),
        ("3x3_s2_p1_odd", (2, 4, 9, 7), (6, 4, 3, 3), 2, 1, 1, 1, True),
        ("1x1", (3, 5, 6, 6), (8, 5, 1, 1), 1, 0, 1, 1, True),
        ("depthwise_3x3_s2", (2, 6, 9, 11), (6, 1, 3, 3), 2, 1, 1, 6, True),
        ("depthwise_5x5_s1_p2_mult2", (2, 4, 8, 7), (8, 1, 5, 5), 1, 2, 1, 4, True),
        ("groups2_dilation2", (2, 4, 11, 10), (6, 2, 3, 3), 1, 2, 2, 2, False),
    ]
    tensors, meta = {}, {}
    for name, xs, ws, stride, pad, dil, groups, has_bias in cases:
        x = rand(*xs).requires_grad_()
        w = rand(*ws).requires_grad_()
        b = rand(ws[0]).requires_grad_() if has_bias else None
        out = F.conv2d(x, w, b, stride=stride, padding=pad, dilation=dil, groups=groups)
        r = rand(*out.shape)
        (out * r).sum().backward()
        meta[name] = f"{stride},{stride},{pad},{pad},{dil},{dil},{groups},{int(has_bias)}"
        tensors[f"{name}.x"] = f32(x)
        tensors[f"{name}.w"] = f32(w)
        if has_bias:
            tensors[f"{name}.bias"] = f32(b)
            tensors[f"{name}.grad_bias"] = f32(b.grad)
        tensors[f"{name}.r"] = f32(r)
        tensors[f"{name}.out"] = f32(out)
        tensors[f"{name}.grad_x"] = f32(x.grad)
        tensors[f"{name}.grad_w"] = f32(w.grad)
    path = os.path.join(testdata, "conv_torch.safetensors")
    safetensors_np.save(path, tensors, meta)
    print("wrote", os.path.normpath(path))


def pool_fixtures():
    tensors, meta = {}, {}

    def record(name, x, out, extra=None):
        r = rand(*out.shape)
        (out * r).sum().backward()
        tensors[f"{name}.x"] = f32(x)
        tensors[f"{name}.r"] = f32(r)
        tensors[f"{name}.out"] = f32(out)
        tensors[f"{name}.grad_x"] = f32(x.grad)
        for k, v in (extra or {}).items():
            tensors[f"{name}.{k}"] = v

    # Max pooling. The "ties" input holds only the values 0..3, so most
    # windows have several equal maxima and the gradient must go to the first.
    max_cases = [
        ("max_3x3_s2_p1_ties", torch.randint(0, 4, (2, 3, 9, 9)).double(), 3, 2, 1, False),
        ("max_3x3_s2_p1", rand(2, 3, 10, 9), 3, 2, 1, False),
        ("max_3x3_s2_ceil", rand(1, 2, 8, 8), 3, 2, 0, True),
        ("max_2x2_s2_ceil_odd", rand(2, 2, 7, 9), 2, 2, 0, True),
    ]
    for name, x, k, s, p, ceil in max_cases:
        x.requires_grad_()
        out, idx = F.max_pool2d(x, k, s, p, ceil_mode=ceil, return_indices=True)
        meta[name] = f"max,{k},{k},{s},{s},{p},{p},{int(ceil)}"
        record(name, x, out, {"indices": idx.numpy().astype(np.float32)})

    # Average pooling on 8x10 with a 3x3 window, stride 2, padding 1: in ceil
    # mode the last window starts at row 7 and hangs over the padded edge.
    avg_cases = [
        ("avg_3x3_s2_p1_ceil_include", (2, 2, 8, 10), 3, 2, 1, True, True),
        ("avg_3x3_s2_p1_ceil_exclude", (2, 2, 8, 10), 3, 2, 1, True, False),
        ("avg_3x3_s1_p1_include", (1, 3, 5, 6), 3, 1, 1, False, True),
        ("avg_3x3_s1_p1_exclude", (1, 3, 5, 6), 3, 1, 1, False, False),
        ("avg_2x2_s2", (2, 3, 6, 7), 2, 2, 0, False, True),
    ]
    for name, xs, k, s, p, ceil, include in avg_cases:
        x = rand(*xs).requires_grad_()
        out = F.avg_pool2d(x, k, s, p, ceil_mode=ceil, count_include_pad=include)
        meta[name] = f"avg,{k},{k},{s},{s},{p},{p},{int(ceil)},{int(include)}"
        record(name, x, out)

    adaptive_cases = [
        ("adaptive_10x13_to_7x7", (2, 3, 10, 13), (7, 7)),
        ("adaptive_to_1x1", (2, 3, 5, 6), (1, 1)),
    ]
    for name, xs, size in adaptive_cases:
        x = rand(*xs).requires_grad_()
        out = F.adaptive_avg_pool2d(x, size)
        meta[name] = f"adaptive,{size[0]},{size[1]}"
        record(name, x, out)

    path = os.path.join(testdata, "pool_torch.safetensors")
    safetensors_np.save(path, tensors, meta)
    print("wrote", os.path.normpath(path))


conv_fixtures()
pool_fixtures()
