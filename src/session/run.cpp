// The pipeline of a profiled run: bind inputs, check it fits, calibrate (int8), compile, measure, build
// the record, and add what the inlays and this machine's ceilings say.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "engine_run.h"
#include "inlay_results.h"
#include "load.h"
#include "ntp/registry.h"
#include "ntp/session.h"
#include "placement.h"
#include "profile/perf_counters.h"
#include "profile/profilers.h"
#include "profile/step_timer.h"
#include "record_builder.h"
#include "report/bound.h"
#include "runtime/calibration.h"
#include "runtime/machine_peaks.h"
#include "runtime/stream.h"

namespace ntp {

namespace {

void check_precision(const Backend& backend, DType precision) {
  if (!session::runs_precision(backend, precision))
    throw UserError(
        kCommandLine,
        fmt::format("back end '{}' cannot run {} on this machine", backend.name(), dtype_name(precision)),
        session::precisions_hint(backend));
}

// The layers that fell back to the reference back end, their ops and share of the time, and the back ends of
// this build (loaded to ask) that have kernels for all those ops at this precision: what to try instead.
std::optional<nlohmann::json> fallbacks_section(const RunRecord& record, DType precision) {
  std::set<std::string> ops;
  int layers = 0;
  double share = 0;
  for (const NodeRecord& node : record.nodes) {
    if (!node.fallback) continue;
    ++layers;
    ops.insert(node.op);
    if (node.time) share += node.time->share;
  }
  if (layers == 0) return std::nullopt;
  std::vector<std::string> alternatives;
  for (const std::string& name : backend_names()) {
    if (name == record.options.backend || name == "reference") continue;
    const Backend* other = find_backend(name);
    if (other == nullptr) continue;
    const auto precisions = other->precisions();
    const auto has = other->ops();
    if (std::find(precisions.begin(), precisions.end(), precision) != precisions.end() &&
        std::all_of(ops.begin(), ops.end(), [&](const std::string& op) {
          return std::find(has.begin(), has.end(), op) != has.end();
        }))
      alternatives.push_back(name);
  }
  return nlohmann::json{
      {"layers", layers},
      {"ops", ops},
      {"share", share},
      {"backends_with_them", alternatives},
      {"how",
       "layers whose op the back end has no kernel for ran on the reference back end; "
       "backends_with_them: the other back ends of this build that list every one of these ops "
       "and run this precision (an attribute they do not take may still fall back there)"}};
}

// Stream mode: the graph of one chunk (its samples parameter set to what a run reads).
Graph chunk_graph(const Model& model, const runtime::StreamPlan& plan) {
  ModelSpec chunk = model.spec();
  chunk.sets.push_back(fmt::format("{}={}", plan.samples_param, plan.samples_per_run()));
  return session::load_graph(chunk);
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
    const nlohmann::json pieces = session::transcripts(executable);
    if (joined.is_null()) {
      joined = pieces;
      continue;
    }
    for (std::size_t i = 0; i < pieces.size(); ++i)
      joined[i]["text"] = joined[i]["text"].get<std::string>() + pieces[i]["text"].get<std::string>();
  }
  return joined.is_null() ? nlohmann::json::array() : joined;
}

// What an executable is compiled from and refers to while it runs.
struct CompiledFrom {
  Graph graph;
  WeightStore weights;
  std::vector<float> ranges;
};

// The counters as event names; the papi tool without any counts PAPI's instruction, cycle and cache presets.
std::vector<std::string> counter_names(const ProfileOptions& options) {
  if (options.tool == "papi" && options.counters.empty())
    return {"PAPI_TOT_INS", "PAPI_TOT_CYC", "PAPI_L1_DCM", "PAPI_L2_DCM"};
  return profile::expand_counter_list(options.counters);
}

}  // namespace

const Backend& require_backend(const std::string& name) {
  const std::string wanted = name.empty() ? default_backend_name() : name;
  if (const Backend* backend = find_backend(wanted)) return *backend;
  if (const std::string why = backend_load_error(wanted); !why.empty())
    throw UserError(kCommandLine,
                    fmt::format("the {} back end of this build could not be loaded: {}", wanted, why),
                    "rebuild NTP (scripts/build.sh), or choose another back end (`ntp backends`)");
  throw UserError(kCommandLine, fmt::format("this build has no back end '{}'", wanted),
                  fmt::format("back ends: {} (`ntp backends` lists them)", fmt::join(backend_names(), ", ")));
}

std::vector<std::string> parse_backend_list(const std::string& list, DType precision) {
  std::vector<std::string> names;
  std::string remaining = list;
  do {
    const auto comma = remaining.find(',');
    const std::string name = remaining.substr(0, comma);
    remaining = comma == std::string::npos ? std::string() : remaining.substr(comma + 1);
    if (name.empty() && list.find(',') != std::string::npos)
      throw UserError(kCommandLine, fmt::format("--backend '{}' has an empty name", list),
                      "separate back ends with single commas: --backend onednn,torch");
    const Backend& backend = require_backend(name);
    for (const std::string& chosen : names)
      if (chosen == backend.name())
        throw UserError(kCommandLine, fmt::format("--backend names '{}' twice", backend.name()),
                        "name each back end once");
    check_precision(backend, precision);
    names.push_back(backend.name());
  } while (!remaining.empty());
  return names;
}

