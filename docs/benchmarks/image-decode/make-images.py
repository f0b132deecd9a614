#!/usr/bin/python3
"""Writes the benchmark's inputs into the folder given (default /tmp/bench-images): photo-like pictures at 0.3, 1, 3
and 12 MP as baseline and progressive JPEG (quality 90, 4:2:0, what phones and the web send), a 12 MP JPEG with EXIF
orientation 6 (a phone held upright), PNG and lossy WebP (quality 80) at 1 and 12 MP.

Content: the tiny-blip2 fixture's coffee photo upscaled (bicubic) with a little noise, so the encoders see texture
and noise as in a camera picture rather than flat colour. Needs Debian's python3-pil (its libjpeg-turbo and libwebp).
"""
import os
import sys

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "..", "..", "src", "test", "resources", "fixtures", "tiny-blip2", "images", "coffee.png")
OUT = sys.argv[1] if len(sys.argv) > 1 else "/tmp/bench-images"
SIZES = {"0.3mp": (640, 480), "1mp": (1152, 864), "3mp": (2048, 1536), "12mp": (4032, 3024)}
rng = np.random.default_rng(20)
os.makedirs(OUT, exist_ok=True)


def photo(w, h):
    base = Image.open(SRC).convert("RGB").resize((w, h), Image.BICUBIC)
    a = np.asarray(base).astype(np.float32) + rng.normal(0, 3.0, (h, w, 3))
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


exif6 = Image.Exif()
exif6[0x0112] = 6
for name, (w, h) in SIZES.items():
    img = photo(w, h)
    img.save(os.path.join(OUT, f"{name}-baseline.jpg"), quality=90)
    img.save(os.path.join(OUT, f"{name}-progressive.jpg"), quality=90, progressive=True)
    if name in ("1mp", "12mp"):
        img.save(os.path.join(OUT, f"{name}.png"), compress_level=6)
        img.save(os.path.join(OUT, f"{name}.webp"), quality=80)
    if name == "12mp":
        img.save(os.path.join(OUT, f"{name}-exif6.jpg"), quality=90, exif=exif6.tobytes())
# The case: a 720x477 progressive JPEG from the web (the first-request measurement sends it).
photo(720, 477).save(os.path.join(OUT, "web-720x477-progressive.jpg"), quality=85, progressive=True)
# The smallest JPEG djpeg can read: its run time is djpeg's process start, taken off the others' times.
Image.new("RGB", (8, 8), (128, 128, 128)).save(os.path.join(OUT, "startup-8x8.jpg"), quality=90)
print("wrote", OUT)

# The fast path's caption check: the shapes-blip2 eval images (64x64 PNG) enlarged to photo sizes as JPEG (quality
# 90), 640, 1000 and 1536 pixels square in turn, so DCT scaling has something to reduce (1/8 to 1/2 before the resize).
EVAL = os.path.join(HERE, "..", "..", "..", "data", "shapes-blip2", "eval", "images")
eval_out = os.path.join(OUT, "eval-large")
os.makedirs(eval_out, exist_ok=True)
for i, name in enumerate(sorted(os.listdir(EVAL))):
    side = (640, 1000, 1536)[i % 3]
    img = Image.open(os.path.join(EVAL, name)).convert("RGB").resize((side, side), Image.BICUBIC)
    img.save(os.path.join(eval_out, name.replace(".png", ".jpg")), quality=90)
print("wrote", eval_out)
