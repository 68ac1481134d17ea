#include "engine_run.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "backends/reference/reference_backend.h"
#include "check_outputs.h"
#include "load.h"
#include "profile/statistics.h"
#include "record_builder.h"

namespace ntp::session {

namespace {

void refuse_setting(const std::string& message, const std::string& hint) {
  throw UserError(kCommandLine, message, hint);
}

// What a whole-graph engine cannot do that a node-by-node back end can: refused, not silently dropped.
void require_engine_can(const Model& model, const ProfileOptions& options, const std::string& backend) {
  const std::string why = fmt::format("{} runs the whole graph in its own engine", backend);
  if (options.mode == "stream")
    refuse_setting(
        fmt::format("--mode stream cannot run on {}: {}, with no state carried between chunks", backend, why),
        "use --mode latency or throughput on onnxruntime, or stream on a node-by-node back end");
  if (!options.places.empty() || !options.placement_file.empty())
    refuse_setting(fmt::format("--place and --placement put layers on node-by-node back ends; {}", why),
                   "run onnxruntime whole, or place layers among onednn, torch, opencv and reference");
  if (!options.counters.empty() || !options.tool.empty())
    refuse_setting(
        fmt::format("counters and tools (--counters, --tool) watch NTP's own kernels; {} in another process",
                    why),
        "profile onnxruntime without them; its profiler times each node");
  if (options.min_time_seconds > 0 || options.max_time_seconds > 0 || options.precision_target > 0)
    refuse_setting(
        fmt::format("--min-time, --max-time and --precision-target are NTP's stopping rules; {}", why),
        "give --iterations or --time on onnxruntime");
  for (const Node& node : model.graph().nodes)
    if (!node.backend.empty() || node.precision.has_value())
      refuse_setting(fmt::format("layer '{}' is placed (backend= or precision=), but {}", node.name, why),
                     "run this topology on a node-by-node back end, or remove the layer's placement");
}

GraphRunRequest engine_request(const Model& model, const WeightStore& weights,
                               const std::map<std::string, Tensor>& inputs, int threads,
                               const EngineOptions& engine) {
  GraphRunRequest request;
  request.graph = &model.graph();
  request.weights = &weights;
  request.inputs = &inputs;
  if (is_onnx_file(model.spec().file)) request.onnx_file = model.spec().file;
  request.precision = model.precision();
  request.threads = threads;
  request.optimization = engine.optimization;
  request.execution = engine.execution;
  request.timeout_seconds = engine.timeout_seconds;
  return request;
}

double median_or_zero(const std::vector<double>& values) {
  return values.empty() ? 0 : profile::summarize(values).median;
}

// The engine's nodes per layer: each layer's step takes the nodes that compute it alone; a node that fused
// several layers is timed on the first of them (its anchor), the others show it as what they were fused into.
struct LayerAssignment {
  std::map<int, std::vector<int>> engine_nodes_of_step;  // step -> engine nodes timed there
  std::map<int, std::string> implementation;             // step -> what the engine ran for it
};

LayerAssignment assign(const std::vector<Step>& steps, const GraphRunResult& result,
                       std::vector<Step>& extra_steps) {
  LayerAssignment assignment;
  std::map<std::string, int> step_of_layer;
  for (std::size_t s = 0; s < steps.size(); ++s)
    if (steps[s].kind == Step::Kind::node) step_of_layer[steps[s].name] = static_cast<int>(s);
  std::map<int, std::vector<std::string>> ops_of_step;
  for (std::size_t n = 0; n < result.nodes.size(); ++n) {
    const EngineNode& node = result.nodes[n];
    if (node.layers.empty()) {  // nothing ties it to a layer: a step of its own
      Step step;
      step.kind = Step::Kind::convert;
      step.name = "onnxruntime:" + node.name;
      step.op = node.op;
      step.backend = "onnxruntime";
      step.implementation = fmt::format("{} (inserted by ONNX Runtime)", node.op);
      extra_steps.push_back(step);
      assignment.engine_nodes_of_step[static_cast<int>(steps.size() + extra_steps.size() - 1)].push_back(
          static_cast<int>(n));
      continue;
    }
    const int anchor = step_of_layer.at(node.layers.front());
    assignment.engine_nodes_of_step[anchor].push_back(static_cast<int>(n));
    if (node.layers.size() == 1) {
      // The engine's own rewrites say so: "Conv (conv1_nchwc)"; a node tied by its neighbour, "(by
      // neighbour)".
      const std::string& layer = node.layers.front();
      const bool rewritten = node.name.size() > layer.size() && node.name.rfind(layer + "_", 0) == 0;
      ops_of_step[anchor].push_back(node.mapped_by == "neighbour" ? node.op + " (by neighbour)"
                                    : rewritten                   ? fmt::format("{} ({})", node.op, node.name)
                                                                  : node.op);
      continue;
    }
    ops_of_step[anchor].push_back(
        node.name == node.layers.front()
            ? fmt::format("{} [{}]", node.op, fmt::join(node.layers, "+"))
            : fmt::format("{} ({}) [{}]", node.op, node.name, fmt::join(node.layers, "+")));
    for (std::size_t l = 1; l < node.layers.size(); ++l)
      assignment.implementation[step_of_layer.at(node.layers[l])] =
          fmt::format("fused into {} ({})", node.layers.front(), node.op);
  }
  // "MatMul x6 + Add x3 + Softmax": each op once, in order of first appearance, with its count.
  for (const auto& [step, ops] : ops_of_step) {
    std::vector<std::pair<std::string, int>> counted;
    for (const std::string& op : ops) {
      const auto found =
          std::find_if(counted.begin(), counted.end(), [&](const auto& c) { return c.first == op; });
      if (found == counted.end())
        counted.emplace_back(op, 1);
      else
        ++found->second;
    }
    std::vector<std::string> parts;
    for (const auto& [op, count] : counted)
      parts.push_back(count == 1 ? op : fmt::format("{} x{}", op, count));
    assignment.implementation[step] = fmt::format("{}", fmt::join(parts, " + "));
  }
  return assignment;
}

nlohmann::json engine_section(const GraphRunResult& result, const EngineOptions& engine) {
  nlohmann::json nodes = nlohmann::json::array();
  nlohmann::json fused = nlohmann::json::array();
  for (const EngineNode& node : result.nodes) {
    nodes.push_back({{"name", node.name},
                     {"op", node.op},
                     {"provider", node.provider},
                     {"layers", node.layers},
                     {"mapped_by", node.mapped_by},
                     {"median_ms", median_or_zero(node.run_ms)}});
    if (node.layers.size() > 1)
      fused.push_back({{"node", node.name}, {"op", node.op}, {"layers", node.layers}});
  }
  nlohmann::json section = {
      {"version", result.engine_version},
      {"optimization", engine.optimization},
      {"execution", engine.execution},
      {"session", result.settings},
      {"engine_nodes", nodes},
      {"fused", fused},
      {"how",
       "ONNX Runtime's CPU provider ran the graph in a Node.js process (onnxruntime-node): latency is timed "
       "there around each session.run, in a session without the profiler; layer times come from a second "
       "session with ONNX Runtime's profiler (each node's kernel time, per run), its nodes tied to layers "
       "by the values they write, then by name (mapped_by); a node that fused several layers is timed on "
       "the first of them, and the others say what they were fused into"}};
  if (!result.profiled_latency_ms.empty()) {
    const double plain = median_or_zero(result.latency_ms);
    const double profiled = median_or_zero(result.profiled_latency_ms);
    section["profiler"] = {
        {"iterations", result.profiled_latency_ms.size()},
        {"latency_median_ms", profiled},
        {"unprofiled_latency_median_ms", plain},
        {"overhead_share", plain > 0 ? profiled / plain - 1 : 0},
        {"how",
         "the profiled session's end-to-end median against the unprofiled one's, same inputs and "
         "threads: what timing every node cost"}};
  }
  return section;
}

}  // namespace

void check_engine_options(const EngineOptions& options) {
  const std::vector<std::string> levels = {"disable", "basic", "extended", "all"};
  if (std::find(levels.begin(), levels.end(), options.optimization) == levels.end())
    refuse_setting(fmt::format("--ort-opt {}: no such optimisation level", options.optimization),
                   "levels: disable, basic, extended, all (ONNX Runtime's GraphOptimizationLevel)");
  if (options.execution != "sequential" && options.execution != "parallel")
    refuse_setting(fmt::format("--ort-execution {}: no such execution mode", options.execution),
                   "modes: sequential, parallel (ONNX Runtime's ExecutionMode)");
  if (!(options.timeout_seconds > 0))
    refuse_setting(fmt::format("--engine-timeout {} is not a number of seconds", options.timeout_seconds),
                   "give seconds > 0");
}

ProfiledRun run_on_engine(const Model& model, const ProfileOptions& options, const Backend& backend) {
  require_engine_can(model, options, backend.name());  // run() has checked the options themselves
  const Graph& graph = model.graph();
  const int streams = options.mode == "throughput" ? options.streams : 1;
  const GraphAnalysis analysis = analyze(graph, model.precision());
  // NTP holds the weights it exports; the engine, in its own process, one copy per stream.
  const MemoryHolders holders{streams, 1.0 + streams};
  require_memory(graph, analysis, holders);
  const WeightStore weights = model.weights(options.seed);
  const std::map<std::string, Tensor> inputs = model.inputs(options.seed);
  if (options.control.progress) options.control.progress({"measuring on onnxruntime", 0, 0, 0, -1, -1});

  GraphRunRequest request = engine_request(model, weights, inputs, options.threads, options.engine);
  request.warmup = options.warmup;
  request.iterations = options.iterations;
  request.time_seconds = options.time_seconds;
  request.throughput = options.mode == "throughput";
  request.streams = streams;
  request.layer_timing = options.layer_timing;
  request.trace_iterations = options.trace_iterations;
  request.stop = options.control.stop;
  const GraphRunResult result = backend.run_graph(request);
  if (result.latency_ms.empty()) throw Interrupted("measuring on onnxruntime");

  runtime::Measurements measurements;
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    const Node& node = graph.nodes[n];
    Step step;
    step.node = static_cast<int>(n);
    step.name = node.name;
    step.backend = backend.name();
    step.precision = std::string(dtype_name(model.precision()));
    if (node.is_op()) {
      step.op = node.op;
    } else {
      step.kind = node.kind == NodeKind::segment_begin ? Step::Kind::segment_begin : Step::Kind::segment_end;
      step.op = "marker";
    }
    measurements.steps.push_back(step);
  }
  std::vector<Step> extra_steps;
  const LayerAssignment assignment = assign(measurements.steps, result, extra_steps);
  const std::size_t graph_steps = measurements.steps.size();
  measurements.steps.insert(measurements.steps.end(), extra_steps.begin(), extra_steps.end());
  // int8 runs quantise only some layers (quantize.h): the others say fp32.
  const nlohmann::json quantized = result.settings.contains("quantization")
                                       ? result.settings["quantization"]["quantized"]
                                       : nlohmann::json();
  for (std::size_t s = 0; s < graph_steps; ++s)
    if (Step& step = measurements.steps[s]; step.kind == Step::Kind::node) {
      const auto found = assignment.implementation.find(static_cast<int>(s));
      step.implementation =
          found != assignment.implementation.end() ? found->second : "(no node in ONNX Runtime's profile)";
      if (quantized.is_array())
        step.precision = std::find(quantized.begin(), quantized.end(), step.name) != quantized.end() ||
                                 step.implementation.find("Quantize") != std::string::npos
                             ? "int8"
                             : "fp32";
    }
  for (double ms : result.latency_ms)
    measurements.latency_seconds.push_back(ms * 1e-3);
  measurements.cold_seconds = result.cold_ms * 1e-3;
  measurements.wall_seconds = result.wall_seconds;
  measurements.inferences = result.inferences;
  measurements.stopped_by = result.stopped_by == "time"          ? StopReason::time
                            : result.stopped_by == "interrupted" ? StopReason::interrupted
                                                                 : StopReason::iterations;
  const std::size_t profiled = result.profiled_latency_ms.size();
  if (options.layer_timing && profiled > 0) {
    measurements.step_seconds.assign(measurements.steps.size(), std::vector<double>(profiled, 0.0));
    for (const auto& [step, engine_nodes] : assignment.engine_nodes_of_step)
      for (const int n : engine_nodes) {
        const std::vector<double>& run_ms = result.nodes[static_cast<std::size_t>(n)].run_ms;
        for (std::size_t i = 0; i < profiled && i < run_ms.size(); ++i)
          measurements.step_seconds[static_cast<std::size_t>(step)][i] += run_ms[i] * 1e-3;
      }
    for (std::size_t s = 0; s < graph_steps; ++s)
      if (measurements.steps[s].kind != Step::Kind::node) measurements.step_seconds[s].clear();
    // A segment's time: the sum of its layers' (the engine's nodes run back to back). The graph's steps are
    // its nodes, in order, so node indices are step indices.
    for (const Segment& segment : graph.segments()) {
      measurements.segment_steps.emplace_back(segment.begin_node, segment.end_node);
      std::vector<double> seconds(profiled, 0.0);
      for (const int layer : segment.op_nodes)
        for (std::size_t i = 0; i < profiled; ++i)
          seconds[i] += measurements.step_seconds[static_cast<std::size_t>(layer)][i];
      measurements.segment_seconds.push_back(std::move(seconds));
    }
    std::map<int, int> step_of_engine_node;
    for (const auto& [step, engine_nodes] : assignment.engine_nodes_of_step)
      for (const int n : engine_nodes)
        step_of_engine_node[n] = step;
    for (const EngineTraceEvent& event : result.trace)
      measurements.timeline.push_back({runtime::TracePhase::measured, step_of_engine_node.at(event.node),
                                       event.iteration, 0, event.begin_us, event.end_us});
  }

