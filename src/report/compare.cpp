#include "compare.h"

#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "csv.h"
#include "profile/statistics.h"
#include "text_table.h"

namespace ntp::report {

namespace {

constexpr double kSignificance = 0.05;  // two-sided, per layer (no correction for the number of layers)

// The option values that tell the runs apart, in this order, become their labels.
std::vector<std::string> default_labels(const std::vector<nlohmann::json>& records) {
  // The names the user gave (--label), when every run has one of its own.
  std::vector<std::string> given;
  for (const auto& record : records)
    given.push_back(record["context"].value("label", std::string()));
  const std::set<std::string> distinct_given(given.begin(), given.end());
  if (distinct_given.size() == records.size() && !distinct_given.contains("")) return given;
  const std::vector<std::pair<std::string, std::string>> fields = {
      {"backend", ""}, {"precision", ""}, {"batch", "batch "}, {"threads", "threads "}};
  std::vector<std::string> labels(records.size());
  for (const auto& [field, prefix] : fields) {
    std::set<std::string> seen;
    for (const auto& record : records)
      seen.insert(record["options"][field].dump());
    if (seen.size() < 2) continue;
    for (std::size_t r = 0; r < records.size(); ++r) {
      const auto& value = records[r]["options"][field];
      const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
      labels[r] += (labels[r].empty() ? "" : " ") + prefix + text;
    }
  }
  // Topology variants (--set hidden=...), topologies and hosts that differ name the runs too.
  std::set<std::string> params;
  for (const auto& record : records)
    if (record["topology"].contains("params"))
      for (const auto& [key, value] : record["topology"]["params"].items())
        params.insert(key);
  const auto add_differing = [&](const std::function<std::string(const nlohmann::json&)>& text) {
    std::set<std::string> seen;
    for (const auto& record : records)
      seen.insert(text(record));
    if (seen.size() < 2) return;
    for (std::size_t r = 0; r < records.size(); ++r)
      labels[r] += (labels[r].empty() ? "" : " ") + text(records[r]);
  };
  for (const std::string& key : params)
    add_differing([&key](const nlohmann::json& record) {
      const auto values = record["topology"].value("params", nlohmann::json::object());
      return key + "=" + (values.contains(key) ? values[key].get<std::string>() : std::string("?"));
    });
  add_differing([](const nlohmann::json& record) { return record["topology"]["name"].get<std::string>(); });
  add_differing(
      [](const nlohmann::json& record) { return "on " + record["context"].value("host", std::string("?")); });
  std::set<std::string> distinct(labels.begin(), labels.end());
  if (distinct.size() < records.size())
    for (std::size_t r = 0; r < records.size(); ++r)
      labels[r] = fmt::format("run {}", r + 1);
  return labels;
}

double median_ms(const nlohmann::json& node) {
  return node.contains("time_ms") ? node["time_ms"]["median"].get<double>() : -1;
}

nlohmann::json run_cell(const nlohmann::json& node, double baseline_ms) {
  nlohmann::json cell = {{"implementation", node["implementation"]},
                         {"backend", node["backend"]},
                         {"fallback", node["fallback"]}};
  const double time = median_ms(node);
  if (time >= 0) {
    cell["median_ms"] = time;
    cell["share"] = node["share"];
    if (baseline_ms > 0) cell["ratio"] = time / baseline_ms;
  }
  return cell;
}

// Whether a run's samples differ from the baseline's (Mann-Whitney U), or why that cannot be said.
nlohmann::json significance(const nlohmann::json& baseline_samples, const nlohmann::json& samples) {
  if (!baseline_samples.is_array() || !samples.is_array()) return nullptr;
  const auto test = profile::mann_whitney_u(baseline_samples.get<std::vector<double>>(),
                                            samples.get<std::vector<double>>());
  const nlohmann::json counts = {test.n1, test.n2};
  if (!test.enough)
    return {{"enough", false},
            {"samples", counts},
            {"note", fmt::format("too few samples to test ({} and {}; at least {} each: --iterations)",
                                 test.n1, test.n2, profile::kMinimumSamples)}};
  return {{"enough", true},
          {"samples", counts},
          {"p_value", test.p_value},
          {"significant", test.p_value < kSignificance}};
}

nlohmann::json latency_samples(const nlohmann::json& record) {
  return record.contains("samples") ? record["samples"].value("latency_ms", nlohmann::json())
                                    : nlohmann::json();
}

std::string p_value_text(const nlohmann::json& cell) {
  if (!cell.contains("significance") || cell["significance"].is_null() || !cell["significance"]["enough"])
    return "";
  return fmt::format("{:.6g}", cell["significance"]["p_value"].get<double>());
}

}  // namespace

std::string significance_text(const nlohmann::json& cell) {
  if (!cell.contains("significance") || cell["significance"].is_null()) return "";
  const auto& test = cell["significance"];
  // Not significant is not "the same": a 3x ratio over 3 samples a side is untested, not equal (issue 17).
  if (!test["enough"].get<bool>())
    return test.contains("samples") ? fmt::format("n.s. (n={}/{})", test["samples"][0].get<std::int64_t>(),
                                                  test["samples"][1].get<std::int64_t>())
                                    : "n.s. (n<5)";
  return test["significant"].get<bool>() ? fmt::format("p={:.2g}", test["p_value"].get<double>())
                                         : fmt::format("n.s. (p={:.2g})", test["p_value"].get<double>());
}

std::string ratio_text(const nlohmann::json& cell) {
  return cell.contains("ratio") ? fmt::format("{:.2f}x", cell["ratio"].get<double>()) : "";
}

nlohmann::json compare_records(const std::vector<nlohmann::json>& records, std::vector<std::string> labels) {
  if (labels.size() != records.size()) labels = default_labels(records);
  nlohmann::json comparison;
  comparison["schema"] = "ntp.compare/1";
  comparison["baseline"] = labels.empty() ? "" : labels.front();
  comparison["how"] =
      "each cell is the run's median layer time; ratio is that time over the baseline's (the first run), "
      "so above 1 is slower; layers are matched by name, else by descriptor; significance: a two-sided "
      "Mann-Whitney U test of the run's per-iteration times against the baseline's (normal approximation "
      "with tie correction), significant below p = 0.05, not tested with fewer than 5 samples a side";
  nlohmann::json runs = nlohmann::json::array();
  for (std::size_t r = 0; r < records.size(); ++r) {
    const auto& record = records[r];
    runs.push_back({{"label", labels[r]},
                    {"topology", record["topology"]["name"]},
                    {"backend", record["options"]["backend"]},
                    {"library_version", record["context"]["libraries"].value(
                                            record["options"]["backend"].get<std::string>(), std::string())},
                    {"precision", record["options"]["precision"]},
                    {"batch", record["options"]["batch"]},
                    {"threads", record["options"]["threads"]},
                    {"host", record["context"].value("host", std::string())},
                    {"cpu", record["context"].value("cpu_model", std::string())},
                    {"latency_median_ms", record["latency"]["median"]},
                    {"items_per_second", record["throughput"]["items_per_second"]}});
    // A noisy run's ratios mean less: its warnings travel with it (absent in records older than them).
    if (record.contains("quality")) runs.back()["quality_warnings"] = record["quality"]["warnings"];
  }
  comparison["runs"] = runs;

  // Rows follow the baseline's layer order; layers only later runs have are appended in their order.
  nlohmann::json layers = nlohmann::json::array();
  std::map<std::string, std::size_t> row_of_name;
  std::multimap<std::string, std::size_t> rows_of_descriptor;
  std::map<std::size_t, nlohmann::json> baseline_samples;  // row -> the baseline's per-iteration times
  const std::size_t run_count = records.size();
  for (std::size_t r = 0; r < run_count; ++r) {
    std::set<std::size_t> matched;
    for (const auto& node : records[r]["nodes"]) {
      const std::string name = node["name"];
      const std::string descriptor = node.value("descriptor", std::string());
      std::size_t row = layers.size();
      if (const auto by_name = row_of_name.find(name);
          by_name != row_of_name.end() && matched.count(by_name->second) == 0) {
        row = by_name->second;
      } else if (!descriptor.empty()) {
        const auto [first, last] = rows_of_descriptor.equal_range(descriptor);
        for (auto it = first; it != last; ++it)
          if (matched.count(it->second) == 0 && layers[it->second]["runs"][r].is_null()) {
            row = it->second;
            break;
          }
      }
      if (row == layers.size()) {
        layers.push_back({{"name", name},
                          {"op", node["op"]},
                          {"kind", node["kind"]},
                          {"descriptor", descriptor},
                          {"runs", nlohmann::json(std::vector<nlohmann::json>(run_count, nullptr))}});
        row_of_name.emplace(name, row);
        if (!descriptor.empty()) rows_of_descriptor.emplace(descriptor, row);
      }
      matched.insert(row);
      const auto& baseline_cell = layers[row]["runs"][0];
      const double baseline_ms =
          r > 0 && !baseline_cell.is_null() ? baseline_cell.value("median_ms", -1.0) : -1;
      layers[row]["runs"][r] = run_cell(node, baseline_ms);
      if (r == 0) baseline_samples[row] = node.value("samples_ms", nlohmann::json());
      if (r > 0 && baseline_samples.count(row) != 0)
        layers[row]["runs"][r]["significance"] =
            significance(baseline_samples[row], node.value("samples_ms", nlohmann::json()));
    }
  }
  comparison["layers"] = layers;

  // End to end, and the geometric mean of the per-layer ratios over layers timed in both runs.
  nlohmann::json end_to_end = nlohmann::json::array();
  const double baseline_latency = records.empty() ? 0 : records.front()["latency"]["median"].get<double>();
  for (std::size_t r = 0; r < run_count; ++r) {
    const double latency = records[r]["latency"]["median"].get<double>();
    double log_sum = 0;
    int ratios = 0;
    for (const auto& layer : layers) {
      const auto& cell = layer["runs"][r];
      if (!cell.is_null() && cell.contains("ratio") && cell["ratio"].get<double>() > 0) {
        log_sum += std::log(cell["ratio"].get<double>());
        ++ratios;
      }
    }
    nlohmann::json entry = {{"label", labels[r]}, {"latency_median_ms", latency}};
    if (r > 0 && baseline_latency > 0) entry["ratio"] = latency / baseline_latency;
    if (r > 0)
      entry["significance"] = significance(latency_samples(records.front()), latency_samples(records[r]));
    if (ratios > 0) {
      entry["geomean_layer_ratio"] = std::exp(log_sum / ratios);
      entry["layers_compared"] = ratios;
    }
    end_to_end.push_back(entry);
  }
  comparison["end_to_end"] = end_to_end;
  return comparison;
}

std::string comparison_table(const nlohmann::json& comparison) {
  using Align = TextTable::Align;
  const auto& runs = comparison["runs"];
  std::string text;
  for (const auto& run : runs)
    text += fmt::format("{:>12}: {} on {} {}, {}, batch {}, {}, {}\n", run["label"].get<std::string>(),
                        run["topology"].get<std::string>(), run["backend"].get<std::string>(),
                        run["library_version"].get<std::string>(), run["precision"].get<std::string>(),
                        run["batch"].get<std::int64_t>(), threads_phrase(run["threads"].get<int>()),
                        run["host"].get<std::string>());
  TextTable table;
  table.add_column("layer", Align::left);
  table.add_column("op", Align::left);
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const std::string label = runs[r]["label"];
    table.add_column(label + " ms", Align::right);
    table.add_column("share", Align::right);
    if (r > 0) {
      table.add_column("ratio", Align::right);
      table.add_column("differs", Align::left);
    }
  }
  for (const auto& layer : comparison["layers"]) {
    std::vector<std::string> row = {layer["name"], layer["op"]};
    for (std::size_t r = 0; r < runs.size(); ++r) {
      const auto& cell = layer["runs"][r];
      const bool timed = !cell.is_null() && cell.contains("median_ms");
      std::string time = cell.is_null() ? "-"
                         : timed        ? fmt::format("{:.3f}", cell["median_ms"].get<double>())
                                        : "";
      if (timed && cell["fallback"].get<bool>()) time += "*";
      row.push_back(time);
      row.push_back(timed ? fmt::format("{:.1f}%", cell["share"].get<double>() * 100) : "");
      if (r > 0) {
        row.push_back(cell.is_null() ? "" : ratio_text(cell));
        row.push_back(cell.is_null() ? "" : significance_text(cell));
      }
    }
    table.add_row(row);
  }
  table.add_rule();
  std::vector<std::string> total = {"end to end", "median"};
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const auto& entry = comparison["end_to_end"][r];
    total.push_back(fmt::format("{:.3f}", entry["latency_median_ms"].get<double>()));
    total.emplace_back("100%");
    if (r > 0) {
      total.push_back(ratio_text(entry));
      total.push_back(significance_text(entry));
    }
  }
  table.add_row(total);
  text += "\n" + table.render();
  for (std::size_t r = 1; r < runs.size(); ++r) {
    const auto& entry = comparison["end_to_end"][r];
    if (entry.contains("geomean_layer_ratio"))
      text += fmt::format("{} vs {}: geometric mean of {} layer ratios {:.2f}x\n",
                          entry["label"].get<std::string>(), comparison["baseline"].get<std::string>(),
                          entry["layers_compared"].get<int>(), entry["geomean_layer_ratio"].get<double>());
  }
  for (const auto& run : runs)
    if (run.contains("quality_warnings") && !run["quality_warnings"].empty())
      text += fmt::format("warning: {} may be off: {}\n", run["label"].get<std::string>(),
                          fmt::join(run["quality_warnings"].get<std::vector<std::string>>(), "; "));
  text +=
      "ratio: time over the baseline's (above 1 is slower); differs: p-value of a Mann-Whitney U test where "
      "the difference is significant (p < 0.05); n.s. where it is not shown to differ: p >= 0.05, or too "
      "few samples to test (n = the baseline's/the run's, at least 5 each); * ran on the "
      "reference back end (fallback); - not in that run\n";
  return text;
}

