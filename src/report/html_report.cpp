#include "html_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>

#include "aggregate.h"
#include "compare.h"
#include "html.h"
#include "profile/statistics.h"
#include "run_views.h"
#include "svg_charts.h"
#include "sweep.h"
#include "text_table.h"

namespace ntp::report {

namespace {

using Rows = std::vector<std::vector<std::string>>;

constexpr std::size_t kStackedParts = 11;  // layers named in a stacked bar; the rest are "other"
constexpr const char* kOtherColour = "#dddddd";

std::string text_of(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_float()) return fmt::format("{:.6g}", value.get<double>());
  return value.dump();
}

std::string optional_figure(const nlohmann::json& object, const char* key, const char* format) {
  return object.contains(key) && object[key].is_number()
             ? fmt::format(fmt::runtime(format), object[key].get<double>())
             : "";
}

std::string percent(double share) {
  return fmt::format("{:.1f}%", share * 100);
}

std::string footer(const std::string& schema) {
  return fmt::format(
      "<p class=\"note\">Written by ntp from {} data; every figure on this page is in that "
      "JSON document.</p>\n",
      html::escape(schema));
}

// ---- a run ------------------------------------------------------------------------------------------

std::string context_section(const nlohmann::json& record) {
  const nlohmann::json& context = record["context"];
  const nlohmann::json& options = record["options"];
  const nlohmann::json& topology = record["topology"];
  std::vector<std::string> params;
  const nlohmann::json given_params = topology.value("params", nlohmann::json::object());
  for (const auto& [name, value] : given_params.items())
    params.push_back(name + "=" + text_of(value));
  std::vector<std::string> libraries;
  const nlohmann::json library_versions = context.value("libraries", nlohmann::json::object());
  for (const auto& [name, version] : library_versions.items())
    libraries.push_back(name + " " + text_of(version));
  const int threads = options.value("threads", 0);
  Rows rows = {
      {"topology", fmt::format("{} ({})", topology.value("name", ""), topology.value("source", ""))},
      {"parameters", fmt::format("{}", fmt::join(params, ", "))},
      {"back end", options.value("backend", "")},
      {"precision", options.value("precision", "")},
      {"batch", text_of(options.value("batch", nlohmann::json(1)))},
      {"threads", threads > 0 ? std::to_string(threads) : "the library's default"},
      {"mode", options.value("mode", "") + ", " + counted(options.value("streams", 1), "stream")},
      {"iterations", fmt::format("{} measured after {} warm-up", options.value("iterations", 0),
                                 options.value("warmup", 0))},
      {"host",
       fmt::format("{}: {}, {} cores, {:.1f} GiB", context.value("host", ""), context.value("cpu_model", ""),
                   context.value("cores", 0), context.value("memory_bytes", 0.0) / (1 << 30))},
      {"ISA", fmt::format("{}", fmt::join(context.value("isa", std::vector<std::string>{}), " "))},
      {"libraries", fmt::format("{}", fmt::join(libraries, ", "))},
      {"ntp", fmt::format("{} ({})", context.value("ntp_version", ""), context.value("git_commit", ""))},
      {"date", context.value("date", "")},
      {"command line", context.value("command_line", "")},
  };
  return html::section("context", "Context") + html::table({"", ""}, rows);
}

std::string end_to_end_section(const nlohmann::json& record) {
  const nlohmann::json& latency = record["latency"];
  std::string text =
      html::section("end-to-end", "End to end", latency.value("how", std::string("wall time per inference")));
  Rows rows;
  for (const char* key : {"median", "mean", "p90", "p99", "min", "max", "stddev", "cold"})
    if (latency.contains(key)) rows.push_back({key, fmt::format("{:.3f}", latency[key].get<double>())});
  if (latency.contains("cv")) rows.push_back({"cv", percent(latency["cv"].get<double>())});
  if (record.contains("throughput"))
    rows.push_back(
        {"throughput", fmt::format("{:.2f} items/s", record["throughput"].value("items_per_second", 0.0))});
  if (record.contains("audio") && record["audio"].contains("real_time_factor"))
    rows.push_back(
        {"real-time factor", fmt::format("{:.4f}", record["audio"]["real_time_factor"].get<double>())});
  if (record.contains("compile_seconds"))
    rows.push_back({"compile", fmt::format("{:.3f} s", record["compile_seconds"].get<double>())});
  text += html::table({"statistic", "ms"}, rows);
  const std::vector<double> samples = record.contains("samples")
                                          ? record["samples"].value("latency_ms", std::vector<double>{})
                                          : std::vector<double>{};
  std::vector<svg::Marker> markers;
  for (const char* key : {"median", "p90", "p99"})
    if (latency.contains(key)) markers.push_back({key, latency[key].get<double>()});
  return text + svg::histogram(samples, markers, "end-to-end latency per inference (ms)");
}

std::string bound_text(const nlohmann::json& item) {
  if (!item.contains("bound")) return "";
  const nlohmann::json& bound = item["bound"];
  std::string text = bound.value("class", "") + " (" + bound.value("evidence", "") + ")";
  if (bound.contains("share_of_roof"))
    text += fmt::format(", {:.0f}% of roof", bound["share_of_roof"].get<double>() * 100);
  return text;
}

// A layer's colour is its bound's on every chart of a run (the bars, the share bar, the roofline); one
// without a bound is grey, never the palette's first colour, which is compute's blue.
std::string bar_colour(const nlohmann::json& item) {
  return svg::bound_colour(item.contains("bound") ? item["bound"].value("class", "") : "");
}

// The nodes that were timed (layers and inlays), in step order.
std::vector<const nlohmann::json*> timed_nodes(const nlohmann::json& record) {
  std::vector<const nlohmann::json*> nodes;
  for (const nlohmann::json& node : record["nodes"])
    if (node.contains("time_ms")) nodes.push_back(&node);
  return nodes;
}

std::string layers_section(const nlohmann::json& record) {
  const std::vector<const nlohmann::json*> nodes = timed_nodes(record);
  if (nodes.empty())
    return html::section("layers", "Layers", "layer timing was off in this run: end-to-end figures only");
  std::string text = html::section("layers", "Layers",
                                   "median time per inference of each layer and inlay, with its share of the "
                                   "end-to-end time; colour: what "
                                   "bounds it (blue compute, red memory, yellow front end, grey unknown)");
  std::vector<svg::Bar> bars;
  Rows rows;
  for (const nlohmann::json* node : nodes) {
    const double median = (*node)["time_ms"]["median"].get<double>();
    const double share = node->value("share", 0.0);
    bars.push_back({node->value("name", ""), median, fmt::format("{:.3f} ms, {}", median, percent(share)),
                    bar_colour(*node), ""});
    const nlohmann::json bound = node->value("bound", nlohmann::json::object());
    rows.push_back({std::to_string(node->value("step", 0)), node->value("name", ""), node->value("op", ""),
                    node->value("implementation", "") + (node->value("fallback", false) ? " (fallback)" : ""),
                    fmt::format("{:.3f}", median), optional_figure((*node)["time_ms"], "p90", "{:.3f}"),
                    percent(share), optional_figure(*node, "gflops_per_second", "{:.2f}"),
                    optional_figure(*node, "gbytes_per_second", "{:.2f}"), bound_text(*node)});
  }
  text += svg::with_log_switch(svg::bar_chart(bars, "median ms per inference"),
                               svg::bar_chart(bars, "median ms per inference", "bars", svg::Scale::log));
  return text + html::table({"step", "name", "op", "implementation", "median ms", "p90 ms", "share",
                             "GFLOP/s", "GB/s", "bound"},
                            rows);
}

std::string segments_section(const nlohmann::json& record) {
  if (!record.contains("segments") || record["segments"].empty()) return "";
  std::string text = html::section("segments", "Segments", "time between each pair of start and end markers");
  std::vector<svg::Bar> bars;
  Rows rows;
  for (const nlohmann::json& segment : record["segments"]) {
    const double median = segment["time_ms"]["median"].get<double>();
    const double share = segment.value("share", 0.0);
    bars.push_back({segment.value("name", ""), median, fmt::format("{:.3f} ms, {}", median, percent(share)),
                    bar_colour(segment), ""});
    rows.push_back({segment.value("name", ""),
                    fmt::format("{}", fmt::join(segment.value("layers", std::vector<std::string>{}), ", ")),
                    fmt::format("{:.3f}", median), percent(share), bound_text(segment)});
  }
  text += svg::bar_chart(bars, "median ms per inference");
  return text + html::table({"segment", "layers", "median ms", "share", "bound"}, rows);
}

std::string totals_text(const Totals& totals) {
  return fmt::format("{:.3f} ms, {}, {} node{}", totals.time_ms, percent(totals.share), totals.nodes,
                     totals.nodes == 1 ? "" : "s");
}

// The time per op type, most first: a bar each, and the table with the cost model's totals.
std::string op_types_section(const nlohmann::json& record) {
  if (timed_nodes(record).empty()) return "";
  const Aggregates aggregates = aggregate_run(record);
  std::vector<svg::Bar> bars;
  Rows rows;
  for (const OpTypeTotals& op : aggregates.op_types) {
    bars.push_back({op.op, op.totals.time_ms,
                    fmt::format("{:.3f} ms, {}", op.totals.time_ms, percent(op.totals.share)),
                    svg::palette(0), op.op + ": " + totals_text(op.totals)});
    rows.push_back({op.op, std::to_string(op.totals.nodes), fmt::format("{:.3f}", op.totals.time_ms),
                    percent(op.totals.share), op.totals.costed ? fmt::format("{:.4g}", op.totals.flops) : "",
                    op.totals.costed ? fmt::format("{:.4g}", op.totals.bytes) : ""});
  }
  return html::section("op-types", "Op types",
                       "every node's median summed per op (inlays as their op, conversions as convert), with "
                       "the share of the end-to-end median") +
         svg::with_log_switch(svg::bar_chart(bars, "total median ms per inference", "ops"),
                              svg::bar_chart(bars, "total median ms per inference", "ops", svg::Scale::log)) +
         html::table({"op", "nodes", "total ms", "share", "FLOPs", "bytes"}, rows, "ranked");
}

// The module and its descendants as icicle cells from `start` (a share of the root's time); each top-level
// module keeps one colour down its subtree.
void icicle_cells(const ModuleTotals& module, double root_ms, double start, const std::string& colour,
                  std::vector<svg::IcicleCell>& cells) {
  cells.push_back(
      {module.depth == 0 ? "all nodes" : module.name,
       (module.depth == 0 ? std::string("all nodes") : module.path) + ": " + totals_text(module.totals),
       module.depth, start, module.totals.time_ms / root_ms, colour});
  double child_start = start;
  for (std::size_t c = 0; c < module.children.size(); ++c) {
    const ModuleTotals& child = module.children[c];
    icicle_cells(child, root_ms, child_start, module.depth == 0 ? svg::palette(c) : colour, cells);
    child_start += child.totals.time_ms / root_ms;
  }
}

// The node-name hierarchy: an icicle of the whole tree, and the table down to `depth` levels.
std::string modules_section(const nlohmann::json& record, int depth) {
  if (timed_nodes(record).empty()) return "";
  const Aggregates aggregates = aggregate_run(record);
  std::string text = html::section(
      "modules", "Modules",
      fmt::format("every node's median summed per module of the node names (split on '{}'), each level under "
                  "its parent, most time first; the table shows {} of {} levels (--depth)",
                  aggregates.separator, std::min(depth, aggregates.depth), aggregates.depth));
  const double root_ms = aggregates.modules.totals.time_ms;
  if (root_ms > 0) {
    std::vector<svg::IcicleCell> cells;
    icicle_cells(aggregates.modules, root_ms, 0, "#cccccc", cells);
    text += svg::icicle(cells, "time per module of the node-name hierarchy, each level under its parent");
  }
  Rows rows;
  for (const ModuleTotals* module : modules_to_depth(aggregates.modules, depth))
    rows.push_back({module->path, std::to_string(module->depth), std::to_string(module->totals.nodes),
                    fmt::format("{:.3f}", module->totals.time_ms), percent(module->totals.share)});
  return text + html::table({"module", "level", "nodes", "total ms", "share"}, rows, "ranked");
}

// The largest parts by name, the rest folded into "other", so a legend stays readable.
std::vector<std::string> largest_names(const std::map<std::string, double>& weight) {
  std::vector<std::pair<std::string, double>> sorted(weight.begin(), weight.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::vector<std::string> names;
  for (std::size_t i = 0; i < sorted.size() && i < kStackedParts; ++i)
    names.push_back(sorted[i].first);
  if (sorted.size() > kStackedParts) names.emplace_back("other");
  return names;
}

// One stacked row from (name, share) pairs: parts outside `named` are summed into "other".
svg::StackRow stack_row(const std::string& label, const std::vector<svg::Part>& parts,
                        const std::vector<std::string>& named) {
  svg::StackRow row{label, {}};
  double other = 0;
  for (const svg::Part& part : parts) {
    if (std::find(named.begin(), named.end(), part.name) != named.end())
      row.parts.push_back(part);
    else
      other += part.share;
  }
  if (other > 0) row.parts.push_back({"other", other, kOtherColour});
  return row;
}

// The legend of a run's share bar: the bound classes its parts are coloured by, in the order the layers
// section names them.
std::vector<svg::LegendEntry> bound_legend(const std::vector<svg::Part>& parts) {
  std::vector<svg::LegendEntry> entries;
  for (const char* bound_class : {"compute", "memory", "front-end", ""}) {
    const std::string& colour = svg::bound_colour(bound_class);
    if (std::any_of(parts.begin(), parts.end(), [&](const svg::Part& part) { return part.colour == colour; }))
      entries.push_back(
          {*bound_class == '\0' ? std::string("bound unknown") : bound_class + std::string(" bound"),
           colour});
  }
  if (std::any_of(parts.begin(), parts.end(), [](const svg::Part& part) { return part.name == "other"; }))
    entries.push_back({"other layers", kOtherColour});
  return entries;
}

std::string shares_section(const nlohmann::json& record) {
  const std::vector<const nlohmann::json*> nodes = timed_nodes(record);
  if (nodes.empty()) return "";
  std::map<std::string, double> weight;
  std::vector<svg::Part> parts;
  for (const nlohmann::json* node : nodes) {
    parts.push_back({node->value("name", ""), node->value("share", 0.0), bar_colour(*node)});
    weight[parts.back().name] += parts.back().share;
  }
  const svg::StackRow row = stack_row(record["topology"].value("name", ""), parts, largest_names(weight));
  return html::section("shares", "Share of time",
                       "each layer's share of the end-to-end median, coloured by what bounds it as in the "
                       "layers chart; the rest is NTP's timer and the gaps between layers") +
         svg::stacked_shares({row}, bound_legend(row.parts));
}

std::string counters_section(const nlohmann::json& record) {
  std::vector<std::string> events;
  std::string source;
  if (record.contains("counters")) {
    events = record["counters"].value("events", std::vector<std::string>{});
    source = "counters";
  } else if (record.contains("callgrind")) {
    events = record["callgrind"].value("events", std::vector<std::string>{});
    source = "callgrind";
  }
  std::string text;
  if (!events.empty()) {
    text = html::section("counters", "Counters",
                         source == "callgrind" ? record["callgrind"].value("how", std::string())
                                               : "medians per layer per inference");
    std::vector<std::string> header = {"name"};
    header.insert(header.end(), events.begin(), events.end());
    Rows rows;
    for (const nlohmann::json& node : record["nodes"]) {
      if (!node.contains(source)) continue;
      std::vector<std::string> row = {node.value("name", "")};
      for (const std::string& event : events)
        row.push_back(optional_figure(node[source], event.c_str(), "{:.0f}"));
      rows.push_back(std::move(row));
    }
    text += html::table(header, rows);
  }
  const nlohmann::json unavailable = record.contains("counters")
                                         ? record["counters"].value("unavailable", nlohmann::json::array())
                                         : nlohmann::json::array();
  for (const nlohmann::json& missing : unavailable)
    text += "<p class=\"note\">" +
            html::escape(fmt::format("counter {} not counted: {}", missing.value("event", ""),
                                     missing.value("reason", ""))) +
            "</p>\n";
  if (record.contains("perf"))
    text += "<p class=\"note\">" +
            html::escape(fmt::format("perf stat: {}",
                                     record["perf"].value("per_iteration", nlohmann::json()).dump())) +
            "</p>\n";
  return text;
}

std::string roofline_section(const nlohmann::json& record) {
  if (!record.contains("machine")) return "";
  const nlohmann::json& machine = record["machine"];
  std::vector<svg::RoofPoint> points;
  for (const nlohmann::json& node : record["nodes"]) {
    if (!node.contains("bound") || !node["bound"].contains("intensity_flops_per_byte")) continue;
    points.push_back({node.value("name", ""), node["bound"]["intensity_flops_per_byte"].get<double>(),
                      node.value("gflops_per_second", 0.0),
                      svg::bound_colour(node["bound"].value("class", "")), node.value("share", 0.0)});
  }
  return html::section(
             "roofline", "Roofline",
             fmt::format("each layer at its arithmetic intensity and attained GFLOP/s, under this machine's "
                         "ceilings: {:.0f} GFLOP/s ({} {} GEMM, {}) and {:.1f} GB/s (triad), measured {}",
                         machine.value("gflops_per_second", 0.0), machine.value("backend", ""),
                         machine.value("precision", ""), counted(machine.value("threads", 0), "thread"),
                         machine.value("gbytes_per_second", 0.0), machine.value("measured_at", ""))) +
         svg::roofline(points, machine.value("gflops_per_second", 1.0),
                       machine.value("gbytes_per_second", 1.0));
}

std::string transcripts_section(const nlohmann::json& record) {
  if (!record.contains("transcripts")) return "";
  Rows rows;
  for (const nlohmann::json& entry : record["transcripts"])
    rows.push_back(
        {entry.value("node", ""), std::to_string(entry.value("item", 0)), entry.value("text", "")});
  return html::section("transcripts", "Transcripts", record.value("transcripts_note", std::string())) +
         html::table({"decoder", "item", "text"}, rows);
}

// ---- a comparison -----------------------------------------------------------------------------------

std::string runs_section(const nlohmann::json& comparison) {
  const nlohmann::json& runs = comparison["runs"];
  Rows rows;
  std::vector<svg::Bar> bars;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const nlohmann::json& run = runs[r];
    const nlohmann::json& entry = comparison["end_to_end"][r];
    const double median = entry["latency_median_ms"].get<double>();
    const int threads = run.value("threads", 0);
    rows.push_back({run.value("label", ""), run.value("topology", ""),
                    run.value("backend", "") + " " + run.value("library_version", ""),
                    run.value("precision", ""), text_of(run.value("batch", nlohmann::json(1))),
                    threads > 0 ? std::to_string(threads) : "default",
                    run.value("host", "") + " (" + run.value("cpu", "") + ")", fmt::format("{:.3f}", median),
                    r == 0 ? "baseline" : ratio_text(entry), significance_text(entry),
                    optional_figure(entry, "geomean_layer_ratio", "{:.2f}x"),
                    optional_figure(run, "items_per_second", "{:.2f}")});
    bars.push_back(
        {run.value("label", ""), median,
         r == 0 ? fmt::format("{:.3f} ms", median)
                : fmt::format("{:.3f} ms, {} {}", median, ratio_text(entry), significance_text(entry)),
         svg::palette(r), ""});
  }
  return html::section("runs", "Runs", "the first run is the baseline") +
         html::table({"run", "topology", "back end", "precision", "batch", "threads", "host", "median ms",
                      "ratio", "differs", "geomean layer ratio", "items/s"},
                     rows) +
         svg::bar_chart(bars, "end-to-end median ms per inference");
}

std::string compared_layers_section(const nlohmann::json& comparison) {
  const nlohmann::json& runs = comparison["runs"];
  std::vector<std::string> labels;
  for (const nlohmann::json& run : runs)
    labels.push_back(run.value("label", ""));
  std::vector<svg::BarGroup> groups;
  std::vector<std::string> header = {"layer", "op"};
  for (std::size_t r = 0; r < labels.size(); ++r) {
    header.insert(header.end(), {labels[r] + " ms", "share"});
    if (r > 0) header.insert(header.end(), {"ratio", "differs"});
  }
  Rows rows;
  for (const nlohmann::json& layer : comparison["layers"]) {
    svg::BarGroup group{layer.value("name", ""), {}};
    std::vector<std::string> row = {layer.value("name", ""), layer.value("op", "")};
    for (std::size_t r = 0; r < labels.size(); ++r) {
      const nlohmann::json& cell = layer["runs"][r];
      const bool timed = !cell.is_null() && cell.contains("median_ms");
      group.values.push_back(timed ? cell["median_ms"].get<double>() : -1);
      row.push_back(cell.is_null() ? "-"
                    : timed        ? fmt::format("{:.3f}{}", cell["median_ms"].get<double>(),
                                          cell.value("fallback", false) ? "*" : "")
                                   : "");
      row.push_back(timed ? percent(cell.value("share", 0.0)) : "");
      if (r > 0) {
        row.push_back(cell.is_null() ? "" : ratio_text(cell));
        row.push_back(cell.is_null() ? "" : significance_text(cell));
      }
    }
    groups.push_back(std::move(group));
    rows.push_back(std::move(row));
  }
  return html::section("layers", "Layers",
                       "median ms per inference of each layer in each run; * ran on the reference back end "
                       "(fallback); - not in that run") +
         svg::with_log_switch(svg::grouped_bars(groups, labels, "median ms per inference"),
                              svg::grouped_bars(groups, labels, "median ms per inference", svg::Scale::log)) +
         html::table(header, rows);
}

std::string compared_shares_section(const nlohmann::json& comparison) {
  const nlohmann::json& runs = comparison["runs"];
  std::map<std::string, double> weight;
  std::vector<std::vector<svg::Part>> parts(runs.size());
  for (const nlohmann::json& layer : comparison["layers"])
    for (std::size_t r = 0; r < runs.size(); ++r) {
      const nlohmann::json& cell = layer["runs"][r];
      if (cell.is_null() || !cell.contains("share")) continue;
      parts[r].push_back({layer.value("name", ""), cell["share"].get<double>(), ""});
      weight[layer.value("name", "")] += cell["share"].get<double>();
    }
  const std::vector<std::string> named = largest_names(weight);
  std::vector<svg::StackRow> rows;
  for (std::size_t r = 0; r < runs.size(); ++r)
    rows.push_back(stack_row(runs[r].value("label", ""), parts[r], named));
  std::vector<svg::LegendEntry> legend;
  for (std::size_t i = 0; i < named.size(); ++i)
    legend.push_back({named[i], named[i] == "other" ? kOtherColour : svg::palette(i)});
  return html::section("shares", "Share of time", "each layer's share of its run's end-to-end median") +
         svg::stacked_shares(rows, legend);
}

// ---- a sweep ----------------------------------------------------------------------------------------

bool numeric(const std::string& text) {
  char* end = nullptr;
  std::strtod(text.c_str(), &end);
  return !text.empty() && *end == '\0';
}

std::string param(const nlohmann::json& point, const std::string& name) {
  return point["params"].value(name, std::string());
}

std::string sweep_points_section(const nlohmann::json& sweep) {
  std::vector<std::string> header = {"point"};
  for (const nlohmann::json& axis : sweep["axes"])
    header.push_back(axis["name"].get<std::string>());
  header.insert(header.end(), {"status", "median ms", "items/s", "seconds", "reason"});
  Rows rows;
  for (const nlohmann::json& point : sweep["points"]) {
    std::vector<std::string> row = {std::to_string(point["index"].get<std::int64_t>())};
    for (const nlohmann::json& axis : sweep["axes"])
      row.push_back(param(point, axis["name"].get<std::string>()));
    const bool ran = point.contains("record");
    row.insert(
        row.end(),
        {point["status"].get<std::string>(),
         ran ? fmt::format("{:.3f}", point["record"]["latency"]["median"].get<double>()) : "",
         ran ? fmt::format("{:.2f}", point["record"]["throughput"].value("items_per_second", 0.0)) : "",
         fmt::format("{:.1f}", point.value("seconds", 0.0)), point.value("reason", "")});
    rows.push_back(std::move(row));
  }
  std::string note = "each point ran in its own ntp run process";
  if (sweep.contains("missing") && !sweep["missing"].empty())
    note += "; no shard ran points " + sweep["missing"].dump();
  return html::section("points", "Points", note) + html::table(header, rows);
}

// "batch=4" before "batch=16": runs of digits compare as numbers, everything else as text.
struct NaturalLess {
  bool operator()(const std::string& a, const std::string& b) const {
    std::size_t i = 0, j = 0;
    const auto digit = [](char c) { return c >= '0' && c <= '9'; };
    while (i < a.size() && j < b.size()) {
      if (digit(a[i]) && digit(b[j])) {
        const std::size_t a_end = a.find_first_not_of("0123456789", i),
                          b_end = b.find_first_not_of("0123456789", j);
        std::string a_run = a.substr(i, a_end - i), b_run = b.substr(j, b_end - j);
        a_run.erase(0, std::min(a_run.find_first_not_of('0'), a_run.size() - 1));
        b_run.erase(0, std::min(b_run.find_first_not_of('0'), b_run.size() - 1));
        if (a_run.size() != b_run.size()) return a_run.size() < b_run.size();
        if (a_run != b_run) return a_run < b_run;
        i = a_end == std::string::npos ? a.size() : a_end;
        j = b_end == std::string::npos ? b.size() : b_end;
      } else {
        if (a[i] != b[j]) return a[i] < b[j];
        ++i;
        ++j;
      }
    }
    return a.size() - i < b.size() - j;
  }
};

using PointLines = std::map<std::string, std::vector<const nlohmann::json*>, NaturalLess>;

// Points that ran, grouped by their values of every axis but `axis` (one line each), in natural order.
PointLines lines_along(const nlohmann::json& sweep, const std::string& axis) {
  PointLines lines;
  for (const nlohmann::json& point : sweep["points"]) {
    if (!point.contains("record")) continue;
    std::string others;
    for (const nlohmann::json& other : sweep["axes"])
      if (other["name"] != axis)
        others += (others.empty() ? "" : " ") + other["name"].get<std::string>() + "=" +
                  param(point, other["name"].get<std::string>());
    lines[others.empty() ? "end to end" : others].push_back(&point);
  }
  return lines;
}

// The spread drawn around each point's median: the interquartile range of its samples where every point
// kept at least four, else its fastest to slowest inference (both are in every record).
struct Spread {
  bool quartiles = false;
  std::string label;
  std::pair<double, double> of(const nlohmann::json& record) const {
    const nlohmann::json& latency = record["latency"];
    if (!quartiles) return {latency.value("min", 0.0), latency.value("max", 0.0)};
    std::vector<double> samples = record["samples"]["latency_ms"].get<std::vector<double>>();
    std::sort(samples.begin(), samples.end());
    return {profile::percentile(samples, 0.25), profile::percentile(samples, 0.75)};
  }
};

Spread spread_over(const nlohmann::json& sweep) {
  bool quartiles = true;
  for (const nlohmann::json& point : sweep["points"])
    if (point.contains("record")) {
      const nlohmann::json& record = point["record"];
      quartiles = quartiles && record.contains("samples") && record["samples"].contains("latency_ms") &&
                  record["samples"]["latency_ms"].size() >= 4;
    }
  return quartiles ? Spread{true, "p25 to p75 of each point's samples"}
                   : Spread{false, "fastest to slowest inference of each point"};
}

double point_median_ms(const nlohmann::json& point) {
  return point["record"]["latency"]["median"].get<double>();
}

// A sweep over names only (back ends, precisions): one bar per point, its median and spread in words.
std::string sweep_points_chart(const nlohmann::json& sweep, const Spread& spread) {
  std::vector<svg::Bar> bars;
  for (const nlohmann::json& point : sweep["points"]) {
    if (!point.contains("record")) continue;
    const auto [low, high] = spread.of(point["record"]);
    bars.push_back({point["label"].get<std::string>(), point_median_ms(point),
                    fmt::format("{:.3f} ms ({:.3f} to {:.3f})", point_median_ms(point), low, high),
                    svg::palette(0), ""});
  }
  if (bars.empty()) return "";
  return html::section("time-points", "End-to-end time per point",
                       "median latency per inference of each point; in brackets the " + spread.label) +
         svg::bar_chart(bars, "median ms per inference", "points");
}

std::string sweep_charts_section(const nlohmann::json& sweep) {
  const Spread spread = spread_over(sweep);
  std::string text;
  bool first_numeric = true;
  for (const nlohmann::json& axis : sweep["axes"]) {
    const std::vector<std::string> values = axis["values"].get<std::vector<std::string>>();
    if (!std::all_of(values.begin(), values.end(), numeric)) continue;
    const std::string name = axis["name"].get<std::string>();
    const auto lines = lines_along(sweep, name);
    std::vector<svg::Series> series, throughput;
    const auto by_x = [](const svg::LinePoint& a, const svg::LinePoint& b) { return a.x < b.x; };
    for (const auto& [label, points] : lines) {
      svg::Series line{label, {}}, items{label, {}};
      for (const nlohmann::json* point : points) {
        const double x = std::stod(param(*point, name));
        const auto [low, high] = spread.of((*point)["record"]);
        line.points.push_back({x, point_median_ms(*point), low, high});
        items.points.push_back({x, (*point)["record"]
                                       .value("throughput", nlohmann::json::object())
                                       .value("items_per_second", 0.0)});
      }
      std::sort(line.points.begin(), line.points.end(), by_x);
      std::sort(items.points.begin(), items.points.end(), by_x);
      series.push_back(std::move(line));
      throughput.push_back(std::move(items));
    }
    text +=
        html::section("time-" + name, "End-to-end time against " + name,
                      "median latency per inference at each value of " + name +
                          ", one line per combination of the other axes; error bars: the " + spread.label) +
        svg::line_chart(series, name, "median ms", spread.label);
    // What a larger batch buys: the items per second each point recorded, which latency alone hides.
    if (name == "batch")
      text += html::section("throughput-batch", "Items per second against batch",
                            "the throughput each point recorded (inferences per second times the batch), one "
                            "line per combination of the other axes") +
              svg::line_chart(throughput, name, "items/s");
    if (!first_numeric || lines.empty()) continue;
    first_numeric = false;
    // Each layer's share along the first numeric axis, for the first line: where the time moves as it grows.
    const std::vector<const nlohmann::json*>& points = lines.begin()->second;
    std::map<std::string, double> weight;
    for (const nlohmann::json* point : points)
      for (const nlohmann::json& node : (*point)["record"]["nodes"])
        if (node.contains("share")) weight[node["name"].get<std::string>()] += node["share"].get<double>();
    std::vector<std::string> layers = largest_names(weight);
    layers.erase(std::remove(layers.begin(), layers.end(), "other"), layers.end());
    std::vector<svg::Series> shares;
    for (const std::string& layer : layers) {
      svg::Series line{layer, {}};
      for (const nlohmann::json* point : points)
        for (const nlohmann::json& node : (*point)["record"]["nodes"])
          if (node["name"] == layer && node.contains("share"))
            line.points.push_back({std::stod(param(*point, name)), node["share"].get<double>() * 100});
      std::sort(line.points.begin(), line.points.end(), by_x);
      shares.push_back(std::move(line));
    }
    text += html::section("shares-" + name, "Share of each layer against " + name,
                          "each layer's share of the end-to-end median" +
                              (lines.size() > 1 ? " at " + lines.begin()->first : std::string())) +
            svg::line_chart(shares, name, "share of end-to-end time (%)");
  }
  // No numeric axis gave a chart: the points side by side instead.
  if (first_numeric) text += sweep_points_chart(sweep, spread);
  return text;
}

}  // namespace

