// Running another program: an argument vector (never a shell), its output to files, a time limit, and a
// stop flag that interrupts it (Ctrl-C in NTP).
#pragma once

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

namespace ntp::io {

struct ProcessOptions {
  std::filesystem::path stdout_file;  // truncated; "" leaves the child this process's stdout
  std::filesystem::path stderr_file;  // "" sends stderr where stdout goes
  double timeout_seconds = 0;         // SIGKILL once this much time has passed; 0: no limit
  const std::atomic<bool>* stop = nullptr;
  double stop_grace_seconds = 10;  // after `stop`: SIGINT, then SIGKILL if it has not ended this much later
  bool search_path = false;        // argv[0] looked up in PATH (posix_spawnp) rather than a path
};

struct ProcessOutcome {
  int start_error = 0;       // errno when it could not be started (then nothing else is set)
  int status = 0;            // exit status, or 128 + the signal that ended it
  int signal = 0;            // the signal that ended it, 0 when it exited
  bool timed_out = false;    // killed after the time limit
  bool interrupted = false;  // `stop` was set while it ran
  double seconds = 0;        // wall time
};

// Starts `argv` and waits for it. Never throws for what the child does; throws std::system_error only when
// this process cannot wait for it.
ProcessOutcome run_process(const std::vector<std::string>& argv, const ProcessOptions& options);

// The last `max_bytes` of a file (a child's stderr), trimmed to whole lines; "" when it cannot be read.
std::string file_tail(const std::filesystem::path& path, std::size_t max_bytes = 2000);

}  // namespace ntp::io
