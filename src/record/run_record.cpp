#include "ntp/run_record.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <stdexcept>

#include "json_fields.h"
#include "ntp/status.h"

namespace ntp {

namespace {

using json = nlohmann::json;
using record_detail::integer_at;
using record_detail::integer_or;
using record_detail::optional_number;
using record_detail::schema_of;

// The keys of a record's top level that typed fields hold; every other key is a section.
const std::set<std::string> kTypedKeys = {"schema",          "context",  "topology",        "options",
                                          "compile_seconds", "latency",  "throughput",      "samples",
                                          "nodes",           "segments", "instrumentation", "counters",
                                          "memory",          "timeline", "quality"};
// The keys of a node that typed fields hold; every other key goes to its `extra`.
const std::set<std::string> kNodeKeys = {"step",
                                         "name",
                                         "op",
                                         "kind",
                                         "backend",
                                         "implementation",
                                         "precision",
                                         "fallback",
                                         "descriptor",
                                         "flops",
                                         "bytes",
                                         "params",
                                         "time_ms",
                                         "samples_ms",
                                         "share",
                                         "gflops_per_second",
                                         "gbytes_per_second",
                                         "memory",
                                         "library_ms",
                                         "counters",
                                         "derived"};
const std::set<std::string> kSegmentKeys = {"name", "tool", "layers", "time_ms", "share"};

// A field of the record that could not be read, with where it is ("nodes[3] 'conv1'").
struct MalformedField : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Runs `read`, naming `where` in what a malformed field throws.
template <class Read>
auto within(const std::string& where, Read&& read) {
  try {
    return read();
  } catch (const nlohmann::json::exception& error) {
    throw MalformedField(fmt::format("{}: {}", where, error.what()));
  } catch (const record_detail::FieldError& error) {
    throw MalformedField(fmt::format("{}: {}", where, error.what()));
  }
}

json statistics_json(const TimeStatistics& s) {
  return {{"count", s.count}, {"min", s.min}, {"median", s.median}, {"mean", s.mean}, {"p90", s.p90},
          {"p99", s.p99},     {"max", s.max}, {"stddev", s.stddev}, {"cv", s.cv}};
}

TimeStatistics statistics_of(const json& j) {
  TimeStatistics s;
  s.count = integer_at<std::uint64_t>(j, "count");
  s.min = j.at("min").get<double>();
  s.median = j.at("median").get<double>();
  s.mean = j.at("mean").get<double>();
  s.p90 = j.at("p90").get<double>();
  s.p99 = j.at("p99").get<double>();
  s.max = j.at("max").get<double>();
  s.stddev = j.at("stddev").get<double>();
  s.cv = j.at("cv").get<double>();
  return s;
}

json memory_json(const MemoryState& m) {
  return {{"heap_bytes", m.heap_bytes}, {"rss_bytes", m.rss_bytes}, {"peak_rss_bytes", m.peak_rss_bytes}};
}

MemoryState memory_of(const json& j) {
  return {integer_at<std::int64_t>(j, "heap_bytes"), integer_at<std::int64_t>(j, "rss_bytes"),
          integer_at<std::int64_t>(j, "peak_rss_bytes")};
}

// The keys of `object` outside `typed`, as an object.
json untyped_keys(const json& object, const std::set<std::string>& typed) {
  json extra = json::object();
  for (const auto& [key, value] : object.items())
    if (typed.count(key) == 0) extra[key] = value;
  return extra;
}

json node_json(const NodeRecord& node) {
  json j = {{"step", node.step},        {"name", node.name},       {"op", node.op},
            {"kind", node.kind},        {"backend", node.backend}, {"implementation", node.implementation},
            {"fallback", node.fallback}};
  if (!node.precision.empty()) j["precision"] = node.precision;
  if (node.cost) {
    j["descriptor"] = node.cost->descriptor;
    j["flops"] = node.cost->flops;
    j["bytes"] = node.cost->bytes;
    j["params"] = node.cost->params;
  }
  if (node.time) {
    j["time_ms"] = statistics_json(node.time->ms);
    j["samples_ms"] = node.time->samples_ms;
    j["share"] = node.time->share;
    if (node.time->gflops_per_second) j["gflops_per_second"] = *node.time->gflops_per_second;
    if (node.time->gbytes_per_second) j["gbytes_per_second"] = *node.time->gbytes_per_second;
  }
  if (node.cold_memory) {
    j["memory"] = {{"cold", memory_json(*node.cold_memory)}};
    if (node.warm_memory) j["memory"]["warm"] = memory_json(*node.warm_memory);
  }
  if (node.library_time)
    j["library_ms"] = {{"median", node.library_time->median},
                       {"count", node.library_time->count},
                       {"statistic", node.library_time->statistic},
                       {"how", node.library_time->how}};
  if (node.counters) j["counters"] = *node.counters;
  if (node.derived) j["derived"] = *node.derived;
  for (const auto& [key, value] : node.extra.items())
    j[key] = value;
  return j;
}

NodeRecord node_of(const json& j) {
  NodeRecord node;
  node.step = integer_at<std::uint64_t>(j, "step");
  node.name = j.at("name").get<std::string>();
  node.op = j.at("op").get<std::string>();
  node.kind = j.value("kind", "layer");
  node.backend = j.value("backend", "");
  node.implementation = j.value("implementation", "");
  node.precision = j.value("precision", "");
  node.fallback = j.value("fallback", false);
  if (j.contains("descriptor"))
    node.cost = NodeCostRecord{j.at("descriptor").get<std::string>(), j.at("flops").get<double>(),
                               j.at("bytes").get<double>(), integer_at<std::int64_t>(j, "params")};
  if (j.contains("time_ms")) {
    NodeTiming timing;
    timing.ms = statistics_of(j.at("time_ms"));
    timing.samples_ms = j.value("samples_ms", std::vector<double>{});
    timing.share = j.value("share", 0.0);
    timing.gflops_per_second = optional_number(j, "gflops_per_second");
    timing.gbytes_per_second = optional_number(j, "gbytes_per_second");
    node.time = std::move(timing);
  }
  if (j.contains("memory")) {
    const json& memory = j.at("memory");
    node.cold_memory = memory_of(memory.at("cold"));
    if (memory.contains("warm")) node.warm_memory = memory_of(memory.at("warm"));
  }
  if (j.contains("library_ms")) {
    const json& library = j.at("library_ms");
    node.library_time =
        LibraryTime{library.at("median").get<double>(), integer_at<std::uint64_t>(library, "count"),
                    library.value("statistic", "median"), library.value("how", "")};
  }
  if (j.contains("counters")) node.counters = j.at("counters").get<std::map<std::string, double>>();
  if (j.contains("derived")) node.derived = j.at("derived").get<std::map<std::string, double>>();
  node.extra = untyped_keys(j, kNodeKeys);
  return node;
}

json segment_json(const SegmentRecord& segment) {
  json j = {{"name", segment.name}, {"tool", segment.tool}, {"layers", segment.layers}};
  if (segment.time_ms) {
    j["time_ms"] = statistics_json(*segment.time_ms);
    j["share"] = segment.share;
  }
  for (const auto& [key, value] : segment.extra.items())
    j[key] = value;
  return j;
}

SegmentRecord segment_of(const json& j) {
  SegmentRecord segment;
  segment.name = j.at("name").get<std::string>();
  segment.tool = j.value("tool", "");
  segment.layers = j.value("layers", std::vector<std::string>{});
  if (j.contains("time_ms")) {
    segment.time_ms = statistics_of(j.at("time_ms"));
    segment.share = j.value("share", 0.0);
  }
  segment.extra = untyped_keys(j, kSegmentKeys);
  return segment;
}

json counters_json(const CountersRecord& counters) {
  json unavailable = json::array();
  for (const CounterUnavailable& entry : counters.unavailable)
    unavailable.push_back({{"event", entry.event}, {"reason", entry.reason}});
  return {{"events", counters.events},         {"unavailable", unavailable},
          {"threads", counters.threads},       {"running_fraction", counters.running_fraction},
          {"source", counters.source},         {"groups", counters.groups},
          {"scheduling", counters.scheduling}, {"how", counters.how}};
}

CountersRecord counters_of(const json& j) {
  CountersRecord counters;
  counters.events = j.at("events").get<std::vector<std::string>>();
  for (const json& entry : j.value("unavailable", json::array()))
    counters.unavailable.push_back(
        {entry.at("event").get<std::string>(), entry.at("reason").get<std::string>()});
  counters.threads = integer_or(j, "threads", 0);
  counters.running_fraction = j.value("running_fraction", 1.0);
  counters.source = j.value("source", "");
  counters.groups = j.value("groups", std::vector<std::vector<std::string>>{});
  counters.scheduling = j.value("scheduling", "");
  counters.how = j.value("how", "");
  return counters;
}

RunRecord record_of(const json& j) {
  RunRecord record;
  const json& context = j.at("context");
  record.context.host = context.value("host", "");
  record.context.cpu_model = context.value("cpu_model", "");
  record.context.isa = context.value("isa", std::vector<std::string>{});
  record.context.cores = integer_or(context, "cores", 0U);
  record.context.memory_bytes = context.value("memory_bytes", 0.0);
  record.context.ntp_version = context.value("ntp_version", "");
  record.context.git_commit = context.value("git_commit", "");
  record.context.date = context.value("date", "");
  record.context.command_line = context.value("command_line", "");
  record.context.label = context.value("label", "");
  record.context.libraries = context.value("libraries", std::map<std::string, std::string>{});

  const json& topology = j.at("topology");
  record.topology.name = topology.at("name").get<std::string>();
  record.topology.source = topology.value("source", "");
  record.topology.params = topology.value("params", std::map<std::string, std::string>{});

  const json& options = j.at("options");
  RunSettingsRecord& settings = record.options;
  settings.backend = options.at("backend").get<std::string>();
  settings.precision = options.at("precision").get<std::string>();
  settings.batch = integer_or(options, "batch", std::int64_t{1});
  settings.threads = integer_or(options, "threads", 0);
  settings.seed = integer_or(options, "seed", std::uint64_t{1});
  settings.mode = options.value("mode", "latency");
  settings.streams = integer_or(options, "streams", 1);
  settings.warmup = integer_or(options, "warmup", 0);
  settings.iterations = integer_or(options, "iterations", 0);
  settings.time_seconds = options.value("time_seconds", 0.0);
  settings.min_time_seconds = options.value("min_time_seconds", 0.0);
  settings.max_time_seconds = options.value("max_time_seconds", 0.0);
  settings.precision_target = options.value("precision_target", 0.0);
  settings.trace_iterations = integer_or(options, "trace_iterations", 1);
  settings.trace_warmup = options.value("trace_warmup", false);
  settings.layer_timing = options.value("layer_timing", true);
  record.compile_seconds = j.value("compile_seconds", 0.0);

  const json& latency = j.at("latency");
  record.latency.ms = within("latency", [&] { return statistics_of(latency); });
  record.latency.cold_ms = latency.value("cold", 0.0);
  record.latency.how = latency.value("how", "");
  record.latency.stopped_by = latency.value("stopped_by", "iterations");
  if (latency.contains("median_interval"))
    record.latency.median_interval = within("latency.median_interval", [&] {
      const json& interval = latency.at("median_interval");
      return MedianIntervalRecord{interval.at("low").get<double>(), interval.at("high").get<double>(),
                                  interval.value("coverage", 0.95),
                                  interval.value("relative_half_width", 0.0)};
    });
  if (j.contains("throughput")) {
    const json& throughput = j.at("throughput");
    record.throughput = {throughput.value("inferences_per_second", 0.0),
                         throughput.value("items_per_second", 0.0),
                         integer_or(throughput, "streams", 1),
                         integer_or(throughput, "inferences", std::uint64_t{0}),
                         throughput.value("wall_seconds", 0.0),
                         throughput.value("how", "")};
  }
  if (j.contains("samples"))
    record.latency_samples_ms = j.at("samples").value("latency_ms", std::vector<double>{});
  const json& nodes = j.at("nodes");
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const std::string name = nodes[i].is_object() ? nodes[i].value("name", "") : "";
    record.nodes.push_back(within(fmt::format("nodes[{}] '{}'", i, name), [&] { return node_of(nodes[i]); }));
  }
  const json segments = j.value("segments", json::array());
  for (std::size_t i = 0; i < segments.size(); ++i)
    record.segments.push_back(
        within(fmt::format("segments[{}]", i), [&] { return segment_of(segments[i]); }));
  // A record without the section (cut down by hand, or older) was timed per layer if its nodes have times.
  record.instrumentation.layer_timing = std::any_of(
      record.nodes.begin(), record.nodes.end(), [](const NodeRecord& node) { return node.time.has_value(); });
  if (j.contains("instrumentation")) {
    const json& instrumentation = j.at("instrumentation");
    InstrumentationRecord& into = record.instrumentation;
    into.layer_timing = instrumentation.value("layer_timing", into.layer_timing);
    into.timer_overhead_ns_per_step = instrumentation.value("timer_overhead_ns_per_step", 0.0);
    into.steps = integer_or(instrumentation, "steps", std::uint64_t{0});
    into.overhead_ms_per_inference = optional_number(instrumentation, "overhead_ms_per_inference");
    into.residual_ms = optional_number(instrumentation, "residual_ms");
    into.residual_share = optional_number(instrumentation, "residual_share");
    into.how = instrumentation.value("how", "");
  }
  if (j.contains("counters"))
    record.counters = within("counters", [&] { return counters_of(j.at("counters")); });
  if (j.contains("memory")) {
    const json& memory = j.at("memory");
    record.memory = {memory_of(memory.at("before")), memory_of(memory.at("after")), memory.value("how", ""),
                     memory.value("estimate_bytes", 0.0)};
  }
  if (j.contains("quality"))
    record.quality = within("quality", [&] {
      const json& quality = j.at("quality");
      QualityRecord read;
      read.cv = quality.at("cv").get<double>();
      read.max_over_median = quality.at("max_over_median").get<double>();
      read.bimodal = quality.at("bimodal").get<bool>();
      read.fast_cluster_ms = quality.value("fast_cluster_ms", 0.0);
      read.slow_cluster_ms = quality.value("slow_cluster_ms", 0.0);
      read.load_average = optional_number(quality, "load_average");
      read.cores = integer_or(quality, "cores", 0);
      read.threads = integer_or(quality, "threads", 0);
      read.involuntary_switches_per_second = quality.at("involuntary_switches_per_second").get<double>();
      read.warnings = quality.at("warnings").get<std::vector<std::string>>();
      read.how = quality.value("how", "");
      return read;
    });
  for (const json& event : j.value("timeline", json::array()))
    record.timeline.push_back({event.value("phase", "measured"), event.at("name").get<std::string>(),
                               event.value("kind", "layer"), integer_or(event, "iteration", 0),
                               integer_or(event, "stream", 0), event.at("begin_us").get<double>(),
                               event.at("end_us").get<double>()});
  for (const auto& [key, value] : j.items())
    if (kTypedKeys.count(key) == 0) record.sections[key] = value;
  return record;
}

}  // namespace

