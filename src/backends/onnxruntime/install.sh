#!/usr/bin/env bash
# Installs the onnxruntime back end's engine (also the model zoo's oracle and the benchmarks' peer): Node.js
# from Debian when missing, then ONNX Runtime's Node package from npm into node_modules here.
# ONNXRUNTIME_NODE_INSTALL=skip stops its install script fetching GPU libraries; the CPU libraries ship inside
# the package. Idempotent: does nothing when the locked version is installed.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  sudo=()
  (( EUID == 0 )) || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" apt-get install -y -q --no-install-recommends nodejs npm
fi
if [[ -f node_modules/onnxruntime-node/package.json ]] &&
   grep -q '"version": "1.30.0"' node_modules/onnxruntime-node/package.json; then
  echo "onnxruntime-node 1.30.0 present"
  exit 0
fi
ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
