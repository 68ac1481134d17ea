// --tool callgrind: NTP relaunches itself under valgrind's callgrind (no shell: an argument vector), reads
// the per-layer dumps back and puts the counts into the run record of the parent.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "external_tools.h"
#include "ntp/status.h"
#include "profile/callgrind_dumps.h"
#include "relaunch.h"

namespace ntp::cli {

namespace {

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

int run_under_callgrind(const RunArgs& args, const ToolChoice& choice) {
  if (args.backend.find(',') != std::string::npos)
    throw UserError(kCommandLine, "--tool callgrind profiles one back end at a time",
                    "run it once per back end and compare the records");
  const TemporaryFolder folder("ntp-callgrind");
  const std::filesystem::path self = this_program();
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
  // One thread: callgrind's collection switch is per thread, so a library's worker threads would go
  // uncounted (valgrind runs threads one at a time anyway). One measured iteration: counts are exact.
  RunArgs single = args;
  single.arguments = relaunch_arguments(args.arguments, {"--warmup", "--iterations", "--time", "--threads"});
  for (const char* argument : {"--threads", "1", "--warmup", "0", "--iterations", "1"})
    single.arguments.emplace_back(argument);
  for (const std::string& argument : child_arguments(single, choice, record_path.string()))
    argv.push_back(argument);
  const int status =
      spawn_and_wait(argv, environment_preloading(std::filesystem::exists(preload) ? preload.string() : ""),
                     "install valgrind (apt-get install valgrind) to use --tool callgrind");
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
    bool counted = false;
    for (const auto& node : record["nodes"])
      for (const auto& layer : segment["layers"])
        if (node["name"] == layer && node.contains("callgrind")) {
          counted = true;
          for (std::size_t e = 0; e < counts.events.size(); ++e)
            sums[e] += node["callgrind"][counts.events[e]].get<double>();
        }
    if (counted) segment["callgrind"] = counts_json(counts.events, sums);
  }
  record["callgrind"] = {
      {"events", counts.events},
      {"regions", choice.regions},
      {"cache", counts.cache_description},
      {"how",
       "valgrind --tool=callgrind --cache-sim=yes with collection switched on only inside each layer (of the "
       "regions, when named) of one measured iteration (after the cold run) and one dump per layer: "
       "instructions executed (Ir), data "
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
