# Every library comes from Debian's packages (scripts/install-deps.sh); nothing is downloaded at build time.
find_package(pugixml REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(CLI11 REQUIRED)
find_package(fmt REQUIRED)
# Inlays: FFT (double precision: features must match the float64 reference), audio files, resampling.
find_package(PkgConfig REQUIRED)
pkg_check_modules(FFTW3 REQUIRED IMPORTED_TARGET fftw3)
pkg_check_modules(SNDFILE REQUIRED IMPORTED_TARGET sndfile)
pkg_check_modules(SAMPLERATE REQUIRED IMPORTED_TARGET samplerate)
# The results database of past runs (ntp history, ntp compare by run id).
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
# Counters: perf_event_open with event names resolved by libpfm4 (libpfm4-dev).
find_path(PFM_INCLUDE_DIR perfmon/pfmlib_perf_event.h REQUIRED)
find_library(PFM_LIBRARY pfm REQUIRED)
if(NTP_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(NTP_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()

# Back-end libraries: each back end is built only when its library is installed (the fuzz build has none).
if(NOT NTP_FUZZ)
  find_package(dnnl CONFIG QUIET)  # Debian's libdnnl-dev (its config also needs ocl-icd-opencl-dev)
  find_package(Torch QUIET)  # Debian's libtorch-dev (LibTorch, PyTorch's C++ API)
endif()
# OpenCV DNN: libopencv-dnn-dev ships no CMake config (libopencv-dev has one but pulls ~380 MB). The same
# switch as the others' turns it off: -DCMAKE_DISABLE_FIND_PACKAGE_OpenCV=ON (like ..._Torch, ..._dnnl).
if(NOT NTP_FUZZ AND NOT CMAKE_DISABLE_FIND_PACKAGE_OpenCV)
  find_path(OPENCV_DNN_INCLUDE_DIR opencv2/dnn.hpp PATH_SUFFIXES opencv4)
  find_library(OPENCV_DNN_LIBRARY opencv_dnn)
  find_library(OPENCV_CORE_LIBRARY opencv_core)
endif()

# ONNX models (import and export): protobuf must be found before ONNX's config, which expects its targets.
find_package(Protobuf QUIET)
if(Protobuf_FOUND)
  find_package(ONNX CONFIG QUIET)
endif()
# The ONNX backend node tests (Debian's libonnx-testdata), an external oracle for every back end.
set(NTP_ONNX_TESTDATA_DIR /usr/share/libonnx-testdata/data CACHE PATH "ONNX backend test data")

# NVTX ranges per layer and segment for Nsight Systems: the header-only NVTX 3 of the CUDA toolkit, used
# whenever the toolkit is installed (no CUDA runtime is needed; without a tool attached the calls are no-ops).
find_path(NVTX3_INCLUDE_DIR nvtx3/nvToolsExt.h PATHS /usr/local/cuda/include /usr/include)

# --tool papi: per-layer counters through PAPI (libpapi-dev), an optional build.
pkg_check_modules(PAPI QUIET IMPORTED_TARGET papi)
