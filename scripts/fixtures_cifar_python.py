#!/usr/bin/python3
"""Fixtures for gocnn's reader of the CIFAR-10 Python version (dataset/pickle.go).

Run with Debian's python3 (numpy 1.24):

    /usr/bin/python3 scripts/fixtures_cifar_python.py

It writes into dataset/testdata/cifar-python/:

  cifar-10-batches-py/   a tiny copy of the layout torchvision downloads:
                         data_batch_1 … data_batch_5 (one image each),
                         test_batch (two) and batches.meta, pickled the way the
                         real files are: Python 2's cPickle, protocol 2, with
                         Python 2 strings (SHORT_BINSTRING / BINSTRING) for
                         keys, names and the array's bytes
  test_batch.bin         the same test images as binary-version records
                         (label byte, then the red, green and blue planes)
  test_batch.p0, .p2, .p4, .p5
                         the test batch pickled by Python 3 with protocols 0,
                         2 (bytes through _codecs.encode), 4 and 5
The pixels are a fixed pseudo-random pattern and the labels 0–9 in turn, so
the Go test checks that every form decodes to the same records.
"""
import os
import pickle
import struct
import sys

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dataset", "testdata", "cifar-python")
CLASSES = [b"airplane", b"automobile", b"bird", b"cat", b"deer", b"dog", b"frog", b"horse", b"ship", b"truck"]


class Py2Pickler(pickle._Pickler):
    """Pickles bytes as Python 2's cPickle pickled str: SHORT_BINSTRING or BINSTRING."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_str(self, obj):
        n = len(obj)
        if n < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([n]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", n) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str


def batch(index, n=2):
    rng = np.random.default_rng(index)
    data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
    labels = [(index * n + i) % 10 for i in range(n)]
    names = [b"img_%d_%d.png" % (index, i) for i in range(n)]
    return {b"batch_label": b"batch %d" % index, b"labels": labels, b"data": data, b"filenames": names}


def py2_dump(obj, path):
    with open(path, "wb") as f:
        Py2Pickler(f, protocol=2).dump(obj)


def main():
    os.makedirs(os.path.join(OUT, "cifar-10-batches-py"), exist_ok=True)
    for i in range(1, 6):
        py2_dump(batch(i, n=1), os.path.join(OUT, "cifar-10-batches-py", "data_batch_%d" % i))
    test = batch(0)
    py2_dump(test, os.path.join(OUT, "cifar-10-batches-py", "test_batch"))
    py2_dump({b"label_names": CLASSES, b"num_cases_per_batch": 2, b"num_vis": 3072},
             os.path.join(OUT, "cifar-10-batches-py", "batches.meta"))
    with open(os.path.join(OUT, "test_batch.bin"), "wb") as f:
        for label, row in zip(test[b"labels"], test[b"data"]):
            f.write(bytes([label]) + row.tobytes())
    for proto in (0, 2, 4, 5):
        with open(os.path.join(OUT, "test_batch.p%d" % proto), "wb") as f:
            pickle.dump(test, f, protocol=proto)
    print("wrote", os.path.normpath(OUT), file=sys.stderr)


if __name__ == "__main__":
    main()
