// The console table, CSV and Chrome trace of a run, all written from its JSON record.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "aggregate.h"
#include "csv.h"
#include "run_views.h"
#include "text_table.h"

namespace ntp::report {

namespace {
std::string ms(const nlohmann::json& value) {
  return fmt::format("{:.3f}", value.get<double>());
}
std::string percent(const nlohmann::json& value) {
  return fmt::format("{:.1f}%", value.get<double>() * 100);
}
std::string optional_number(const nlohmann::json& node, const char* key, const char* format) {
  return node.contains(key) ? fmt::format(fmt::runtime(format), node[key].get<double>()) : "";
}
// Whether any node carries the library's own timing (Kernel::library_time_ms), shown beside NTP's.
bool has_library_times(const nlohmann::json& record) {
  const auto& nodes = record["nodes"];
  return std::any_of(nodes.begin(), nodes.end(),
                     [](const auto& node) { return node.contains("library_ms"); });
}
std::string library_ms(const nlohmann::json& node, const char* format) {
  return node.contains("library_ms")
             ? fmt::format(fmt::runtime(format), node["library_ms"]["median"].get<double>())
             : "";
}
std::vector<std::string> counter_events(const nlohmann::json& record) {
  return record.contains("counters") ? record["counters"]["events"].get<std::vector<std::string>>()
                                     : std::vector<std::string>{};
}
// "memory (cost model, 62% of roof)": the class, the evidence, and how close the layer came to its roof.
std::string bound_cell(const nlohmann::json& item) {
  if (!item.contains("bound")) return "";
  const auto& bound = item["bound"];
  std::string cell = bound["class"].get<std::string>() + " (" + bound["evidence"].get<std::string>();
  if (bound.contains("share_of_roof"))
    cell += fmt::format(", {:.0f}% of roof", bound["share_of_roof"].get<double>() * 100);
  if (bound.contains("cost_model_class"))
    cell += "; cost model: " + bound["cost_model_class"].get<std::string>();
  if (bound.contains("layers_disagreeing")) cell += "; layers differ";
  return cell + ")";
}

// The ceilings the bounds were judged against, what their calibration noticed, and the layers whose
// verdicts need a word: above the compute peak (the peak is wrong, not the layer), or a segment whose layers
// were judged otherwise.
std::string roofline_line(const nlohmann::json& record) {
  const auto& machine = record["machine"];
  std::string text = fmt::format(
      "bound: against this machine's {:.0f} GFLOP/s ({} {} GEMM, {}) and {:.1f} GB/s (triad), ridge "
      "{:.2g} FLOP/byte; {} {}; above 100% of a memory roof a layer's data came from caches\n",
      machine["gflops_per_second"].get<double>(), machine["backend"].get<std::string>(),
      machine["precision"].get<std::string>(), counted(machine["threads"].get<int>(), "thread"),
      machine["gbytes_per_second"].get<double>(), machine["ridge_flops_per_byte"].get<double>(),
      machine["from_cache"].get<bool>() ? "calibrated" : "measured",
      machine["measured_at"].get<std::string>());
  for (const auto& note : machine.value("notes", nlohmann::json::array()))
    text += "note: the ceilings: " + note.get<std::string>() + "\n";
  std::vector<std::string> above_peak;
  double worst = 0;
  for (const auto& node : record["nodes"]) {
    if (!node.contains("bound") || node["bound"].value("roof", "") != "compute" ||
        !node["bound"].contains("above_roof"))
      continue;
    above_peak.push_back(node["name"].get<std::string>());
    worst = std::max(worst, node["bound"]["share_of_roof"].get<double>());
  }
  if (!above_peak.empty())
    text += fmt::format(
        "warning: {} ({}) ran above the calibrated compute peak, up to {:.0f}%: no layer can, so the peak "
        "was "
        "measured low (under load?); `ntp run --recalibrate` measures it again\n",
        counted(static_cast<std::int64_t>(above_peak.size()), "layer"), fmt::join(above_peak, ", "),
        worst * 100);
  for (const auto& segment : record["segments"]) {
    if (!segment.contains("bound") || !segment["bound"].contains("layers_disagreeing")) continue;
    std::vector<std::string> layers;
    for (const auto& layer : segment["bound"]["layers_disagreeing"])
      layers.push_back(fmt::format("{} {} ({})", layer["layer"].get<std::string>(),
                                   layer["class"].get<std::string>(), layer["evidence"].get<std::string>()));
    text += fmt::format("note: segment {} is {} ({}) while {}: {}\n", segment["name"].get<std::string>(),
                        segment["bound"]["class"].get<std::string>(),
                        segment["bound"]["evidence"].get<std::string>(), fmt::join(layers, ", "),
                        segment["bound"]["why"].get<std::string>());
  }
  return text;
}

// A layer's values for the trace's counter tracks: rates from the cost model and the counters, and
// callgrind's counts, each held from the layer's begin to its end.
std::vector<std::pair<std::string, double>> track_values(const nlohmann::json& node) {
  std::vector<std::pair<std::string, double>> values;
  for (const auto& [key, track] : {std::pair{"gflops_per_second", "GFLOP/s (cost model)"},
                                   std::pair{"gbytes_per_second", "GB/s (cost model)"}})
    if (node.contains(key)) values.emplace_back(track, node[key].get<double>());
  const double layer_ms = node.contains("time_ms") ? node["time_ms"]["median"].get<double>() : 0;
  if (node.contains("counters") && layer_ms > 0)
    for (const auto& [event, count] : node["counters"].items())
      values.emplace_back(event + " per ms", count.get<double>() / layer_ms);
  const nlohmann::json derived = node.value("derived", nlohmann::json::object());
  if (derived.contains("cores_busy")) values.emplace_back("cores busy", derived["cores_busy"].get<double>());
  if (derived.contains("ipc")) values.emplace_back("IPC", derived["ipc"].get<double>());
  const nlohmann::json simulated = node.value("callgrind", nlohmann::json::object());
  for (const auto& [key, track] :
       {std::pair{"Ir", "instructions (callgrind)"}, std::pair{"D1_miss_rate", "D1 miss rate (callgrind)"},
        std::pair{"LL_miss_rate", "LL miss rate (callgrind)"}})
    if (simulated.contains(key)) values.emplace_back(track, simulated[key].get<double>());
  return values;
}

// The layers the chosen back end had no kernel for, which ran on the reference back end instead: when they
// hold most of the time, the profile is the reference's, and only the implementation column said so.
std::string fallback_summary(const nlohmann::json& record) {
  std::set<std::string> ops;
  int layers = 0;
  double share = 0;
  for (const auto& node : record["nodes"]) {
    if (!node.value("fallback", false)) continue;
    ++layers;
    ops.insert(node["op"].get<std::string>());
    share += node.value("share", 0.0);
  }
  if (layers == 0) return "";
  // The run names the back ends that have these ops (it can ask the registry; a view cannot).
  const auto alternatives = record.contains("fallbacks")
                                ? record["fallbacks"].value("backends_with_them", std::vector<std::string>{})
                                : std::vector<std::string>{};
  const std::string instead =
      alternatives.empty()
          ? "`ntp backends` lists which back end runs which op"
          : fmt::format("try --backend {}, which {} {}", fmt::join(alternatives, " or --backend "),
                        alternatives.size() == 1 ? "has" : "have", ops.size() == 1 ? "it" : "them");
  return fmt::format(
      "note: {} layer{} ({}), {:.1f}% of the time, ran on the reference back end: {} has no kernel "
      "for {}; {}\n",
      layers, layers == 1 ? "" : "s", fmt::join(ops, ", "), share * 100,
      record["options"]["backend"].get<std::string>(), ops.size() == 1 ? "it" : "them", instead);
}

// What ended the measured iterations, when it was not the iteration count: the reader of a partial or a
// time-limited run should not take it for a finished one.
std::string stopping_summary(const nlohmann::json& record) {
  const auto& latency = record["latency"];
  const std::string stopped_by = latency.value("stopped_by", "iterations");
  const double target = record["options"].value("precision_target", 0.0);
  const std::string reached =
      latency.contains("median_interval")
          ? fmt::format("+-{:.2f}%", latency["median_interval"]["relative_half_width"].get<double>() * 100)
          : "no interval yet";
  if (stopped_by == "precision target")
    return fmt::format("measuring stopped: the median's 95% interval reached the target of +-{:.2f}% ({})\n",
                       target * 100, reached);
  if (stopped_by == "max time")
    return fmt::format(
        "measuring stopped: the time limit passed ({:.1f} s){}\n",
        record["throughput"]["wall_seconds"].get<double>(),
        target > 0 ? fmt::format(", before the target of +-{:.2f}% ({})", target * 100, reached) : "");
  if (stopped_by == "interrupted") return "measuring stopped: interrupted; these figures are PARTIAL\n";
  return "";
}

// The resident set before and at the end, and the layers that grew memory most, cold and warm.
std::string memory_summary(const nlohmann::json& record) {
  const auto& memory = record["memory"];
  std::string text = fmt::format("memory: resident {} before the cold inference, {} after, peak {}",
                                 human_bytes(memory["before"]["rss_bytes"].get<double>()),
                                 human_bytes(memory["after"]["rss_bytes"].get<double>()),
                                 human_bytes(memory["after"]["peak_rss_bytes"].get<double>()));
  if (memory.contains("estimate_bytes"))
    text += fmt::format(" (NTP's bound on the run's own allocations: {})",
                        human_bytes(memory["estimate_bytes"].get<double>()));
  for (const char* phase : {"cold", "warm"}) {
    std::vector<std::pair<double, std::string>> growth;  // (resident + heap growth, layer)
    for (const auto& node : record["nodes"]) {
      if (!node.contains("memory") || !node["memory"].contains(phase)) continue;
      const auto& delta = node["memory"][phase];
      const double bytes = std::max(delta["rss_bytes"].get<double>(), delta["heap_bytes"].get<double>());
      if (bytes > 0) growth.emplace_back(bytes, node["name"].get<std::string>());
    }
    std::sort(growth.rbegin(), growth.rend());
    std::vector<std::string> top;
    for (std::size_t i = 0; i < growth.size() && i < 3; ++i)
      top.push_back(fmt::format("{} +{}", growth[i].second, human_bytes(growth[i].first)));
    text += fmt::format("; {} growth: {}", phase == std::string("cold") ? "cold-run" : "per-inference",
                        top.empty() ? std::string("none") : fmt::format("{}", fmt::join(top, ", ")));
  }
  return text + "\n";
}

// --tool perf: perf stat's counts over the regions, per measured iteration.
std::string perf_summary(const nlohmann::json& perf) {
  const auto regions = perf["regions"].get<std::vector<std::string>>();
  std::string text = fmt::format(
      "\nperf stat over {} ({}), per iteration:\n",
      regions.empty() ? std::string("every layer") : fmt::format("segment {}", fmt::join(regions, ", ")),
      counted(std::llround(perf["iterations"].get<double>()), "measured iteration"));
  TextTable table;
  table.add_column("event", TextTable::Align::left);
  table.add_column("per iteration", TextTable::Align::right);
  table.add_column("unit", TextTable::Align::left);
  table.add_column("counted", TextTable::Align::right);
  for (const auto& [event, count] : perf["events"].items())
    table.add_row({event, fmt::format("{:.4g}", perf["per_iteration"][event].get<double>()),
                   count["unit"].get<std::string>(), percent(count["running_fraction"])});
  text += table.render();
  const auto& derived = perf["derived"];
  if (derived.contains("cores_busy"))
    text +=
        fmt::format("cores busy: {:.2f} (task-clock over the regions' measured {:.3f} ms)\n",
                    derived["cores_busy"].get<double>(), derived["region_ms_per_iteration"].get<double>());
  if (derived.contains("ipc")) text += fmt::format("IPC: {:.2f}\n", derived["ipc"].get<double>());
  for (const auto& missing : perf["unsupported"])
    text +=
        fmt::format("{}: {}\n", missing["event"].get<std::string>(), missing["reason"].get<std::string>());
  return text + "perf: " + perf["how"].get<std::string>() + "\n";
}

std::string totals_ms(const Totals& totals) {
  return totals.timed ? fmt::format("{:.3f}", totals.time_ms) : "";
}
std::string totals_share(const Totals& totals) {
  return totals.timed ? fmt::format("{:.1f}%", totals.share * 100) : "";
}

// The time per op type, and per module of the name hierarchy down to `depth` levels (children indented
// under their module, most time first).
std::string aggregate_tables(const nlohmann::json& record, int depth) {
  const Aggregates aggregates = aggregate_run(record);
  using Align = TextTable::Align;
  TextTable ops;
  for (const auto& [title, align] : std::vector<std::pair<std::string, Align>>{{"op", Align::left},
                                                                               {"nodes", Align::right},
                                                                               {"total ms", Align::right},
                                                                               {"share", Align::right},
                                                                               {"FLOPs", Align::right},
                                                                               {"bytes", Align::right}})
    ops.add_column(title, align);
  for (const OpTypeTotals& op : aggregates.op_types)
    ops.add_row({op.op, std::to_string(op.totals.nodes), totals_ms(op.totals), totals_share(op.totals),
                 op.totals.costed ? human_count(op.totals.flops) : "",
                 op.totals.costed ? human_bytes(op.totals.bytes) : ""});
  TextTable modules;
  modules.add_column("module", Align::left);
  modules.add_column("nodes", Align::right);
  modules.add_column("total ms", Align::right);
  modules.add_column("share", Align::right);
  for (const ModuleTotals* module : modules_to_depth(aggregates.modules, depth))
    modules.add_row({std::string(2 * static_cast<std::size_t>(module->depth - 1), ' ') + module->name,
                     std::to_string(module->totals.nodes), totals_ms(module->totals),
                     totals_share(module->totals)});
  return fmt::format(
             "\nper op type: {} nodes, {:.3f} ms (sum of their medians; share of the end-to-end "
             "median)\n",
             aggregates.modules.totals.nodes, aggregates.modules.totals.time_ms) +
         ops.render() +
         fmt::format("\nper module: {} of {} levels of the names split on '{}' (--depth N shows N)\n",
                     std::min(depth, aggregates.depth), aggregates.depth, aggregates.separator) +
         modules.render();
}
}  // namespace

std::string run_table(const nlohmann::json& record, int module_depth) {
  const auto& options = record["options"];
  const auto& context = record["context"];
  std::string text =
      fmt::format("{} on {} ({}), {}, batch {}, {}, {} on {}\n",
                  record["topology"]["name"].get<std::string>(), options["backend"].get<std::string>(),
                  context["libraries"][options["backend"].get<std::string>()].get<std::string>(),
                  options["precision"].get<std::string>(), options["batch"].get<std::int64_t>(),
                  threads_phrase(options["threads"].get<int>()), options["mode"].get<std::string>(),
                  context["cpu_model"].get<std::string>());
  const auto& latency = record["latency"];
  const bool timed = record["instrumentation"]["layer_timing"].get<bool>();
  if (timed) {
    TextTable table;
    using Align = TextTable::Align;
    for (const auto& [title, align] :
         std::vector<std::pair<std::string, Align>>{{"layer", Align::left},
                                                    {"op", Align::left},
                                                    {"median ms", Align::right},
                                                    {"share", Align::right},
                                                    {"GFLOP/s", Align::right},
                                                    {"GB/s", Align::right},
                                                    {"implementation", Align::left},
                                                    {"descriptor", Align::left}})
      table.add_column(title, align);
    const bool library = has_library_times(record);
    if (library) table.add_column("lib ms", Align::right);
    const std::vector<std::string> events = counter_events(record);
    for (const std::string& event : events)  // task-clock counts CPU time: its unit in the header
      table.add_column(event == "task-clock" ? "task-clock ns" : event, Align::right);
    const bool busy = std::find(events.begin(), events.end(), "task-clock") != events.end();
    const bool ipc = std::find(events.begin(), events.end(), "instructions") != events.end() &&
                     std::find(events.begin(), events.end(), "cycles") != events.end();
    if (busy) table.add_column("cores", Align::right);
    if (ipc) table.add_column("IPC", Align::right);
    const bool simulated = record.contains("callgrind");  // --tool callgrind: instructions, simulated misses
    if (simulated)
      for (const char* title : {"instructions", "D1 miss", "LL miss"})
        table.add_column(title, Align::right);
    const bool bounds = record.contains("machine");
    if (bounds) table.add_column("bound", Align::left);
    for (const auto& node : record["nodes"]) {
      std::string implementation = node["implementation"].get<std::string>();
      if (node["fallback"].get<bool>()) implementation += " (fallback: reference)";
      // A layer placed elsewhere than the run (backend=, precision=, --place) says where and at what.
      const std::string placed_backend = node.value("backend", "");
      const std::string placed_precision = node.value("precision", "");
      if (!node["fallback"].get<bool>() && node.value("kind", "") == "layer" &&
          (placed_backend != record["options"]["backend"] ||
           (!placed_precision.empty() && placed_precision != record["options"]["precision"])))
        implementation += fmt::format(" [{} {}]", placed_backend, placed_precision);
      std::vector<std::string> row = {node["name"],
                                      node["op"],
                                      ms(node["time_ms"]["median"]),
                                      percent(node["share"]),
                                      optional_number(node, "gflops_per_second", "{:.1f}"),
                                      optional_number(node, "gbytes_per_second", "{:.1f}"),
                                      implementation,
                                      node.value("descriptor", std::string())};
      if (library) row.push_back(library_ms(node, "{:.3f}"));
      for (const std::string& event : events)
        row.push_back(node.contains("counters") ? human_count(node["counters"][event].get<double>()) : "");
      const nlohmann::json derived = node.value("derived", nlohmann::json::object());
      if (busy) row.push_back(optional_number(derived, "cores_busy", "{:.2f}"));
      if (ipc) row.push_back(optional_number(derived, "ipc", "{:.2f}"));
      if (simulated) {
        const nlohmann::json counts = node.value("callgrind", nlohmann::json::object());
        row.push_back(counts.contains("Ir") ? human_count(counts["Ir"].get<double>()) : "");
        row.push_back(counts.contains("D1_miss_rate") ? percent(counts["D1_miss_rate"]) : "");
        row.push_back(counts.contains("LL_miss_rate") ? percent(counts["LL_miss_rate"]) : "");
      }
      if (bounds) row.push_back(bound_cell(node));
      table.add_row(row);
    }
    text += "\n" + table.render();
    if (bounds) text += roofline_line(record);
    if (simulated)
      text += fmt::format("callgrind: {}\nnote: {}\n", record["callgrind"]["how"].get<std::string>(),
                          record["callgrind"]["note"].get<std::string>());
    if (record.contains("perf")) text += perf_summary(record["perf"]);
    text += fallback_summary(record);
    if (!record["segments"].empty()) {
      TextTable segments;
      segments.add_column("segment", Align::left);
      segments.add_column("median ms", Align::right);
      segments.add_column("share", Align::right);
      segments.add_column("layers", Align::left);
      if (bounds) segments.add_column("bound", Align::left);
      for (const auto& segment : record["segments"]) {
        std::vector<std::string> layers = segment["layers"].get<std::vector<std::string>>();
        std::vector<std::string> row = {segment["name"], ms(segment["time_ms"]["median"]),
                                        percent(segment["share"]), fmt::format("{}", fmt::join(layers, " "))};
        if (bounds) row.push_back(bound_cell(segment));
        segments.add_row(row);
      }
      text += "\n" + segments.render();
    }
    text += aggregate_tables(record, module_depth);
  }
  const std::string interval = latency.contains("median_interval")
                                   ? fmt::format(" (95% CI {}-{})", ms(latency["median_interval"]["low"]),
                                                 ms(latency["median_interval"]["high"]))
                                   : "";
  text += fmt::format(
      "\nlatency (ms, {} after {}): min {} | median {}{} | mean {} | p90 {} | p99 {} | max {} | stddev {} | "
      "cv "
      "{:.1f}%\ncold (first inference): {} ms\n",
      counted(latency["count"].get<std::int64_t>(), "iteration"),
      counted(options["warmup"].get<int>(), "warm-up"), ms(latency["min"]), ms(latency["median"]), interval,
      ms(latency["mean"]), ms(latency["p90"]), ms(latency["p99"]), ms(latency["max"]), ms(latency["stddev"]),
      latency["cv"].get<double>() * 100, ms(latency["cold"]));
  text += stopping_summary(record);
  const auto& throughput = record["throughput"];
  text += fmt::format("throughput: {:.2f} inferences/s, {:.2f} items/s ({})\n",
                      throughput["inferences_per_second"].get<double>(),
                      throughput["items_per_second"].get<double>(),
                      counted(throughput["streams"].get<int>(), "stream"));
  if (record.contains("audio")) {
    for (const auto& input : record["audio"]["inputs"])
      text += fmt::format("audio '{}': {:.3f} s at {} Hz per item, from {}\n",
                          input["input"].get<std::string>(), input["seconds"].get<double>(),
                          input["samplerate"].get<double>(), input["source"].get<std::string>());
    if (record["audio"].contains("real_time_factor"))
      text += fmt::format("real-time factor: {:.4f} (median latency / audio seconds per inference)\n",
                          record["audio"]["real_time_factor"].get<double>());
  }
  if (record.contains("transcripts")) {
    text += transcript_lines(record["transcripts"]);
    text += fmt::format("note: {}\n", record["transcripts_note"].get<std::string>());
  }
  const auto& instrumentation = record["instrumentation"];
  if (timed && instrumentation.contains("residual_ms"))  // a record cut down by hand may lack them
    text += fmt::format(
        "unattributed residual: {:.3f} ms ({:.2f}% of the median); timer overhead {:.0f} ns per step, "
        "{:.4f} ms per inference\n",
        instrumentation["residual_ms"].get<double>(), instrumentation["residual_share"].get<double>() * 100,
        instrumentation["timer_overhead_ns_per_step"].get<double>(),
        instrumentation["overhead_ms_per_inference"].get<double>());
  else if (!timed)
    text += "layer timing off: end-to-end figures only, without instrumentation\n";
  if (timed && record.contains("memory")) text += memory_summary(record);
  if (record.contains("quality"))
    for (const auto& warning : record["quality"]["warnings"])
      text += fmt::format("warning: the figures may be off: {}\n", warning.get<std::string>());
  if (record.contains("counters")) {
    const auto& counters = record["counters"];
    if (!counters["events"].empty())
      text += fmt::format(
          "counters: medians per layer per inference over {}{}; cores = task-clock / layer time\n",
          counted(counters["threads"].get<int>(), "thread"),
          counters["running_fraction"].get<double>() < 1
              ? fmt::format(", multiplexed and scaled (running {:.0f}% of the time)",
                            counters["running_fraction"].get<double>() * 100)
              : "");
    for (const auto& missing : counters["unavailable"])
      text += fmt::format("counter {} not counted: {}\n", missing["event"].get<std::string>(),
                          missing["reason"].get<std::string>());
  }
  text +=
      "times are medians of the measured iterations; GFLOP/s and GB/s are derived from the cost model and "
      "the "
      "measured median\n";
  return text;
}

std::string run_csv(const nlohmann::json& record, int module_depth) {
  std::vector<std::string> header = {"name",
                                     "op",
                                     "kind",
                                     "backend",
                                     "implementation",
                                     "fallback",
                                     "descriptor",
                                     "median_ms",
                                     "mean_ms",
                                     "min_ms",
                                     "max_ms",
                                     "p90_ms",
                                     "p99_ms",
                                     "stddev_ms",
                                     "share",
                                     "flops",
                                     "bytes",
                                     "gflops_per_second",
                                     "gbytes_per_second"};
  const bool library = has_library_times(record);
  if (library) header.push_back("library_median_ms");
  // Counter columns follow the fixed ones, named "counter:EVENT".
  const std::vector<std::string> events = counter_events(record);
  for (const std::string& event : events)
    header.push_back("counter:" + event);
  // --tool callgrind: its events and miss rates as "callgrind:NAME".
  std::vector<std::string> simulated;
  if (record.contains("callgrind")) {
    simulated = record["callgrind"]["events"].get<std::vector<std::string>>();
    simulated.insert(simulated.end(), {"D1_miss_rate", "LL_miss_rate"});
  }
  for (const std::string& name : simulated)
    header.push_back("callgrind:" + name);
  const std::vector<std::pair<std::string, std::string>> memory_columns = {
      {"cold", "heap_bytes"}, {"cold", "rss_bytes"}, {"warm", "heap_bytes"}, {"warm", "rss_bytes"}};
  for (const auto& [phase, key] : memory_columns)
    header.push_back(phase + "_" + key);
  const bool bounds = record.contains("machine");
  if (bounds)
    for (const char* column : {"bound", "bound_evidence", "intensity_flops_per_byte", "share_of_roof"})
      header.emplace_back(column);
  // The aggregated views follow the nodes as rows of kind op_type and module (docs/report-schema.md).
  for (const char* column : {"nodes", "total_ms", "depth"})
    header.emplace_back(column);
  CsvWriter csv(header);
  for (const auto& node : record["nodes"]) {
    std::vector<std::string> row = {node["name"],
                                    node["op"],
                                    node["kind"],
                                    node["backend"],
                                    node["implementation"],
                                    node["fallback"].get<bool>() ? "true" : "false",
                                    node.value("descriptor", "")};
    for (const char* key : {"median", "mean", "min", "max", "p90", "p99", "stddev"})
      row.push_back(node.contains("time_ms") ? fmt::format("{:.6f}", node["time_ms"][key].get<double>())
                                             : "");
    row.push_back(optional_number(node, "share", "{:.6f}"));
    row.push_back(optional_number(node, "flops", "{:.0f}"));
    row.push_back(optional_number(node, "bytes", "{:.0f}"));
    row.push_back(optional_number(node, "gflops_per_second", "{:.3f}"));
    row.push_back(optional_number(node, "gbytes_per_second", "{:.3f}"));
    if (library) row.push_back(library_ms(node, "{:.6f}"));
    for (const std::string& event : events)
      row.push_back(node.contains("counters") ? fmt::format("{:.0f}", node["counters"][event].get<double>())
                                              : "");
    const nlohmann::json counts = node.value("callgrind", nlohmann::json::object());
    for (const std::string& name : simulated)
      row.push_back(counts.contains(name) ? fmt::format("{:.6g}", counts[name].get<double>()) : "");
    const nlohmann::json memory = node.value("memory", nlohmann::json::object());
    for (const auto& [phase, key] : memory_columns)
      row.push_back(memory.contains(phase) ? std::to_string(memory[phase][key].get<std::int64_t>()) : "");
    if (bounds) {
      const nlohmann::json bound = node.value("bound", nlohmann::json::object());
      row.push_back(bound.value("class", ""));
      row.push_back(bound.value("evidence", ""));
      row.push_back(optional_number(bound, "intensity_flops_per_byte", "{:.6g}"));
      row.push_back(optional_number(bound, "share_of_roof", "{:.4f}"));
    }
    row.resize(header.size());  // nodes, total_ms and depth belong to the aggregate rows
    csv.add_row(row);
  }
  // An aggregate row: its name (the op, or the module's path), kind, and its totals in share, flops,
  // bytes, nodes, total_ms and depth; every per-node column empty.
  const auto column = [&](const char* name) {
    return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  const auto aggregate_row = [&](const std::string& name, const std::string& op, const char* kind,
                                 const Totals& totals, const std::string& depth) {
    std::vector<std::string> row(header.size());
    row[column("name")] = name;
    row[column("op")] = op;
    row[column("kind")] = kind;
    if (totals.timed) {
      row[column("share")] = fmt::format("{:.6f}", totals.share);
      row[column("total_ms")] = fmt::format("{:.6f}", totals.time_ms);
    }
    if (totals.costed) {
      row[column("flops")] = fmt::format("{:.0f}", totals.flops);
      row[column("bytes")] = fmt::format("{:.0f}", totals.bytes);
    }
    row[column("nodes")] = std::to_string(totals.nodes);
    row[column("depth")] = depth;
    csv.add_row(row);
  };
  const Aggregates aggregates = aggregate_run(record);
  for (const OpTypeTotals& op : aggregates.op_types)
    aggregate_row(op.op, op.op, "op_type", op.totals, "");
  for (const ModuleTotals* module : modules_to_depth(aggregates.modules, module_depth))
    aggregate_row(module->path, "", "module", module->totals, std::to_string(module->depth));
  return csv.text();
}

nlohmann::json chrome_trace(const nlohmann::json& record) {
  nlohmann::json events = nlohmann::json::array();
  std::map<int, bool> streams;
  // (phase and name, (iteration, stream)) -> where the segment opened
  std::map<std::pair<std::string, std::pair<int, int>>, double> open_segments;
  std::map<std::string, const nlohmann::json*> node_by_name;
  for (const auto& node : record["nodes"])
    node_by_name[node["name"].get<std::string>()] = &node;
  for (const auto& event : record["timeline"]) {
    const int stream = event["stream"].get<int>();
    streams[stream] = true;
    const std::string kind = event["kind"];
    const double begin = event["begin_us"].get<double>();
    const double end = event["end_us"].get<double>();
    // The cold run and warm-up (--trace-warmup) sit on the same rows, before the measured iterations.
    const std::string phase = event.value("phase", "measured");
    const bool measured = phase == "measured";
    if (kind != "marker") {
      nlohmann::json args = {{"iteration", event["iteration"]}, {"phase", phase}};
      const auto node = node_by_name.find(event["name"].get<std::string>());
      if (node != node_by_name.end() && node->second->contains("bound"))
        args["bound"] = (*node->second)["bound"]["class"];
      events.push_back({{"name", event["name"]},
                        {"cat", measured ? kind : kind + "," + phase},
                        {"ph", "X"},
                        {"ts", begin},
                        {"dur", end - begin},
                        {"pid", 1},
                        {"tid", stream},
                        {"args", args}});
      // Counter tracks follow stream 0's first traced iteration: each value from begin to end.
      if (node != node_by_name.end() && measured && stream == 0 && event["iteration"].get<int>() == 0)
        for (const auto& [track, value] : track_values(*node->second)) {
          events.push_back(
              {{"name", track}, {"ph", "C"}, {"ts", begin}, {"pid", 1}, {"args", {{"value", value}}}});
          events.push_back({{"name", track}, {"ph", "C"}, {"ts", end}, {"pid", 1}, {"args", {{"value", 0}}}});
        }
      continue;
    }
    // Markers: the first of a name opens the segment (at its end), the second closes it (at its begin).
    const auto key = std::make_pair(phase + "/" + event["name"].get<std::string>(),
                                    std::make_pair(event["iteration"].get<int>(), stream));
    const auto open = open_segments.find(key);
    if (open == open_segments.end()) {
      open_segments[key] = end;
    } else {
      events.push_back({{"name", event["name"]},
                        {"cat", measured ? std::string("segment") : "segment," + phase},
                        {"ph", "X"},
                        {"ts", open->second},
                        {"dur", begin - open->second},
                        {"pid", 1},
                        {"tid", 1000 + stream},
                        {"args", {{"iteration", event["iteration"]}, {"phase", phase}}}});
      open_segments.erase(open);
    }
  }
  for (const auto& [stream, present] : streams) {
    events.push_back({{"name", "thread_name"},
                      {"ph", "M"},
                      {"pid", 1},
                      {"tid", stream},
                      {"args", {{"name", fmt::format("stream {} layers", stream)}}}});
    events.push_back({{"name", "thread_name"},
                      {"ph", "M"},
                      {"pid", 1},
                      {"tid", 1000 + stream},
                      {"args", {{"name", fmt::format("stream {} segments", stream)}}}});
  }
  events.push_back(
      {{"name", "process_name"},
       {"ph", "M"},
       {"pid", 1},
       {"args", {{"name", fmt::format("ntp {}", record["topology"]["name"].get<std::string>())}}}});
  return {
      {"traceEvents", events},
      {"displayTimeUnit", "ms"},
      {"otherData", {{"topology", record["topology"]["name"]}, {"backend", record["options"]["backend"]}}}};
}

std::string transcript_lines(const nlohmann::json& transcripts) {
  std::string text;
  for (const auto& entry : transcripts) {
    text += fmt::format("{} item {}", entry["node"].get<std::string>(), entry["item"].get<std::int64_t>());
    if (entry.contains("log_score"))
      text += fmt::format(" path {} (log score {:.3f})", entry["rank"].get<std::int64_t>(),
                          entry["log_score"].get<double>());
    text += fmt::format(": \"{}\"\n", entry["text"].get<std::string>());
  }
  return text;
}

std::vector<std::string> run_notices(const nlohmann::json& record) {
  std::vector<std::string> notices;
  const auto add = [&](std::string text) {
    if (text.empty()) return;
    if (text.back() == '\n') text.pop_back();
    notices.push_back(std::move(text));
  };
  add(stopping_summary(record));
  if (record.contains("quality"))
    for (const auto& warning : record["quality"]["warnings"])
      add("warning: the figures may be off: " + warning.get<std::string>());
  add(fallback_summary(record));
  if (record.contains("machine")) {
    const std::string roofline = roofline_line(record);
    for (std::size_t begin = roofline.find('\n') + 1; begin < roofline.size();) {  // past the ceilings' line
      const std::size_t end = roofline.find('\n', begin);
      add(roofline.substr(begin, end - begin));
      begin = end + 1;
    }
  }
  return notices;
}

}  // namespace ntp::report
