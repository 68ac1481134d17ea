// Shared by the libFuzzer harnesses (docs/development.md, "Fuzzing"): bad input must end in ntp::UserError
// (or a Result's Diagnostic); anything else escaping a harness (another exception, a crash, a sanitizer
// report) is a bug that libFuzzer reports with the input that caused it.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "ntp/status.h"

namespace ntp::fuzz {

// A private folder for this process's input files (readers that take a path), made once and removed at
// exit: other files next to the input (an ONNX model's external data) are then only what the harness writes.
inline const std::string& scratch_dir() {
  // Never destroyed: the exit handler that removes the folder runs after static destructors would.
  static const std::string* const dir = [] {
    const char* base = std::getenv("TMPDIR");
    auto* pattern = new std::string(std::string(base && *base ? base : "/tmp") + "/ntp-fuzz-XXXXXX");
    if (!mkdtemp(pattern->data())) std::abort();
    std::atexit([] {  // libFuzzer ends with exit()
      std::error_code ignored;
      std::filesystem::remove_all(scratch_dir(), ignored);
    });
    return pattern;
  }();
  return *dir;
}

// Writes the input to `name` in the scratch folder and returns its path.
inline std::string write_input(const std::uint8_t* data, std::size_t size, const std::string& name) {
  const std::string path = scratch_dir() + "/" + name;
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, file) != size) std::abort();
  if (std::fclose(file) != 0) std::abort();
  return path;
}

// Runs `read`; a UserError is the expected outcome for bad input, and must say what is wrong.
template <class Read>
void expect_clean(Read&& read) {
  try {
    read();
  } catch (const UserError& error) {
    if (error.diagnostic().message.empty()) std::abort();  // an error that says nothing
  }
}

}  // namespace ntp::fuzz
