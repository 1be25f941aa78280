"""Writes the PyTorch fixtures of package zoo (zoo/testdata/).

  testdata/torchvision_models.json
      For every architecture at full size (1000 classes), torchvision 0.14's
      state_dict keys in order with their shapes, its parameter count and
      its multiply-accumulates at 224x224 (convolutions and Linear layers,
      counted by forward hooks): {"resnet50": {"keys": [[key, shape], ...],
      "params": n, "macs": n}, ...}. zoo's tests compare against these.

  testdata/parity_<arch>.safetensors
      A reduced model (small width, 10 classes, small input) run by PyTorch
      from deterministic weights and inputs:
        eval_logits   logits in evaluation mode
        train_logits  logits in training mode (batch statistics; dropout and
                      stochastic depth at p = 0)
        loss          mean cross-entropy of train_logits against the targets
        grad.<param>  d loss / d param for every parameter
      Metadata: arch, width_mult, classes, input_size, batch, targets (JSON).

The weights and inputs are not stored: both sides compute them from
fixture_values() below (mirrored by zoo/parity_test.go), a splitmix64 hash of
(tensor index, element index) turned into exact float64 steps, so the
fixtures stay small. Tensor index i is the position of the key in
state_dict order; the input batch uses INPUT_INDEX. Values:
  conv / linear weight   (2u-1)*sqrt(6/fan_in)
  batch-norm weight      0.5 + u
  any bias               (2u-1)*0.2
  running_mean           (2u-1)*0.2
  running_var            0.5 + u
  input                  2u-1
with u in [0, 1) a multiple of 2^-24, all rounded once to float32.

PyTorch runs the model in float64 from those float32 values, and the results
are stored rounded to float32: the references are the exact answers, not
PyTorch's float32 ones, which lose up to 1% on gradients where batch norm's
backward cancels (the stem convolution of a ResNet, a bias feeding a batch
norm).

VGG and ResNet are reduced with gocnn's own width rule
(ScaleChannels(c, w) = max(1, floor(c*w + 0.5)), also applied to VGG's 4096
classifier), so this script builds those two with scaled channels itself,
from torchvision's own blocks; MobileNetV3 and EfficientNet use
torchvision's width_mult.

Run: /usr/bin/python3 scripts/fixtures_zoo.py
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torch import nn
from torchvision.models import resnet as tvresnet
from torchvision.models.efficientnet import EfficientNet, _efficientnet_conf

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_np  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "zoo", "testdata")
INPUT_INDEX = 0xFFFFF
ARCHS = ["vgg16", "vgg16_bn", "resnet18", "resnet50",
         "mobilenet_v3_large", "mobilenet_v3_small", "efficientnet_b0"]

# Reduced configurations: (width multiplier, input size). Batch 4, 10 classes.
REDUCED = {
    "vgg16": (1 / 64, 32),
    "vgg16_bn": (1 / 64, 32),
    "resnet18": (1 / 16, 64),
    "resnet50": (1 / 32, 64),
    "mobilenet_v3_large": (0.1, 64),
    "mobilenet_v3_small": (0.1, 64),
    "efficientnet_b0": (0.1, 64),
}
CLASSES = 10
BATCH = 4


def scale_channels(c, w):
    return max(1, int(math.floor(c * w + 0.5)))


class VGG(nn.Module):
    """torchvision's VGG-16 with every width scaled by w and dropout p."""

    def __init__(self, w, batch_norm, classes, p):
        super().__init__()
        layers, cin = [], 3
        for block in [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]]:
            for c in block:
                c = scale_channels(c, w)
                layers.append(nn.Conv2d(cin, c, 3, padding=1))
                if batch_norm:
                    layers.append(nn.BatchNorm2d(c))
                layers.append(nn.ReLU(inplace=True))
                cin = c
            layers.append(nn.MaxPool2d(2, 2))
        hidden = scale_channels(4096, w)
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(cin * 49, hidden), nn.ReLU(True), nn.Dropout(p),
            nn.Linear(hidden, hidden), nn.ReLU(True), nn.Dropout(p),
            nn.Linear(hidden, classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class ResNet(nn.Module):
    """torchvision's ResNet with the stem and every layer's planes scaled by w."""

    def __init__(self, block, depths, w, classes):
        super().__init__()
        self.inplanes = scale_channels(64, w)
        self.conv1 = nn.Conv2d(3, self.inplanes, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        for i, (planes, depth) in enumerate(zip([64, 128, 256, 512], depths)):
            setattr(self, f"layer{i + 1}", self._make_layer(block, scale_channels(planes, w), depth, 1 if i == 0 else 2))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(self.inplanes, classes)

    def _make_layer(self, block, planes, blocks, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(tvresnet.conv1x1(self.inplanes, planes * block.expansion, stride),
                                       nn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def build(arch, w, classes, drop):
    """The reduced model; drop is the dropout / stochastic-depth probability."""
    if arch in ("vgg16", "vgg16_bn"):
        return VGG(w, arch == "vgg16_bn", classes, drop)
    if arch == "resnet18":
        return ResNet(tvresnet.BasicBlock, [2, 2, 2, 2], w, classes)
    if arch == "resnet50":
        return ResNet(tvresnet.Bottleneck, [3, 4, 6, 3], w, classes)
    if arch.startswith("mobilenet_v3"):
        return getattr(torchvision.models, arch)(width_mult=w, num_classes=classes, dropout=drop)
    setting, last = _efficientnet_conf("efficientnet_b0", width_mult=w, depth_mult=1.0)
    return EfficientNet(setting, drop, stochastic_depth_prob=drop, num_classes=classes, last_channel=last)


def fixture_values(index, n):
    """n values u in [0, 1), multiples of 2^-24, from splitmix64 of (index << 32) + j."""
    with np.errstate(over="ignore"):
        z = ((np.uint64(index) << np.uint64(32)) + np.arange(n, dtype=np.uint64) + np.uint64(1))
        z = z * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(40)).astype(np.float64) / float(1 << 24)


def fixture_tensor(index, name, shape):
    u = fixture_values(index, int(np.prod(shape, dtype=np.int64)))
    if name.endswith("running_var") or (len(shape) == 1 and name.endswith("weight")):
        v = 0.5 + u
    elif len(shape) == 1:  # biases and running means
        v = (2 * u - 1) * 0.2
    else:
        fan_in = int(np.prod(shape[1:]))
        v = (2 * u - 1) * math.sqrt(6.0 / fan_in)
    return v.astype(np.float32).reshape(shape)


def fixture_input(shape):
    u = fixture_values(INPUT_INDEX, int(np.prod(shape)))
    return (2 * u - 1).astype(np.float32).reshape(shape)


def fill(model):
    state = model.state_dict()
    new = {}
    for i, (name, t) in enumerate(state.items()):
        if name.endswith("num_batches_tracked"):
            new[name] = t
        else:
            new[name] = torch.from_numpy(fixture_tensor(i, name, list(t.shape)))
    model.load_state_dict(new)


def parity(arch):
    w, size = REDUCED[arch]
    torch.manual_seed(0)
    model = build(arch, w, CLASSES, 0.0)
    fill(model)
    model.double()
    x = torch.from_numpy(fixture_input([BATCH, 3, size, size])).double()
    targets = [(3 * i + 1) % CLASSES for i in range(BATCH)]
    model.eval()
    with torch.no_grad():
        eval_logits = model(x)
    model.train()
    train_logits = model(x)
    loss = F.cross_entropy(train_logits, torch.tensor(targets))
    loss.backward()
    out = {
        "eval_logits": eval_logits.float().numpy(),
        "train_logits": train_logits.detach().float().numpy(),
        "loss": np.array(loss.item(), dtype=np.float32),
    }
    for name, p in model.named_parameters():
        out["grad." + name] = p.grad.float().numpy()
    meta = {"arch": arch, "width_mult": repr(w), "classes": CLASSES, "input_size": size,
            "batch": BATCH, "targets": json.dumps(targets)}
    path = os.path.join(OUT, f"parity_{arch}.safetensors")
    safetensors_np.save(path, out, metadata=meta)
    n = sum(p.numel() for p in model.parameters())
    print(f"{path}: {n} parameters, {os.path.getsize(path)} bytes, loss {loss.item():.6f}")


def macs(model, size=224):
    total = 0

    def hook(m, inputs, out):
        nonlocal total
        if isinstance(m, nn.Conv2d):
            total += out.numel() * m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, nn.Linear):
            total += m.in_features * m.out_features

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    for h in handles:
        h.remove()
    return total


def models():
    table = {}
    for arch in ARCHS:
        model = getattr(torchvision.models, arch)()
        keys = [[k, list(v.shape)] for k, v in model.state_dict().items()]
        table[arch] = {"keys": keys, "params": sum(p.numel() for p in model.parameters()), "macs": macs(model)}
        # The width-1 mirrors of VGG and ResNet must be torchvision's models.
        if arch.startswith(("vgg", "resnet")):
            mirror = build(arch, 1.0, 1000, 0.5)
            assert [[k, list(v.shape)] for k, v in mirror.state_dict().items()] == keys, arch
    path = os.path.join(OUT, "torchvision_models.json")
    with open(path, "w") as f:
        json.dump(table, f, separators=(",", ":"))
        f.write("\n")
    print(f"{path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    models()
    for arch in ARCHS:
        parity(arch)
