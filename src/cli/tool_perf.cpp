// --tool perf: NTP relaunches itself under `perf stat --control` with its events disabled, enables them
// only inside the regions of the measured iterations, and puts perf's counts into the parent's record.
#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "external_tools.h"
#include "io/files.h"
#include "ntp/status.h"
#include "profile/perf_counters.h"
#include "profile/perf_stat.h"
#include "relaunch.h"

namespace ntp::cli {

namespace {

void make_fifo(const std::filesystem::path& path) {
  if (::mkfifo(path.c_str(), 0600) != 0)
    throw UserError(kCommandLine,
                    fmt::format("cannot make the fifo {}: {}", path.string(), std::strerror(errno)));
}

// Milliseconds the regions took per measured iteration, from the record's own timing (0 when not timed).
double region_ms_per_iteration(const nlohmann::json& record, const std::vector<std::string>& regions) {
  if (regions.empty()) return record["latency"].value("mean", 0.0);
  double sum = 0;
  for (const auto& segment : record["segments"])
    if (std::find(regions.begin(), regions.end(), segment["name"].get<std::string>()) != regions.end() &&
        segment.contains("time_ms"))
      sum += segment["time_ms"]["mean"].get<double>();
  return sum;
}

nlohmann::json perf_section(const std::vector<profile::PerfStatCount>& counts, const nlohmann::json& record,
                            const ToolChoice& choice, const std::vector<std::string>& perf_argv) {
  const double iterations = std::max(1.0, record["latency"]["count"].get<double>());
  nlohmann::json events = nlohmann::json::object();
  nlohmann::json per_iteration = nlohmann::json::object();
  nlohmann::json unsupported = nlohmann::json::array();
  for (const profile::PerfStatCount& count : counts) {
    if (!count.counted) {
      unsupported.push_back(
          {{"event", count.event},
           {"reason",
            count.status == "not supported"
                ? "perf: not supported; this machine exposes no hardware PMU for it (virtual machines "
                  "often do not): software events work, and --tool callgrind simulates caches"
                : "perf: " + count.status}});
      continue;
    }
    events[count.event] = {
        {"value", count.value}, {"unit", count.unit}, {"running_fraction", count.running_fraction}};
    per_iteration[count.event] = count.value / iterations;
  }
  nlohmann::json derived = nlohmann::json::object();
  const double region_ms = region_ms_per_iteration(record, choice.regions);
  if (per_iteration.contains("task-clock") && region_ms > 0)
    derived["cores_busy"] = per_iteration["task-clock"].get<double>() / region_ms;
  if (per_iteration.contains("instructions") && per_iteration.contains("cycles") &&
      per_iteration["cycles"].get<double>() > 0)
    derived["ipc"] = per_iteration["instructions"].get<double>() / per_iteration["cycles"].get<double>();
  if (region_ms > 0) derived["region_ms_per_iteration"] = region_ms;
  return {{"command", fmt::format("{}", fmt::join(perf_argv, " "))},
          {"regions", choice.regions},
          {"iterations", iterations},
          {"events", events},
          {"per_iteration", per_iteration},
          {"derived", derived},
          {"unsupported", unsupported},
          {"how",
           "perf stat started the run with its events disabled (--delay=-1); NTP enabled them through perf's "
           "control fifo at the start of each region and disabled them at its end, in the measured "
           "iterations only (not the cold run or warm-up), waiting for perf's acknowledgement; every thread "
           "of the process counts. per_iteration divides perf's totals by the measured iterations; "
           "cores_busy is task-clock over the regions' own measured time"}};
}

}  // namespace

int run_under_perf(const RunArgs& args, const ToolChoice& choice) {
  if (args.backend.find(',') != std::string::npos)
    throw UserError(kCommandLine, "--tool perf profiles one back end at a time",
                    "run it once per back end and compare the records");
  if (args.mode == "throughput" && args.streams > 1)
    throw UserError(kCommandLine, "--tool perf switches counting from one stream, and counts every thread",
                    "use --mode latency (or --streams 1) with --tool perf");
  const TemporaryFolder folder("ntp-perf");
  const std::filesystem::path control = folder.path() / "control";
  const std::filesystem::path acknowledge = folder.path() / "ack";
  make_fifo(control);
  make_fifo(acknowledge);
  const std::filesystem::path stat_path = folder.path() / "stat.txt";
  const std::filesystem::path record_path = folder.path() / "record.json";

  std::vector<std::string> perf_argv = {
      "perf", "stat", "--delay=-1", "--control=fifo:" + control.string() + "," + acknowledge.string(),
      "-x",   ";"};
  const std::string events = fmt::format("{}", fmt::join(profile::expand_counter_list(args.counters), ","));
  if (!events.empty()) perf_argv.insert(perf_argv.end(), {"-e", events});
  std::vector<std::string> argv = perf_argv;
  argv.insert(argv.end(), {"-o", stat_path.string(), "--", this_program().string()});
  // perf counts the events; the relaunched run opens no counters of its own.
  RunArgs child = args;
  child.arguments = relaunch_arguments(args.arguments, {"--counters"});
  for (const std::string& argument : child_arguments(child, choice, record_path.string()))
    argv.push_back(argument);
  argv.insert(argv.end(), {"--tool-control", control.string() + "," + acknowledge.string()});

  const int status = spawn_and_wait(argv, environment_preloading(""),
                                    "install perf (apt-get install linux-perf) to use --tool perf",
                                    {"Events enabled", "Events disabled"});
  if (!std::filesystem::exists(record_path)) {
    if (status == 129)  // perf's own usage error: its message is above
      throw UserError(kCommandLine, "perf stat refused the run (its message is above)",
                      "--counters names events for perf here: `perf list` shows the ones it knows");
    return status == 0 ? 1 : status;  // the relaunched run printed why
  }
  if (status != 0) return status;

  std::ifstream file(record_path);
  nlohmann::json record = nlohmann::json::parse(file);
  const std::vector<profile::PerfStatCount> counts =
      profile::parse_perf_stat(io::read_file(stat_path).value_or(""));
  record["perf"] = perf_section(counts, record, choice, perf_argv);
  if (choice.regions.size() == 1)
    for (auto& segment : record["segments"])
      if (segment["name"] == choice.regions.front()) segment["perf"] = record["perf"]["per_iteration"];
  record["context"]["command_line"] = args.command_line;
  write_run_output(args, record);
  return 0;
}

}  // namespace ntp::cli
