#include "relaunch.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>

#include "io/files.h"
#include "io/process.h"
#include "ntp/status.h"

extern char** environ;

namespace ntp::cli {

namespace {

std::vector<char*> pointers_to(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (const std::string& text : strings)
    pointers.push_back(const_cast<char*>(text.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

// Copies `from` to stderr line by line (a line ends at \n or \r, so progress lines pass), dropping lines
// equal to one of `quiet`.
void forward_stderr(int from, const std::vector<std::string>& quiet) {
  std::string pending;
  char buffer[4096];
  const auto flush = [&](const std::string& line) {
    const std::string text = line.substr(0, line.size() - 1);
    if (std::find(quiet.begin(), quiet.end(), text) == quiet.end()) [[maybe_unused]]
      const auto ignored = ::write(STDERR_FILENO, line.data(), line.size());
  };
  for (;;) {
    const ssize_t got = ::read(from, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    pending.append(buffer, static_cast<std::size_t>(got));
    std::size_t end = 0;
    while ((end = pending.find_first_of("\n\r")) != std::string::npos) {
      flush(pending.substr(0, end + 1));
      pending.erase(0, end + 1);
    }
  }
  if (!pending.empty()) flush(pending + "\n");
  ::close(from);
}

}  // namespace

std::vector<std::string> relaunch_arguments(const std::vector<std::string>& arguments,
                                            const std::set<std::string>& replaced) {
  std::vector<std::string> kept;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const std::string& argument = arguments[i];
    const std::string name = argument.substr(0, argument.find('='));
    if (replaced.count(name) == 0) {
      kept.push_back(argument);
      continue;
    }
    if (name == argument) ++i;  // its value is the next argument
  }
  return kept;
}

std::vector<std::string> environment_preloading(const std::string& library) {
  std::vector<std::string> environment;
  std::string preload = library;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string variable = *entry;
    if (variable.rfind("LD_PRELOAD=", 0) != 0)
      environment.push_back(variable);
    else if (variable.size() > 11)
      preload += (preload.empty() ? "" : ":") + variable.substr(11);
  }
  if (!preload.empty()) environment.push_back("LD_PRELOAD=" + preload);
  return environment;
}

int spawn_and_wait(const std::vector<std::string>& argv, const std::vector<std::string>& environment,
                   const std::string& install_hint, const std::vector<std::string>& quiet_lines) {
  std::vector<char*> pointers = pointers_to(argv);
  std::vector<char*> variables = pointers_to(environment);
  int pipe_ends[2] = {-1, -1};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!quiet_lines.empty()) {
    if (::pipe2(pipe_ends, O_CLOEXEC) != 0)
      throw std::runtime_error(fmt::format("pipe: {}", std::strerror(errno)));
    posix_spawn_file_actions_adddup2(&actions, pipe_ends[1], STDERR_FILENO);
  }
  pid_t child = 0;
  const int error = posix_spawnp(&child, pointers[0], &actions, nullptr, pointers.data(), variables.data());
  posix_spawn_file_actions_destroy(&actions);
  if (pipe_ends[1] >= 0) ::close(pipe_ends[1]);
  if (error != 0) {
    if (pipe_ends[0] >= 0) ::close(pipe_ends[0]);
    throw UserError(kCommandLine, fmt::format("cannot start {}: {}", argv[0], std::strerror(error)),
                    install_hint);
  }
  std::thread forwarder;
  if (pipe_ends[0] >= 0) forwarder = std::thread(forward_stderr, pipe_ends[0], quiet_lines);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (forwarder.joinable()) forwarder.join();
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

ChildOutcome run_logged(const std::vector<std::string>& argv, const std::filesystem::path& log,
                        double timeout_seconds, const std::atomic<bool>* stop) {
  io::ProcessOptions process;
  process.stdout_file = log;
  process.timeout_seconds = timeout_seconds;
  process.stop = stop;
  process.stop_grace_seconds = kStopGraceSeconds;
  const io::ProcessOutcome outcome = io::run_process(argv, process);
  if (outcome.start_error != 0)
    throw UserError(kCommandLine,
                    fmt::format("cannot start {}: {}", argv[0], std::strerror(outcome.start_error)));
  return {outcome.status, outcome.timed_out, outcome.interrupted};
}

std::filesystem::path this_program() {
  return std::filesystem::read_symlink("/proc/self/exe");
}

RunRecord read_child_record(const std::filesystem::path& path) {
  const std::optional<std::string> text = io::read_file(path.string());
  if (!text) throw UserError({path.string(), 0, 0}, "the relaunched run wrote no record");
  try {
    return RunRecord::from_json(nlohmann::json::parse(*text));
  } catch (const nlohmann::json::parse_error& error) {
    throw UserError({path.string(), 0, 0},
                    fmt::format("the relaunched run's record is not JSON: {}", error.what()));
  }
}

}  // namespace ntp::cli
