"""Exports torchvision (or timm) classifier weights to a safetensors file gocnn loads.

The file holds the torchvision state dict (names, order and shapes as
torchvision's model.state_dict(); float32, num_batches_tracked as int64) and
the gocnn metadata zoo.Load and cmd/predict read:

  gocnn.architecture  the torchvision model name ("resnet50")
  gocnn.options       zoo.Options as JSON: the class count, and the
                      batch-norm epsilon when the weights need another one
  gocnn.class_names   the class names, when known (pretrained weights)
  gocnn.preset        the evaluation transform (resize, crop,
                      interpolation, mean, std) the weights expect

Sources:
  torchvision weights   export_torchvision.py resnet50 out.safetensors --weights IMAGENET1K_V2
                        (downloads through torchvision's cache; DEFAULT picks
                        the recommended weights)
  a .pth file           export_torchvision.py resnet50 out.safetensors --pth model.pth
                        (a state dict, a checkpoint holding one under
                        "state_dict" or "model", or a pickled model;
                        "module." prefixes are removed)
  timm weights          export_torchvision.py efficientnet_b0 out.safetensors --timm efficientnet_b0 --pth timm.pth
                        export_torchvision.py mobilenet_v3_large out.safetensors --timm mobilenetv3_large_100 --pth timm.pth
                        (--pth optional when timm is installed: it then
                        builds timm's model with pretrained=True)
  random weights        export_torchvision.py vgg16 out.safetensors --seed 1

timm's two models are the same networks as torchvision's under other names,
with two differences the map handles: MobileNetV3's conv_head is a 1x1
convolution with bias where torchvision has a Linear (the weight is reshaped
from (1280, 960, 1, 1) to (1280, 960)), and timm's batch norms use eps 1e-5
where torchvision's MobileNetV3 uses 1e-3 (written to gocnn.options as
bn_eps, which zoo applies to every batch norm). Whatever the source, the
exported keys and shapes are checked against torchvision's model and loaded
into it before anything is written; with timm installed the script also
compares timm's logits with torchvision's on the mapped weights.

Run with /usr/bin/python3 (torch 1.13, torchvision 0.14).
"""
import argparse
import json
import os
import re
import sys

import numpy as np
import torch
import torchvision
from torchvision.models._meta import _IMAGENET_CATEGORIES

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_np  # noqa: E402

ARCHS = ["vgg16", "vgg16_bn", "resnet18", "resnet50",
         "mobilenet_v3_large", "mobilenet_v3_small", "efficientnet_b0"]

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]

# timm model -> (torchvision architecture, batch-norm eps of timm's model).
TIMM = {
    "efficientnet_b0": ("efficientnet_b0", 1e-5),
    "mobilenetv3_large_100": ("mobilenet_v3_large", 1e-5),
}
# Torchvision's batch-norm eps per architecture (zoo's defaults).
TV_BN_EPS = {"mobilenet_v3_large": 1e-3, "mobilenet_v3_small": 1e-3}


def default_preset(arch, size=224):
    return {"resize_size": size * 256 // 224, "crop_size": size,
            "interpolation": "bicubic" if arch == "efficientnet_b0" else "bilinear",
            "mean": IMAGENET_MEAN, "std": IMAGENET_STD}


def preset_of(weights):
    t = weights.transforms()
    return {"resize_size": t.resize_size[0], "crop_size": t.crop_size[0],
            "interpolation": t.interpolation.value, "mean": list(t.mean), "std": list(t.std)}


def unwrap(obj):
    """A state dict from whatever torch.load returned."""
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    for key in ("state_dict", "model", "state_dict_ema"):
        if isinstance(obj, dict) and key in obj and isinstance(obj[key], dict):
            obj = obj[key]
            break
    return {re.sub(r"^module\.", "", k): v for k, v in obj.items()}


def _bn(src, dst, out, state):
    for suffix in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked"):
        if f"{src}.{suffix}" in state:
            out[f"{dst}.{suffix}"] = state[f"{src}.{suffix}"]


def _conv(src, dst, out, state):
    out[f"{dst}.weight"] = state[f"{src}.weight"]
    if f"{src}.bias" in state:
        out[f"{dst}.bias"] = state[f"{src}.bias"]


def _se(src, dst, out, state):
    _conv(f"{src}.conv_reduce", f"{dst}.fc1", out, state)
    _conv(f"{src}.conv_expand", f"{dst}.fc2", out, state)


def _timm_blocks(state):
    """The (stage, block) indices of timm's blocks.S.B keys, in order."""
    found = sorted({(int(m.group(1)), int(m.group(2)))
                    for m in (re.match(r"blocks\.(\d+)\.(\d+)\.", k) for k in state) if m})
    return found


