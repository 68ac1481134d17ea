// --tool perf: NTP relaunches itself under `perf stat --control` with its events disabled, enables them
// only inside the regions of the measured iterations, and adds perf's counts to the parent's record
// (session/tool_results).
#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "external_tools.h"
#include "io/files.h"
#include "ntp/status.h"
#include "profile/perf_counters.h"
#include "relaunch.h"
#include "session/tool_results.h"

namespace ntp::cli {

namespace {

void make_fifo(const std::filesystem::path& path) {
  if (::mkfifo(path.c_str(), 0600) != 0)
    throw UserError(kCommandLine,
                    fmt::format("cannot make the fifo {}: {}", path.string(), std::strerror(errno)));
}

}  // namespace

int run_under_perf(const RunArgs& args, const ToolChoice& choice) {
  if (args.backend.find(',') != std::string::npos)
    throw UserError(kCommandLine, "--tool perf profiles one back end at a time",
                    "run it once per back end and compare the records");
  if (args.mode == "throughput" && args.streams > 1)
    throw UserError(kCommandLine, "--tool perf switches counting from one stream, and counts every thread",
                    "use --mode latency (or --streams 1) with --tool perf");
  const io::TemporaryFolder folder("ntp-perf");
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

  RunRecord record = read_child_record(record_path);
  session::add_perf_results(record, profile::parse_perf_stat(io::read_file(stat_path).value_or("")),
                            choice.regions, fmt::format("{}", fmt::join(perf_argv, " ")));
  record.context.command_line = args.command_line;
  write_run_output(args, record.to_json());
  return 0;
}

}  // namespace ntp::cli
