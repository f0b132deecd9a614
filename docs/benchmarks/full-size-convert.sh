#!/usr/bin/env bash
# Reproduces docs/benchmarks/full-size-convert.md: a synthetic BLIP-2 OPT-2.7B checkpoint (15.7 GB), its
# fp16 and fp32 conversion, a caption run per variant and the full-size parity check against transformers.
# Needs ~40 GB free under WORK, ~16 GB of free RAM, JDK 25 and a built project (target/classes + cp.txt):
#   ./mvnw -q -o -DskipTests package && ./mvnw -q -o dependency:build-classpath -Dmdep.outputFile=cp.txt
# Usage: docs/benchmarks/full-size-convert.sh [WORK=/tmp/b2bench] [BUILD=target]
set -euo pipefail
WORK=${1:-/tmp/b2bench}
BUILD=${2:-target}
JAVA=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
CP=$BUILD/classes:$(cat "${CP_FILE:-cp.txt}")
IMAGE=src/test/resources/fixtures/tiny-blip2/images/astronaut.jpg
mkdir -p "$WORK"

# measure NAME cmd...: /usr/bin/time -v plus a 1 s sample of VmRSS / RssAnon / RssFile and the load average.
measure() {
  local name=$1; shift
  /usr/bin/time -v -o "$WORK/$name.time" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" &
  local tpid=$! jpid=""
  sleep 0.3; jpid=$(pgrep -P $tpid | head -1 || true)
  : > "$WORK/$name.rss"
  while kill -0 $tpid 2>/dev/null; do
    [ -n "$jpid" ] && [ -r /proc/$jpid/status ] && echo "$(date +%s) load $(cut -d' ' -f1 /proc/loadavg) $(grep -E '^(VmRSS|RssAnon|RssFile)' /proc/$jpid/status | tr -s ' \t' ' ' | tr '\n' ' ')" >> "$WORK/$name.rss"
    sleep 1
  done
  wait $tpid
  grep -E "Elapsed|Maximum resident" "$WORK/$name.time" | sed "s/^/$name: /"
}

cold() { sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; }   # page cache dropped where allowed (root)

rm -rf "$WORK/ckpt-2.7b" "$WORK/repo"
measure synth "$JAVA" -cp "$CP" dev.blip2serve.Blip2Serve synth --shape opt-2.7b --out "$WORK/ckpt-2.7b"
for p in fp16 fp32; do
  cold
  measure convert-$p "$JAVA" -cp "$CP" dev.blip2serve.Blip2Serve convert --checkpoint "$WORK/ckpt-2.7b" \
      --repo "$WORK/repo" --name synth-2.7b --precision $p
done
for p in fp32 fp16; do
  cold
  measure caption-$p "$JAVA" --enable-native-access=ALL-UNNAMED -cp "$CP" docs/benchmarks/FullSizeCaption.java \
      "$WORK/repo/synth-2.7b/$p" "$IMAGE" 10 3
done
# Parity with HF transformers (fixtures/full-size, from scripts/gpu/full_size_reference.py), both variants.
for p in fp32 fp16; do
  BLIP2_FULL_SIZE_VARIANT="$WORK/repo/synth-2.7b/$p" ./mvnw -q -o -Dbuild.dir="$BUILD" test \
      -Dtest=FullSizeParityTest -Dsurefire.failIfNoSpecifiedTests=false | grep "full-size parity"
done
ls -l "$WORK/ckpt-2.7b" "$WORK/repo/synth-2.7b/fp16" "$WORK/repo/synth-2.7b/fp32"
