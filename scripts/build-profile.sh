#!/usr/bin/env bash
# Where a build's and a test run's time went, from what ninja and ctest already record:
#   compile time per translation unit (BUILD/.ninja_log: the last build of each output) and the run time of
#   each test (BUILD/Testing/Temporary/CTestCostData.txt: ctest's running average per test).
# Usage: scripts/build-profile.sh [BUILD_DIR] [TOP_N]   (defaults: build, 20). Build and test first.
set -euo pipefail
build=${1:-build}
top=${2:-20}
log=$build/.ninja_log
[[ -f $log ]] || { echo "build-profile: no $log (build first)" >&2; exit 2; }

echo "## Compile and link steps, slowest first (seconds of one core)"
awk 'NR > 1 { seconds[$4] = ($2 - $1) / 1000 } END { for (o in seconds) printf "%8.1f  %s\n", seconds[o], o }' "$log" |
  sort -rn | head -n "$top"
awk 'NR > 1 { seconds[$4] = ($2 - $1) / 1000 }
     END { for (o in seconds) { total += seconds[o]; if (o ~ /\.o$/) { units++; compile += seconds[o] } }
           printf "%8.1f  in all (%d translation units: %.1f s)\n", total, units, compile }' "$log"

costs=$build/Testing/Temporary/CTestCostData.txt
if [[ -f $costs ]]; then
  echo
  echo "## Tests, slowest first (seconds, ctest's average over the runs it recorded)"
  awk '$1 == "---" { exit } NF >= 3 { printf "%8.2f  %s\n", $NF, $1 }' "$costs" | sort -rn | head -n "$top"
  awk '$1 == "---" { exit } NF >= 3 { total += $NF; n++ } END { printf "%8.1f  in all (%d tests)\n", total, n }' "$costs"
fi
