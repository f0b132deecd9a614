#!/usr/bin/python3
"""Writes the JPEG variants in this folder and pillow.json, what Pillow decodes them to.

Run from anywhere with Debian's Python (apt-get install python3-pil libjpeg-turbo-progs): Pillow there decodes with
Debian's libjpeg-turbo 2.1, the library the service's TurboJPEG path binds. The encoders are libjpeg-turbo's cjpeg
(sampling layouts Pillow cannot write: 4:4:0, 4:1:1, restart markers, arithmetic coding) and Pillow itself.
pillow.json holds, per file, the SHA-256 of np.array(ImageOps.exif_transpose(Image.open(f)).convert("RGB")) and the
size, or the error Pillow raises. The Java tests never run Python; they only read what this wrote.
"""
import hashlib
import io
import json
import os
import subprocess

import numpy as np
from PIL import Image, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(2020)


def photo(w, h):
    """Smooth gradients, edges and noise: something a JPEG encoder treats like a photo."""
    y, x = np.mgrid[0:h, 0:w]
    r = 128 + 100 * np.sin(x / 7.0) * np.cos(y / 11.0)
    g = (x * 255 // max(w - 1, 1)) * 0.6 + 40 * ((x // 9 + y // 9) % 2)
    b = (y * 255 // max(h - 1, 1)) * 0.8
    img = np.stack([r, g, b], -1) + rng.normal(0, 12, (h, w, 3))
    img[: h // 5, : w // 5] = [240, 20, 30]
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")


def cjpeg(name, img, *args):
    ppm = io.BytesIO()
    img.save(ppm, "PPM")
    out = subprocess.run(["cjpeg", *args], input=ppm.getvalue(), capture_output=True, check=True).stdout
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(out)


def pil(name, img, **kw):
    img.save(os.path.join(HERE, name), "JPEG", **kw)


def exif(orientation):
    e = Image.Exif()
    e[0x0112] = orientation
    return e.tobytes()


odd = photo(67, 45)
cjpeg("sample-440.jpg", odd, "-quality", "90", "-sample", "1x2,1x1,1x1")
cjpeg("sample-411.jpg", odd, "-quality", "90", "-sample", "4x1,1x1,1x1")
cjpeg("sample-420-odd.jpg", photo(33, 17), "-quality", "85", "-sample", "2x2,1x1,1x1")
cjpeg("sample-422-progressive.jpg", odd, "-quality", "90", "-sample", "2x1,1x1,1x1", "-progressive")
cjpeg("restart-rows.jpg", odd, "-quality", "90", "-restart", "1")
cjpeg("restart-blocks.jpg", odd, "-quality", "90", "-restart", "3B")
cjpeg("arithmetic.jpg", odd, "-quality", "90", "-arithmetic")
cjpeg("optimized.jpg", odd, "-quality", "75", "-optimize")
cjpeg("gray-progressive.jpg", odd.convert("L"), "-quality", "90", "-progressive")
cjpeg("rgb-colorspace.jpg", odd, "-quality", "90", "-rgb")
cjpeg("q100-444.jpg", odd, "-quality", "100", "-sample", "1x1,1x1,1x1")
pil("pil-420.jpg", odd, quality=90, subsampling=2)
pil("pil-444-progressive.jpg", odd, quality=95, subsampling=0, progressive=True)
pil("pil-cmyk.jpg", odd.convert("CMYK"), quality=90)
pil("pil-exif6-progressive.jpg", odd, quality=90, progressive=True, exif=exif(6))
pil("pil-exif8.jpg", odd, quality=90, exif=exif(8))
pil("large-420.jpg", photo(320, 240), quality=90)
pil("large-progressive.jpg", photo(240, 320), quality=85, progressive=True)

ref = {}
for name in sorted(os.listdir(HERE)):
    if not name.endswith(".jpg"):
        continue
    try:
        with Image.open(os.path.join(HERE, name)) as im:
            rgb = np.array(ImageOps.exif_transpose(im).convert("RGB"))
        ref[name] = {"width": rgb.shape[1], "height": rgb.shape[0],
                     "sha256": hashlib.sha256(np.ascontiguousarray(rgb).tobytes()).hexdigest()}
    except Exception as e:  # noqa: BLE001 - the reference records what Pillow says
        ref[name] = {"error": str(e)}
# DCT-scaled decodes (the optional fast path) have no Pillow equivalent (its draft mode also switches to the fast
# IDCT and plain upsampling): libjpeg-turbo's own djpeg with the accurate IDCT is the reference.
scaled = {}
for name in ["large-420.jpg", "large-progressive.jpg", "sample-422-progressive.jpg"]:
    for scale in ["1/2", "3/8", "1/4", "1/8", "7/8"]:
        ppm = subprocess.run(["djpeg", "-dct", "int", "-scale", scale, "-ppm", os.path.join(HERE, name)],
                             capture_output=True, check=True).stdout
        with Image.open(io.BytesIO(ppm)) as im:
            rgb = np.array(im.convert("RGB"))
        scaled.setdefault(name, {})[scale] = {"width": rgb.shape[1], "height": rgb.shape[0],
                                              "sha256": hashlib.sha256(rgb.tobytes()).hexdigest()}
with open(os.path.join(HERE, "pillow.json"), "w") as f:
    json.dump({"pillow": Image.__version__, "decode": ref, "djpeg_scaled": scaled}, f, indent=1, sort_keys=True)
    f.write("\n")
