#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "commands.h"
#include "external_tools.h"
#include "interruption.h"
#include "io/npy.h"
#include "ntp/session.h"
#include "output.h"
#include "profile/callgrind_observer.h"
#include "report/compare.h"
#include "report/html_report.h"
#include "report/results_db.h"
#include "report/run_views.h"

namespace ntp::cli {

namespace {

void save_outputs(const Executable& executable, const nlohmann::json& transcripts, const RunArgs& args) {
  std::error_code error;
  std::filesystem::create_directories(args.save_outputs, error);
  if (error)
    throw UserError({args.save_outputs, 0, 0},
                    fmt::format("cannot create the output folder: {}", error.message()));
  const Graph& graph = executable.graph();
  std::vector<int> values = graph.outputs;
  if (args.save_all) {
    values.clear();
    for (std::size_t v = 0; v < graph.values.size(); ++v)
      if (graph.values[v].producer >= 0) values.push_back(static_cast<int>(v));
  }
  for (const int value : values) {
    std::string file = graph.values[static_cast<std::size_t>(value)].name;
    for (char& c : file)
      if (c == '/' || c == ':') c = '_';
    io::write_npy((std::filesystem::path(args.save_outputs) / (file + ".npy")).string(),
                  executable.value_f32(value));
  }
  // Decoders' transcripts as text, one file per decoder node.
  std::map<std::string, nlohmann::json> by_node;
  for (const auto& entry : transcripts)
    by_node[entry["node"].get<std::string>()].push_back(entry);
  for (const auto& [node, entries] : by_node)
    write_output((std::filesystem::path(args.save_outputs) / (node + ".txt")).string(),
                 report::transcript_lines(entries));
}

// Several back ends: one trace, one process per back end.
nlohmann::json combined_trace(const std::vector<nlohmann::json>& records) {
  nlohmann::json events = nlohmann::json::array();
  for (std::size_t r = 0; r < records.size(); ++r) {
    nlohmann::json trace = report::chrome_trace(records[r]);
    for (auto& event : trace["traceEvents"]) {
      event["pid"] = static_cast<int>(r) + 1;
      if (event["name"] == "process_name")
        event["args"]["name"] = fmt::format("ntp {} on {}", records[r]["topology"]["name"].get<std::string>(),
                                            records[r]["options"]["backend"].get<std::string>());
      events.push_back(event);
    }
  }
  return {{"traceEvents", events}, {"displayTimeUnit", "ms"}};
}

// Each record's quality warnings on standard error, unless the table on the terminal already says them: a
// JSON, CSV or HTML reader, or one who sent the table to a file, may not look for them.
void warn_of_noise(const RunArgs& args, const std::vector<nlohmann::json>& records) {
  const bool table_on_stdout = args.format == "table" && (args.output.empty() || args.output == "-");
  if (args.tool_child || table_on_stdout) return;
  for (const nlohmann::json& record : records)
    if (record.contains("quality"))
      for (const auto& warning : record["quality"]["warnings"])
        std::fprintf(stderr, "ntp: warning: %s on %s: the figures may be off: %s\n",
                     record["topology"]["name"].get<std::string>().c_str(),
                     record["options"]["backend"].get<std::string>().c_str(),
                     warning.get<std::string>().c_str());
}

// Every run goes into the results database (unless --no-db), once its output is written. A database that
// cannot be written costs the record, not the run: a warning, and the run still succeeds.
void record_runs(const RunArgs& args, const std::vector<nlohmann::json>& records) {
  if (args.no_db || args.tool_child) return;
  try {
    report::ResultsDatabase database(args.db.empty() ? report::default_database_path() : args.db);
    std::vector<std::string> ids;
    for (const nlohmann::json& record : records)
      ids.push_back(std::to_string(database.add_run(record)));
    std::fprintf(stderr, "ntp: recorded as run %s in %s\n", fmt::format("{}", fmt::join(ids, ", ")).c_str(),
                 database.path().c_str());
  } catch (const UserError& error) {
    std::fprintf(stderr, "ntp: warning: the run was not recorded: %s\n",
                 error.diagnostic().to_string().c_str());
  }
}

ProfileOptions profile_options(const RunArgs& args) {
  ProfileOptions options;
  options.threads = args.threads;
  options.seed = args.seed;
  args.measuring.apply_to(options);
  options.mode = args.mode;
  options.streams = args.streams;
  options.chunk_ms = args.chunk_ms;
  options.layer_timing = !args.no_layer_timing;
  options.trace_iterations = args.trace_iterations == "all" ? -1 : std::stoi(args.trace_iterations);
  options.trace_warmup = args.trace_warmup;
  options.counters = args.counters;
  options.counter_group = args.counter_group;
  // Every back end's record is classified once all have run (and a tool's child never classifies).
  options.classify_bounds = false;
  options.command_line = args.command_line;
  options.label = args.label;
  options.places = args.places;
  options.placement_file = args.placement;
  options.engine = args.engine;
  if (args.tool_child || args.tool == "papi") {  // papi reads its counters in this process
    options.tool = args.tool;
    options.tool_regions = args.regions;
    options.tool_control = args.tool_control;
  }
  return options;
}

}  // namespace

void require_engine_for(const EngineOptions& engine, const std::vector<std::string>& backends) {
  const EngineOptions defaults;
  if (engine.optimization == defaults.optimization && engine.execution == defaults.execution &&
      engine.timeout_seconds == defaults.timeout_seconds)
    return;
  for (const std::string& name : backends)
    if (require_backend(name).runs_whole_graphs()) return;
  throw UserError(kCommandLine,
                  "--ort-opt, --ort-execution and --engine-timeout set the onnxruntime back end",
                  "add onnxruntime to --backend, or leave them out");
}

int run_command(const RunArgs& args) {
  // Ctrl-C or SIGTERM ends the measured iterations; what was measured is still printed, written and
  // recorded (marked partial), the back ends not yet run are skipped, and the exit status says which signal.
  const InterruptionCatcher interruption;
  if (args.tool_child && args.tool == "callgrind" && !profile::running_under_valgrind())
    throw UserError(kCommandLine, "--tool-child is for the process --tool launches",
                    "use --tool callgrind instead");
  const Model model = Model::load(args.topology, input_files(args.inputs));
  if (!args.tool_child) {
    const ToolChoice choice = choose_tool(args, model.graph());
    if (choice.tool == "callgrind") return run_under_callgrind(args, choice);
    if (choice.tool == "perf") return run_under_perf(args, choice);
    if (choice.tool == "papi" && args.tool.empty()) {  // a marker asked for it: as if --tool papi
      RunArgs with_papi = args;
      with_papi.tool = "papi";
      return run_command(with_papi);
    }
  }
  const std::vector<std::string> backends = parse_backend_list(args.backend, model.precision());
  require_engine_for(args.engine, backends);
  if (!args.save_outputs.empty() && require_backend(backends.front()).runs_whole_graphs())
    throw UserError(
        kCommandLine,
        fmt::format("--save-outputs saves the values of NTP's executable; {} runs in its own engine",
                    backends.front()),
        fmt::format("`ntp check --backend {}` compares its outputs with the reference back end's",
                    backends.front()));
  if (backends.size() > 1 && !args.save_outputs.empty())
    throw UserError(
        kCommandLine, "--save-outputs takes one back end's outputs",
        "run with a single --backend to save outputs; `ntp check` compares outputs across back ends");

  std::vector<nlohmann::json> records;
  {
    ProgressLine progress_line;
    for (const std::string& backend : backends) {
      ProfileOptions options = profile_options(args);
      options.backend = backend;
      options.control = {&interruption.flag(), progress_line.callback()};
      std::optional<ProfiledRun> profiled;
      try {
        profiled.emplace(ntp::run(model, options));
      } catch (const Interrupted&) {
        if (records.empty()) throw;
        break;
      }
      // The machine's ceilings may take a while to calibrate: an interrupted run goes without its bounds.
      if (!args.tool_child && !profiled->record.latency.partial())
        add_bounds(profiled->record, args.recalibrate && records.empty());  // once, for every back end
      const nlohmann::json record = profiled->record.to_json();
      if (!args.save_outputs.empty())
        save_outputs(*profiled->executable, record.value("transcripts", nlohmann::json::array()), args);
      records.push_back(record);
      if (interruption.caught()) break;
    }
  }
  if (interruption.caught())
    std::fprintf(stderr, "ntp: interrupted: the figures below are partial (%zu of %zu back ends run)\n",
                 records.size(), backends.size());
  const int status = interruption.caught() ? interrupted_exit_status() : 0;

  if (records.size() > 1) {
    nlohmann::json comparison = report::compare_records(records);
    if (args.format == "json") {
      comparison["records"] = records;
      write_output(args.output, comparison.dump(2) + "\n");
    } else if (args.format == "csv") {
      write_output(args.output, report::comparison_csv(comparison));
    } else if (args.format == "trace") {
      write_output(args.output, combined_trace(records).dump() + "\n");
    } else if (args.format == "html") {
      write_output(args.output, report::comparison_html(comparison));
    } else {
      write_output(args.output, report::comparison_table(comparison));
    }
    warn_of_noise(args, records);
    record_runs(args, records);
    return status;
  }
  write_run_output(args, records.front());
  return status;
}

void write_run_output(const RunArgs& args, const nlohmann::json& measured) {
  nlohmann::json record = measured;
  // A tool's parent classifies once the tool's counts are in; its child (under the tool) never calibrates.
  const bool partial = record["latency"].value("partial", false);
  if (!args.tool_child && !record.contains("machine") && !partial) {
    RunRecord typed = RunRecord::from_json(record);
    add_bounds(typed, args.recalibrate);
    record = typed.to_json();
  }
  if (args.format == "json")
    write_output(args.output, record.dump(2) + "\n");
  else if (args.format == "csv")
    write_output(args.output, report::run_csv(record, args.depth));
  else if (args.format == "trace")
    write_output(args.output, report::chrome_trace(record).dump() + "\n");
  else if (args.format == "html")
    write_output(args.output, report::run_html(record, args.depth));
  else
    write_output(args.output, report::run_table(record, args.depth));
  warn_of_noise(args, {record});
  record_runs(args, {record});
}

}  // namespace ntp::cli