std::string run_html(const nlohmann::json& record, int module_depth) {
  const std::string title =
      fmt::format("{} on {}", record["topology"].value("name", ""), record["options"].value("backend", ""));
  std::string body = "<h1>" + html::escape(title) + "</h1>\n";
  body += "<p class=\"note\">" +
          html::escape(fmt::format("ntp run, {} on {}", record["context"].value("date", ""),
                                   record["context"].value("host", ""))) +
          "</p>\n";
  // What the reader must not miss comes first: figures that may be off, fallbacks, partial runs.
  const std::vector<std::string> notices = run_notices(record);
  if (!notices.empty()) {
    body += "<ul class=\"notices\" id=\"notices\">\n";
    for (const std::string& notice : notices)
      body += "<li>" + html::escape(notice) + "</li>\n";
    body += "</ul>\n";
  }
  body += context_section(record) + end_to_end_section(record) + op_types_section(record) +
          modules_section(record, module_depth) + layers_section(record) + segments_section(record) +
          shares_section(record) + counters_section(record) + roofline_section(record) +
          transcripts_section(record) + footer(record.value("schema", ""));
  return html::page("NTP: " + title, body);
}

std::string sweep_html(const nlohmann::json& sweep) {
  const std::string title = fmt::format("sweep of {}: {} of {} points", sweep.value("topology_file", ""),
                                        sweep["points"].size(), sweep.value("points_total", 0));
  std::string body = "<h1>" + html::escape(title) + "</h1>\n";
  body += "<p class=\"note\">" + html::escape(sweep.value("command_line", std::string())) + "</p>\n";
  body += sweep_points_section(sweep) + sweep_charts_section(sweep);
  const nlohmann::json comparison = sweep_comparison(sweep);
  if (!comparison.is_null())
    body +=
        runs_section(comparison) + compared_layers_section(comparison) + compared_shares_section(comparison);
  return html::page("NTP: " + title, body + footer(sweep.value("schema", "")));
}

std::string comparison_html(const nlohmann::json& comparison) {
  const std::string title = fmt::format("comparison of {} runs against {}", comparison["runs"].size(),
                                        comparison.value("baseline", ""));
  std::string body = "<h1>" + html::escape(title) + "</h1>\n";
  body += "<p class=\"note\">" + html::escape(comparison.value("how", std::string())) + "</p>\n";
  body += runs_section(comparison) + compared_layers_section(comparison) +
          compared_shares_section(comparison) + footer(comparison.value("schema", ""));
  return html::page("NTP: " + title, body);
}

}  // namespace ntp::report
