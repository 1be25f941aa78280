"""Full-size parity check of the zoo against PyTorch (a local check, not a CI test).

For every architecture at full size (1000 classes, 224x224, batch 2) this
script builds torchvision's model with random weights (batch-norm running
statistics and affine parameters randomised too, so evaluation mode is not
near the identity), exports it with export_torchvision.export, and computes
in float64:
  eval_logits   evaluation-mode logits
  loss          training-mode mean cross-entropy (batch statistics; dropout
                and stochastic depth at p = 0)
  grad.<param>  the gradient of that loss for every parameter
It writes them beside the weights, runs the Go test TestParityFull (package
zoo, enabled by GOCNN_PARITY_DIR) on them, and prints the relative errors
(||gocnn - PyTorch|| / ||PyTorch||) the Go test reports beside those of
PyTorch's own float32 run of the same model against the same float64
references: the float32 noise floor.

At full size the training-mode gradients are at the mercy of kinks: a ReLU
input or a max-pool near-tie that float32 and float64 put on different sides
moves one gradient element, and train-mode batch norm's backward (which
subtracts the per-channel mean of a gradient that global average pooling
made nearly uniform) amplifies that to relative errors of 1e-3..1e-2. Both
gocnn and PyTorch's float32 hit this on some models; which ones depends on
the seed. The reduced fixtures of zoo/parity_test.go, with few enough
elements to avoid such near-kinks, hold the gradients to the issue's
tolerance.

Usage: /usr/bin/python3 scripts/parity_full.py [--dir DIR] [--keep] [--seed-offset N] [ARCH ...]
The files take about 2.3 GB for all seven models (VGG-16's gradients alone
are 550 MB). Without --dir they go to a temporary directory, deleted
afterwards unless --keep is given.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torchvision.ops import StochasticDepth

sys.path.insert(0, os.path.dirname(__file__))
import export_torchvision  # noqa: E402
import safetensors_np  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
BATCH, SIZE = 2, 224
TARGETS = [3, 971]
ARCH_SEEDS = {arch: i + 1 for i, arch in enumerate(export_torchvision.ARCHS)}


def build(arch, seed):
    torch.manual_seed(seed)
    model = getattr(torchvision.models, arch)()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.1)
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
            elif isinstance(m, (torch.nn.Dropout, StochasticDepth)):
                m.p = 0.0
    return model


def run(model, x):
    """Eval logits, train-mode loss and parameter gradients of model on x."""
    model.eval()
    with torch.no_grad():
        eval_logits = model(x)
    model.train()
    loss = F.cross_entropy(model(x), torch.tensor(TARGETS))
    loss.backward()
    return eval_logits, loss, {name: p.grad for name, p in model.named_parameters()}


def errors(eval_logits, loss, grads, ref_logits, ref_loss, ref_grads):
    """The relative errors the Go test reports, for PyTorch's float32 run."""
    rel = lambda a, b: ((a.double() - b).norm() / b.norm()).item()
    total = sum(g.norm().item() ** 2 for g in ref_grads.values()) ** 0.5
    diff = sum((grads[n].double() - g).norm().item() ** 2 for n, g in ref_grads.items()) ** 0.5
    worst, name = max(((grads[n].double() - g).norm().item() / (1e-3 * g.norm().item() + 1e-5 * total), n)
                      for n, g in ref_grads.items())
    return {"eval": rel(eval_logits, ref_logits), "loss": abs(loss.item() - ref_loss.item()) / abs(ref_loss.item()),
            "grads": diff / total, "worst": worst, "param": name}


def references(arch, seed, out_dir):
    model = build(arch, seed)
    export_torchvision.export(os.path.join(out_dir, f"{arch}.safetensors"), arch, model.state_dict(), 1000)
    x = torch.randn(BATCH, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(seed))
    ref_logits, ref_loss, ref_grads = run(build(arch, seed).double(), x.double())
    torch32 = errors(*run(model, x), ref_logits, ref_loss, ref_grads)
    ref = {"input": x.numpy(), "eval_logits": ref_logits.float().numpy(),
           "loss": np.array(ref_loss.item(), dtype=np.float32)}
    for name, g in ref_grads.items():
        ref["grad." + name] = g.float().numpy()
    safetensors_np.save(os.path.join(out_dir, f"{arch}_ref.safetensors"), ref,
                        metadata={"targets": ",".join(map(str, TARGETS)), "torch32": json.dumps(torch32)})
    print(f"{arch}: references written", flush=True)
    return torch32


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("archs", nargs="*", default=export_torchvision.ARCHS)
    ap.add_argument("--dir", help="directory for the files (default: a temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the files")
    ap.add_argument("--seed-offset", type=int, default=0,
                    help="added to every model's seed (weights, statistics and inputs), to see where other near-kinks fall")
    args = ap.parse_args()
    out_dir = args.dir or tempfile.mkdtemp(prefix="gocnn-parity-")
    os.makedirs(out_dir, exist_ok=True)
    try:
        torch32 = {arch: references(arch, ARCH_SEEDS[arch] + args.seed_offset, out_dir) for arch in args.archs}
        env = dict(os.environ, GOCNN_PARITY_DIR=out_dir)
        proc = subprocess.run(["go", "test", "./zoo", "-run", "TestParityFull", "-v", "-count=1", "-timeout", "60m"],
                              cwd=ROOT, env=env, capture_output=True, text=True)
        print("\nRelative errors against PyTorch in float64, for gocnn and for PyTorch's own float32 run:")
        print(f"{'model':<19} {'':<8} {'eval logits':>11} {'train loss':>10} {'all grads':>9}  worst gradient (fraction of its tolerance)")
        for arch, rest in re.findall(r"parity-full (\S+) (.*)", proc.stdout):
            rows = [("gocnn", dict(kv.split("=", 1) for kv in rest.split())), ("torch32", torch32[arch])]
            for who, f in rows:
                print(f"{arch if who == 'gocnn' else '':<19} {who:<8} {float(f['eval']):>11.1e} {float(f['loss']):>10.1e} "
                      f"{float(f['grads']):>9.1e}  {float(f['worst']):.3f} ({f['param']})")
        if proc.returncode != 0:
            print(proc.stdout[-4000:], proc.stderr[-4000:])
            raise SystemExit("go test failed")
    finally:
        if not args.keep and not args.dir:
            shutil.rmtree(out_dir)


if __name__ == "__main__":
    main()
