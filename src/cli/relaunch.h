// Relaunching `ntp run` under an external tool (callgrind, perf): the argument vector of the child, a
// private temporary folder, and spawning without a shell.
#pragma once

#include "ntp/run_record.h"

#include <atomic>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace ntp::cli {

// The user's arguments without the options named in `replaced` (in "--x v" or "--x=v" form), which the
// relaunch sets itself.
std::vector<std::string> relaunch_arguments(const std::vector<std::string>& arguments,
                                            const std::set<std::string>& replaced);

// This process's environment, with `library` (when not empty) first in LD_PRELOAD.
std::vector<std::string> environment_preloading(const std::string& library);

// Runs `argv` (no shell: argv[0] is looked up in PATH) in `environment` and returns its exit status, or
// 128 + the signal that ended it. Lines the tool writes on stderr that equal one of `quiet_lines` are
// dropped (perf's "Events enabled"); the rest pass through. Throws a UserError with `install_hint` when
// the tool cannot be started.
int spawn_and_wait(const std::vector<std::string>& argv, const std::vector<std::string>& environment,
                   const std::string& install_hint, const std::vector<std::string>& quiet_lines = {});

struct ChildOutcome {
  int status = 0;            // exit status, or 128 + the signal that ended it
  bool timed_out = false;    // killed after the time limit
  bool interrupted = false;  // `stop` was set while it ran
};
// Runs `argv` (no shell; argv[0] a path) with stdout and stderr written to `log`, killing it with SIGKILL
// once `timeout_seconds` have passed (0: no limit). When `stop` is set, the child gets SIGINT (a SIGTERM
// sent to this process alone would leave it running as an orphan), and SIGKILL if it has not ended
// `kStopGraceSeconds` later.
inline constexpr double kStopGraceSeconds = 10;
ChildOutcome run_logged(const std::vector<std::string>& argv, const std::filesystem::path& log,
                        double timeout_seconds, const std::atomic<bool>* stop = nullptr);

// The path of this program, to relaunch it.
std::filesystem::path this_program();

// The run record the relaunched run wrote (--format json to `path`).
RunRecord read_child_record(const std::filesystem::path& path);

}  // namespace ntp::cli
