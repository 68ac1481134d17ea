#!/usr/bin/env bash
# All checks CI runs: install, format check, build and run the whole test suite, then build and run it
# again under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

echo "== format check"
scripts/check-format.sh

echo "== build and test"
scripts/build.sh build
# The runs the tests make are recorded in a results database in the build folder, not the user's.
NTP_DB="$PWD/build/test-results.db" ctest --test-dir build --output-on-failure -j "$(nproc)"

echo "== build and test under ASan + UBSan"
scripts/build.sh build-asan -DNTP_SANITIZE=ON -DNTP_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  NTP_DB="$PWD/build-asan/test-results.db" ctest --test-dir build-asan --output-on-failure -j "$(nproc)"