  runtime::RunOptions run_options;
  run_options.warmup = options.warmup;
  run_options.stopping.iterations = options.iterations;
  run_options.stopping.time_seconds = options.time_seconds;
  run_options.throughput = options.mode == "throughput";
  run_options.streams = streams;
  run_options.threads = options.threads;
  run_options.layer_timing = options.layer_timing;
  run_options.trace_iterations = options.trace_iterations;
  const RunSettings settings{options.command_line,  backend.name(),
                             result.engine_version, std::string(dtype_name(model.precision())),
                             options.threads,       options.seed,
                             options.mode,          run_options,
                             result.session_seconds};
  RunRecord record = make_run_record(graph, analysis, measurements, settings);
  record.memory.estimate_bytes = run_memory_bytes(analysis, holders);
  record.context.label = options.label;
  if (profiled > 0) {
    // The layers were timed in the profiled session: its end-to-end times are what they add up against.
    std::vector<double> residual;
    for (std::size_t i = 0; i < profiled; ++i) {
      double attributed = 0;
      for (const std::vector<double>& step : measurements.step_seconds)
        attributed += step.empty() ? 0 : step[i];
      residual.push_back(result.profiled_latency_ms[i] - attributed * 1e3);
    }
    const double residual_ms = median_or_zero(residual);
    const double profiled_median = median_or_zero(result.profiled_latency_ms);
    record.instrumentation.timer_overhead_ns_per_step = 0;
    record.instrumentation.overhead_ms_per_inference = profiled_median - median_or_zero(result.latency_ms);
    record.instrumentation.residual_ms = residual_ms;
    record.instrumentation.residual_share = profiled_median > 0 ? residual_ms / profiled_median : 0;
    record.instrumentation.how =
        "layers timed by ONNX Runtime's profiler in a second session run as often as the measured one; "
        "residual: median over those runs of the end-to-end time minus the sum of the node kernel times "
        "(the session's own work: binding inputs and outputs, scheduling); overhead: the profiled "
        "session's median latency minus the unprofiled one's";
  }
  record.memory.before = {0, result.rss_before, 0};
  record.memory.after = {0, result.rss_after, result.peak_rss};
  record.memory.how =
      "the engine's process (Node.js with ONNX Runtime): rss_bytes resident before its session was created "
      "and after the measured runs, peak_rss_bytes its high-water mark (getrusage ru_maxrss, the Node.js "
      "runtime's own ~40 MiB included); heap_bytes and per-layer memory are not observed there";
  record.sections["onnxruntime"] = engine_section(result, options.engine);
  return {std::move(record), nullptr, nullptr};
}

