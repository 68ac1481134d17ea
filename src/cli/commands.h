// The subcommands of `ntp`; main.cpp parses the command line (CLI11 lives only there) and calls these.
// Each returns the process exit code: 0 success, 2 bad input (after printing the diagnostic).
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ntp/backend.h"
#include "ntp/session.h"
#include "report/aggregate.h"

namespace ntp::cli {

struct InspectArgs {
  ModelSpec topology;
  std::string format = "table";  // table | json | csv
  std::string output;            // "" = stdout
};

struct OpsArgs {
  std::string format = "table";  // table | markdown
  std::string output;
};

// How long `run` measures, and each point of a `sweep` (ntp/run_control.h's StoppingRule says how they
// combine).
struct Measuring {
  int warmup = 2;
  int iterations = 10;
  double time_seconds = 0;
  double min_time_seconds = 0;
  double max_time_seconds = 0;
  double precision_target = 0;

  // Into the session's options, which check them (check_profile_options).
  void apply_to(ProfileOptions& options) const {
    options.warmup = warmup;
    options.iterations = iterations;
    options.time_seconds = time_seconds;
    options.min_time_seconds = min_time_seconds;
    options.max_time_seconds = max_time_seconds;
    options.precision_target = precision_target;
  }
};

struct RunArgs {
  ModelSpec topology;
  std::string backend;  // "" = the default back end
  int threads = 0;
  std::uint64_t seed = 1;
  Measuring measuring;
  std::string mode = "latency";  // latency | throughput | stream
  int streams = 1;
  double chunk_ms = 320;            // stream mode: audio per chunk
  std::vector<std::string> inputs;  // "name=file.npy"
  std::string save_outputs;         // folder
  bool save_all = false;
  bool no_layer_timing = false;
  bool recalibrate = false;            // measure the roofline ceilings again
  std::string label;                   // the user's name for the run
  std::vector<std::string> places;     // --place NAME=BACKEND[:PRECISION]
  std::string placement;               // --placement FILE (what `ntp tune` writes)
  EngineOptions engine;                // --ort-opt, --ort-execution, --engine-timeout
  std::string trace_iterations = "1";  // measured iterations in the trace: a count, or "all"
  bool trace_warmup = false;
  std::string counters;                // "software", "cycles,instructions", ... ("" = none)
  int counter_group = 4;               // hardware events per counter group; groups take turns
  std::string tool;                    // external profiler NTP relaunches itself under: "", callgrind, perf
  std::vector<std::string> regions;    // segments the tool sees (empty: every layer)
  bool tool_child = false;             // this process is the one the tool launched
  std::string tool_control;            // the child of --tool perf: perf's control fifos "CTL,ACK"
  std::vector<std::string> arguments;  // the command line after the program name, to relaunch under a tool
  std::string format = "table";        // table | json | csv | trace | html
  std::string output;
  int depth = report::kDefaultModuleDepth;  // module levels the table, CSV and HTML table show
  std::string command_line;
  std::string db;      // results database ("" = the default)
  bool no_db = false;  // do not record the run
};

struct CheckArgs {
  ModelSpec topology;
  std::string backend;
  int threads = 0;
  std::uint64_t seed = 1;
  double tolerance = 0;             // 0: the precision's default
  std::vector<std::string> places;  // --place NAME=BACKEND[:PRECISION]
  std::string placement;            // --placement FILE
  EngineOptions engine;             // --ort-opt, --ort-execution, --engine-timeout
  std::string format = "table";     // table | json
  std::string output;
};

struct ExportArgs {
  ModelSpec topology;
  std::string output;  // the .onnx file, written atomically
  std::uint64_t seed = 1;
  int opset = 17;
};

struct CompareArgs {
  std::vector<std::string> files;  // run records (files, or run ids in the results database); first: baseline
  std::string db;                  // results database for run ids ("" = the default)
  std::string format = "table";    // table | json | csv | html
  std::string output;
};

struct SweepArgs {
  ModelSpec topology;               // the file, and the --set values every point shares
  std::vector<std::string> grid;    // "hidden=1024,2048": the cross product of all axes
  std::vector<std::string> points;  // "hidden=1024,batch=16": points one by one instead
  std::string shard;                // "i/N": run every N-th point, from the i-th
  std::string backend;
  int threads = 0;
  std::uint64_t seed = 1;
  Measuring measuring;  // per point
  std::string mode = "latency";
  int streams = 1;
  double timeout_seconds = 3600;    // per point; 0: none
  std::vector<std::string> inputs;  // passed to every point's run, as its --input
  std::string counters;             // its --counters
  std::string tool;                 // its --tool
  std::string placement;            // its --placement (a file `ntp tune` wrote)
  std::string format = "table";     // table | json | csv | html
  std::string output;
  std::string command_line;
  std::string db;
  bool no_db = false;
};

struct TuneArgs {
  ModelSpec topology;    // its precision: the list searched, "fp32,bf16,int8"
  std::string backends;  // "onednn,torch" ("" = every back end of this build but reference)
  std::string objective = "latency";
  double max_latency_ms = 0;  // 0: no constraint
  double max_error = 0;       // 0: no constraint
  int rounds = 3;
  int threads = 0;
  std::uint64_t seed = 1;
  Measuring measuring;  // of every run
  int streams = 1;      // the throughput objective's
  std::vector<std::string> inputs;
  std::string write_placement;   // the winner's placement file
  std::string format = "table";  // table | json | html
  std::string output;
  std::string command_line;
  std::string db;
  bool no_db = false;
};

struct MergeArgs {
  std::vector<std::string> files;  // sweep results of `ntp sweep --shard i/N --format json`
  std::string format = "table";    // table | json | csv | html, as sweep
  std::string output;
};

struct ReportArgs {
  std::string input;            // a run record or comparison file, or a run id in the results database
  std::string db;               // results database for run ids ("" = the default)
  std::string format = "html";  // html | table
  std::string output;
  int depth = report::kDefaultModuleDepth;  // module levels the table and HTML table show
};

struct HistoryArgs {
  std::string db;
  std::string topology, backend, host, since;
  int limit = 50;
  std::int64_t sweep = 0;        // > 0: list this sweep's points instead
  std::string format = "table";  // table | json
};

struct BackendsArgs {
  std::string format = "table";  // table | json
};

int inspect_command(const InspectArgs& args);
// Refuses (UserError) engine settings given for a list of back ends none of which runs whole graphs: they
// would be ignored.
void require_engine_for(const EngineOptions& engine, const std::vector<std::string>& backends);

int run_command(const RunArgs& args);
int check_command(const CheckArgs& args);
int backends_command(const BackendsArgs& args);
int compare_command(const CompareArgs& args);
int history_command(const HistoryArgs& args);
int report_command(const ReportArgs& args);
int sweep_command(const SweepArgs& args);  // 0: every point ran; 3: some failed (the output says why)
int merge_command(const MergeArgs& args);
int tune_command(const TuneArgs& args);  // 0: a winner; 1: no candidate meets the constraints
// A sweep result (ntp.sweep/1) in a format: json, table, csv or html.
void write_sweep_output(const nlohmann::json& sweep, const std::string& format, const std::string& output);
int ops_command(const OpsArgs& args);
// `ntp version` and --version: ntp's version, then each back end's library version (as `ntp backends`).
std::string version_text();
// --input's "name=file" bindings as input data (run, and sweep checking its points before they run).
std::vector<InputData> input_files(const std::vector<std::string>& bindings);
int export_command(const ExportArgs& args);  // built with ONNX only

}  // namespace ntp::cli
