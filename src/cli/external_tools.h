// Running NTP under an external profiler that the tool itself must launch (callgrind, perf), and writing a
// run record in the format asked for, shared with the plain run.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "commands.h"
#include "ntp/graph.h"

namespace ntp::cli {

// The tool a run goes under and the segments it sees (empty: every layer).
struct ToolChoice {
  std::string tool;  // "" = none
  std::vector<std::string> regions;
};

// --tool and --region on the command line win; otherwise the markers' tool attributes choose. Refuses a
// --region that names no segment, and tools this build does not have.
ToolChoice choose_tool(const RunArgs& args, const Graph& graph);

// Relaunches this `ntp run` under valgrind's callgrind (collection off at start, on inside each layer of
// the regions in one measured iteration, one dump per layer) and reports the per-layer counts.
int run_under_callgrind(const RunArgs& args, const ToolChoice& choice);

// Relaunches this `ntp run` under `perf stat` with its events enabled only inside the regions of the
// measured iterations, and reports perf's counts for the regions.
int run_under_perf(const RunArgs& args, const ToolChoice& choice);

// The relaunched run's arguments after the program: the user's, less what the relaunch sets, then the
// tool, the regions, and a JSON record written to `record_path`.
std::vector<std::string> child_arguments(const RunArgs& args, const ToolChoice& choice,
                                         const std::string& record_path);

// Writes one run record as --format and --output say.
void write_run_output(const RunArgs& args, const nlohmann::json& record);

}  // namespace ntp::cli
