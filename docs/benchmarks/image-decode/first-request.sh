#!/usr/bin/env bash
# First request after readiness vs warm requests: starts the service on a converted repository, waits for
# /actuator/health/readiness, sends one 720x477 progressive JPEG (the first request), then WARM more, and prints
# the first's time, the warm median and their ratio (issue 20's goal: first <= 1.2x warm).
# Usage: CP=<class path> REPO=<repository with shapes-blip2/fp32> IMAGE=<jpeg> first-request.sh [extra serve args...]
set -euo pipefail
PORT=${PORT:-18920}
WARM=${WARM:-20}
java ${JAVA_OPTS:-} --enable-native-access=ALL-UNNAMED --add-modules=jdk.incubator.vector -cp "$CP" dev.blip2serve.Blip2Serve serve --server.port="$PORT" \
  --server.address=127.0.0.1 --blip2.repository="$REPO" --blip2.bootstrap-variants=fp32 "$@" > "${LOG:-/tmp/first-request.log}" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  if curl -fs "http://127.0.0.1:$PORT/actuator/health/readiness" > /dev/null 2>&1; then break; fi
  sleep 0.5
done
curl -fs "http://127.0.0.1:$PORT/actuator/health/readiness" > /dev/null
url="http://127.0.0.1:$PORT/v1/captions?precision=fp32&max_new_tokens=20"
send() { curl -s -o /dev/null -w '%{time_total}\n' -H 'Content-Type: image/jpeg' --data-binary "@$IMAGE" "$url"; }
first=$(send)
warm=$(for _ in $(seq 1 "$WARM"); do send; done | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
awk -v f="$first" -v w="$warm" 'BEGIN {printf "first %.1f ms, warm median %.1f ms, ratio %.2f\n", f*1000, w*1000, f/w}'
