#!/usr/bin/python3
"""torchvision/PIL side of gocnn's data-pipeline benchmark (docs/PERF.md).

Writes a synthetic ~500x375 JPEG (the size of an Oxford-IIIT Pets photo),
then times torchvision 0.14's PIL pipelines on it, decoding the file for
every sample, with a DataLoader of 2 worker processes (batch 32), like
gocnn's BenchmarkEvalPipeline / BenchmarkTrainPipeline:

    /usr/bin/python3 scripts/bench_transforms.py /tmp/gocnn_bench.jpg
    GOCNN_BENCH_JPEG=/tmp/gocnn_bench.jpg go test ./dataset -run '^$' -bench Pipeline -benchtime 3x
"""
import io
import os
import sys
import time

import torch
import torchvision.transforms as T
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures_transforms import photo  # noqa: E402

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
EVAL = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize(MEAN, STD)])
TRAIN = T.Compose([T.Resize(256), T.RandomResizedCrop(224, scale=(0.8, 1.0)), T.RandomHorizontalFlip(),
                   T.ColorJitter(0.2, 0.2), T.ToTensor(), T.Normalize(MEAN, STD)])


class Repeat(torch.utils.data.Dataset):
    def __init__(self, data, n, tf):
        self.data, self.n, self.tf = data, n, tf

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return self.tf(Image.open(io.BytesIO(self.data)).convert("RGB")), i % 2


def loader_rate(data, tf, n=512):
    dl = torch.utils.data.DataLoader(Repeat(data, n, tf), batch_size=32, num_workers=2,
                                     worker_init_fn=lambda _: torch.set_num_threads(1))
    start, cpu0 = time.perf_counter(), sum(os.times()[:4])
    count = sum(len(labels) for _, labels in dl)
    wall, cpu = time.perf_counter() - start, sum(os.times()[:4]) - cpu0
    return count / wall, 1000 * cpu / count


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "/tmp/gocnn_bench.jpg"
    photo(500, 375, seed=1).save(path, quality=90)
    with open(path, "rb") as f:
        data = f.read()
    torch.set_num_threads(1)
    for name, tf in (("eval", EVAL), ("train", TRAIN)):
        rate, cpu_ms = loader_rate(data, tf)
        print(f"torchvision {name:5s} pipeline, 2 workers: {rate:6.1f} images/s, {cpu_ms:.2f} cpu-ms/image")
    img = Image.open(io.BytesIO(data)).convert("RGB")
    for label, fn in (("decode", lambda: Image.open(io.BytesIO(data)).convert("RGB")),
                      ("resize 256 bilinear", lambda: img.resize((341, 256), Image.BILINEAR)),
                      ("resize 256 bicubic", lambda: img.resize((341, 256), Image.BICUBIC))):
        reps, start = 200, time.perf_counter()
        for _ in range(reps):
            fn()
        print(f"PIL {label:20s} {1000 * (time.perf_counter() - start) / reps:.2f} ms")


if __name__ == "__main__":
    main()