def map_timm_efficientnet_b0(state):
    out = {}
    _conv("conv_stem", "features.0.0", out, state)
    _bn("bn1", "features.0.1", out, state)
    for s, b in _timm_blocks(state):
        src, dst = f"blocks.{s}.{b}", f"features.{s + 1}.{b}.block"
        if s == 0:  # depthwise-separable: dw, SE, pointwise projection
            _conv(f"{src}.conv_dw", f"{dst}.0.0", out, state)
            _bn(f"{src}.bn1", f"{dst}.0.1", out, state)
            _se(f"{src}.se", f"{dst}.1", out, state)
            _conv(f"{src}.conv_pw", f"{dst}.2.0", out, state)
            _bn(f"{src}.bn2", f"{dst}.2.1", out, state)
        else:  # inverted residual: expansion, dw, SE, projection
            _conv(f"{src}.conv_pw", f"{dst}.0.0", out, state)
            _bn(f"{src}.bn1", f"{dst}.0.1", out, state)
            _conv(f"{src}.conv_dw", f"{dst}.1.0", out, state)
            _bn(f"{src}.bn2", f"{dst}.1.1", out, state)
            _se(f"{src}.se", f"{dst}.2", out, state)
            _conv(f"{src}.conv_pwl", f"{dst}.3.0", out, state)
            _bn(f"{src}.bn3", f"{dst}.3.1", out, state)
    _conv("conv_head", "features.8.0", out, state)
    _bn("bn2", "features.8.1", out, state)
    _conv("classifier", "classifier.1", out, state)
    return out


def map_timm_mobilenetv3_large_100(state):
    out = {}
    _conv("conv_stem", "features.0.0", out, state)
    _bn("bn1", "features.0.1", out, state)
    index = 1  # torchvision's features index of the next block
    blocks = _timm_blocks(state)
    last_stage = max(s for s, _ in blocks)
    for s, b in blocks:
        src = f"blocks.{s}.{b}"
        if s == last_stage:  # the final 1x1 ConvBnAct
            _conv(f"{src}.conv", f"features.{index}.0", out, state)
            _bn(f"{src}.bn1", f"features.{index}.1", out, state)
        elif s == 0:  # depthwise-separable, no SE: dw, projection
            dst = f"features.{index}.block"
            _conv(f"{src}.conv_dw", f"{dst}.0.0", out, state)
            _bn(f"{src}.bn1", f"{dst}.0.1", out, state)
            _conv(f"{src}.conv_pw", f"{dst}.1.0", out, state)
            _bn(f"{src}.bn2", f"{dst}.1.1", out, state)
        else:  # inverted residual, SE optional
            dst = f"features.{index}.block"
            _conv(f"{src}.conv_pw", f"{dst}.0.0", out, state)
            _bn(f"{src}.bn1", f"{dst}.0.1", out, state)
            _conv(f"{src}.conv_dw", f"{dst}.1.0", out, state)
            _bn(f"{src}.bn2", f"{dst}.1.1", out, state)
            proj = 2
            if f"{src}.se.conv_reduce.weight" in state:
                _se(f"{src}.se", f"{dst}.2", out, state)
                proj = 3
            _conv(f"{src}.conv_pwl", f"{dst}.{proj}.0", out, state)
            _bn(f"{src}.bn3", f"{dst}.{proj}.1", out, state)
        index += 1
    w = state["conv_head.weight"]
    out["classifier.0.weight"] = w.reshape(w.shape[0], w.shape[1])
    out["classifier.0.bias"] = state["conv_head.bias"]
    _conv("classifier", "classifier.3", out, state)
    return out


TIMM_MAPS = {"efficientnet_b0": map_timm_efficientnet_b0,
             "mobilenetv3_large_100": map_timm_mobilenetv3_large_100}


def check_against_torchvision(arch, state, classes, bn_eps):
    """Loads state into torchvision's model (strictly) after checking every
    key and shape; returns the model, with its batch-norm eps set to bn_eps."""
    model = getattr(torchvision.models, arch)(num_classes=classes)
    want = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in state.items()}
    missing = [k for k in want if k not in got and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in got if k not in want]
    shapes = [f"{k}: {got[k]} vs torchvision {want[k]}" for k in want if k in got and got[k] != want[k]]
    if missing or unexpected or shapes:
        raise SystemExit(f"the weights do not fit torchvision's {arch}:\n  missing {missing[:5]} ({len(missing)})\n"
                         f"  unexpected {unexpected[:5]} ({len(unexpected)})\n  shapes {shapes[:5]} ({len(shapes)})")
    model.load_state_dict(state, strict=False)
    if bn_eps is not None:
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.eps = bn_eps
    return model


