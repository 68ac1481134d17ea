#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "commands.h"
#include "external_tools.h"
#include "inputs.h"
#include "io/npy.h"
#include "load.h"
#include "ntp/analysis.h"
#include "ntp/registry.h"
#include "output.h"
#include "profile/callgrind_observer.h"
#include "profile/perf_counters.h"
#include "profile/profilers.h"
#include "profile/step_timer.h"
#include "report/bound.h"
#include "report/compare.h"
#include "report/html_report.h"
#include "report/inlay_results.h"
#include "report/results_db.h"
#include "report/run_record.h"
#include "runtime/calibration.h"
#include "runtime/machine_peaks.h"
#include "runtime/stream.h"

namespace ntp::cli {

namespace {

void check_precision(const Backend& backend, DType precision) {
  for (const DType supported : backend.precisions())
    if (supported == precision) return;
  std::vector<std::string> names;
  for (const DType supported : backend.precisions())
    names.emplace_back(dtype_name(supported));
  throw UserError(
      kCommandLine,
      fmt::format("back end '{}' cannot run {} on this machine", backend.name(), dtype_name(precision)),
      fmt::format("it runs: {}", fmt::join(names, ", ")));
}

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

// Stream mode: the graph of one chunk (its samples parameter set to what a run reads).
Graph chunk_graph(const BoundGraph& bound, const runtime::StreamPlan& plan) {
  TopologyArgs chunk_topology = bound.topology;
  chunk_topology.sets.push_back(fmt::format("{}={}", plan.samples_param, plan.samples_per_run()));
  return load_graph(chunk_topology);
}

// Every chunk's inputs: the utterance's audio cut up, the other inputs as they are.
std::vector<runtime::InputSet> chunk_inputs(const runtime::InputSet& utterance,
                                            const runtime::StreamPlan& plan) {
  std::vector<runtime::InputSet> sets;
  for (Tensor& chunk : runtime::chunk_audio(utterance.at(plan.input), plan)) {
    runtime::InputSet set = utterance;
    set[plan.input] = std::move(chunk);
    sets.push_back(std::move(set));
  }
  return sets;
}

// The stream's transcripts: one untimed pass over every chunk, each chunk's text appended to its entry.
nlohmann::json stream_transcripts(Executable& executable, const std::vector<runtime::InputSet>& chunks) {
  executable.reset_stream();
  nlohmann::json joined;
  for (const runtime::InputSet& chunk : chunks) {
    executable.run(chunk, nullptr);
    const nlohmann::json pieces = report::transcripts(executable);
    if (joined.is_null()) {
      joined = pieces;
      continue;
    }
    for (std::size_t i = 0; i < pieces.size(); ++i)
      joined[i]["text"] = joined[i]["text"].get<std::string>() + pieces[i]["text"].get<std::string>();
  }
  return joined.is_null() ? nlohmann::json::array() : joined;
}

// One back end's run: compile, measure, and its record.
struct RunContext {
  const RunArgs& args;
  const BoundGraph& bound;
  const Graph& graph;
  const GraphAnalysis& analysis;
  const std::optional<runtime::StreamPlan>& plan;
  DType precision;
  int streams;
  const std::vector<runtime::InputSet>& input_sets;
  const WeightStore& weights;
  std::vector<std::string> counters;  // event names, sets expanded
};

struct BackendRun {
  nlohmann::json record;
  std::unique_ptr<Executable> executable;  // the first stream's, for outputs and transcripts
};

BackendRun run_on_backend(const RunContext& run, const Backend& backend) {
  const RunArgs& args = run.args;
  const Graph& graph = run.graph;
  const bool streaming = run.plan.has_value();
  const runtime::InputSet& inputs = run.input_sets.front();
  // int8 kernels take their quantisation scales from one calibrating fp32 run on the same inputs.
  const std::vector<float> ranges =
      run.precision == DType::s8
          ? runtime::calibrate_ranges(graph, backend, run.weights, inputs, args.threads)
          : std::vector<float>{};
  CompileOptions compile_options{run.precision, args.threads, &run.weights, &ranges, streaming};
  const std::int64_t compile_start = profile::now_ns();
  std::vector<std::unique_ptr<Executable>> executables;
  for (int stream = 0; stream < run.streams; ++stream)
    executables.push_back(std::make_unique<Executable>(graph, backend, compile_options));
  const double compile_seconds = static_cast<double>(profile::now_ns() - compile_start) * 1e-9;

  runtime::RunOptions options;
  // Streaming counts warm-up and iterations in passes over the utterance; each chunk is one measurement.
  const int runs_per_pass = static_cast<int>(run.input_sets.size());
  options.warmup = args.warmup * runs_per_pass;
  options.iterations = args.iterations * runs_per_pass;
  options.time_seconds = args.time_seconds;
  options.throughput = args.mode == "throughput";
  options.streams = run.streams;
  options.threads = args.threads;
  options.layer_timing = !args.no_layer_timing;
  options.progress = true;
  profile::ProfilerRequest profiling;
  profiling.counters = run.counters;
  profiling.counter_group_size = args.counter_group;
  if (args.tool_child || args.tool == "papi") {  // papi reads its counters in this process
    profiling.tool = args.tool;
    profiling.tool_regions = args.regions;
    profiling.perf_control = args.tool_control;
  }
  options.profilers = profile::make_profilers(profiling);
  std::vector<Executable*> pointers;
  for (auto& executable : executables)
    pointers.push_back(executable.get());
  const runtime::Measurements measurements = runtime::measure(pointers, backend, run.input_sets, options);

  report::RunSettings settings{
      args.command_line, backend.name(), backend.version(), std::string(dtype_name(run.precision)),
      args.threads,      args.seed,      args.mode,         options,
      compile_seconds};
  nlohmann::json record = report::make_run_record(graph, run.analysis, measurements, settings);
  if (streaming) {
    const runtime::StreamPlan& plan = *run.plan;
    record["stream"] = {
        {"chunk_ms", args.chunk_ms},
        {"chunk_samples", plan.chunk_samples},
        {"overlap_samples", plan.overlap_samples},
        {"lookback_samples", plan.lookback_samples},
        {"chunks", plan.chunks},
        {"passes", args.iterations},
        {"how",
         "the audio input is fed in chunks, each run starting lookback_samples before its chunk so that "
         "feature frames continue; recurrent layers and context windows carry their state across chunks; "
         "latency and layer times are per chunk; decoders decode each chunk's probabilities on their own and "
         "the transcript joins them"}};
  }
  report::add_audio(record, run.bound.graph, run.bound.sources, streaming ? run.plan->chunk_seconds() : 0);
  const nlohmann::json transcripts = streaming ? stream_transcripts(*executables.front(), run.input_sets)
                                               : report::transcripts(*executables.front());
  if (!transcripts.empty()) {
    record["transcripts"] = transcripts;
    record["transcripts_note"] = fmt::format(
        "the weights are seeded random (seed {}): a transcript shows that decoding ran and what it cost, not "
        "what was said",
        args.seed);
  }
  return {std::move(record), std::move(executables.front())};
}

// --counters as event names; --tool papi without it counts PAPI's instruction, cycle and cache presets.
std::vector<std::string> counter_names(const RunArgs& args) {
  if (args.tool == "papi" && args.counters.empty())
    return {"PAPI_TOT_INS", "PAPI_TOT_CYC", "PAPI_L1_DCM", "PAPI_L2_DCM"};
  return profile::expand_counter_list(args.counters);
}

// "onednn,torch" -> the back ends, each checked for the precision before anything runs.
std::vector<const Backend*> choose_backends(const std::string& list, DType precision) {
  std::vector<const Backend*> backends;
  std::string remaining = list;
  do {
    const auto comma = remaining.find(',');
    const std::string name = remaining.substr(0, comma);
    remaining = comma == std::string::npos ? std::string() : remaining.substr(comma + 1);
    if (name.empty() && !backends.empty())
      throw UserError(kCommandLine, fmt::format("--backend '{}' has an empty name", list),
                      "separate back ends with single commas: --backend onednn,torch");
    const Backend& backend = require_backend(name);
    for (const Backend* chosen : backends)
      if (chosen == &backend)
        throw UserError(kCommandLine, fmt::format("--backend names '{}' twice", backend.name()),
                        "name each back end once");
    check_precision(backend, precision);
    backends.push_back(&backend);
  } while (!remaining.empty());
  return backends;
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

// This machine's roofline ceilings at the record's precision and thread count (cached per host) and each
// layer's bound.
void add_bounds(nlohmann::json& record) {
  const runtime::MachinePeaks peaks =
      runtime::machine_peaks(*find_backend(default_backend_name()),
                             parse_precision(record["options"]["precision"].get<std::string>()),
                             record["options"]["threads"].get<int>());
  report::classify_bounds(record, peaks.to_json());
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

}  // namespace

int run_command(const RunArgs& args) {
  if (args.tool_child && args.tool == "callgrind" && !profile::running_under_valgrind())
    throw UserError(kCommandLine, "--tool-child is for the process --tool launches",
                    "use --tool callgrind instead");
  const BoundGraph bound = load_with_inputs(args.topology, args.inputs);
  if (!args.tool_child) {
    const ToolChoice choice = choose_tool(args, bound.graph);
    if (choice.tool == "callgrind") return run_under_callgrind(args, choice);
    if (choice.tool == "perf") return run_under_perf(args, choice);
    if (choice.tool == "papi" && args.tool.empty()) {  // a marker asked for it: as if --tool papi
      RunArgs with_papi = args;
      with_papi.tool = "papi";
      return run_command(with_papi);
    }
  }
  const bool streaming = args.mode == "stream";
  const std::optional<runtime::StreamPlan> plan =
      streaming ? std::optional<runtime::StreamPlan>(runtime::plan_stream(bound.graph, args.chunk_ms))
                : std::nullopt;
  const Graph graph = streaming ? chunk_graph(bound, *plan) : bound.graph;
  const DType precision = parse_precision(args.topology.precision);
  const std::vector<const Backend*> backends = choose_backends(args.backend, precision);
  if (backends.size() > 1 && !args.save_outputs.empty())
    throw UserError(
        kCommandLine, "--save-outputs takes one back end's outputs",
        "run with a single --backend to save outputs; `ntp check` compares outputs across back ends");
  const int streams = args.mode == "throughput" ? args.streams : 1;
  const GraphAnalysis analysis = analyze(graph, precision);
  if (const auto available = available_memory_bytes())
    if (const auto message = check_fits(analysis, *available, streams))
      throw UserError(
          {graph.source, 0, 0}, *message,
          "use a smaller --batch or smaller parameters (--set), or fewer --streams; `ntp inspect` shows "
          "where the memory goes");

  const runtime::InputSet utterance = complete_inputs(bound, args.seed);
  const std::vector<runtime::InputSet> input_sets =
      streaming ? chunk_inputs(utterance, *plan) : std::vector<runtime::InputSet>{utterance};
  const WeightStore weights = model_weights(bound.topology, graph, args.seed);  // an ONNX model's own
  const RunContext context{args,      bound,   graph,      analysis, plan,
                           precision, streams, input_sets, weights,  counter_names(args)};

  std::vector<nlohmann::json> records;
  for (const Backend* backend : backends) {
    BackendRun run = run_on_backend(context, *backend);
    if (!args.save_outputs.empty())
      save_outputs(*run.executable, run.record.value("transcripts", nlohmann::json::array()), args);
    records.push_back(std::move(run.record));
  }

  if (!args.tool_child)
    for (nlohmann::json& record : records)
      add_bounds(record);
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
    record_runs(args, records);
    return 0;
  }
  write_run_output(args, records.front());
  return 0;
}

void write_run_output(const RunArgs& args, const nlohmann::json& measured) {
  nlohmann::json record = measured;
  // A tool's parent classifies once the tool's counts are in; its child (under the tool) never calibrates.
  if (!args.tool_child && !record.contains("machine")) add_bounds(record);
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
  record_runs(args, {record});
}

}  // namespace ntp::cli
