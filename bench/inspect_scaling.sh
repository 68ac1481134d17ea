#!/usr/bin/env bash
# How `ntp inspect` scales with the number of layers: a chain of N relu layers for each N given (default
# 10000 40000 100000), median wall time of 3 runs each, and the time per 1000 layers, which stays flat when
# parsing, shape inference and the memory analysis are linear.
# Usage: bench/inspect_scaling.sh [BUILD_DIR] [N ...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
sizes=("${@:-10000 40000 100000}")
read -r -a sizes <<<"${sizes[*]}"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
printf '%8s %10s %16s\n' layers "median s" "ms per 1000"
for n in "${sizes[@]}"; do
  python3 - "$n" "$scratch/chain.xml" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    f.write('<topology name="chain">\n  <input name="x" shape="1,16"/>\n')
    f.writelines(f'  <layer name="l{i}" type="relu"/>\n' for i in range(n))
    f.write("</topology>\n")
PY
  times=()
  for _ in 1 2 3; do
    start=$(date +%s.%N)
    "$build/src/ntp" inspect "$scratch/chain.xml" >/dev/null
    times+=("$(echo "$(date +%s.%N) - $start" | bc)")
  done
  median=$(printf '%s\n' "${times[@]}" | sort -g | sed -n 2p)
  printf '%8d %10.2f %16.1f\n' "$n" "$median" "$(echo "$median * 1000000 / $n" | bc -l)"
done