void add_bounds(RunRecord& record, bool recalibrate) {
  const runtime::MachinePeaks peaks = runtime::machine_peaks(
      *find_backend(default_backend_name()), session::parse_precision(record.options.precision),
      record.options.threads, recalibrate);
  nlohmann::json json = record.to_json();
  report::classify_bounds(json, peaks.to_json());
  record = RunRecord::from_json(json);
}

// The checks `ntp run` makes on its options, for library and Python callers, which have no argument parser.
void check_profile_options(const ProfileOptions& options) {
  const auto refuse = [](const std::string& message, const std::string& hint) {
    throw UserError(kCommandLine, message, hint);
  };
  if (options.mode != "latency" && options.mode != "throughput" && options.mode != "stream")
    refuse(fmt::format("--mode {}: no such mode", options.mode), "modes: latency, throughput, stream");
  if (options.warmup < 0) refuse(fmt::format("--warmup {} is negative", options.warmup), "give 0 or more");
  if (options.time_seconds < 0)
    refuse(fmt::format("--time {} is negative", options.time_seconds),
           "give seconds > 0, or 0 to count iterations");
  if (options.time_seconds == 0 && options.iterations < 1)
    refuse(fmt::format("--iterations {} is not positive", options.iterations), "measure 1 iteration or more");
  for (const auto& [flag, value] :
       {std::pair{"--time", options.time_seconds}, std::pair{"--min-time", options.min_time_seconds},
        std::pair{"--max-time", options.max_time_seconds}})
    if (!std::isfinite(value) || value < 0)
      refuse(fmt::format("{} {} is not a number of seconds", flag, value), "give seconds >= 0");
  if (!std::isfinite(options.precision_target) || options.precision_target < 0 ||
      options.precision_target >= 1)
    refuse(fmt::format("--precision-target {} is not a fraction", options.precision_target),
           "give the half-width of the median's 95% interval as a fraction of it, e.g. 0.02 for +-2%");
  if (options.max_time_seconds > 0 && options.max_time_seconds < options.min_time_seconds)
    refuse(fmt::format("--max-time {} is below --min-time {}", options.max_time_seconds,
                       options.min_time_seconds),
           "give a --max-time at least as long as --min-time");
  if (options.time_seconds > 0 &&
      (options.min_time_seconds > 0 || options.max_time_seconds > 0 || options.precision_target > 0))
    refuse("--time fixes how long to measure; --min-time, --max-time and --precision-target choose it",
           "give --time alone, or the others without it");
  if (options.streams < 1 || options.streams > 64)
    refuse(fmt::format("--streams {} is out of range", options.streams), "give 1 to 64 streams");
  if (options.threads < 0)
    refuse(fmt::format("--threads {} is negative", options.threads), "give 0 for the library's default");
  if (options.chunk_ms <= 0)
    refuse(fmt::format("--chunk-ms {} is not positive", options.chunk_ms), "give milliseconds of audio > 0");
  if (options.trace_iterations < -1)
    refuse(fmt::format("--trace-iterations {} is negative", options.trace_iterations),
           "give a count of measured iterations, or all (-1 from a program)");
  session::check_engine_options(options.engine);
  if (options.counter_group < 0)
    refuse(fmt::format("--counter-group {} is negative", options.counter_group),
           "give 0 (one group) or more");
}

