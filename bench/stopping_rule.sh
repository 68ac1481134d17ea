#!/usr/bin/env bash
# Does the stopping rule make medians repeatable on a noisy machine? Runs the same model ROUNDS times (default
# 5) with a fixed --iterations 10 and with --precision-target 0.02 (--max-time 30), interleaved, and prints
# for each rule the spread of the medians over the rounds ((max - min) / median of medians), the iterations
# each took, and how many of the medians fell inside the other rounds' 95% intervals.
# Usage: bench/stopping_rule.sh [BUILD_DIR] [ROUNDS] [-- ntp run arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
rounds=${2:-5}
shift 2 || true
[[ ${1:-} == -- ]] && shift
model=("$@")
[[ ${#model[@]} -gt 0 ]] || model=(examples/deepspeech-v0.1.xml --set hidden=256 --backend onednn --threads 2)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for round in $(seq "$rounds"); do
  "$build/src/ntp" run "${model[@]}" --no-db --iterations 10 --format json -o "$scratch/fixed-$round.json" 2>/dev/null
  "$build/src/ntp" run "${model[@]}" --no-db --iterations 10 --precision-target 0.02 --max-time 30 \
    --format json -o "$scratch/target-$round.json" 2>/dev/null
done
python3 - "$scratch" "$rounds" <<'PY'
import json, statistics, sys
folder, rounds = sys.argv[1], int(sys.argv[2])
for rule in ("fixed", "target"):
    runs = [json.load(open(f"{folder}/{rule}-{r}.json"))["latency"] for r in range(1, rounds + 1)]
    medians = [run["median"] for run in runs]
    middle = statistics.median(medians)
    inside = sum(1 for i, run in enumerate(runs) for j, other in enumerate(runs) if i != j
                 and "median_interval" in other
                 and other["median_interval"]["low"] <= run["median"] <= other["median_interval"]["high"])
    print(f"{rule:7s} medians {', '.join(f'{m:.3f}' for m in medians)} ms; spread {(max(medians) - min(medians)) / middle:6.1%}; "
          f"iterations {', '.join(str(run['count']) for run in runs)}; stopped by "
          f"{', '.join(sorted(set(run['stopped_by'] for run in runs)))}; "
          f"medians inside the other rounds' intervals {inside}/{rounds * (rounds - 1)}")
PY
