#!/bin/sh
# Writes the HEIF test files here with Debian's libheif-examples (libheif 1.15: x265 for HEVC, libaom for AV1) and
# heif-convert.json, what libheif's own heif-convert decodes them to (hashed by Debian's python3-pil).
# src.png is a 64x48 gradient with noise and a red corner; alpha.heic has its left 20 columns transparent.
set -e
cd "$(dirname "$0")"
heif-enc -q 90 -o photo.heic src.png
heif-enc -q 90 -A -o photo.avif src.png
/usr/bin/python3 -c "
from PIL import Image; import numpy as np
im = np.array(Image.open('src.png')); a = np.full(im.shape[:2] + (1,), 255, np.uint8); a[:, :20] = 0
Image.fromarray(np.concatenate([im, a], -1), 'RGBA').save('/tmp/src-rgba.png')"
heif-enc -q 90 -o alpha.heic /tmp/src-rgba.png
/usr/bin/python3 -c "
import hashlib, json, subprocess
import numpy as np
from PIL import Image
src = np.array(Image.open('src.png').convert('RGB')).astype(int)
ref = {}
for f in ['photo.heic', 'photo.avif', 'alpha.heic']:
    subprocess.run(['heif-convert', f, '/tmp/' + f + '.png'], check=True, capture_output=True)
    rgb = np.array(Image.open('/tmp/' + f + '.png').convert('RGB'))
    d = np.abs(rgb.astype(int) - src)
    ref[f] = {'width': rgb.shape[1], 'height': rgb.shape[0], 'sha256': hashlib.sha256(rgb.tobytes()).hexdigest(),
              'max_diff_to_source': int(d.max()), 'mean_diff_to_source': float(d.mean())}
json.dump({'libheif': '1.15.1 (heif-convert)', 'decode': ref}, open('heif-convert.json', 'w'), indent=1, sort_keys=True)"
