// Whole files read into memory (topology files, ONNX models and tensors, tool outputs, run records) and
// written atomically (outputs, exported models, saved tensors), with the rules for hostile paths in one
// place: only regular files are read or replaced, sizes are checked before reading, every write is checked,
// and a temporary file never outlives an error or an interrupt.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "ntp/limits.h"

namespace ntp::io {

using limits::kMaxFileBytes;

// The file's bytes, or nothing when it does not exist or cannot be opened (each caller says what the file
// was for). Throws UserError for what is not a regular file (a folder, a device such as /dev/zero, a FIFO
// that would block) and for a file over kMaxFileBytes, before reading.
std::optional<std::string> read_file(const std::string& path);

// Throws UserError when `path` exists and is not a regular file (what it is instead, and a hint): reading
// a FIFO blocks, a device never ends. A missing file is left to the caller's own message.
// `what`: what the file is for ("the topology file").
void refuse_special_file(const std::string& path, const std::string& what);

// Replaces `path` with `bytes` atomically: written to a temporary beside it, checked, then renamed, so a
// failure or a kill never leaves half a file. Refuses (UserError) a target that exists and is not a regular
// file: replacing /dev/full or a FIFO with a file would destroy it. The temporary is removed on every error
// and when the process is interrupted (SIGINT, SIGTERM, SIGHUP) while writing; one a SIGKILL left behind
// is removed by the next write to `path`.
void write_file(const std::string& path, std::string_view bytes, const std::string& what = "the output file");

// Writes to standard output and checks it: a full disk or a closed pipe is an error (UserError), not a
// silent loss.
void write_stdout(std::string_view text);

// A fresh private folder, removed with everything in it when this goes out of scope.
class TemporaryFolder {
 public:
  explicit TemporaryFolder(const std::string& prefix);
  ~TemporaryFolder();
  TemporaryFolder(const TemporaryFolder&) = delete;
  TemporaryFolder& operator=(const TemporaryFolder&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace ntp::io
