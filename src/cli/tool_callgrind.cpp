// --tool callgrind: NTP relaunches itself under valgrind's callgrind (no shell: an argument vector), reads
// the per-layer dumps back and adds the counts to the run record of the parent (session/tool_results).
#include <fmt/format.h>

#include <filesystem>

#include "external_tools.h"
#include "io/files.h"
#include "ntp/status.h"
#include "profile/callgrind_dumps.h"
#include "relaunch.h"
#include "session/tool_results.h"

namespace ntp::cli {

int run_under_callgrind(const RunArgs& args, const ToolChoice& choice) {
  if (args.backend.find(',') != std::string::npos)
    throw UserError(kCommandLine, "--tool callgrind profiles one back end at a time",
                    "run it once per back end and compare the records");
  const io::TemporaryFolder folder("ntp-callgrind");
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

  RunRecord record = read_child_record(record_path);
  session::add_callgrind_results(record, profile::parse_callgrind_dumps(folder.path().string()),
                                 choice.regions);
  record.context.command_line = args.command_line;
  write_run_output(args, record.to_json());
  return 0;
}

}  // namespace ntp::cli