CheckRecord check_on_engine(const Model& model, const CheckOptions& options, const Backend& backend) {
  ProfileOptions as_run;
  as_run.places = options.places;
  as_run.placement_file = options.placement_file;
  require_engine_can(model, as_run, backend.name());
  check_engine_options(options.engine);
  const Graph& graph = model.graph();
  model.require_memory_for({2, 2});
  const WeightStore weights = model.weights(options.seed);
  const std::map<std::string, Tensor> inputs = model.inputs(options.seed);
  Executable reference(graph, reference_backend(), {DType::f32, options.threads, &weights});
  reference.run(inputs, nullptr);
  GraphRunRequest request = engine_request(model, weights, inputs, options.threads, options.engine);
  request.warmup = 0;
  request.iterations = 0;
  request.layer_timing = false;
  request.want_outputs = true;
  // NTP's export returns every layer's output; a user's ONNX file runs as given, its graph outputs alone.
  request.every_layer_output = request.onnx_file.empty();
  const GraphRunResult result = backend.run_graph(request);

  CheckRecord record;
  record.topology = graph.name;
  record.backend = backend.name();
  record.precision = std::string(dtype_name(model.precision()));
  record.tolerance = options.tolerance > 0 ? options.tolerance : check_tolerance(model.precision());
  record.seed = options.seed;
  for (const Node& node : graph.nodes) {
    if (!node.is_op()) continue;
    const auto returned = [&](int value) -> std::optional<Tensor> {
      const auto found = result.outputs.find(graph.values[static_cast<std::size_t>(value)].name);
      if (found == result.outputs.end()) return std::nullopt;
      if (const Shape& expected = graph.values[static_cast<std::size_t>(value)].shape;
          found->second.shape() != expected)
        throw UserError(
            kCommandLine,
            fmt::format("ONNX Runtime's output '{}' has the shape {}, the reference's {}", found->first,
                        shape_to_string(found->second.shape()), shape_to_string(expected)),
            "the exported model disagrees with NTP's shapes: please report it");
      return found->second;
    };
    if (auto layer = check_layer(reference, node, backend.name(), false, record.tolerance, returned))
      record.layers.push_back(std::move(*layer));
  }
  if (record.layers.empty())
    throw UserError(kCommandLine, "ONNX Runtime returned none of the graph's outputs", "please report it");
  return record;
}

}  // namespace ntp::session
