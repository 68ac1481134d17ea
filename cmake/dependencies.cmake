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
if(NTP_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(NTP_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()

# Back-end libraries: each back end is built only when its library is installed.
find_package(dnnl CONFIG QUIET)  # Debian's libdnnl-dev (its config also needs ocl-icd-opencl-dev)
