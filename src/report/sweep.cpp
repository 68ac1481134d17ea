#include "sweep.h"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "compare.h"
#include "csv.h"
#include "ntp/limits.h"
#include "ntp/status.h"
#include "text_table.h"

namespace ntp::report {

namespace {

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto end = text.find(separator, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

std::string param_value(const nlohmann::json& point, const std::string& name) {
  const nlohmann::json& params = point["params"];
  return params.contains(name) ? params[name].get<std::string>() : "";
}

std::vector<std::string> axis_names(const nlohmann::json& sweep) {
  std::vector<std::string> names;
  for (const nlohmann::json& axis : sweep["axes"])
    names.push_back(axis["name"].get<std::string>());
  return names;
}

}  // namespace

SweepAxis parse_axis(const std::string& text) {
  const auto equals = text.find('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 == text.size())
    throw UserError(kCommandLine, fmt::format("--grid '{}' is not name=value,value,...", text),
                    "write --grid hidden=1024,2048,4096 (a topology parameter, or backend, batch, threads, "
                    "precision, streams, mode)");
  SweepAxis axis{text.substr(0, equals), split(text.substr(equals + 1), ',')};
  std::set<std::string> seen;
  for (const std::string& value : axis.values) {
    if (value.empty())
      throw UserError(kCommandLine, fmt::format("--grid '{}' has an empty value", text),
                      "separate values with single commas");
    if (!seen.insert(value).second)
      throw UserError(kCommandLine, fmt::format("--grid '{}' names the value '{}' twice", text, value),
                      "give each value once");
  }
  return axis;
}

SweepParams parse_point(const std::string& text) {
  SweepParams params;
  std::set<std::string> names;
  for (const std::string& part : split(text, ',')) {
    const auto equals = part.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == part.size())
      throw UserError(kCommandLine, fmt::format("--point '{}' is not name=value,name=value,...", text),
                      "write --point hidden=1024,batch=16");
    if (!names.insert(part.substr(0, equals)).second)
      throw UserError(kCommandLine, fmt::format("--point '{}' sets '{}' twice", text, part.substr(0, equals)),
                      "set each parameter once per point");
    params.emplace_back(part.substr(0, equals), part.substr(equals + 1));
  }
  return params;
}

std::vector<SweepParams> cross_product(const std::vector<SweepAxis>& axes) {
  std::set<std::string> names;
  for (const SweepAxis& axis : axes)
    if (!names.insert(axis.name).second)
      throw UserError(kCommandLine, fmt::format("--grid names '{}' twice", axis.name),
                      "give all of a parameter's values in one --grid");
  std::int64_t count = 1;  // checked before the points are built: each axis multiplies them
  for (const SweepAxis& axis : axes) {
    count *= static_cast<std::int64_t>(axis.values.size());
    if (count > limits::kMaxSweepPoints)
      throw UserError(
          kCommandLine, fmt::format("the grid has more than {} points", limits::kMaxSweepPoints),
          "sweep fewer values, or split the sweep into several; docs/limits.md lists NTP's limits");
  }
  std::vector<SweepParams> points = {{}};
  for (const SweepAxis& axis : axes) {
    std::vector<SweepParams> extended;
    for (const SweepParams& point : points)
      for (const std::string& value : axis.values) {
        extended.push_back(point);
        extended.back().emplace_back(axis.name, value);
      }
    points = std::move(extended);
  }
  return points;
}

Shard parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  Shard shard;
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    std::size_t used = 0;
    shard.index = std::stoi(text.substr(0, slash), &used);
    if (used != slash) throw std::invalid_argument("index");
    shard.count = std::stoi(text.substr(slash + 1), &used);
    if (used != text.size() - slash - 1) throw std::invalid_argument("count");
  } catch (const std::exception&) {
    shard.count = 0;
  }
  if (shard.count < 1 || shard.index < 1 || shard.index > shard.count)
    throw UserError(kCommandLine, fmt::format("--shard '{}' is not i/N with 1 <= i <= N", text),
                    "--shard 2/4 runs the second of four shares of the points (a Slurm array or "
                    "Kubernetes indexed job passes its index + 1)");
  return shard;
}

