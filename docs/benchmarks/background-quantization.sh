#!/bin/bash
# Background quantization on the default settings (docs/benchmarks/background-quantization.md): a fresh repository,
# the service's first start; times to readiness and of each background build and scoring (from the log), and the
# latency of fp32 captions sent one at a time while the builds run, then as many after them.
# Usage: docs/benchmarks/background-quantization.sh [OUT_DIR] (after ./mvnw -q -DskipTests package)
set -u
OUT=${1:-/tmp/blip2-background-quantization}
PORT=${PORT:-18915}
IMG=data/shapes-blip2/eval/images/eval-0001.png
rm -rf "$OUT"; mkdir -p "$OUT"
java -Xmx2g -jar target/blip2-serve.jar --server.port=$PORT --server.address=127.0.0.1 \
    --blip2.repository="$OUT/repo" > "$OUT/service.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null' EXIT
T0=$(date +%s.%N)
since() { echo "$(date +%s.%N) - $T0" | bc; }
for i in $(seq 1 1200); do
  curl -s -o /dev/null -w "%{http_code}" http://127.0.0.1:$PORT/actuator/health/readiness | grep -q 200 && break
  sleep 0.5
done
echo "ready after $(since) s" > "$OUT/summary.txt"
building() { curl -s http://127.0.0.1:$PORT/v1/models | grep -q '"state":"building"'; }
caption() { # one fp32 caption, its total time in seconds appended to $1.txt
  curl -s -o /dev/null -w "%{time_total}\n" -F image=@$IMG "http://127.0.0.1:$PORT/v1/captions?precision=fp32" >> "$OUT/$1.txt"
  sleep 0.3
}
for i in $(seq 1 600); do building && break; sleep 0.2; done
echo "building listed after $(since) s" >> "$OUT/summary.txt"
for i in $(seq 1 6000); do building || break; caption during; done
echo "builds done after $(since) s" >> "$OUT/summary.txt"
N=$(wc -l < "$OUT/during.txt"); N=$(( N < ${IDLE_MAX:-200} ? N : ${IDLE_MAX:-200} ))
for i in $(seq 1 "$N"); do caption idle; done
curl -s http://127.0.0.1:$PORT/v1/models > "$OUT/models.json"
curl -s http://127.0.0.1:$PORT/actuator/prometheus | grep '^blip2_variant_quality' > "$OUT/quality.prom"
uptime >> "$OUT/summary.txt"
grep -E "quantized in the background|scored in the background" "$OUT/service.log" | sed 's/.*: shapes-blip2/shapes-blip2/' >> "$OUT/summary.txt"
