# Build speed (docs/development.md measures each step): unity batches and shared precompiled headers.
#
# Unity builds compile a target's sources in batches of one translation unit each, so the heavy headers
# (the standard library, fmt, nlohmann/json, gtest) are parsed and their templates instantiated once per
# batch instead of once per file. Sources with their own compile definitions stay out of the batches.
option(NTP_UNITY_BUILD "Compile each target's sources in unity batches" ON)
set(CMAKE_UNITY_BUILD ${NTP_UNITY_BUILD})
set(CMAKE_UNITY_BUILD_BATCH_SIZE 8)
if(NTP_UNITY_BUILD)
  # A batch includes its sources, so GCC takes a type from a source's anonymous namespace used in one of its
  # classes for a header's (-Wsubobject-linkage); in a batch that is no hazard.
  target_compile_options(ntp_warnings INTERFACE -Wno-subobject-linkage)
endif()

# Precompiled headers are made twice, once for the libraries and the command (std, fmt, nlohmann/json) and
# once for the test programs (the same and gtest), and every target of a kind reuses its kind's: GCC loads
# a PCH in a fraction of the time it takes to parse those headers. CMake adds -Winvalid-pch to every target
# using a PCH, and -Werror turns it into an error: a PCH that a target's flags cannot use fails the build
# instead of silently slowing it.
# LibTorch and oneDNN targets take none (nor do the benchmarks): LibTorch's -D_GLIBCXX_USE_CXX11_ABI and
# oneDNN's -fopenmp (_OPENMP) would invalidate them, and each LibTorch target
# is one unity batch, so ATen is parsed once per target anyway.
option(NTP_PRECOMPILED_HEADERS "Reuse precompiled headers across targets" ON)
if(NTP_PRECOMPILED_HEADERS)
  set(NTP_PCH_SOURCE ${PROJECT_SOURCE_DIR}/cmake/pch/pch.cpp)
  add_library(ntp_pch STATIC ${NTP_PCH_SOURCE})
  target_link_libraries(ntp_pch PRIVATE ntp_warnings fmt::fmt nlohmann_json::nlohmann_json)
  target_precompile_headers(ntp_pch PRIVATE ${PROJECT_SOURCE_DIR}/cmake/pch/library.h)
  if(NTP_BUILD_TESTS)
    add_library(ntp_test_pch STATIC ${NTP_PCH_SOURCE})
    target_link_libraries(ntp_test_pch PRIVATE ntp_warnings fmt::fmt nlohmann_json::nlohmann_json GTest::gtest)
    target_precompile_headers(ntp_test_pch PRIVATE ${PROJECT_SOURCE_DIR}/cmake/pch/test.h)
  endif()
endif()

# ntp_precompile(TARGET [TEST]): TARGET reuses the library (or, with TEST, the test programs') PCH.
function(ntp_precompile target)
  cmake_parse_arguments(PARSE_ARGV 1 NTP_PCH "TEST" "" "")
  if(NOT NTP_PRECOMPILED_HEADERS)
    return()
  endif()
  if(NTP_PCH_TEST)
    target_precompile_headers(${target} REUSE_FROM ntp_test_pch)
  else()
    target_precompile_headers(${target} REUSE_FROM ntp_pch)
  endif()
endfunction()