bool in_shard(std::size_t point, const Shard& shard) {
  return static_cast<int>(point % static_cast<std::size_t>(shard.count)) == shard.index - 1;
}

std::string point_label(const SweepParams& params) {
  std::string label;
  for (const auto& [name, value] : params)
    label += (label.empty() ? "" : " ") + name + "=" + value;
  return label;
}

nlohmann::json merge_sweeps(const std::vector<nlohmann::json>& shards,
                            const std::vector<std::string>& files) {
  nlohmann::json merged = shards.front();
  merged.erase("shard");
  merged["merged_from"] = files;
  std::map<std::int64_t, std::size_t> owner;  // point index -> shard that ran it
  // points_total is the file's word: bounded before the missing points are listed one by one.
  const nlohmann::json& total = shards.front()["points_total"];
  if (!total.is_number_integer() || total.get<std::int64_t>() < 1 ||
      total.get<std::int64_t>() > limits::kMaxSweepPoints)
    throw UserError({files.front(), 1, 1},
                    fmt::format("malformed sweep: points_total {} is not a count from 1 to {}",
                                total.dump().substr(0, 40), limits::kMaxSweepPoints),
                    "merge the files `ntp sweep --shard` wrote");
  std::map<std::int64_t, nlohmann::json> points;
  for (std::size_t s = 0; s < shards.size(); ++s) {
    const nlohmann::json& shard = shards[s];
    for (const char* key : {"topology_file", "axes", "points_total"})
      if (shard[key] != shards.front()[key])
        throw UserError({files[s], 1, 1},
                        fmt::format("not a shard of the same sweep as {}: its {} differ", files.front(), key),
                        "merge the shards of one `ntp sweep` command line");
    for (const nlohmann::json& point : shard["points"]) {
      const std::int64_t index = point["index"].get<std::int64_t>();
      if (index < 0 || index >= total.get<std::int64_t>())
        throw UserError({files[s], 1, 1},
                        fmt::format("malformed sweep: point {} is outside the sweep's {} points", index,
                                    total.get<std::int64_t>()),
                        "merge the files `ntp sweep --shard` wrote");
      if (const auto found = owner.find(index); found != owner.end())
        throw UserError({files[s], 1, 1},
                        fmt::format("point {} ({}) is in {} too", index, point["label"].get<std::string>(),
                                    files[found->second]),
                        "give each shard's file once; shards of one sweep never share a point");
      owner[index] = s;
      points[index] = point;
    }
  }
  merged["points"] = nlohmann::json::array();
  for (auto& [index, point] : points)
    merged["points"].push_back(std::move(point));
  nlohmann::json missing = nlohmann::json::array();
  for (std::int64_t i = 0; i < merged["points_total"].get<std::int64_t>(); ++i)
    if (!points.contains(i)) missing.push_back(i);
  merged["missing"] = missing;
  return merged;
}

nlohmann::json sweep_comparison(const nlohmann::json& sweep) {
  std::vector<nlohmann::json> records;
  std::vector<std::string> labels;
  for (const nlohmann::json& point : sweep["points"])
    if (point.contains("record")) {
      records.push_back(point["record"]);
      labels.push_back(point["label"].get<std::string>());
    }
  if (records.size() < 2) return nullptr;
  return compare_records(records, labels);
}

