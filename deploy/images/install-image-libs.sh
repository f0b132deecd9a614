#!/bin/sh
# Installs the native image decoders the service calls through Java's FFM API (docs/benchmarks/image-decode.md):
# libjpeg-turbo's TurboJPEG (exact and fast JPEG), libwebp (WebP as Pillow decodes it) and libheif with its HEVC and
# AV1 decoders (HEIC/AVIF; without it those answer 415). Package names differ between the bases the Dockerfile takes:
# Debian bookworm (libturbojpeg0; libheif 1.15 has its codecs built in) and Ubuntu noble, under the Temurin and CUDA
# images (libturbojpeg; libheif 1.17 loads its codecs as plugin packages). Each name is installed where the release
# has it; the script fails when a decoder has no package at all.
set -eu
apt-get update
pick() { # the first of the names this release knows
  for p in "$@"; do
    if apt-cache show "$p" >/dev/null 2>&1; then echo "$p"; return 0; fi
  done
  echo "install-image-libs: none of $* in this release" >&2
  return 1
}
optional() { for p in "$@"; do apt-cache show "$p" >/dev/null 2>&1 && echo "$p"; done; return 0; }
packages="$(pick libturbojpeg0 libturbojpeg) $(pick libwebp7) $(pick libheif1)"
packages="$packages $(optional libheif-plugin-libde265 libheif-plugin-dav1d libheif-plugin-aomdec)"
# shellcheck disable=SC2086 # word splitting of the package list is wanted
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $packages
rm -rf /var/lib/apt/lists/*
