#!/usr/bin/python3
"""Fixtures for gocnn's dataset package: torchvision's PIL path as reference.

Run with Debian's python3 (PIL 9.4, torchvision 0.14):

    /usr/bin/python3 scripts/fixtures_transforms.py

It writes into dataset/testdata/transforms/:

  img*.png               small synthetic "photos" (smooth gradients, noise, hard
                         edges, a disc) of varied sizes and aspect ratios; these
                         are the identical RGB inputs both sides start from
  img*_resize.safetensors
      bilinear_small, bicubic_small   Resize(shorter side ~30%) (shrink, antialiased)
      bilinear_large, bicubic_large   Resize(~1.125x) then CenterCrop(7/8 of it) (enlarge)
      bilinear_exact, bicubic_exact   Resize((h, w)) shrinking one axis, growing the other
      center_crop                     CenterCrop with odd margins (round-half-to-even)
      resized_crop                    resized_crop(top, left, h, w, (32, 40), bilinear)
      tensor                          F32: Normalize(ImageNet)(ToTensor(CenterCrop(32)))
      params                          I64: [small, large, crop, exact_h, exact_w, cc_h, cc_w]
  img*_ops.safetensors (input: bilinear_small of the same image)
      brightness_*, contrast_*, saturation_*, hue_*, gray3, rotate_*
  jpeg_*.jpg / webp_*.webp and decode_*.safetensors: files written by PIL and the
      pixels PIL decodes from them (convert("RGB")), for decode parity.
All images are stored as U8 arrays in HWC order.
"""
import io
import os
import sys

import numpy as np
from PIL import Image, ImageOps
import torch
import torchvision.transforms as T
import torchvision.transforms.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_np import save  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dataset", "testdata", "transforms")
BIL, BIC = T.InterpolationMode.BILINEAR, T.InterpolationMode.BICUBIC
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def photo(w, h, seed):
    """A deterministic image with the features that stress resampling."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.zeros((h, w, 3))
    for c in range(3):
        fx, fy, ph = rng.uniform(0.5, 3.0), rng.uniform(0.5, 3.0), rng.uniform(0, 6.3)
        img[..., c] = 128 + 90 * np.sin(fx * x / w * 6.28 + ph) * np.cos(fy * y / h * 6.28)
    # hard-edged rectangle and disc (high-frequency content at the borders)
    x0, y0 = w // 5, h // 4
    img[y0:y0 + h // 3, x0:x0 + w // 4] = rng.uniform(0, 255, 3)
    cx, cy, r = 0.65 * w, 0.6 * h, 0.2 * min(w, h)
    img[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = rng.uniform(0, 255, 3)
    img += rng.normal(0, 12, img.shape)  # sensor-like noise
    img[0, :] = 255  # saturated edge row
    img[:, -1] = 0   # black edge column
    return Image.fromarray(np.clip(np.rint(img), 0, 255).astype(np.uint8), "RGB")


def arr(im):
    return np.asarray(im.convert("RGB") if im.mode not in ("RGB", "L") else im, dtype=np.uint8)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    sizes = [(160, 120), (112, 160), (97, 61), (123, 123), (181, 47)]
    for n, (w, h) in enumerate(sizes):
        name = f"img{n}"
        im = photo(w, h, seed=n)
        im.save(os.path.join(OUT, name + ".png"))
        short = min(w, h)
        small = max(short * 3 // 10, 8)
        large = short + short // 8
        crop = large * 7 // 8
        eh, ew = max(h // 4, 4), w + w // 7
        cch, ccw = h // 3 + 1 - (h - h // 3) % 2, w // 3 + 1 - (w - w // 3) % 2  # odd margins: x.5 offsets
        t = {}
        for mode, key in ((BIL, "bilinear"), (BIC, "bicubic")):
            t[key + "_small"] = arr(F.resize(im, small, mode))
            t[key + "_large"] = arr(F.center_crop(F.resize(im, large, mode), crop))
            t[key + "_exact"] = arr(F.resize(im, [eh, ew], mode))
        t["center_crop"] = arr(F.center_crop(im, [cch, ccw]))
        t["resized_crop"] = arr(F.resized_crop(im, h // 7, w // 5, h // 2, w // 3, [32, 40], BIL))
        t["tensor"] = F.normalize(F.to_tensor(F.center_crop(im, 32)), MEAN, STD).numpy()
        t["params"] = np.array([small, large, crop, eh, ew, cch, ccw], dtype=np.int64)
        if n == 2:  # crop larger than the image: torchvision pads with black first
            t["center_crop_pad"] = arr(F.center_crop(im, [h + 5, w + 8]))
        save(os.path.join(OUT, name + "_resize.safetensors"), t)

        base = F.resize(im, small, BIL)
        ops = {}
        for f in (0.0, 0.6, 1.4):
            ops[f"brightness_{f}"] = arr(F.adjust_brightness(base, f))
            ops[f"contrast_{f}"] = arr(F.adjust_contrast(base, f))
            ops[f"saturation_{f}"] = arr(F.adjust_saturation(base, f))
        for f in (-0.5, -0.21, 0.07, 0.33):
            ops[f"hue_{f}"] = arr(F.adjust_hue(base, f))
        ops["gray3"] = arr(F.rgb_to_grayscale(base, 3))
        for a in (17.5, -33.0, 90.0, 180.0, 271.25):
            ops[f"rotate_{a}"] = arr(F.rotate(base, a))
        ops["rotate_fill"] = arr(F.rotate(base, 40.0, fill=[10, 200, 30]))
        save(os.path.join(OUT, name + "_ops.safetensors"), ops)

    # Decode parity: files written by PIL, the pixels PIL reads back.
    src = Image.open(os.path.join(OUT, "img0.png"))
    odd = Image.open(os.path.join(OUT, "img2.png"))
    rng = np.random.default_rng(7)
    cmyk = np.asarray(src.convert("CMYK")).copy()
    cmyk[..., 3] = rng.integers(0, 120, cmyk.shape[:2])  # non-trivial black channel
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    files = {
        "jpeg_420.jpg": lambda p: src.save(p, quality=90),
        "jpeg_422.jpg": lambda p: src.save(p, quality=90, subsampling=1),
        "jpeg_444.jpg": lambda p: src.save(p, quality=95, subsampling=0),
        "jpeg_odd420.jpg": lambda p: odd.save(p, quality=85),
        "jpeg_progressive.jpg": lambda p: src.save(p, quality=80, progressive=True),
        "jpeg_gray.jpg": lambda p: src.convert("L").save(p, quality=90),
        "jpeg_cmyk.jpg": lambda p: Image.fromarray(cmyk, "CMYK").save(p, quality=92),
        "jpeg_exif6.jpg": lambda p: odd.save(p, quality=90, exif=exif.tobytes()),
        "webp_lossy.webp": lambda p: odd.save(p, quality=90),
    }
    for fname, write in files.items():
        path = os.path.join(OUT, fname)
        write(path)
        with Image.open(path) as im:
            d = {"rgb": arr(im)}
            if fname == "jpeg_exif6.jpg":
                d["rgb_oriented"] = arr(ImageOps.exif_transpose(im))
        save(os.path.join(OUT, "decode_" + fname.split(".")[0] + ".safetensors"), d)


if __name__ == "__main__":
    main()
