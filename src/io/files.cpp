#include "files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "ntp/status.h"

namespace ntp::io {

namespace {

// What a non-regular file is, for the message.
const char* kind_of(const struct stat& status) {
  if (S_ISDIR(status.st_mode)) return "a folder";
  if (S_ISFIFO(status.st_mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(status.st_mode) || S_ISBLK(status.st_mode)) return "a device";
  if (S_ISSOCK(status.st_mode)) return "a socket";
  return "not a regular file";
}

// Temporaries being written, removed by the signal handler: fixed slots of fixed size, because a handler
// may only touch what needs no allocation (unlink is async-signal-safe).
constexpr std::size_t kSlots = 8;
constexpr std::size_t kPathBytes = 4096;
std::array<std::array<char, kPathBytes>, kSlots> temporaries{};
std::array<std::atomic<bool>, kSlots> slot_used{};
std::once_flag handlers_installed;

extern "C" void remove_temporaries_and_reraise(int signal) {
  for (std::size_t slot = 0; slot < kSlots; ++slot)
    if (slot_used[slot].load()) ::unlink(temporaries[slot].data());
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

void install_handlers() {
  for (const int signal : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction current {};
    // A handler someone else installed (a test harness, a host program) is left alone.
    if (::sigaction(signal, nullptr, &current) == 0 && current.sa_handler != SIG_DFL) continue;
    struct sigaction action {};
    action.sa_handler = remove_temporaries_and_reraise;
    sigemptyset(&action.sa_mask);
    ::sigaction(signal, &action, nullptr);
  }
}

// Registers a temporary for removal on an interrupt for as long as it lives.
class TemporaryGuard {
 public:
  explicit TemporaryGuard(const std::string& path) : path_(path) {
    std::call_once(handlers_installed, install_handlers);
    if (path.size() >= kPathBytes) return;
    for (std::size_t slot = 0; slot < kSlots; ++slot) {
      // Claimed, then filled, then published: the handler reads only published slots.
      if (claimed_[slot].exchange(true)) continue;
      std::memcpy(temporaries[slot].data(), path.c_str(), path.size() + 1);
      slot_used[slot].store(true);
      slot_ = static_cast<int>(slot);
      return;
    }
  }
  ~TemporaryGuard() {
    ::unlink(path_.c_str());  // after a successful rename there is nothing left to remove
    if (slot_ >= 0) {
      slot_used[static_cast<std::size_t>(slot_)].store(false);
      claimed_[static_cast<std::size_t>(slot_)].store(false);
    }
  }
  TemporaryGuard(const TemporaryGuard&) = delete;
  TemporaryGuard& operator=(const TemporaryGuard&) = delete;

 private:
  static inline std::array<std::atomic<bool>, kSlots> claimed_{};
  std::string path_;
  int slot_ = -1;
};

}  // namespace

void refuse_special_file(const std::string& path, const std::string& what) {
  struct stat status {};
  if (::stat(path.c_str(), &status) == 0 && !S_ISREG(status.st_mode))
    throw UserError({path, 0, 0}, fmt::format("{} is {}, not a regular file", what, kind_of(status)),
                    "give the path of a file");
}

std::optional<std::string> read_file(const std::string& path) {
  refuse_special_file(path, fmt::format("'{}'", path));
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) return std::nullopt;
  if (static_cast<std::uintmax_t>(status.st_size) > kMaxFileBytes)
    throw UserError({path, 0, 0},
                    fmt::format("the file has {} bytes; NTP reads files of at most {} GiB whole",
                                status.st_size, kMaxFileBytes >> 30),
                    "an ONNX model this large keeps its weights in external data files");
  std::ifstream file(path, std::ios::binary);
  if (!file) return std::nullopt;
  std::ostringstream bytes;
  bytes << file.rdbuf();
  return bytes.str();
}

namespace {

// A write killed by SIGKILL leaves its `<path>.tmp<pid>`: no handler runs then. The next write to the same
// path removes those whose process is gone (a live one, or a reused pid, is left alone).
void remove_stale_temporaries(const std::string& path) {
  const std::filesystem::path target(path);
  const std::string prefix = target.filename().string() + ".tmp";
  std::error_code error;
  const std::filesystem::path folder = target.has_parent_path() ? target.parent_path() : ".";
  for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.size() > 9 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    const auto pid = static_cast<pid_t>(std::stol(digits));
    if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH && entry.is_regular_file(error))
      std::filesystem::remove(entry.path(), error);
  }
}

}  // namespace

void write_file(const std::string& path, std::string_view bytes, const std::string& what) {
  struct stat status {};
  if (::stat(path.c_str(), &status) == 0 && !S_ISREG(status.st_mode))
    throw UserError({path, 0, 0}, fmt::format("{} would replace {}", what, kind_of(status)),
                    "write to a regular file, or to standard output with -o -");
  remove_stale_temporaries(path);
  const std::string temporary = fmt::format("{}.tmp{}", path, ::getpid());
  const TemporaryGuard guard(temporary);
  const auto fail = [&](const char* action) {
    throw UserError({path, 0, 0},
                    fmt::format("cannot write {}: {} failed: {}", what, action, std::strerror(errno)),
                    "check that its folder exists and is writable, and that the disk has space");
  };
  const int descriptor = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (descriptor < 0) fail("open");
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t count = ::write(descriptor, bytes.data() + written, bytes.size() - written);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) {
      const int saved = errno;
      ::close(descriptor);
      errno = saved;
      fail("write");
    }
    written += static_cast<std::size_t>(count);
  }
  if (::close(descriptor) != 0) fail("close");
  if (::rename(temporary.c_str(), path.c_str()) != 0) fail("rename");
}

void write_stdout(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (std::fflush(stdout) != 0 || std::ferror(stdout))
    throw UserError({"<standard output>", 0, 0},
                    fmt::format("cannot write to standard output: {}", std::strerror(errno)),
                    "check the disk or the program reading the output");
}

TemporaryFolder::TemporaryFolder(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr)
    throw UserError(kCommandLine, fmt::format("cannot make a temporary folder: {}", std::strerror(errno)));
  path_ = pattern;
}

TemporaryFolder::~TemporaryFolder() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace ntp::io