std::string sweep_table(const nlohmann::json& sweep) {
  const std::vector<std::string> names = axis_names(sweep);
  std::string text = fmt::format("sweep of {}: {} of {} points", sweep["topology_file"].get<std::string>(),
                                 sweep["points"].size(), sweep["points_total"].get<std::int64_t>());
  if (sweep.contains("shard"))
    text +=
        fmt::format(" (shard {}/{})", sweep["shard"]["index"].get<int>(), sweep["shard"]["count"].get<int>());
  if (sweep.contains("missing") && !sweep["missing"].empty())
    text += fmt::format("; missing points: {}", sweep["missing"].dump());
  text += "\n";
  TextTable table;
  table.add_column("point", TextTable::Align::right);
  for (const std::string& name : names)
    table.add_column(name, TextTable::Align::right);
  table.add_column("status", TextTable::Align::left);
  table.add_column("median ms", TextTable::Align::right);
  table.add_column("items/s", TextTable::Align::right);
  table.add_column("largest layer", TextTable::Align::left);
  table.add_column("figures", TextTable::Align::left);
  table.add_column("reason", TextTable::Align::left);
  for (const nlohmann::json& point : sweep["points"]) {
    std::vector<std::string> row = {std::to_string(point["index"].get<std::int64_t>())};
    for (const std::string& name : names)
      row.push_back(param_value(point, name));
    row.push_back(point["status"].get<std::string>());
    std::string median, items, largest, figures;
    if (point.contains("record")) {
      const nlohmann::json& record = point["record"];
      // A point measured while the machine was busy may rank wrongly against the others (issue 17).
      if (record.contains("quality")) {
        const std::size_t warnings = record["quality"]["warnings"].size();
        figures =
            warnings == 0 ? "ok" : fmt::format("noisy ({} warning{})", warnings, warnings == 1 ? "" : "s");
      }
      median = fmt::format("{:.3f}", record["latency"]["median"].get<double>());
      items = fmt::format("{:.2f}", record["throughput"].value("items_per_second", 0.0));
      double share = -1;
      for (const nlohmann::json& node : record["nodes"])
        if (node.value("share", -1.0) > share) {
          share = node["share"].get<double>();
          largest = fmt::format("{} {:.1f}%", node["name"].get<std::string>(), share * 100);
        }
    }
    row.insert(row.end(), {median, items, largest, figures, point.value("reason", "")});
    table.add_row(row);
  }
  text += table.render();
  // Each layer's median and share per point, points as columns (compare or --format html for ratios).
  const nlohmann::json comparison = sweep_comparison(sweep);
  if (comparison.is_null()) return text;
  TextTable layers;
  layers.add_column("layer", TextTable::Align::left);
  std::vector<std::string> point_indices;
  for (const nlohmann::json& point : sweep["points"])
    if (point.contains("record")) point_indices.push_back(std::to_string(point["index"].get<std::int64_t>()));
  for (const std::string& index : point_indices)
    layers.add_column("point " + index, TextTable::Align::right);
  for (const nlohmann::json& layer : comparison["layers"]) {
    std::vector<std::string> row = {layer["name"].get<std::string>()};
    for (const nlohmann::json& cell : layer["runs"])
      row.push_back(cell.is_null() || !cell.contains("median_ms")
                        ? "-"
                        : fmt::format("{:.3f} {:4.1f}%", cell["median_ms"].get<double>(),
                                      cell["share"].get<double>() * 100));
    layers.add_row(row);
  }
  return text + "\nmedian ms and share of each layer per point:\n" + layers.render();
}

std::string sweep_csv(const nlohmann::json& sweep) {
  const std::vector<std::string> names = axis_names(sweep);
  std::vector<std::string> header = {"point"};
  header.insert(header.end(), names.begin(), names.end());
  header.insert(header.end(), {"status", "reason", "layer", "op", "median_ms", "share"});
  CsvWriter csv(header);
  for (const nlohmann::json& point : sweep["points"]) {
    std::vector<std::string> prefix = {std::to_string(point["index"].get<std::int64_t>())};
    for (const std::string& name : names)
      prefix.push_back(param_value(point, name));
    prefix.insert(prefix.end(), {point["status"].get<std::string>(), point.value("reason", "")});
    if (!point.contains("record")) {
      std::vector<std::string> row = prefix;
      row.insert(row.end(), {"end to end", "", "", ""});
      csv.add_row(row);
      continue;
    }
    const nlohmann::json& record = point["record"];
    std::vector<std::string> total = prefix;
    total.insert(total.end(),
                 {"end to end", "", fmt::format("{:.6f}", record["latency"]["median"].get<double>()), "1"});
    csv.add_row(total);
    for (const nlohmann::json& node : record["nodes"]) {
      if (!node.contains("time_ms")) continue;
      std::vector<std::string> row = prefix;
      row.insert(row.end(), {node["name"].get<std::string>(), node["op"].get<std::string>(),
                             fmt::format("{:.6f}", node["time_ms"]["median"].get<double>()),
                             fmt::format("{:.6f}", node.value("share", 0.0))});
      csv.add_row(row);
    }
  }
  return csv.text();
}

}  // namespace ntp::report
