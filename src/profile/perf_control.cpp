#include "profile/perf_control.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ntp/status.h"

namespace ntp::profile {

namespace {

const SourceLocation kTool{"<--tool perf>", 0, 0};

int open_fifo(const std::string& path, int flags) {
  const int descriptor = ::open(path.c_str(), flags | O_CLOEXEC);
  if (descriptor < 0)
    throw UserError(kTool, fmt::format("cannot open perf's control fifo {}: {}", path, std::strerror(errno)),
                    "--tool-control is set by --tool perf; run with --tool perf instead");
  return descriptor;
}

}  // namespace

PerfControl::PerfControl(const std::string& fifos) {
  const auto comma = fifos.find(',');
  if (comma == std::string::npos)
    throw UserError(kTool, fmt::format("--tool-control '{}' is not CTL,ACK", fifos),
                    "--tool-control is set by --tool perf; run with --tool perf instead");
  // perf holds both fifos open for reading and writing, so neither open blocks.
  control_ = open_fifo(fifos.substr(0, comma), O_WRONLY);
  acknowledge_ = open_fifo(fifos.substr(comma + 1), O_RDONLY);
}

PerfControl::~PerfControl() {
  ::close(control_);
  ::close(acknowledge_);
}

void PerfControl::command(const char* word) {
  const std::string line = std::string(word) + "\n";
  if (::write(control_, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
    throw std::runtime_error(fmt::format("perf's control fifo: {}", std::strerror(errno)));
  // perf answers "ack\n" once the events are switched (followed by the string's NUL, which is skipped).
  std::string answer;
  char c = 0;
  while (answer.size() < 16) {
    const ssize_t got = ::read(acknowledge_, &c, 1);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) throw std::runtime_error("perf closed its acknowledgement fifo");
    if (c == '\n') break;
    if (c != '\0') answer += c;
  }
  if (answer != "ack") throw std::runtime_error(fmt::format("perf answered '{}' to '{}'", answer, word));
}

}  // namespace ntp::profile
