"""Writes safetensors/testdata/from_numpy.safetensors with scripts/safetensors_np.py.

The Go test safetensors/numpy_test.go reads it back and checks every value, so
files written by the Python side load in gocnn. Run: /usr/bin/python3 scripts/fixtures_safetensors.py
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_np  # noqa: E402

here = os.path.dirname(__file__)
out = os.path.join(here, "..", "safetensors", "testdata", "from_numpy.safetensors")
safetensors_np.save(out, {
    "layer1.0.conv1.weight": np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2) / 8 - 1,
    "half": np.array([1.0, -2.5, 65504.0, 6e-8, np.inf, 0.0], dtype=np.float16),
    "bn.num_batches_tracked": np.array(7, dtype=np.int64),
    "double": np.array([[0.1, 0.2]], dtype=np.float64),
    "bytes": np.array([0, 128, 255], dtype=np.uint8),
}, metadata={"arch": "resnet18", "classes": "cat,dog"})
print("wrote", os.path.normpath(out))
