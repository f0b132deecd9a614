#!/usr/bin/env bash
# GPU benchmark of blip2-serve (issue 7, item 5), self-contained for one machine with an NVIDIA GPU, the NVIDIA
# driver, CUDA 12 + cuDNN 9 libraries on the loader path (what ONNX Runtime 1.24's Java GPU build links against),
# JDK 25 and this repository. It builds the GPU jar, writes a synthetic BLIP-2 OPT-2.7B checkpoint, converts and
# quantizes it, and runs `bench --cuda` over the variants, with nvidia-smi sampled alongside. Results: OUT.md/.json.
#
#   scripts/gpu/bench-gpu.sh [WORK=/tmp/b2gpu] [OUT=docs/benchmarks/opt-2.7b-cuda]
#   JAR=path/to/blip2-serve.jar scripts/gpu/bench-gpu.sh      # skip the build (a jar built with -Pgpu)
#   CHECKPOINT=/models/blip2-opt-2.7b scripts/gpu/bench-gpu.sh # a real checkpoint instead of the synthetic one
#
# Needs ~55 GB free under WORK and ~20 GB RAM for the conversions; the GPU needs ~24 GB for fp32 + fp16 +
# fp16-compute + int4.
set -euo pipefail
cd "$(dirname "$0")/../.."
WORK=${1:-/tmp/b2gpu}
OUT=${2:-docs/benchmarks/opt-2.7b-cuda}
JAVA=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
DEVICE=${CUDA_DEVICE:-0}
mkdir -p "$WORK"

command -v nvidia-smi >/dev/null || { echo "nvidia-smi not found: this script needs an NVIDIA GPU and driver" >&2; exit 1; }
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader -i "$DEVICE" | tee "$WORK/gpu.txt"
for lib in libcudart.so.12 libcublas.so.12 libcudnn.so.9; do
  ldconfig -p | grep -q "$lib" || echo "warning: $lib is not in the loader cache; ONNX Runtime's CUDA provider will fail unless LD_LIBRARY_PATH has it" >&2
done

if [ -z "${JAR:-}" ]; then
  ./mvnw -B -q -Pgpu -DskipTests package
  JAR=target/blip2-serve.jar
fi
cli() { "$JAVA" --enable-native-access=ALL-UNNAMED -jar "$JAR" "$@"; }

CKPT=${CHECKPOINT:-$WORK/ckpt-2.7b}
[ -n "${CHECKPOINT:-}" ] || [ -f "$CKPT/config.json" ] || cli synth --shape opt-2.7b --out "$CKPT"
REPO=$WORK/repo
NAME=bench-2.7b
[ -f "$REPO/$NAME/fp16-compute/manifest.json" ] || cli convert --checkpoint "$CKPT" --repo "$REPO" --name $NAME \
    --precision fp32,fp16,fp16-compute
[ -f "$REPO/$NAME/w4a16-rtn/manifest.json" ] || cli quantize --checkpoint "$CKPT" --repo "$REPO" --model-name $NAME \
    --preset w4a16-rtn --float-weights fp16
[ -f "$REPO/$NAME/w4a16-rtn-fp16/manifest.json" ] || cli quantize --checkpoint "$CKPT" --repo "$REPO" --model-name $NAME \
    --preset w4a16-rtn --float-weights fp16-compute --name w4a16-rtn-fp16

# GPU memory while the benchmark runs (MiB in use on the device, once a second).
nvidia-smi --query-gpu=timestamp,memory.used --format=csv,noheader,nounits -i "$DEVICE" -l 1 > "$WORK/gpu-memory.csv" &
SMI=$!
trap 'kill $SMI 2>/dev/null || true' EXIT

cli bench --cuda --cuda-device "$DEVICE" \
    --model "$REPO/$NAME/fp32" --model "$REPO/$NAME/fp16" --model "$REPO/$NAME/fp16-compute" \
    --model "$REPO/$NAME/w4a16-rtn" --model "$REPO/$NAME/w4a16-rtn-fp16" \
    --batch-sizes 1,4,8 --new-tokens 20 --warmup 2 --iterations 10 --out "$OUT"

kill $SMI 2>/dev/null || true
echo "peak GPU memory (MiB): $(cut -d, -f2 "$WORK/gpu-memory.csv" | sort -n | tail -1)" | tee -a "$OUT.md"
echo "written: $OUT.md, $OUT.json (GPU: $(cat "$WORK/gpu.txt"))"
