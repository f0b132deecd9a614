#!/usr/bin/env bash
# Live captioning bench (issue 18): glass-to-caption p50/p95 and the frames a /v1/live session sustains, per
# precision, on this machine. Re-runnable from the repository root:
#   docs/benchmarks/live.sh                       # build, make the variants, measure, write live-cpu.{json,md}
#   SKIP_BUILD=1 SECONDS_PER_RUN=20 RATES=4,30 docs/benchmarks/live.sh
# Starts the service on a free port with its own repository ($REPO_DIR, default /tmp/live-bench-repo: fp32 and fp16
# converted, w8a8 and w4a16-rtn quantized first), then runs docs/benchmarks/LiveBench.java.
set -euo pipefail
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
J=$JAVA_HOME/bin
PORT=${PORT:-18932}; REPO_DIR=${REPO_DIR:-/tmp/live-bench-repo}; BUILD_DIR=${BUILD_DIR:-target}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-20}; RATES=${RATES:-4,30}; PRECISIONS=${PRECISIONS:-fp32,fp16,w8a8,w4a16-rtn}
OUT=${OUT:-docs/benchmarks/live-cpu.json}
[ "${SKIP_BUILD:-0}" = 1 ] || ./mvnw -q -Dbuild.dir=$BUILD_DIR -Dmaven.test.skip=true -Dfuzz.skip=true package
./mvnw -q -Dbuild.dir=$BUILD_DIR dependency:build-classpath -Dmdep.outputFile=$BUILD_DIR/cp.txt
JAR=$BUILD_DIR/blip2-serve.jar
CKPT=src/main/resources/models/shapes-blip2
# The service bootstraps fp32 and fp16 only into a repository without shapes-blip2, so all four are made here.
[ -f "$REPO_DIR/shapes-blip2/fp16/manifest.json" ] || $J/java -jar $JAR convert --checkpoint $CKPT --repo "$REPO_DIR" \
  --name shapes-blip2 --precision fp32,fp16
[ -f "$REPO_DIR/shapes-blip2/w8a8/manifest.json" ] || $J/java -jar $JAR quantize --checkpoint $CKPT \
  --repo "$REPO_DIR" --model-name shapes-blip2 --preset w8a8 --calibration data/shapes-blip2/calib/calib.json
[ -f "$REPO_DIR/shapes-blip2/w4a16-rtn/manifest.json" ] || $J/java -jar $JAR quantize --checkpoint $CKPT \
  --repo "$REPO_DIR" --model-name shapes-blip2 --preset w4a16-rtn
$J/java -jar $JAR serve --blip2.repository="$REPO_DIR" --server.port=$PORT --blip2.live.max-sessions=4 \
  > /tmp/live-bench-service.log 2>&1 &
SERVICE=$!
trap 'kill $SERVICE 2>/dev/null || true' EXIT
for i in $(seq 1 600); do
  models=$(curl -sf http://127.0.0.1:$PORT/v1/models || true)
  if [ -n "$models" ] && ! grep -q '"loading"' <<<"$models" && curl -sf http://127.0.0.1:$PORT/actuator/health/readiness >/dev/null; then
    break
  fi
  sleep 1
done
$J/java -cp "$(cat $BUILD_DIR/cp.txt)" docs/benchmarks/LiveBench.java ws://127.0.0.1:$PORT/v1/live \
  data/shapes-blip2/eval/images "$PRECISIONS" "$RATES" "$SECONDS_PER_RUN" "$OUT"
echo "wrote $OUT; cores: $(nproc); $(grep -m1 'model name' /proc/cpuinfo)"