std::string comparison_csv(const nlohmann::json& comparison) {
  CsvWriter csv({"layer", "op", "kind", "descriptor", "run", "backend", "implementation", "fallback",
                 "median_ms", "share", "ratio", "p_value"});
  const auto& runs = comparison["runs"];
  for (const auto& layer : comparison["layers"])
    for (std::size_t r = 0; r < runs.size(); ++r) {
      const auto& cell = layer["runs"][r];
      if (cell.is_null()) continue;
      csv.add_row({layer["name"], layer["op"], layer["kind"], layer["descriptor"], runs[r]["label"],
                   cell["backend"], cell["implementation"], cell["fallback"].get<bool>() ? "true" : "false",
                   cell.contains("median_ms") ? fmt::format("{:.6f}", cell["median_ms"].get<double>()) : "",
                   cell.contains("share") ? fmt::format("{:.6f}", cell["share"].get<double>()) : "",
                   cell.contains("ratio") ? fmt::format("{:.6f}", cell["ratio"].get<double>()) : "",
                   p_value_text(cell)});
    }
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const auto& entry = comparison["end_to_end"][r];
    csv.add_row({"end to end", "", "", "", runs[r]["label"], runs[r]["backend"], "", "",
                 fmt::format("{:.6f}", entry["latency_median_ms"].get<double>()), "1",
                 entry.contains("ratio") ? fmt::format("{:.6f}", entry["ratio"].get<double>()) : "",
                 p_value_text(entry)});
  }
  return csv.text();
}

}  // namespace ntp::report
