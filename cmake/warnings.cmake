# Warnings as errors on the project's own code; third-party headers come in as SYSTEM.
add_library(ntp_warnings INTERFACE)
target_compile_options(ntp_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                              -Wold-style-cast -Woverloaded-virtual)
# Position-independent code everywhere: the back-end modules link the static libraries of the folders below
# them, and one code model keeps the shared precompiled headers valid for every target. Without semantic
# interposition, GCC still inlines and calls directly as it does for an executable.
target_compile_options(ntp_warnings INTERFACE -fPIC -fno-semantic-interposition)
if(NTP_WERROR)
  target_compile_options(ntp_warnings INTERFACE -Werror)
endif()

if(NTP_SANITIZE)
  # -O1 keeps sanitized test runs fast enough for CI while staying debuggable.
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -O1)
  add_link_options(-fsanitize=address,undefined)
  # GCC 12 reports false maybe-uninitialized warnings inside std::variant/std::optional once sanitizer
  # instrumentation changes inlining; the regular build keeps the warning.
  target_compile_options(ntp_warnings INTERFACE -Wno-maybe-uninitialized)
endif()
