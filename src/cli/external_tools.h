// Running NTP under an external profiler that the tool itself must launch (callgrind), and writing a run
// record in the format asked for, shared with the plain run.
#pragma once

#include <nlohmann/json.hpp>

#include "commands.h"

namespace ntp::cli {

// Relaunches this `ntp run` under valgrind's callgrind (collection off at start, on inside each layer of
// one measured iteration, one dump per layer) and reports the per-layer counts in the run record.
int run_under_callgrind(const RunArgs& args);

// Writes one run record as --format and --output say.
void write_run_output(const RunArgs& args, const nlohmann::json& record);

}  // namespace ntp::cli