const NodeRecord* RunRecord::find_node(const std::string& name) const {
  for (const NodeRecord& node : nodes)
    if (node.name == name) return &node;
  return nullptr;
}

nlohmann::json RunRecord::to_json() const {
  json record;
  record["schema"] = kRunRecordSchema;
  record["context"] = {{"host", context.host},
                       {"cpu_model", context.cpu_model},
                       {"isa", context.isa},
                       {"cores", context.cores},
                       {"memory_bytes", context.memory_bytes},
                       {"ntp_version", context.ntp_version},
                       {"git_commit", context.git_commit},
                       {"date", context.date},
                       {"command_line", context.command_line},
                       {"label", context.label},
                       {"libraries", context.libraries}};
  record["topology"] = {{"name", topology.name}, {"source", topology.source}, {"params", topology.params}};
  record["options"] = {{"backend", options.backend},
                       {"precision", options.precision},
                       {"batch", options.batch},
                       {"threads", options.threads},
                       {"seed", options.seed},
                       {"mode", options.mode},
                       {"streams", options.streams},
                       {"warmup", options.warmup},
                       {"iterations", options.iterations},
                       {"time_seconds", options.time_seconds},
                       {"min_time_seconds", options.min_time_seconds},
                       {"max_time_seconds", options.max_time_seconds},
                       {"precision_target", options.precision_target},
                       {"trace_iterations", options.trace_iterations},
                       {"trace_warmup", options.trace_warmup},
                       {"layer_timing", options.layer_timing}};
  record["compile_seconds"] = compile_seconds;
  json latency_json = statistics_json(latency.ms);
  latency_json["unit"] = "ms";
  latency_json["cold"] = latency.cold_ms;
  if (latency.median_interval)
    latency_json["median_interval"] = {{"low", latency.median_interval->low_ms},
                                       {"high", latency.median_interval->high_ms},
                                       {"coverage", latency.median_interval->coverage},
                                       {"relative_half_width", latency.median_interval->relative_half_width}};
  latency_json["stopped_by"] = latency.stopped_by;
  latency_json["partial"] = latency.partial();
  latency_json["how"] = latency.how;
  record["latency"] = latency_json;
  record["throughput"] = {{"inferences_per_second", throughput.inferences_per_second},
                          {"items_per_second", throughput.items_per_second},
                          {"streams", throughput.streams},
                          {"inferences", throughput.inferences},
                          {"wall_seconds", throughput.wall_seconds},
                          {"how", throughput.how}};
  record["samples"] = {{"latency_ms", latency_samples_ms}};
  json nodes_json = json::array();
  for (const NodeRecord& node : nodes)
    nodes_json.push_back(node_json(node));
  record["nodes"] = std::move(nodes_json);
  json segments_json = json::array();
  for (const SegmentRecord& segment : segments)
    segments_json.push_back(segment_json(segment));
  record["segments"] = std::move(segments_json);
  json instrumentation_json = {{"layer_timing", instrumentation.layer_timing},
                               {"timer_overhead_ns_per_step", instrumentation.timer_overhead_ns_per_step},
                               {"steps", instrumentation.steps}};
  if (instrumentation.overhead_ms_per_inference)
    instrumentation_json["overhead_ms_per_inference"] = *instrumentation.overhead_ms_per_inference;
  if (instrumentation.residual_ms) instrumentation_json["residual_ms"] = *instrumentation.residual_ms;
  if (instrumentation.residual_share)
    instrumentation_json["residual_share"] = *instrumentation.residual_share;
  if (!instrumentation.how.empty()) instrumentation_json["how"] = instrumentation.how;
  record["instrumentation"] = std::move(instrumentation_json);
  if (counters) record["counters"] = counters_json(*counters);
  record["memory"] = {
      {"before", memory_json(memory.before)}, {"after", memory_json(memory.after)}, {"how", memory.how}};
  if (memory.estimate_bytes > 0) record["memory"]["estimate_bytes"] = memory.estimate_bytes;
  if (quality) {
    json quality_json = {{"cv", quality->cv},
                         {"max_over_median", quality->max_over_median},
                         {"bimodal", quality->bimodal},
                         {"cores", quality->cores},
                         {"threads", quality->threads},
                         {"involuntary_switches_per_second", quality->involuntary_switches_per_second},
                         {"warnings", quality->warnings},
                         {"how", quality->how}};
    if (quality->bimodal) {
      quality_json["fast_cluster_ms"] = quality->fast_cluster_ms;
      quality_json["slow_cluster_ms"] = quality->slow_cluster_ms;
    }
    if (quality->load_average) quality_json["load_average"] = *quality->load_average;
    record["quality"] = std::move(quality_json);
  }
  json timeline_json = json::array();
  for (const TimelineEvent& event : timeline)
    timeline_json.push_back({{"phase", event.phase},
                             {"name", event.name},
                             {"kind", event.kind},
                             {"iteration", event.iteration},
                             {"stream", event.stream},
                             {"begin_us", event.begin_us},
                             {"end_us", event.end_us}});
  record["timeline"] = std::move(timeline_json);
  for (const auto& [key, value] : sections)
    record[key] = value;
  return record;
}

RunRecord RunRecord::from_json(const nlohmann::json& json) {
  const SourceLocation where{"<run record>", 0, 0};
  if (schema_of(json) != kRunRecordSchema)
    throw UserError(where, fmt::format("not a run record: its schema is not \"{}\"", kRunRecordSchema),
                    "give a file written by `ntp run --format json`");
  const char* const hint = "the file was changed or cut short; write it again with `ntp run --format json`";
  try {
    return record_of(json);
  } catch (const std::exception& error) {  // nlohmann::json::exception, MalformedField or FieldError
    throw UserError(where, fmt::format("malformed run record: {}", error.what()), hint);
  }
}

}  // namespace ntp
