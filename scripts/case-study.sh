#!/usr/bin/env bash
# The DeepSpeech case study of docs/case-study.md, reproduced: per-layer shares, the BiLSTM's share as the
# LSTM grows, compute- against memory-bound layers, frameworks, precisions, batch and thread scaling.
# Usage: scripts/case-study.sh [NTP_BINARY] [OUTPUT_FOLDER]   (defaults: build/src/ntp, case-study/)
# Takes about ten minutes on two cores. Every result is JSON (for ntp compare and ntp report) and HTML.
set -euo pipefail
cd "$(dirname "$0")/.."
ntp=${1:-build/src/ntp}
out=${2:-case-study}
topology=examples/deepspeech-v0.1.xml
threads=$(nproc)
mkdir -p "$out"
common=(--threads "$threads" --warmup 3 --no-db)

step() { echo "== $*" >&2; }

step "1. per-layer shares and bounds at DeepSpeech's size (hidden=2048, 146 frames), default back end"
"$ntp" run "$topology" "${common[@]}" --iterations 20 --format json -o "$out/deepspeech.json"
"$ntp" report "$out/deepspeech.json" --format table | tee "$out/deepspeech.txt"
"$ntp" report "$out/deepspeech.json" -o "$out/deepspeech.html"

step "2. the BiLSTM's share as the LSTM grows"
"$ntp" sweep "$topology" "${common[@]}" --iterations 10 --grid hidden=256,512,1024,2048,4096 \
  --format json -o "$out/lstm-sweep.json" || true   # a point that fails is in the output with its reason
"$ntp" report "$out/lstm-sweep.json" --format table | tee "$out/lstm-sweep.txt"
"$ntp" report "$out/lstm-sweep.json" -o "$out/lstm-sweep.html"

step "3. frameworks, layer by layer"
backends=$("$ntp" backends | awk '/ \(version / && $1 != "reference" {print $1}' | paste -sd,)
"$ntp" run "$topology" "${common[@]}" --iterations 10 --backend "$backends" --format json -o "$out/frameworks.json"
"$ntp" compare "$out/frameworks.json" | tee "$out/frameworks.txt"
"$ntp" compare "$out/frameworks.json" --format html -o "$out/frameworks.html"

step "4. precisions on the default back end"
"$ntp" sweep "$topology" "${common[@]}" --iterations 10 --grid precision=fp32,bf16,int8 \
  --format json -o "$out/precisions.json" || true
"$ntp" report "$out/precisions.json" --format table | tee "$out/precisions.txt"

step "5. batch scaling (throughput per item) and thread scaling"
"$ntp" sweep "$topology" --warmup 3 --no-db --iterations 10 --grid batch=1,4,16 --threads "$threads" \
  --format json -o "$out/batch.json" || true
"$ntp" report "$out/batch.json" --format table | tee "$out/batch.txt"
"$ntp" report "$out/batch.json" -o "$out/batch.html"
"$ntp" sweep "$topology" --warmup 3 --no-db --iterations 10 --grid threads="$(seq -s, 1 "$threads")" \
  --format json -o "$out/threads.json" || true
"$ntp" report "$out/threads.json" --format table | tee "$out/threads.txt"
"$ntp" report "$out/threads.json" -o "$out/threads.html"
step "done: $out/"
