#!/usr/bin/env bash
# All checks CI runs: install, format check, then two legs so that every test runs once
# (docs/development.md says which test runs where and why):
#   1. ASan + UBSan: build the tests and `ntp` with the sanitizers, run every test labelled `sanitized`
#      (all but the few whose figures mean nothing under them);
#   2. plain: build everything users build (the command, the library, the Python module, the benchmarks)
#      and the test programs that hold tests labelled `unsanitized` (timing and calibration, heap figures,
#      valgrind, the browser render), and run those (NTP_PLAIN_LEG: the other programs were compiled, with
#      the same warnings as errors, in leg 1);
# then a short run of every fuzz harness (scripts/fuzz.sh, clang + libFuzzer, in build-fuzz/).
# Ends with the wall time of each stage.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

stage_times=()
print_stage_times() {
  echo "== stage times (wall)"
  printf '  %s\n' "${stage_times[@]}"
}
trap print_stage_times EXIT
# stage NAME COMMAND...: runs COMMAND and records its wall time under NAME.
stage() {
  local name=$1 start=$SECONDS
  shift
  echo "== $name"
  "$@"
  stage_times+=("$(printf '%-34s %5d s' "$name" $((SECONDS - start)))")
}

stage "install dependencies" scripts/install-deps.sh
stage "format check" scripts/check-format.sh
stage "layer check" scripts/check-layers.py
# ONNX Runtime's Node package (npm, locked): the onnxruntime back end's engine and the zoo's oracle.
stage "onnxruntime-node (npm ci)" src/backends/onnxruntime/install.sh
# The model zoo: real models exported by PyTorch and in TensorFlow converters' forms, with ONNX Runtime's
# outputs, which tests/onnx/zoo_test.cpp compares NTP with on every back end; both legs read this one folder.
zoo_dir="$PWD/build/zoo"
stage "model zoo (export, ONNX Runtime)" scripts/make-zoo.sh "$zoo_dir"

# allocator_may_return_null: an allocation too large for memory fails as it does without ASan (NTP reports it).
# use_tls=0 and tests/lsan.supp: LeakSanitizer crashes scanning dlopen'ed back ends' thread-local storage.
# Line tables only (-g1): enough for file:line in sanitizer reports, and it halves the compile time of the
# sanitized build against full debug information (docs/development.md).
stage "build (ASan + UBSan)" scripts/build.sh build-asan -DNTP_SANITIZE=ON -DNTP_BUILD_BENCH=OFF \
  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1
# The runs the tests make are recorded in a results database in the build folder, not the user's.
stage "tests (ASan + UBSan)" env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
  LSAN_OPTIONS="use_tls=0:suppressions=$PWD/tests/lsan.supp" \
  NTP_ZOO_DIR="$zoo_dir" NTP_DB="$PWD/build-asan/test-results.db" ctest --test-dir build-asan -L '^sanitized$' --no-tests=error --output-on-failure -j "$jobs"

# Line tables too: -g changes no generated code, and full debug information costs a third of the build.
# The options are given, not taken from the cache: scripts/main.sh configures `build` without tests.
stage "build (plain)" scripts/build.sh build "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" -DNTP_PLAIN_LEG=ON \
  -DNTP_BUILD_TESTS=ON -DNTP_BUILD_BENCH=ON
# The library as users get it: installed, then a program built against the installed package alone.
stage "install + API example (find_package)" scripts/check-install.sh build
stage "tests (plain, unsanitized only)" env NTP_ZOO_DIR="$zoo_dir" NTP_DB="$PWD/build/test-results.db" \
  ctest --test-dir build -L '^unsanitized$' --no-tests=error --output-on-failure -j "$jobs"

# The readers of untrusted input under libFuzzer (tests/fuzz/): a short run of each, to catch a regression on
# the seed corpus and what a few seconds of mutation find; `scripts/fuzz.sh 3600` is the long run.
stage "fuzz (libFuzzer, 15 s a harness)" env NTP_FUZZ_OPT=-O0 scripts/fuzz.sh "${NTP_CI_FUZZ_SECONDS:-15}"
