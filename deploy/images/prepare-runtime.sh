#!/bin/sh
# The runtime stages' one set-up step (both the CPU and the GPU stage of the Dockerfile run it):
#   prepare-runtime.sh UID
# 1. Installs the native image decoders the service calls through Java's FFM API (docs/benchmarks/image-decode.md):
# libjpeg-turbo's TurboJPEG (exact and fast JPEG), libwebp (WebP as Pillow decodes it) and libheif with its HEVC and
# AV1 decoders (HEIC/AVIF; without it those answer 415). Package names differ between the bases the Dockerfile takes:
# Debian bookworm (libturbojpeg0; libheif 1.15 has its codecs built in) and Ubuntu noble, under the Temurin and CUDA
# images (libturbojpeg; libheif 1.17 loads its codecs as plugin packages). Each name is installed where the release
# has it; the script fails when a decoder has no package at all.
# 2. Creates the service's system user and group UID (home /tmp, no shell), /app, and /models owned by it.
set -eu
uid="${1:?usage: prepare-runtime.sh UID}"
apt-get update
pick() { # the first of the names this release knows
  for p in "$@"; do
    if apt-cache show "$p" >/dev/null 2>&1; then echo "$p"; return 0; fi
  done
  echo "prepare-runtime: none of $* in this release" >&2
  return 1
}
optional() { for p in "$@"; do apt-cache show "$p" >/dev/null 2>&1 && echo "$p"; done; return 0; }
# One assignment per decoder: set -e then stops at the first one without a package.
jpeg="$(pick libturbojpeg0 libturbojpeg)"
webp="$(pick libwebp7)"
heif="$(pick libheif1)"
packages="$jpeg $webp $heif $(optional libheif-plugin-libde265 libheif-plugin-dav1d libheif-plugin-aomdec)"
# shellcheck disable=SC2086 # word splitting of the package list is wanted
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $packages
rm -rf /var/lib/apt/lists/*

groupadd --system --gid "$uid" blip2
useradd --system --uid "$uid" --gid "$uid" --home-dir /tmp --no-create-home --shell /usr/sbin/nologin blip2
mkdir -p /app /models
chown "$uid:$uid" /models
