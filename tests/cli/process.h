// Runs the `ntp` binary with an argument vector (no shell) and captures its output and exit code.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace ntp::test {

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// Called while the program runs, with its pid and the path its stderr goes to; returns once it has done
// what it wanted (sent a signal, say).
using WhileRunning = std::function<void(pid_t, const std::filesystem::path&)>;

// Runs `program` (a path) with `arguments`, stdout and stderr captured through files.
inline ProcessResult run_program(const std::string& program, const std::vector<std::string>& arguments,
                                 const WhileRunning& while_running = {}) {
  const auto folder = std::filesystem::temp_directory_path() / ("ntp-cli-" + std::to_string(::getpid()));
  std::filesystem::create_directories(folder);
  const auto out_path = folder / "out.txt";
  const auto err_path = folder / "err.txt";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> argv_strings = {program};
  argv_strings.insert(argv_strings.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (auto& argument : argv_strings)
    argv.push_back(argument.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ProcessResult result;
  if (posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ) == 0) {
    if (while_running) while_running(pid, err_path);
    int status = 0;
    waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  posix_spawn_file_actions_destroy(&actions);
  result.out = slurp(out_path);
  result.err = slurp(err_path);
  std::filesystem::remove_all(folder);
  return result;
}

inline ProcessResult run_ntp(const std::vector<std::string>& arguments,
                             const WhileRunning& while_running = {}) {
  return run_program(NTP_BINARY, arguments, while_running);
}

// Sends `signal` to the process once its stderr holds `text` (at once when `text` is empty) and `delay`
// has passed; gives up waiting after a minute (the test then sees the process end on its own).
inline WhileRunning signal_when(int signal, const std::string& text, std::chrono::milliseconds delay) {
  return [=](pid_t pid, const std::filesystem::path& err) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    while (!text.empty() && slurp(err).find(text) == std::string::npos &&
           std::chrono::steady_clock::now() < give_up)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::this_thread::sleep_for(delay);
    ::kill(pid, signal);
  };
}

// A path in the temporary folder, named after this process (ctest runs each test in its own).
inline std::filesystem::path temporary(const std::string& name) {
  return std::filesystem::temp_directory_path() / (std::to_string(::getpid()) + "-" + name);
}

inline std::string example(const std::string& name) {
  // A path, not string concatenation: GCC 12 warns falsely (-Warray-bounds) on the chained operator+ once
  // this is inlined into a unity batch.
  return (std::filesystem::path(NTP_SOURCE_DIR) / "examples" / name).string();
}

// `ntp run` arguments for the small DeepSpeech (hidden=64, 16 frames, 1 warm-up, 3 iterations) of `file` on
// `backend`, then `more`.
inline std::vector<std::string> small_run(const std::string& backend, const std::vector<std::string>& more,
                                          const std::string& file = example("deepspeech-v0.1.xml")) {
  std::vector<std::string> arguments = {"run",      file,        "--backend",    backend,
                                        "--set",    "hidden=64", "--set",        "frames=16",
                                        "--warmup", "1",         "--iterations", "3"};
  arguments.insert(arguments.end(), more.begin(), more.end());
  return arguments;
}

// The small DeepSpeech (hidden=HIDDEN, 16 frames) on the reference back end, saved as a JSON run record.
inline std::filesystem::path saved_small_run(const std::string& hidden, int iterations = 6) {
  const auto path = temporary("hidden" + hidden + ".json");
  const auto result =
      run_ntp({"run", example("deepspeech-v0.1.xml"), "--backend", "reference", "--set", "hidden=" + hidden,
               "--set", "frames=16", "--warmup", "1", "--iterations", std::to_string(iterations), "--format",
               "json", "-o", path.string(), "--no-db"});
  return result.exit_code == 0 ? path : std::filesystem::path();
}

// A topology whose layer names are an ONNX exporter's module hierarchy: encoder (two layers and a norm),
// head, and a top-level softmax; 3 levels deep.
inline std::filesystem::path hierarchical_topology() {
  const auto path = temporary("modules.xml");
  std::ofstream(path) << R"(<topology name="modules">
  <input name="x" shape="batch,64" dtype="fp32"/>
  <layer name="/encoder/layer.0/fc" type="fc" units="256" activation="relu"/>
  <layer name="/encoder/layer.0/act" type="tanh"/>
  <layer name="/encoder/layer.1/fc" type="fc" units="256"/>
  <layer name="/encoder/layer.1/act" type="relu"/>
  <layer name="/encoder/norm" type="layernorm"/>
  <layer name="/head/fc" type="fc" units="10"/>
  <layer name="/probs" type="softmax"/>
</topology>
)";
  return path;
}

}  // namespace ntp::test
