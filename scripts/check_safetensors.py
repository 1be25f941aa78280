"""Reads a safetensors file written by gocnn and prints its tensors as JSON.

Used by safetensors/numpy_test.go to prove that files gocnn writes load on the
Python side: /usr/bin/python3 scripts/check_safetensors.py FILE
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_np  # noqa: E402

tensors, meta = safetensors_np.load(sys.argv[1], with_metadata=True)
print(json.dumps({
    "metadata": meta,
    "tensors": {k: {"dtype": str(v.dtype), "shape": list(v.shape), "values": v.ravel().tolist()}
                for k, v in tensors.items()},
}))
