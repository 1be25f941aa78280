"""PyTorch's side of the model throughput benchmarks (bench/zoo_test.go).

For each torchvision model at 224x224 (full width, 1000 classes), batch 1
and 16, on 2 threads (this machine's cores):
  inference   model.eval() forward under torch.no_grad()
  train step  model.train() forward, cross-entropy, backward, SGD step with
              momentum 0.9
after one untimed warm-up step. Prints images/s (per wall-clock second) and
cpu-ms/image (CPU time of the process per image, steadier than wall time on
a shared machine), the figures BenchmarkZooInference and
BenchmarkZooTrainStep report, as lines of a Markdown table.

Usage: /usr/bin/python3 scripts/bench_models.py [--iters 2] [--threads 2] [MODEL ...]
"""
import argparse
import time

import torch
import torch.nn.functional as F
import torchvision

ARCHS = ["vgg16", "vgg16_bn", "resnet18", "resnet50",
         "mobilenet_v3_large", "mobilenet_v3_small", "efficientnet_b0"]


def measure(step, iters, batch):
    step()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(iters):
        step()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    images = iters * batch
    return images / wall, cpu * 1e3 / images


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="*", default=ARCHS)
    ap.add_argument("--iters", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, {args.threads} threads")
    print("| model | batch | inference images/s | inference cpu-ms/image | train images/s | train cpu-ms/image |")
    print("|---|---|---|---|---|---|")
    for name in args.models:
        torch.manual_seed(0)
        model = getattr(torchvision.models, name)()
        opt = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
        for batch in (1, 16):
            x = torch.randn(batch, 3, 224, 224)
            y = torch.randint(0, 1000, (batch,))

            def infer():
                with torch.no_grad():
                    model(x)

            def train():
                opt.zero_grad(set_to_none=True)
                F.cross_entropy(model(x), y).backward()
                opt.step()

            model.eval()
            inf = measure(infer, args.iters, batch)
            model.train()
            tr = measure(train, args.iters, batch)
            print(f"| {name} | {batch} | {inf[0]:.2f} | {inf[1]:.0f} | {tr[0]:.2f} | {tr[1]:.0f} |", flush=True)


if __name__ == "__main__":
    main()
