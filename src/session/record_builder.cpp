#include "record_builder.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "host_context.h"
#include "ntp/limits.h"
#include "profile/quality.h"
#include "profile/statistics.h"
#include "report/aggregate.h"

namespace ntp::session {

namespace {

TimeStatistics statistics_ms(const std::vector<double>& seconds) {
  const profile::Summary s = profile::summarize(seconds);
  TimeStatistics statistics;
  statistics.count = s.count;
  statistics.min = s.min * 1e3;
  statistics.median = s.median * 1e3;
  statistics.mean = s.mean * 1e3;
  statistics.p90 = s.p90 * 1e3;
  statistics.p99 = s.p99 * 1e3;
  statistics.max = s.max * 1e3;
  statistics.stddev = s.stddev * 1e3;
  statistics.cv = s.cv;
  return statistics;
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
std::map<std::string, double> derived_metrics(const std::map<std::string, double>& counts, double seconds) {
  std::map<std::string, double> derived;
  const auto count = [&](const char* event) {
    const auto found = counts.find(event);
    return found == counts.end() ? std::optional<double>() : std::optional<double>(found->second);
  };
  const auto ratio = [&](const char* key, const char* numerator, const char* denominator) {
    const auto above = count(numerator);
    const auto below = count(denominator);
    if (above && below && *below > 0) derived[key] = *above / *below;
  };
  ratio("ipc", "instructions", "cycles");
  ratio("l1d_miss_rate", "L1-dcache-load-misses", "L1-dcache-loads");
  ratio("llc_miss_rate", "LLC-load-misses", "LLC-loads");
  ratio("cache_miss_rate", "cache-misses", "cache-references");
  ratio("frontend_stall_share", "stalled-cycles-frontend", "cycles");
  ratio("backend_stall_share", "stalled-cycles-backend", "cycles");
  if (seconds > 0) {
    // task-clock counts CPU nanoseconds over all threads: per wall second, the cores the layer kept busy.
    if (const auto task_clock = count("task-clock")) derived["cores_busy"] = *task_clock * 1e-9 / seconds;
    // Every last-level miss brings one 64-byte line from DRAM: a lower bound on the layer's DRAM reads.
    if (const auto misses = count("LLC-load-misses"))
      derived["dram_read_gbytes_per_second"] = *misses * 64 / seconds * 1e-9;
  }
  return derived;
}

MemoryState memory_state(const profile::MemoryReading& reading) {
  return {static_cast<std::int64_t>(reading.heap_bytes), static_cast<std::int64_t>(reading.rss_bytes),
          static_cast<std::int64_t>(reading.peak_rss_bytes)};
}

std::string counters_how(const runtime::CounterMeasurements& counted) {
  return counted.source == "papi"
             ? "PAPI (--tool papi): one event set on the thread that runs the graph, inheriting to threads "
               "it "
               "starts later where the kernel allows, read at every step's begin and end on stream 0; each "
               "layer's figure is the median over measured iterations of the difference"
             : "perf_event_open, one group per thread of the process (those it had after warm-up), read at "
               "every step's begin and end on stream 0; each layer's figure is the median over measured "
               "iterations of the difference, summed over threads, scaled by time enabled / time running "
               "where the kernel multiplexed (running_fraction below 1)";
}

}  // namespace

RunRecord make_run_record(const Graph& graph, const GraphAnalysis& analysis,
                          const runtime::Measurements& measurements, const RunSettings& settings) {
  const runtime::RunOptions& options = settings.options;
  RunRecord record;
  record.context = host_context();
  record.context.command_line = settings.command_line;
  record.context.libraries = {{settings.backend, settings.backend_version}};
  record.topology = {graph.name, graph.source, {graph.params.begin(), graph.params.end()}};
  const std::int64_t batch = graph.params.count("batch") != 0 ? std::stoll(graph.params.at("batch")) : 1;
  const StoppingRule& stopping = options.stopping;
  record.options = {settings.backend,
                    settings.precision,
                    batch,
                    settings.threads,
                    settings.seed,
                    settings.mode,
                    options.streams,
                    options.warmup,
                    stopping.iterations,
                    stopping.time_seconds,
                    stopping.min_time_seconds,
                    stopping.max_time_seconds,
                    stopping.precision_target,
                    options.layer_timing,
                    options.trace_iterations,
                    options.trace_warmup};
  record.compile_seconds = settings.compile_seconds;

  const profile::Summary latency = profile::summarize(measurements.latency_seconds);
  record.latency.ms = statistics_ms(measurements.latency_seconds);
  record.latency.cold_ms = measurements.cold_seconds * 1e3;
  std::vector<double> sorted_ms = to_ms(measurements.latency_seconds);
  std::sort(sorted_ms.begin(), sorted_ms.end());
  if (const profile::MedianInterval interval = profile::median_interval(sorted_ms); interval.valid)
    record.latency.median_interval = {interval.low, interval.high, interval.coverage,
                                      interval.relative_half_width};
  record.latency.stopped_by = stop_reason_name(measurements.stopped_by);
  record.latency.how = fmt::format(
      "end-to-end wall time of each of {} measured inferences after {} warm-up; cold is the first inference; "
      "stopped_by: what ended the measured iterations (interrupted: the record is partial); median_interval: "
      "a distribution-free 95% confidence interval for the median, from the order statistics",
      latency.count, options.warmup);
  record.quality = profile::assess_quality(to_ms(measurements.latency_seconds), measurements.measured_usage,
                                           measurements.load_average, static_cast<int>(record.context.cores),
                                           settings.threads);
  record.quality->how =
      "cv and max_over_median of the measured latencies; bimodal: the widest gap between neighbouring sorted "
      "samples, at least 1.5 times, with 10% of them on each side; load_average: /proc/loadavg's 1-minute "
      "figure at the end of the measured phase, which counts this run's own threads; "
      "involuntary_switches_per_second: getrusage's ru_nivcsw over the measured phase, all threads. A "
      "warning past: cv 10%, max 3 times the median, bimodal, a load of one task more than the run's "
      "threads, "
      "50 preemptions a second, more threads than cores, a precision target not reached, an interrupted run";
  if (measurements.stopped_by == StopReason::max_time && stopping.precision_target > 0)
    record.quality->warnings.push_back(fmt::format(
        "the precision target (+-{:.3g}%) was not reached in {:.3g} s: the median's 95% interval is {}",
        stopping.precision_target * 100, measurements.wall_seconds,
        record.latency.median_interval
            ? fmt::format("+-{:.3g}%", record.latency.median_interval->relative_half_width * 100)
            : "not yet defined (fewer than 6 samples)"));
  if (measurements.stopped_by == StopReason::interrupted)
    record.quality->warnings.push_back(
        fmt::format("interrupted after {} measured {}: the figures are partial", latency.count,
                    latency.count == 1 ? "inference" : "inferences"));
  const double inferences_per_second =
      measurements.wall_seconds > 0 ? static_cast<double>(measurements.inferences) / measurements.wall_seconds
                                    : 0;
  record.throughput = {inferences_per_second,
                       inferences_per_second * static_cast<double>(batch),
                       options.streams,
                       measurements.inferences,
                       measurements.wall_seconds,
                       "measured inferences of all streams over the wall time of the measured phase"};
  record.latency_samples_ms = to_ms(measurements.latency_seconds);

  std::map<int, const NodeAnalysis*> cost_of_node;
  for (const NodeAnalysis& node : analysis.nodes)
    cost_of_node[node.node] = &node;
  const bool timed = !measurements.step_seconds.empty();
  const double e2e_median = latency.median;
  std::vector<double> attributed(measurements.latency_seconds.size(), 0.0);
  const runtime::CounterMeasurements& counted = measurements.counters;
  for (std::size_t s = 0; s < measurements.steps.size(); ++s) {
    const Step& step = measurements.steps[s];
    if (step.kind == Step::Kind::segment_begin || step.kind == Step::Kind::segment_end) continue;
    NodeRecord node;
    node.step = s;
    node.name = step.name;
    node.op = step.op;
    node.kind = step_kind(graph, step);
    node.backend = step.backend;
    node.implementation = step.implementation;
    node.precision = step.precision;
    node.fallback = step.fallback;
    const NodeAnalysis* cost = step.kind == Step::Kind::node ? cost_of_node[step.node] : nullptr;
    if (cost != nullptr)
      node.cost = NodeCostRecord{graph.descriptor(step.node), cost->cost.flops, cost->cost.bytes_moved(),
                                 cost->params};
    if (timed) {
      const std::vector<double>& samples = measurements.step_seconds[s];
      const profile::Summary time = profile::summarize(samples);
      NodeTiming timing;
      timing.ms = statistics_ms(samples);
      timing.samples_ms = to_ms(samples);
      timing.share = e2e_median > 0 ? time.median / e2e_median : 0;
      if (cost != nullptr && time.median > 0) {
        timing.gflops_per_second = cost->cost.flops / time.median * 1e-9;
        timing.gbytes_per_second = cost->cost.bytes_moved() / time.median * 1e-9;
      }
      node.time = std::move(timing);
      for (std::size_t i = 0; i < samples.size() && i < attributed.size(); ++i)
        attributed[i] += samples[i];
    }
    if (s < measurements.cold_memory.size()) {
      node.cold_memory = memory_state(measurements.cold_memory[s]);
      if (s < measurements.warm_memory.size()) node.warm_memory = memory_state(measurements.warm_memory[s]);
    }
    // The library's own timing of the node, where its kernel keeps one (OpenCV's layer ticks).
    if (s < measurements.step_library_ms.size() && !measurements.step_library_ms[s].empty()) {
      const profile::Summary library = profile::summarize(measurements.step_library_ms[s]);
      node.library_time = LibraryTime{
          library.median, library.count, "median",
          "the library's own timer for the layers this node was built from, summed, read after each measured "
          "iteration (stream 0); median over iterations"};
    }
    if (!counted.events.empty()) {
      std::map<std::string, double> counts;
      for (std::size_t e = 0; e < counted.events.size(); ++e)
        if (!counted.step_values[s][e].empty())
          counts[counted.events[e]] = median_of(counted.step_values[s][e]);
      const double seconds = timed ? profile::summarize(measurements.step_seconds[s]).median : 0;
      node.derived = derived_metrics(counts, seconds);
      node.counters = std::move(counts);
    }
    record.nodes.push_back(std::move(node));
  }

  for (std::size_t g = 0; g < measurements.segment_steps.size(); ++g) {
    const auto [first, last] = measurements.segment_steps[g];
    const Step& begin = measurements.steps[static_cast<std::size_t>(first)];
    SegmentRecord segment;
    segment.name = begin.name;
    segment.tool = graph.nodes[static_cast<std::size_t>(begin.node)].tool;
    for (int s = first + 1; s < last; ++s)
      if (measurements.steps[static_cast<std::size_t>(s)].kind == Step::Kind::node)
        segment.layers.push_back(measurements.steps[static_cast<std::size_t>(s)].name);
    if (timed) {
      const profile::Summary time = profile::summarize(measurements.segment_seconds[g]);
      segment.time_ms = statistics_ms(measurements.segment_seconds[g]);
      segment.share = e2e_median > 0 ? time.median / e2e_median : 0;
    }
    record.segments.push_back(std::move(segment));
  }

  InstrumentationRecord& instrumentation = record.instrumentation;
  instrumentation.layer_timing = timed;
  instrumentation.timer_overhead_ns_per_step = measurements.timer_overhead_ns;
  instrumentation.steps = measurements.steps.size();
  if (timed) {
    std::vector<double> residual;
    for (std::size_t i = 0; i < attributed.size(); ++i)
      residual.push_back(measurements.latency_seconds[i] - attributed[i]);
    const profile::Summary residual_summary = profile::summarize(residual);
    instrumentation.overhead_ms_per_inference =
        measurements.timer_overhead_ns * static_cast<double>(measurements.steps.size()) * 1e-6;
    instrumentation.residual_ms = residual_summary.median * 1e3;
    instrumentation.residual_share = e2e_median > 0 ? residual_summary.median / e2e_median : 0;
    instrumentation.how =
        "residual: median over iterations of end-to-end time minus the sum of all timed steps; overhead: "
        "calibrated cost of one begin/end timer pair times the number of steps";
  }
  if (!counted.events.empty() || !counted.unavailable.empty()) {
    CountersRecord counters;
    counters.events = counted.events;
    for (const auto& [event, reason] : counted.unavailable)
      counters.unavailable.push_back({event, reason});
    counters.threads = counted.threads;
    counters.running_fraction = counted.running_fraction;
    counters.source = counted.source;
    counters.groups = counted.groups;
    counters.scheduling =
        counted.groups.size() > 1
            ? fmt::format(
                  "{} events in {} groups of at most {} hardware events: measured iteration i counted "
                  "group i mod {}, so each event's figure is the median over the iterations its group "
                  "counted (every {}th)",
                  counted.events.size(), counted.groups.size(), counted.group_size, counted.groups.size(),
                  counted.groups.size())
            : std::string("one group: every event counted in every measured iteration");
    counters.how = counters_how(counted);
    record.counters = std::move(counters);
  }

  record.memory = {
      memory_state(measurements.memory_before), memory_state(measurements.memory_after),
      "heap_bytes: bytes in use in glibc malloc's arenas and mmapped blocks (mallinfo2 uordblks + hblkhd); "
      "rss_bytes: resident pages (/proc/self/statm); peak_rss_bytes: the process's high-water mark "
      "(getrusage ru_maxrss). Per node, the change from the step's begin to its end, in the cold inference "
      "(cold: first-touch, lazy initialisation, the library's caches) and in the last warm-up iteration "
      "(warm: what each inference allocates and keeps; the measured iterations are not observed, reading "
      "costs microseconds); net changes, so memory allocated and freed inside a step does not show. Memory "
      "a library takes outside malloc (its own mmap) shows in rss_bytes only"};

  for (const runtime::TraceEvent& event : measurements.timeline) {
    const Step& step = measurements.steps[static_cast<std::size_t>(event.step)];
    record.timeline.push_back({runtime::trace_phase_name(event.phase), step.name,
                               step.kind == Step::Kind::node      ? "layer"
                               : step.kind == Step::Kind::convert ? "convert"
                                                                  : "marker",
                               event.iteration, event.stream, event.begin_us, event.end_us});
  }
  if (measurements.timeline_truncated)
    record.sections["trace"] = {
        {"truncated", true},
        {"how", fmt::format("the timeline holds at most {} steps (limits::kMaxTraceEvents); the later "
                            "iterations are left out of it, not out of the statistics",
                            limits::kMaxTraceEvents)}};
  // Per op type and per module of the name hierarchy, from the nodes above: what big graphs are read by.
  record.sections["aggregates"] = report::aggregates_json(report::aggregate_run(record.to_json()));
  return record;
}

}  // namespace ntp::session
