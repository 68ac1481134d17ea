# Every library comes from Debian's packages (scripts/install-deps.sh); nothing is downloaded at build time.
find_package(pugixml REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(CLI11 REQUIRED)
find_package(fmt REQUIRED)
if(NTP_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(NTP_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()

# Back-end libraries: each back end is built only when its library is installed.
find_package(dnnl CONFIG QUIET)  # Debian's libdnnl-dev (its config also needs ocl-icd-opencl-dev)
