#!/usr/bin/env python3
"""Writes the test images in this folder and reference.json, the bytes Pillow produces for them.

Run from this folder with any Python 3 that has Pillow and numpy (Debian: apt-get install python3-pil
python3-numpy), then commit the outputs. The Java tests never run Python; they only read what this wrote.

reference.json holds, per input file, the SHA-256 of np.array(ImageOps.exif_transpose(Image.open(f))
.convert("RGB")) (what ImageDecoder must return), Pillow resize results for fixture images, and the
SHA-256 of the PIL-backend pixel_values (BlipImageProcessorPil arithmetic) for the fixture photos.
"""
import hashlib
import io
import json
import os
import struct
import zlib

import numpy as np
import PIL
from PIL import Image, ImageCms, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "..", "fixtures", "tiny-blip2")
rng = np.random.default_rng(1234)


def sha(a):
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def base_rgb(w, h):
    """Gradients plus noise, and a marker in the top-left corner so orientation shows."""
    y, x = np.mgrid[0:h, 0:w]
    r = (x * 255 // max(w - 1, 1))
    g = (y * 255 // max(h - 1, 1))
    b = ((x + y) * 7) % 256
    img = np.stack([r, g, b], -1).astype(np.int32) + rng.integers(-20, 21, (h, w, 3))
    img[: h // 4, : w // 4] = [250, 10, 10]
    return np.clip(img, 0, 255).astype(np.uint8)


def chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def write_png(name, samples, bit_depth, color_type, palette=None, trns=None):
    """A plain PNG encoder for the bit depths Pillow cannot write (16-bit RGB, RGBA, LA; packed gray)."""
    h, w = samples.shape[:2]
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    s = samples.reshape(h, w * channels)
    rows = []
    for row in s:
        if bit_depth == 16:
            data = row.astype(">u2").tobytes()
        elif bit_depth == 8:
            data = row.astype(np.uint8).tobytes()
        else:
            per = 8 // bit_depth
            padded = np.zeros(((len(row) + per - 1) // per) * per, np.uint8)
            padded[: len(row)] = row
            packed = np.zeros(len(padded) // per, np.uint8)
            for i in range(per):
                packed |= (padded[i::per] << (8 - bit_depth * (i + 1))).astype(np.uint8)
            data = packed.tobytes()
        rows.append(b"\x00" + data)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 0))
    if palette is not None:
        png += chunk(b"PLTE", bytes(palette))
    if trns is not None:
        png += chunk(b"tRNS", trns)
    png += chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b"")
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(png)


def exif_bytes(orientation):
    e = Image.Exif()
    e[0x0112] = orientation
    return e.tobytes()


def insert_app1(jpeg, payload):
    """Put an APP1 segment right after SOI (and after APP0 if there is one)."""
    seg = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    pos = 2
    if jpeg[2:4] == b"\xff\xe0":
        pos = 4 + struct.unpack(">H", jpeg[4:6])[0]
    return jpeg[:pos] + seg + jpeg[pos:]


def save(img, name, **kw):
    img.save(os.path.join(HERE, name), **kw)


def main():
    made = []
    rgb = base_rgb(48, 40)
    odd = base_rgb(67, 45)

    save(Image.fromarray(rgb), "rgb8.png"); made.append("rgb8.png")
    alpha = rng.integers(0, 256, (40, 48)).astype(np.uint8)
    alpha[:, :8] = 0  # fully transparent but coloured: convert("RGB") keeps the colour
    save(Image.fromarray(np.dstack([rgb, alpha]), "RGBA"), "rgba8.png"); made.append("rgba8.png")
    gray = rgb[..., 1]
    save(Image.fromarray(gray, "L"), "gray8.png"); made.append("gray8.png")
    save(Image.fromarray(np.dstack([gray, alpha]), "LA"), "la8.png"); made.append("la8.png")
    g16 = rng.integers(0, 600, (40, 48)).astype(np.uint16)  # around the 255 clip of I;16 -> RGB
    g16[0, :4] = [0, 255, 256, 65535]
    write_png("gray16.png", g16, 16, 0); made.append("gray16.png")
    rgb16 = rng.integers(0, 65536, (40, 48, 3)).astype(np.uint16)
    write_png("rgb16.png", rgb16, 16, 2); made.append("rgb16.png")
    rgba16 = rng.integers(0, 65536, (40, 48, 4)).astype(np.uint16)
    write_png("rgba16.png", rgba16, 16, 6); made.append("rgba16.png")
    la16 = rng.integers(0, 65536, (40, 48, 2)).astype(np.uint16)
    write_png("la16.png", la16, 16, 4); made.append("la16.png")
    for bits in (1, 2, 4):
        write_png(f"gray{bits}.png", rng.integers(0, 1 << bits, (40, 48)), bits, 0)
        made.append(f"gray{bits}.png")
    pal = rng.integers(0, 256, 16 * 3).astype(np.uint8)
    write_png("palette4.png", rng.integers(0, 16, (40, 48)), 4, 3, palette=pal, trns=bytes([0, 128, 255]))
    made.append("palette4.png")
    write_png("rgb8_trns.png", rgb, 8, 2, trns=struct.pack(">HHH", 250, 10, 10)); made.append("rgb8_trns.png")
    pimg = Image.fromarray(rgb).quantize(colors=200)
    pimg.info["transparency"] = 3
    save(pimg, "palette8.png", transparency=3); made.append("palette8.png")
    save(Image.fromarray(rgb), "exif6.png", exif=exif_bytes(6)); made.append("exif6.png")

    save(Image.fromarray(odd), "q90_420.jpg", quality=90); made.append("q90_420.jpg")
    save(Image.fromarray(odd), "q90_444.jpg", quality=90, subsampling=0); made.append("q90_444.jpg")
    save(Image.fromarray(odd), "q90_422.jpg", quality=90, subsampling=1); made.append("q90_422.jpg")
    save(Image.fromarray(odd), "progressive.jpg", quality=85, progressive=True); made.append("progressive.jpg")
    save(Image.fromarray(odd[..., 0], "L"), "gray.jpg", quality=90); made.append("gray.jpg")
    cmyk = Image.fromarray(np.dstack([odd, odd[..., :1] // 2]), "CMYK")
    save(cmyk, "cmyk.jpg", quality=95); made.append("cmyk.jpg")
    for o in (3, 6, 8, 2, 5, 7, 4):
        save(Image.fromarray(odd), f"exif{o}.jpg", quality=90, exif=exif_bytes(o)); made.append(f"exif{o}.jpg")
    buf = io.BytesIO()
    Image.fromarray(odd).save(buf, "JPEG", quality=90)
    xmp = (b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF><rdf:Description "
           b"xmlns:tiff='http://ns.adobe.com/tiff/1.0/' tiff:Orientation=\"6\"/></rdf:RDF></x:xmpmeta>")
    with open(os.path.join(HERE, "xmp6.jpg"), "wb") as f:
        f.write(insert_app1(buf.getvalue(), xmp))
    made.append("xmp6.jpg")
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    save(Image.fromarray(odd), "icc.jpg", quality=90, icc_profile=srgb); made.append("icc.jpg")

    save(Image.fromarray(rgb).quantize(colors=64), "p8.gif"); made.append("p8.gif")
    frames = [Image.fromarray(rgb).quantize(colors=32), Image.fromarray(255 - rgb).quantize(colors=32)]
    frames[0].save(os.path.join(HERE, "anim.gif"), save_all=True, append_images=frames[1:], duration=50, loop=0)
    made.append("anim.gif")
    save(Image.fromarray(rgb), "rgb24.bmp"); made.append("rgb24.bmp")
    save(Image.fromarray(rgb).quantize(colors=100), "p8.bmp"); made.append("p8.bmp")
    save(Image.fromarray(rgb), "lossless.webp", lossless=True); made.append("lossless.webp")
    save(Image.fromarray(np.dstack([rgb, alpha]), "RGBA"), "lossless_rgba.webp", lossless=True)
    made.append("lossless_rgba.webp")
    save(Image.fromarray(rgb), "lossy.webp", quality=80); made.append("lossy.webp")

    decode = {}
    for name in made:
        with Image.open(os.path.join(HERE, name)) as im:
            mode = im.mode
            out = np.array(ImageOps.exif_transpose(im).convert("RGB"))
        decode[name] = {"mode": mode, "width": out.shape[1], "height": out.shape[0], "sha256": sha(out)}
        if name == "lossy.webp":
            out.tofile(os.path.join(HERE, "lossy.webp.rgb"))  # for a tolerance check

    mean = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
    std = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)
    resize = []
    pixel_values = {}
    for photo in ("astronaut", "coffee", "chelsea", "rocket", "camera"):
        for ext in ("png", "jpg"):
            name = f"{photo}.{ext}"
            with Image.open(os.path.join(FIXTURE, "images", name)) as im:
                rgb_im = im.convert("RGB")
            decode["fixture:" + name] = {"mode": "RGB", "width": rgb_im.width, "height": rgb_im.height,
                                         "sha256": sha(np.array(rgb_im))}
            # BlipImageProcessorPil: PIL bicubic to 32x32, float64 rescale -> float32, float32 normalize, CHW
            r = np.array(rgb_im.resize((32, 32), resample=3, reducing_gap=None))
            x = (r.astype(np.float64) * (1 / 255)).astype(np.float32)
            x = ((x - mean) / std).transpose(2, 0, 1)
            pixel_values[name] = sha(x.astype("<f4"))
            if ext == "png":
                sizes = [(32, 32, 3), (33, 17, 3), (1, 1, 3), (700, 5, 3), (w2 := rgb_im.width + 7, 31, 3),
                         (rgb_im.width, 50, 3), (64, rgb_im.height, 3), (97, 53, 2), (97, 53, 4),
                         (97, 53, 5), (97, 53, 1), (rgb_im.width * 2 + 1, rgb_im.height + 3, 3)]
                for (w, h, f) in sizes:
                    out = np.array(rgb_im.resize((w, h), resample=f, reducing_gap=None))
                    resize.append({"image": name, "width": w, "height": h, "filter": f, "sha256": sha(out)})
    # A gray image resized in mode L equals the RGB result per channel.
    with Image.open(os.path.join(FIXTURE, "images", "camera.png")) as im:
        out = np.array(im.resize((45, 29), resample=3))
        resize.append({"image": "camera.png", "mode": "L", "width": 45, "height": 29, "filter": 3,
                       "sha256": sha(out)})

    with open(os.path.join(HERE, "reference.json"), "w") as f:
        json.dump({"pillow": PIL.__version__, "decode": decode, "resize": resize,
                   "pil_pixel_values": pixel_values}, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