ProfiledRun run(const Model& model, const ProfileOptions& options) {
  check_profile_options(options);
  const Backend& backend = require_backend(options.backend);
  const DType precision = model.precision();
  check_precision(backend, precision);
  if (backend.runs_whole_graphs()) {
    ProfiledRun engine_run = session::run_on_engine(model, options, backend);
    if (options.classify_bounds && !engine_run.record.latency.partial())
      add_bounds(engine_run.record, options.recalibrate);
    return engine_run;
  }
  const bool streaming = options.mode == "stream";
  const std::optional<runtime::StreamPlan> plan =
      streaming ? std::optional<runtime::StreamPlan>(runtime::plan_stream(model.graph(), options.chunk_ms))
                : std::nullopt;
  auto compiled_from = std::make_shared<CompiledFrom>();
  compiled_from->graph = streaming ? chunk_graph(model, *plan) : model.graph();
  session::apply_placement_file(compiled_from->graph, options.placement_file);
  session::apply_places(compiled_from->graph, options.places);
  const Graph& graph = compiled_from->graph;
  const std::vector<const Backend*> placement = session::placement_of(graph, backend, precision);
  // int8 layers take their quantisation scales from one calibrating fp32 run, whether the run or a layer
  // asks.
  const bool any_int8 = session::coarsest_precision(graph, precision) == DType::s8;
  const int streams = options.mode == "throughput" ? options.streams : 1;
  const GraphAnalysis analysis = analyze(graph, precision);
  const MemoryHolders holders{streams, streams * session::weight_copies(backend, placement)};
  session::require_memory(graph, analysis, holders);  // the graph that runs: in stream mode one chunk's

  const runtime::InputSet utterance = model.inputs(options.seed);
  const std::vector<runtime::InputSet> input_sets =
      streaming ? chunk_inputs(utterance, *plan) : std::vector<runtime::InputSet>{utterance};
  // Stream mode runs the chunk's graph: seeded weights are made for it (an ONNX model's are its own).
  compiled_from->weights = streaming && !session::is_onnx_file(model.spec().file)
                               ? generate_weights(graph, options.seed)
                               : model.weights(options.seed);
  const runtime::InputSet& inputs = input_sets.front();
  const WeightStore& weights = compiled_from->weights;
  // int8 kernels take their quantisation scales from one calibrating fp32 run on the same inputs.
  const auto phase = [&](const char* name) {
    if (options.control.stop != nullptr && options.control.stop->load()) throw Interrupted(name);
    if (options.control.progress) options.control.progress({name, 0, 0, 0, -1, -1});
  };
  if (any_int8) {
    phase("calibrating int8 ranges");
    compiled_from->ranges = runtime::calibrate_ranges(graph, backend, weights, inputs, options.threads);
  }
  const std::vector<float>& ranges = compiled_from->ranges;
  CompileOptions compile_options{precision, options.threads, &weights, &ranges, streaming};
  phase("compiling");
  const std::int64_t compile_start = profile::now_ns();
  std::vector<std::unique_ptr<Executable>> executables;
  for (int stream = 0; stream < streams; ++stream)
    executables.push_back(std::make_unique<Executable>(graph, backend, compile_options, placement));
  const double compile_seconds = static_cast<double>(profile::now_ns() - compile_start) * 1e-9;

  runtime::RunOptions run_options;
  // Streaming counts warm-up and iterations in passes over the utterance; each chunk is one measurement.
  const int runs_per_pass = static_cast<int>(input_sets.size());
  run_options.warmup = options.warmup * runs_per_pass;
  run_options.stopping = {options.iterations * runs_per_pass, options.time_seconds, options.min_time_seconds,
                          options.max_time_seconds, options.precision_target};
  run_options.throughput = options.mode == "throughput";
  run_options.streams = streams;
  run_options.threads = options.threads;
  run_options.layer_timing = options.layer_timing;
  run_options.trace_iterations = options.trace_iterations < 0 ? -1 : options.trace_iterations * runs_per_pass;
  run_options.trace_warmup = options.trace_warmup;
  run_options.control = options.control;
  profile::ProfilerRequest profiling;
  profiling.counters = counter_names(options);
  profiling.counter_group_size = options.counter_group;
  profiling.tool = options.tool;
  profiling.tool_regions = options.tool_regions;
  profiling.perf_control = options.tool_control;
  run_options.profilers = profile::make_profilers(profiling);
  std::vector<Executable*> pointers;
  for (auto& executable : executables)
    pointers.push_back(executable.get());
  const runtime::Measurements measurements = runtime::measure(pointers, backend, input_sets, run_options);

  const session::RunSettings settings{
      options.command_line, backend.name(), backend.version(), std::string(dtype_name(precision)),
      options.threads,      options.seed,   options.mode,      run_options,
      compile_seconds};
  RunRecord record = session::make_run_record(graph, analysis, measurements, settings);
  record.memory.estimate_bytes = run_memory_bytes(analysis, holders);
  record.context.label = options.label;
  if (streaming)
    record.sections["stream"] = {
        {"chunk_ms", options.chunk_ms},
        {"chunk_samples", plan->chunk_samples},
        {"overlap_samples", plan->overlap_samples},
        {"lookback_samples", plan->lookback_samples},
        {"chunks", plan->chunks},
        {"passes", options.iterations},
        {"how",
         "the audio input is fed in chunks, each run starting lookback_samples before its chunk so that "
         "feature frames continue; recurrent layers and context windows carry their state across chunks; "
         "latency and layer times are per chunk; decoders decode each chunk's probabilities on their own and "
         "the transcript joins them"}};
  session::add_audio(record, model.graph(), model.sources(), streaming ? plan->chunk_seconds() : 0);
  const nlohmann::json transcripts = streaming ? stream_transcripts(*executables.front(), input_sets)
                                               : session::transcripts(*executables.front());
  if (!transcripts.empty()) {
    record.sections["transcripts"] = transcripts;
    record.sections["transcripts_note"] = fmt::format(
        "the weights are seeded random (seed {}): a transcript shows that decoding ran and what it cost, not "
        "what was said",
        options.seed);
  }
  if (const auto fallbacks = fallbacks_section(record, precision)) record.sections["fallbacks"] = *fallbacks;
  if (options.classify_bounds) add_bounds(record, options.recalibrate);
  return {std::move(record), std::move(compiled_from), std::move(executables.front())};
}

}  // namespace ntp
