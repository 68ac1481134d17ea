#include "run_record.h"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

#include "host_context.h"
#include "profile/statistics.h"

namespace ntp::report {

namespace {

nlohmann::json summary_ms(const std::vector<double>& seconds) {
  const profile::Summary s = profile::summarize(seconds);
  return {{"count", s.count},     {"min", s.min * 1e3},       {"median", s.median * 1e3},
          {"mean", s.mean * 1e3}, {"p90", s.p90 * 1e3},       {"p99", s.p99 * 1e3},
          {"max", s.max * 1e3},   {"stddev", s.stddev * 1e3}, {"cv", s.cv}};
}

std::vector<double> to_ms(const std::vector<double>& seconds) {
  std::vector<double> ms;
  ms.reserve(seconds.size());
  for (const double value : seconds)
    ms.push_back(value * 1e3);
  return ms;
}

// "layer", "inlay" (a pipeline stage outside the network) or "convert" (inserted by the executable).
const char* step_kind(const Graph& graph, const Step& step) {
  if (step.kind == Step::Kind::convert) return "convert";
  return graph.nodes[static_cast<std::size_t>(step.node)].is_inlay() ? "inlay" : "layer";
}

double median_of(std::vector<double> values) {
  return values.empty() ? 0 : profile::summarize(values).median;
}

// Ratios of counters that say why a layer costs what it does; only those whose events were counted.
nlohmann::json derived_metrics(const nlohmann::json& counts, double seconds) {
  nlohmann::json derived = nlohmann::json::object();
  const auto ratio = [&](const char* key, const char* numerator, const char* denominator) {
    if (counts.contains(numerator) && counts.contains(denominator) && counts[denominator].get<double>() > 0)
      derived[key] = counts[numerator].get<double>() / counts[denominator].get<double>();
  };
  ratio("ipc", "instructions", "cycles");
  ratio("l1d_miss_rate", "L1-dcache-load-misses", "L1-dcache-loads");
  ratio("llc_miss_rate", "LLC-load-misses", "LLC-loads");
  ratio("cache_miss_rate", "cache-misses", "cache-references");
  ratio("frontend_stall_share", "stalled-cycles-frontend", "cycles");
  ratio("backend_stall_share", "stalled-cycles-backend", "cycles");
  if (seconds > 0) {
    // task-clock counts CPU nanoseconds over all threads: per wall second, the cores the layer kept busy.
    if (counts.contains("task-clock"))
      derived["cores_busy"] = counts["task-clock"].get<double>() * 1e-9 / seconds;
    // Every last-level miss brings one 64-byte line from DRAM: a lower bound on the layer's DRAM reads.
    if (counts.contains("LLC-load-misses"))
      derived["dram_read_gbytes_per_second"] = counts["LLC-load-misses"].get<double>() * 64 / seconds * 1e-9;
  }
  return derived;
}

nlohmann::json memory_json(const profile::MemoryReading& reading) {
  return {{"heap_bytes", reading.heap_bytes},
          {"rss_bytes", reading.rss_bytes},
          {"peak_rss_bytes", reading.peak_rss_bytes}};
}

}  // namespace

nlohmann::json make_run_record(const Graph& graph, const GraphAnalysis& analysis,
                               const runtime::Measurements& measurements, const RunSettings& settings) {
  const runtime::RunOptions& options = settings.options;
  nlohmann::json record;
  record["schema"] = "ntp.run/1";
  nlohmann::json context = host_context();
  context["command_line"] = settings.command_line;
  context["libraries"] = {{settings.backend, settings.backend_version}};
  record["context"] = context;
  record["topology"] = {{"name", graph.name}, {"source", graph.source}, {"params", graph.params}};
  const std::int64_t batch = graph.params.count("batch") != 0 ? std::stoll(graph.params.at("batch")) : 1;
  record["options"] = {{"backend", settings.backend},
                       {"precision", settings.precision},
                       {"batch", batch},
                       {"threads", settings.threads},
                       {"seed", settings.seed},
                       {"mode", settings.mode},
                       {"streams", options.streams},
                       {"warmup", options.warmup},
                       {"iterations", options.iterations},
                       {"time_seconds", options.time_seconds},
                       {"layer_timing", options.layer_timing}};
  record["compile_seconds"] = settings.compile_seconds;

  const profile::Summary latency = profile::summarize(measurements.latency_seconds);
  nlohmann::json latency_json = summary_ms(measurements.latency_seconds);
  latency_json["unit"] = "ms";
  latency_json["cold"] = measurements.cold_seconds * 1e3;
  latency_json["how"] = fmt::format(
      "end-to-end wall time of each of {} measured inferences after {} warm-up; cold is "
      "the first inference",
      latency.count, options.warmup);
  record["latency"] = latency_json;
  const double inferences_per_second =
      measurements.wall_seconds > 0 ? static_cast<double>(measurements.inferences) / measurements.wall_seconds
                                    : 0;
  record["throughput"] = {
      {"inferences_per_second", inferences_per_second},
      {"items_per_second", inferences_per_second * static_cast<double>(batch)},
      {"streams", options.streams},
      {"inferences", measurements.inferences},
      {"wall_seconds", measurements.wall_seconds},
      {"how", "measured inferences of all streams over the wall time of the measured phase"}};
  record["samples"] = {{"latency_ms", to_ms(measurements.latency_seconds)}};

  std::map<int, const NodeAnalysis*> cost_of_node;
  for (const NodeAnalysis& node : analysis.nodes)
    cost_of_node[node.node] = &node;
  const bool timed = !measurements.step_seconds.empty();
  const double e2e_median = latency.median;
  nlohmann::json nodes = nlohmann::json::array();
  std::vector<double> attributed(measurements.latency_seconds.size(), 0.0);
  for (std::size_t s = 0; s < measurements.steps.size(); ++s) {
    const Step& step = measurements.steps[s];
    if (step.kind == Step::Kind::segment_begin || step.kind == Step::Kind::segment_end) continue;
    nlohmann::json node = {{"step", s},
                           {"name", step.name},
                           {"op", step.op},
                           {"kind", step_kind(graph, step)},
                           {"backend", step.backend},
                           {"implementation", step.implementation},
                           {"fallback", step.fallback}};
    const NodeAnalysis* cost = step.kind == Step::Kind::node ? cost_of_node[step.node] : nullptr;
    if (cost != nullptr) {
      node["descriptor"] = graph.descriptor(step.node);
      node["flops"] = cost->cost.flops;
      node["bytes"] = cost->cost.bytes_moved();
      node["params"] = cost->params;
    }
    if (timed) {
      const std::vector<double>& samples = measurements.step_seconds[s];
      const profile::Summary time = profile::summarize(samples);
      node["time_ms"] = summary_ms(samples);
      node["samples_ms"] = to_ms(samples);
      node["share"] = e2e_median > 0 ? time.median / e2e_median : 0;
      if (cost != nullptr && time.median > 0) {
        node["gflops_per_second"] = cost->cost.flops / time.median * 1e-9;
        node["gbytes_per_second"] = cost->cost.bytes_moved() / time.median * 1e-9;
      }
      for (std::size_t i = 0; i < samples.size() && i < attributed.size(); ++i)
        attributed[i] += samples[i];
    }
    if (s < measurements.cold_memory.size()) {
      node["memory"] = {{"cold", memory_json(measurements.cold_memory[s])}};
      if (s < measurements.warm_memory.size())
        node["memory"]["warm"] = memory_json(measurements.warm_memory[s]);
    }
    // The library's own timing of the node, where its kernel keeps one (OpenCV's layer ticks).
    if (s < measurements.step_library_ms.size() && !measurements.step_library_ms[s].empty()) {
      const profile::Summary library = profile::summarize(measurements.step_library_ms[s]);
      node["library_ms"] = {{"median", library.median},
                            {"count", library.count},
                            {"statistic", "median"},
                            {"how",
                             "the library's own timer for the layers this node was built from, summed, read "
                             "after each measured iteration (stream 0); median over iterations"}};
    }
    const runtime::CounterMeasurements& counted = measurements.counters;
    if (!counted.events.empty()) {
      nlohmann::json counts = nlohmann::json::object();
      for (std::size_t e = 0; e < counted.events.size(); ++e)
        if (!counted.step_values[s][e].empty())
          counts[counted.events[e]] = median_of(counted.step_values[s][e]);
      const double seconds = timed ? profile::summarize(measurements.step_seconds[s]).median : 0;
      node["counters"] = counts;
      node["derived"] = derived_metrics(counts, seconds);
    }
    nodes.push_back(std::move(node));
  }
  record["nodes"] = std::move(nodes);

  nlohmann::json segments = nlohmann::json::array();
  for (std::size_t g = 0; g < measurements.segment_steps.size(); ++g) {
    const auto [first, last] = measurements.segment_steps[g];
    const Step& begin = measurements.steps[static_cast<std::size_t>(first)];
    nlohmann::json layers = nlohmann::json::array();
    for (int s = first + 1; s < last; ++s)
      if (measurements.steps[static_cast<std::size_t>(s)].kind == Step::Kind::node)
        layers.push_back(measurements.steps[static_cast<std::size_t>(s)].name);
    nlohmann::json segment = {{"name", begin.name},
                              {"tool", graph.nodes[static_cast<std::size_t>(begin.node)].tool},
                              {"layers", layers}};
    if (timed) {
      const profile::Summary time = profile::summarize(measurements.segment_seconds[g]);
      segment["time_ms"] = summary_ms(measurements.segment_seconds[g]);
      segment["share"] = e2e_median > 0 ? time.median / e2e_median : 0;
    }
    segments.push_back(std::move(segment));
  }
  record["segments"] = std::move(segments);

  nlohmann::json instrumentation = {{"layer_timing", timed},
                                    {"timer_overhead_ns_per_step", measurements.timer_overhead_ns},
                                    {"steps", measurements.steps.size()}};
  if (timed) {
    std::vector<double> residual;
    for (std::size_t i = 0; i < attributed.size(); ++i)
      residual.push_back(measurements.latency_seconds[i] - attributed[i]);
    const profile::Summary residual_summary = profile::summarize(residual);
    instrumentation["overhead_ms_per_inference"] =
        measurements.timer_overhead_ns * static_cast<double>(measurements.steps.size()) * 1e-6;
    instrumentation["residual_ms"] = residual_summary.median * 1e3;
    instrumentation["residual_share"] = e2e_median > 0 ? residual_summary.median / e2e_median : 0;
    instrumentation["how"] =
        "residual: median over iterations of end-to-end time minus the sum of all timed steps; overhead: "
        "calibrated "
        "cost of one begin/end timer pair times the number of steps";
  }
  record["instrumentation"] = instrumentation;
  const runtime::CounterMeasurements& counted = measurements.counters;
  if (!counted.events.empty() || !counted.unavailable.empty()) {
    nlohmann::json unavailable = nlohmann::json::array();
    for (const auto& [event, reason] : counted.unavailable)
      unavailable.push_back({{"event", event}, {"reason", reason}});
    record["counters"] = {
        {"events", counted.events},
        {"unavailable", unavailable},
        {"threads", counted.threads},
        {"running_fraction", counted.running_fraction},
        {"source", counted.source},
        {"groups", counted.groups},
        {"scheduling",
         counted.groups.size() > 1
             ? fmt::format(
                   "{} events in {} groups of at most {} hardware events: measured iteration i counted "
                   "group i mod {}, so each event's figure is the median over the iterations its group "
                   "counted (every {}th)",
                   counted.events.size(), counted.groups.size(), counted.group_size, counted.groups.size(),
                   counted.groups.size())
             : std::string("one group: every event counted in every measured iteration")},
        {"how",
         counted.source == "papi"
             ? "PAPI (--tool papi): one event set on the thread that runs the graph, inheriting to threads "
               "it "
               "starts later where the kernel allows, read at every step's begin and end on stream 0; each "
               "layer's figure is the median over measured iterations of the difference"
             : "perf_event_open, one group per thread of the process (those it had after warm-up), read at "
               "every step's begin and end on stream 0; each layer's figure is the median over measured "
               "iterations of the difference, summed over threads, scaled by time enabled / time running "
               "where the kernel multiplexed (running_fraction below 1)"}};
  }

  record["memory"] = {
      {"before", memory_json(measurements.memory_before)},
      {"after", memory_json(measurements.memory_after)},
      {"how",
       "heap_bytes: bytes in use in glibc malloc's arenas and mmapped blocks (mallinfo2 uordblks + hblkhd); "
       "rss_bytes: resident pages (/proc/self/statm); peak_rss_bytes: the process's high-water mark "
       "(getrusage ru_maxrss). Per node, the change from the step's begin to its end, in the cold inference "
       "(cold: first-touch, lazy initialisation, the library's caches) and in the last warm-up iteration "
       "(warm: what each inference allocates and keeps; the measured iterations are not observed, reading "
       "costs microseconds); net changes, so memory allocated and freed inside a step does not show. Memory "
       "a library takes outside malloc (its own mmap) shows in rss_bytes only"}};

  nlohmann::json timeline = nlohmann::json::array();
  for (const runtime::TraceEvent& event : measurements.timeline) {
    const Step& step = measurements.steps[static_cast<std::size_t>(event.step)];
    timeline.push_back({{"name", step.name},
                        {"kind", step.kind == Step::Kind::node      ? "layer"
                                 : step.kind == Step::Kind::convert ? "convert"
                                                                    : "marker"},
                        {"iteration", event.iteration},
                        {"stream", event.stream},
                        {"begin_us", event.begin_us},
                        {"end_us", event.end_us}});
  }
  record["timeline"] = std::move(timeline);
  // Per op type and per module of the name hierarchy, from the nodes above: what big graphs are read by.
  record["aggregates"] = aggregates_json(aggregate_run(record));
  return record;
}

}  // namespace ntp::report
