#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz/, clang 14, ASan + UBSan) in build-fuzz/ and runs each for
# SECONDS (default 30), NTP_FUZZ_JOBS (default: the cores) at a time. Fails if any harness finds a crash, a
# sanitizer report, an uncaught exception other than ntp::UserError, a timeout (10 s an input) or more than
# 2 GiB of memory, and prints the reproducer's path and the command that replays it.
#   scripts/fuzz.sh                # 30 s each
#   scripts/fuzz.sh 3600           # a long run: an hour each
#   scripts/fuzz.sh 60 npy arpa    # some harnesses
# What each run found new is kept in build-fuzz/fuzz/<harness>/corpus (the next run starts from it); the
# seeds in tests/fuzz/corpus/<harness>/ are only read. docs/development.md, "Fuzzing", says how a crash
# becomes a test.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
all=(topology onnx npy audio arpa records)
harnesses=("$@")
(( ${#harnesses[@]} )) || harnesses=("${all[@]}")
build=${NTP_FUZZ_BUILD:-build-fuzz}
jobs=${NTP_FUZZ_JOBS:-$(nproc)}

# The longest input each harness is given: a few times its largest seed.
declare -A max_len=([topology]=8192 [onnx]=8192 [npy]=4096 [audio]=16384 [arpa]=4096 [records]=16384)

# -O1 runs more inputs a second; CI's few seconds a harness build at -O0 ($NTP_FUZZ_OPT), a third faster.
cmake -S . -B "$build" -G Ninja -DNTP_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=Debug \
  "-DCMAKE_CXX_FLAGS_DEBUG=${NTP_FUZZ_OPT:--O1} -g1" >/dev/null
ninja -C "$build" -j "$(nproc)" "${harnesses[@]/#/fuzz_}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
run_one() {
  local name=$1 dir=$build/fuzz/$1
  mkdir -p "$dir/corpus" "$dir/crashes"
  "$build/tests/fuzz/fuzz_$name" -max_total_time="$seconds" -max_len="${max_len[$name]}" -rss_limit_mb=2048 \
    -timeout=10 -print_final_stats=1 -artifact_prefix="$dir/crashes/" "$dir/corpus" "tests/fuzz/corpus/$name" \
    >"$dir/log" 2>&1
}

declare -A pids=()
for name in "${harnesses[@]}"; do
  [[ -v "max_len[$name]" ]] || { echo "fuzz: no harness '$name' (${all[*]})" >&2; exit 2; }
  while (( $(jobs -rp | wc -l) >= jobs )); do wait -n || true; done
  echo "fuzz: $name for $seconds s"
  run_one "$name" &
  pids[$name]=$!
done

failed=()
for name in "${harnesses[@]}"; do
  dir=$build/fuzz/$name
  status=0
  wait "${pids[$name]}" || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
  printf 'fuzz: %-9s %10s executions, corpus %s files, exit %d\n' "$name" "${runs:-?}" \
    "$(find "$dir/corpus" -type f | wc -l)" "$status"
  if (( status != 0 )); then
    failed+=("$name")
    tail -n 60 "$dir/log"
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$dir/log" | tail -1)
    echo "fuzz: $name FAILED; reproducer: ${artifact:-(none written; see $dir/log)}"
    [[ -n "$artifact" ]] && echo "fuzz: replay with: $build/tests/fuzz/fuzz_$name $artifact"
  fi
done
if (( ${#failed[@]} )); then
  echo "fuzz: crashes in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: no crash in ${#harnesses[@]} harnesses, $seconds s each"
