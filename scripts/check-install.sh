#!/usr/bin/env bash
# `cmake --install` of a build into a fresh prefix, then examples/api/ configured against the installed
# package alone (find_package(ntp) -> ntp::ntp), built, and run; the installed `ntp` lists its back ends.
# Usage: scripts/check-install.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

cmake --install "$build" --prefix "$scratch/prefix" >/dev/null
cmake -S examples/api -B "$scratch/api" -G Ninja -DCMAKE_PREFIX_PATH="$scratch/prefix" >/dev/null
cmake --build "$scratch/api"

fail() { echo "check-install: $*" >&2; exit 1; }
output=$("$scratch/api/slowest_layers" examples/small-cnn.xml reference 3)
echo "$output"
[[ $(wc -l <<<"$output") -eq 4 ]] || fail "expected a summary line and 3 layers"
grep -q "^small-cnn on reference: .* ms median end to end (libntp " <<<"$output" || fail "no summary line"
# A bad path is a diagnostic and exit code 2, not a crash.
set +e
"$scratch/api/slowest_layers" examples/no-such-model.xml 2>"$scratch/error"
status=$?
set -e
[[ $status -eq 2 ]] || fail "a missing model gave exit code $status, not 2"
grep -q "no-such-model.xml" "$scratch/error" || fail "the diagnostic does not name the file"

# The Python module as installed (Debian's layout), imported from there alone.
if [[ -d "$scratch/prefix/lib/python3/dist-packages/ntp" ]]; then
  root=$PWD
  (cd "$scratch" && PYTHONPATH="$scratch/prefix/lib/python3/dist-packages" /usr/bin/python3 -c '
import ntp, sys
record = ntp.run(sys.argv[1], backend="reference", warmup=0, iterations=1, bounds=False)
assert ntp.__file__.startswith(sys.argv[2]), ntp.__file__
print("check-install: python", ntp.__file__, "ran", record.topology.name, "in", round(record.latency.median, 3), "ms")
' "$root/examples/small-cnn.xml" "$scratch/prefix")
fi

"$scratch/prefix/bin/ntp" --version
"$scratch/prefix/bin/ntp" backends --format json >"$scratch/backends.json"
python3 - "$scratch/backends.json" <<'PY'
import json, sys
backends = json.load(open(sys.argv[1]))
broken = [b["name"] for b in backends if "error" in b]
assert not broken, f"installed back ends that do not load: {broken}"
print("check-install: installed back ends:", ", ".join(b["name"] for b in backends))
PY
