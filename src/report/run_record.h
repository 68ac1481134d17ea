// The run record: one JSON document per run, the source every other output is written from
// (console table, CSV, Chrome trace, and later HTML, compare and the results database).
// Its schema is versioned ("ntp.run/1") and documented in docs/report-schema.md.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "aggregate.h"
#include "ntp/analysis.h"
#include "ntp/graph.h"
#include "runtime/runner.h"

namespace ntp::report {

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

nlohmann::json make_run_record(const Graph& graph, const GraphAnalysis& analysis,
                               const runtime::Measurements& measurements, const RunSettings& settings);

// The console table and CSV; the module view shows `module_depth` levels (--depth).
std::string run_table(const nlohmann::json& record, int module_depth = kDefaultModuleDepth);
std::string run_csv(const nlohmann::json& record, int module_depth = kDefaultModuleDepth);
nlohmann::json chrome_trace(const nlohmann::json& record);

}  // namespace ntp::report
