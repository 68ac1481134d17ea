#!/usr/bin/env bash
# Installs every Debian package NTP needs to build, test and run. Idempotent: packages already installed
# are skipped, and apt is not touched at all when nothing is missing.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang-format
  # the fuzz harnesses (scripts/fuzz.sh): clang 14, whose libFuzzer is in libclang-rt-14-dev
  clang libclang-rt-14-dev
  # core libraries
  libpugixml-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  # the results database of past runs
  libsqlite3-dev
  # inlays: audio files, resampling, FFT
  libsndfile1-dev libsamplerate0-dev libfftw3-dev
  # back ends
  libdnnl-dev ocl-icd-opencl-dev libtorch-dev libopencv-dnn-dev
  # LibTorch's GEMMs go through libblas.so.3, which is netlib's reference BLAS (~0.4 GFLOP/s) unless an
  # optimised one provides it; the OpenMP build shares LibTorch's libgomp threads and --threads.
  libopenblas0-openmp
  # ONNX models: import, export, and the ONNX node test suite as an external oracle
  libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata
  # counters: perf_event names through libpfm4
  libpfm4-dev
  # --tool callgrind: valgrind runs NTP with its client requests (valgrind/callgrind.h) around each layer
  valgrind
  # --tool papi: per-layer counters through PAPI (an optional build; CMake finds it with pkg-config)
  libpapi-dev
  # --tool perf: perf stat, switched on and off inside the regions through its --control fifos
  linux-perf
  # tests and benchmarks; the HTML reports are rendered in headless chromium, its screenshots read by libpng
  libgtest-dev libgmock-dev libbenchmark-dev chromium fonts-dejavu-core libpng-dev
  # the model zoo (scripts/make-zoo.sh): PyTorch and torchvision export the models, ONNX writes the
  # TensorFlow-style ones, Node.js runs ONNX Runtime (npm's onnxruntime-node) for the reference outputs
  python3-torch python3-torchvision python3-onnx python3-numpy nodejs
  # the Python module (python/): pybind11 builds it; pytest runs its tests, which hand rows to pandas
  python3-dev pybind11-dev python3-pybind11 python3-pytest python3-pandas
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done
# npm by command, not by package: a Node.js from NodeSource bundles npm and conflicts with Debian's package.
command -v npm >/dev/null || missing+=(npm)

if (( ${#missing[@]} == 0 )); then
  echo "install-deps: all ${#packages[@]} packages and npm present"
  exit 0
fi

sudo=()
if (( EUID != 0 )); then
  command -v sudo >/dev/null || { echo "install-deps: run as root (or install sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
