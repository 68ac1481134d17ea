# NTP_FUZZ: the libFuzzer harnesses of tests/fuzz/ (scripts/fuzz.sh builds this in build-fuzz/). libFuzzer
# comes with clang (Debian's clang 14 with libclang-rt-14-dev), while the other builds use GCC, hence a
# configuration of its own: every library the harnesses link is instrumented for coverage
# (-fsanitize=fuzzer-no-link) and checked by ASan + UBSan; the harnesses link libFuzzer's main.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "NTP_FUZZ needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++-14")
endif()
set(NTP_BUILD_TESTS OFF)
set(NTP_BUILD_BENCH OFF)
# GCC's build is the one that holds warnings as errors; clang 14 warns about other things in system headers.
set(NTP_WERROR OFF)
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                    -fno-omit-frame-pointer)
add_link_options(-fsanitize=address,undefined)
