#!/usr/bin/env bash
# Fuzzes every Jazzer target of dev.blip2serve.reliability.fuzz for its bounded @FuzzTest(maxDuration) (20 s each).
# Jazzer fuzzes only one @FuzzTest per JVM, so Surefire gets a fresh JVM per test class (-DreuseForks=false).
# A finding fails the build; Jazzer saves the input under
# src/test/resources/dev/blip2serve/reliability/fuzz/<Class>Inputs/<method>/crash-<sha1>, where plain `mvn test`
# (regression mode) replays it from then on: commit it with the fix.
# Extra arguments go to Maven (e.g. -o, -Dbuild.dir=target-fuzz).
set -euo pipefail
cd "$(dirname "$0")/../.."
JAZZER_FUZZ=1 ./mvnw -B -q test -DreuseForks=false -Dtest='dev.blip2serve.reliability.fuzz.*FuzzTest' \
    -Dsurefire.failIfNoSpecifiedTests=false "$@"
# Jazzer's working corpus lands in the working directory; keep the tree clean.
rm -rf .cifuzz-corpus
