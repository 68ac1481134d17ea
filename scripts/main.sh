#!/usr/bin/env bash
# The main job: install, build, and profile the DeepSpeech v0.1 example on the default back end.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build -DNTP_BUILD_TESTS=OFF -DNTP_BUILD_BENCH=OFF
build/src/ntp run examples/deepspeech-v0.1.xml "$@"
