"""Writes the PyTorch fixtures of package layers (layers/testdata/).

A small network mixes every module kind of package layers inside nested
nn.Sequential and named submodules: convolutions with and without bias,
grouped, depthwise, dilated and stride 2 (no bias feeds a batch norm: its
gradient would be zero up to rounding); batch norms with randomised affine
parameters and running statistics (one with momentum=None, one with eps 1e-3
and momentum 0.01); ReLU, Hardswish, SiLU; torchvision's SqueezeExcitation;
max, average and adaptive average pooling; Flatten, Dropout (p=0, so training
mode stays deterministic) and Linear.

  testdata/model.safetensors  the state_dict, in state_dict order
                              (num_batches_tracked as int64)
  testdata/io.safetensors     x: input batch; r: loss weights;
                              out_eval: eval-mode output;
                              out_train: train-mode output;
                              grad.<param>: d(sum(out_train * r))/d param;
                              after.<buffer>: buffers after the train forward

The Go test layers/torch_test.go builds the same network with package layers.
Run: /usr/bin/python3 scripts/fixtures_layers.py
"""
import os
import sys

import numpy as np
import torch
from torch import nn
from torchvision.ops import SqueezeExcitation

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_np  # noqa: E402


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(8, 12, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(12, momentum=None)
        self.act = nn.SiLU()
        self.conv2 = nn.Conv2d(12, 12, 3, padding=2, dilation=2, groups=3, bias=True)
        self.pool = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)

    def forward(self, x):
        x = self.act(self.bn1(self.conv1(x)))
        return self.pool(self.conv2(x))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.Sequential(
                nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8, bias=False),
                nn.BatchNorm2d(8, eps=1e-3, momentum=0.01),
                nn.Hardswish(),
                SqueezeExcitation(8, 4, scale_activation=nn.Hardsigmoid),
            ),
            nn.MaxPool2d(3, stride=2, padding=1),
        )
        self.block = Block()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.0), nn.Linear(12, 5))

    def forward(self, x):
        return self.classifier(self.avgpool(self.block(self.features(x))))


def main():
    torch.manual_seed(0)
    net = Net()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.3)
                m.running_mean.normal_(0, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.num_batches_tracked.fill_(int(torch.randint(1, 10, ())))
    state = {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}

    x = torch.randn(4, 3, 17, 17)
    net.eval()
    with torch.no_grad():
        out_eval = net(x)
    net.train()
    out_train = net(x)
    r = torch.randn(out_train.shape)
    (out_train * r).sum().backward()

    io = {"x": x.numpy(), "r": r.numpy(), "out_eval": out_eval.numpy(),
          "out_train": out_train.detach().numpy()}
    for name, p in net.named_parameters():
        io["grad." + name] = p.grad.numpy()
    for name, b in net.named_buffers():
        io["after." + name] = b.numpy()

    here = os.path.join(os.path.dirname(__file__), "..", "layers", "testdata")
    os.makedirs(here, exist_ok=True)
    safetensors_np.save(os.path.join(here, "model.safetensors"), state,
                        metadata={"source": "scripts/fixtures_layers.py", "torch": torch.__version__})
    safetensors_np.save(os.path.join(here, "io.safetensors"), io)
    print("wrote", os.path.normpath(here))


if __name__ == "__main__":
    main()