def compare_with_timm(timm_model, tv_model):
    x = torch.randn(2, 3, 224, 224)
    timm_model.eval()
    tv_model.eval()
    with torch.no_grad():
        a, b = timm_model(x), tv_model(x)
    err = ((a - b).norm() / b.norm()).item()
    print(f"timm vs torchvision logits on the mapped weights: relative error {err:.2e}")
    if err > 1e-4:
        raise SystemExit("the timm map is wrong: logits differ")


def export(path, arch, state, classes, class_names=None, preset=None, bn_eps=None):
    """Writes state (in torchvision's key order) with the gocnn metadata."""
    order = getattr(torchvision.models, arch)(num_classes=classes).state_dict().keys()
    tensors = {}
    for k in order:
        if k not in state:  # num_batches_tracked, absent from some checkpoints
            tensors[k] = np.array(0, dtype=np.int64)
            continue
        v = state[k].detach().cpu()
        tensors[k] = v.numpy().astype(np.int64) if k.endswith("num_batches_tracked") else v.float().numpy()
    options = {"classes": classes}
    if bn_eps is not None and bn_eps != TV_BN_EPS.get(arch, 1e-5):
        options["bn_eps"] = bn_eps
    meta = {"gocnn.architecture": arch, "gocnn.options": json.dumps(options),
            "gocnn.preset": json.dumps(preset or default_preset(arch))}
    if class_names is not None:
        meta["gocnn.class_names"] = json.dumps(list(class_names))
    safetensors_np.save(path, tensors, metadata=meta)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("arch", choices=ARCHS, help="torchvision architecture")
    ap.add_argument("out", help="safetensors file to write")
    ap.add_argument("--weights", help="torchvision weights enum name (IMAGENET1K_V1, DEFAULT, ...)")
    ap.add_argument("--pth", help="a .pth checkpoint to export instead")
    ap.add_argument("--timm", choices=sorted(TIMM), help="the weights are this timm model's")
    ap.add_argument("--classes", type=int, help="number of classes of a --pth or random model (default: from the weights, or 1000)")
    ap.add_argument("--seed", type=int, default=0, help="seed of random weights")
    args = ap.parse_args()

    class_names, preset, bn_eps = None, None, None
    if args.timm:
        arch, bn_eps = TIMM[args.timm]
        if arch != args.arch:
            ap.error(f"timm's {args.timm} is torchvision's {arch}, not {args.arch}")
        timm_model = None
        if args.pth:
            state = unwrap(torch.load(args.pth, map_location="cpu"))
        else:
            import timm  # only needed to download timm's weights
            timm_model = timm.create_model(args.timm, pretrained=True)
            state = timm_model.state_dict()
        state = TIMM_MAPS[args.timm](state)
        classes = state["classifier.1.weight" if arch == "efficientnet_b0" else "classifier.3.weight"].shape[0]
        if classes == 1000:
            class_names = _IMAGENET_CATEGORIES
        preset = {**default_preset(arch), "interpolation": "bicubic"}  # timm: crop_pct 0.875, bicubic
        tv_model = check_against_torchvision(arch, state, classes, bn_eps)
        if timm_model is None:
            try:
                import timm
                timm_model = timm.create_model(args.timm, num_classes=classes)
                timm_model.load_state_dict(unwrap(torch.load(args.pth, map_location="cpu")))
            except ImportError:
                print("timm is not installed: keys and shapes checked, logits not compared")
        if timm_model is not None:
            compare_with_timm(timm_model, tv_model)
    elif args.weights or args.pth:
        if args.weights:
            weights = torchvision.models.get_weight(
                f"{torchvision.models.get_model_weights(args.arch).__name__}.{args.weights}")
            state = weights.get_state_dict(progress=True)
            class_names, preset = weights.meta.get("categories"), preset_of(weights)
        else:
            state = unwrap(torch.load(args.pth, map_location="cpu"))
        head = [k for k in state if k.endswith("weight") and (k.startswith("fc.") or k.startswith("classifier."))][-1]
        classes = state[head].shape[0]
        if args.classes and args.classes != classes:
            ap.error(f"the weights have {classes} classes, --classes says {args.classes}")
        check_against_torchvision(args.arch, state, classes, None)
    else:
        torch.manual_seed(args.seed)
        classes = args.classes or 1000
        state = getattr(torchvision.models, args.arch)(num_classes=classes).state_dict()
    export(args.out, args.arch, state, classes, class_names, preset, bn_eps)
    print(f"{args.out}: {args.arch}, {classes} classes, {os.path.getsize(args.out)} bytes")


if __name__ == "__main__":
    main()
