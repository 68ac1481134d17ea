// --tool callgrind: NTP relaunches itself under valgrind's callgrind (no shell: an argument vector), reads
// the per-layer dumps back and puts the counts into the run record of the parent.
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "external_tools.h"
#include "ntp/status.h"
#include "profile/callgrind_dumps.h"

extern char** environ;

namespace ntp::cli {

namespace {

const SourceLocation kCommandLine{"<command line>", 0, 0};

// The user's arguments without the options the relaunch sets itself (in "--x v" or "--x=v" form).
std::vector<std::string> relaunch_arguments(const std::vector<std::string>& arguments) {
  const std::set<std::string> replaced = {"--tool",   "--format",     "-o",     "--output",
                                          "--warmup", "--iterations", "--time", "--threads"};
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

std::vector<char*> pointers_to(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (const std::string& text : strings)
    pointers.push_back(const_cast<char*>(text.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

// This process's environment, with `library` (when given) first in LD_PRELOAD.
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

// Runs `argv` (no shell) in `environment` and returns its exit status; throws when it cannot be started.
int spawn_and_wait(const std::vector<std::string>& argv, const std::vector<std::string>& environment) {
  std::vector<char*> pointers = pointers_to(argv);
  std::vector<char*> variables = pointers_to(environment);
  pid_t child = 0;
  const int error = posix_spawnp(&child, pointers[0], nullptr, nullptr, pointers.data(), variables.data());
  if (error != 0)
    throw UserError(kCommandLine, fmt::format("cannot start {}: {}", argv[0], std::strerror(error)),
                    "install valgrind (apt-get install valgrind) to use --tool callgrind");
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

// A fresh private folder for the dumps, removed when the run ends.
class TemporaryFolder {
 public:
  TemporaryFolder() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ntp-callgrind-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr)
      throw UserError(kCommandLine, fmt::format("cannot make a temporary folder: {}", std::strerror(errno)));
    path_ = pattern;
  }
  ~TemporaryFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TemporaryFolder(const TemporaryFolder&) = delete;
  TemporaryFolder& operator=(const TemporaryFolder&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

nlohmann::json counts_json(const std::vector<std::string>& events, const std::vector<double>& values) {
  nlohmann::json counts = nlohmann::json::object();
  for (std::size_t e = 0; e < events.size() && e < values.size(); ++e)
    counts[events[e]] = values[e];
  // Simulated miss rates of data accesses: first level, and last level (which stands in for DRAM).
  const auto get = [&](const char* name) { return counts.contains(name) ? counts[name].get<double>() : 0.0; };
  const double accesses = get("Dr") + get("Dw");
  if (accesses > 0) {
    counts["D1_miss_rate"] = (get("D1mr") + get("D1mw")) / accesses;
    counts["LL_miss_rate"] = (get("DLmr") + get("DLmw")) / accesses;
  }
  return counts;
}

}  // namespace

int run_under_callgrind(const RunArgs& args) {
  if (args.backend.find(',') != std::string::npos)
    throw UserError(kCommandLine, "--tool callgrind profiles one back end at a time",
                    "run it once per back end and compare the records");
  const TemporaryFolder folder;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe");
  const std::filesystem::path preload = self.parent_path() / "libntp_valgrind_preload.so";
  const std::filesystem::path record_path = folder.path() / "record.json";
  std::vector<std::string> argv = {"valgrind",
                                   "--tool=callgrind",
                                   "--quiet",
                                   "--instr-atstart=no",  // loading LibTorch instrumented takes minutes
                                   "--collect-atstart=no",
                                   "--cache-sim=yes",
                                   "--callgrind-out-file=" + (folder.path() / "callgrind.out.%p").string(),
                                   self.string()};
  for (const std::string& argument : relaunch_arguments(args.arguments))
    argv.push_back(argument);
  // One thread: callgrind's collection switch is per thread, so a library's worker threads would go
  // uncounted (valgrind runs threads one at a time anyway).
  for (const char* argument : {"--tool", "callgrind", "--tool-child", "--threads", "1", "--warmup", "0",
                               "--iterations", "1", "--format", "json", "--output"})
    argv.emplace_back(argument);
  argv.push_back(record_path.string());
  const int status =
      spawn_and_wait(argv, environment_preloading(std::filesystem::exists(preload) ? preload.string() : ""));
  if (status != 0) return status;  // the relaunched run printed why

  std::ifstream file(record_path);
  nlohmann::json record = nlohmann::json::parse(file);
  const profile::CallgrindCounts counts = profile::parse_callgrind_dumps(folder.path().string());
  for (auto& node : record["nodes"]) {
    const auto found = counts.steps.find(node["step"].get<int>());
    if (found != counts.steps.end()) node["callgrind"] = counts_json(counts.events, found->second);
  }
  for (auto& segment : record["segments"]) {
    std::vector<double> sums(counts.events.size(), 0.0);
    for (const auto& node : record["nodes"])
      for (const auto& layer : segment["layers"])
        if (node["name"] == layer && node.contains("callgrind"))
          for (std::size_t e = 0; e < counts.events.size(); ++e)
            sums[e] += node["callgrind"][counts.events[e]].get<double>();
    segment["callgrind"] = counts_json(counts.events, sums);
  }
  record["callgrind"] = {
      {"events", counts.events},
      {"cache", counts.cache_description},
      {"how",
       "valgrind --tool=callgrind --cache-sim=yes with collection switched on only inside each layer of one "
       "measured iteration (after the cold run) and one dump per layer: instructions executed (Ir), data "
       "reads and writes (Dr, Dw) and simulated misses of the first-level (I1, D1) and last-level (IL, DL) "
       "caches, on one thread (callgrind switches collection per thread, so the run is single-threaded); "
       "deterministic for the same binary and inputs"},
      {"note",
       "valgrind hides AVX-512 from the program, so libraries such as oneDNN ran their AVX2 or reference "
       "kernels here: the counts describe those kernels, and the times in this record are valgrind's, not "
       "the hardware's"}};
  record["context"]["command_line"] = args.command_line;
  write_run_output(args, record);
  return 0;
}

}  // namespace ntp::cli
