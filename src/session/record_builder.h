// The one place a run record is built: from the graph, its cost analysis and what the runner measured.
#pragma once

#include <cstdint>
#include <string>

#include "ntp/analysis.h"
#include "ntp/graph.h"
#include "ntp/run_record.h"
#include "runtime/runner.h"

namespace ntp::session {

struct RunSettings {
  std::string command_line;
  std::string backend;
  std::string backend_version;
  std::string precision;
  int threads = 0;
  std::uint64_t seed = 1;
  std::string mode = "latency";
  runtime::RunOptions options;
  double compile_seconds = 0;
};

// Every section the measurements give, and "aggregates" (per op type and per module of the name hierarchy).
RunRecord make_run_record(const Graph& graph, const GraphAnalysis& analysis,
                          const runtime::Measurements& measurements, const RunSettings& settings);

}  // namespace ntp::session
