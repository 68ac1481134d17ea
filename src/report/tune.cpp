#include "tune.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "html.h"
#include "svg_charts.h"
#include "text_table.h"

namespace ntp::report {

namespace {

bool throughput(const TuneRecord& record) {
  return record.settings.objective == "throughput";
}

std::string objective_text(const TuneRecord& record, const TuneMeasurement& measured) {
  if (throughput(record)) return fmt::format("{:.1f} items/s", measured.items_per_second);
  return fmt::format("{:.3f} ms", measured.objective);
}

std::string objective_title(const TuneRecord& record) {
  if (throughput(record)) return "measured items/s";
  return record.settings.objective == "latency-p99" ? "measured p99" : "measured median";
}

std::string percent(const std::optional<double>& fraction) {
  return fraction ? fmt::format("{:+.1f}%", 100 * *fraction) : "";
}

// The winner's configuration per layer (none without a winner).
std::map<std::string, std::string> chosen(const TuneRecord& record) {
  std::map<std::string, std::string> result;
  if (record.winner < 0) return result;
  for (const auto& [layer, config] : record.candidates[static_cast<std::size_t>(record.winner)].placement)
    result[layer] = config;
  return result;
}

// A candidate's placement in few words: the configurations it uses and on how many layers.
std::string placement_summary(const TuneCandidate& candidate) {
  std::map<std::string, int> uses;
  for (const auto& entry : candidate.placement)
    ++uses[entry.second];
  std::vector<std::string> parts;
  for (const auto& [config, count] : uses)
    parts.push_back(uses.size() == 1 ? fmt::format("all on {}", config)
                                     : fmt::format("{} {}", count, config));
  return fmt::format("{}", fmt::join(parts, ", "));
}

std::vector<std::string> candidate_header(const TuneRecord& record) {
  return {"#",
          "candidate",
          "placement",
          "predicted",
          objective_title(record),
          "prediction off",
          "vs baseline p",
          "output error",
          "verdict"};
}

std::vector<std::vector<std::string>> candidate_rows(const TuneRecord& record) {
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < record.candidates.size(); ++i) {
    const TuneCandidate& candidate = record.candidates[i];
    std::string verdict = candidate.rejected.empty() ? "" : "ruled out: " + candidate.rejected;
    if (static_cast<int>(i) == record.winner) verdict = "WINNER";
    if (candidate.baseline) verdict += verdict.empty() ? "baseline" : ", baseline";
    rows.push_back({std::to_string(i + 1), candidate.name, placement_summary(candidate),
                    fmt::format("{:.3f} ms", candidate.predicted_ms),
                    candidate.measured ? objective_text(record, *candidate.measured) : "-",
                    percent(candidate.prediction_error),
                    candidate.p_value ? fmt::format("{:.2g}", *candidate.p_value) : "",
                    candidate.output_error ? fmt::format("{:.3g}", *candidate.output_error) : "", verdict});
  }
  return rows;
}

std::vector<std::string> config_header() {
  return {"configuration", "measured median", "p99", "sum of its layers"};
}

std::vector<std::vector<std::string>> config_rows(const TuneRecord& record) {
  std::vector<std::vector<std::string>> rows;
  for (const TuneConfig& config : record.configs)
    rows.push_back({config.name, fmt::format("{:.3f} ms", config.measured.median_ms),
                    fmt::format("{:.3f} ms", config.measured.p99_ms),
                    fmt::format("{:.3f} ms", config.predicted_ms)});
  return rows;
}

// Per layer: its time on each configuration, the fastest marked '<', the winner's choice marked '*'.
std::vector<std::string> layer_header(const TuneRecord& record) {
  std::vector<std::string> header = {"layer", "op"};
  for (const TuneConfig& config : record.configs)
    header.push_back(config.name);
  header.push_back("chosen");
  return header;
}

std::vector<std::vector<std::string>> layer_rows(const TuneRecord& record) {
  const auto choice = chosen(record);
  std::vector<std::vector<std::string>> rows;
  for (const TuneLayer& layer : record.layers) {
    std::vector<std::string> row = {layer.name, layer.op};
    std::optional<double> fastest;
    for (const auto& time : layer.time_ms)
      if (time && (!fastest || *time < *fastest)) fastest = time;
    const auto picked = choice.find(layer.name);
    for (std::size_t c = 0; c < layer.time_ms.size(); ++c) {
      const auto& time = layer.time_ms[c];
      const bool is_chosen = picked != choice.end() && picked->second == record.configs[c].name;
      row.push_back(
          time ? fmt::format("{:.3f}{}{}", *time, time == fastest ? " <" : "", is_chosen ? " *" : "") : "-");
    }
    row.push_back(picked != choice.end() ? picked->second : "");
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string render(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                   std::size_t left_columns) {
  TextTable table;
  for (std::size_t i = 0; i < header.size(); ++i)
    table.add_column(header[i], i < left_columns ? TextTable::Align::left : TextTable::Align::right);
  for (const auto& row : rows)
    table.add_row(row);
  return table.render();
}

std::string heading(const TuneRecord& record) {
  return fmt::format("{} tuned over {} x {} ({}; {} of {}, {})", record.topology,
                     fmt::join(record.settings.backends, "/"), fmt::join(record.settings.precisions, "/"),
                     record.settings.objective, counted(record.settings.rounds, "round"),
                     counted(record.settings.iterations, "iteration"),
                     threads_phrase(record.settings.threads));
}

}  // namespace

std::string tune_table(const TuneRecord& record) {
  std::string text = heading(record) + "\n\n";
  text +=
      "candidates, best measured first (times end to end, all rounds' samples; p: Mann-Whitney U against "
      "the baseline)\n";
  text += render(candidate_header(record), candidate_rows(record), 3) + "\n";
  text += "configurations run whole (each gave its layers' times)\n";
  text += render(config_header(), config_rows(record), 1) + "\n";
  text += "layer times in ms per configuration (<: fastest, *: the winner's choice)\n";
  text += render(layer_header(record), layer_rows(record), 2) + "\n";
  if (!record.conversions.empty()) {
    text += "conversions timed (element type changes between neighbouring layers)\n";
    std::vector<std::vector<std::string>> rows;
    for (const TuneConversion& conversion : record.conversions)
      rows.push_back({fmt::format("{}->{}", conversion.from, conversion.to),
                      human_count(static_cast<double>(conversion.elements)),
                      fmt::format("{:.4f} ms", conversion.ms)});
    text += render({"conversion", "elements", "median"}, rows, 1) + "\n";
  }
  text += "search: " + record.search + "\n";
  text += "verdict: " + record.verdict + "\n";
  return text;
}

std::string tune_html(const TuneRecord& record) {
  std::string body = fmt::format("<h1>{}</h1>\n<p class=\"verdict\">{}</p>\n", html::escape(heading(record)),
                                 html::escape(record.verdict));
  body += html::section(
      "candidates", "Candidates",
      "each placement the search proposed, run end to end in interleaved rounds; predicted: the "
      "sum of its layers' times and conversions");
  std::vector<svg::BarGroup> groups;
  for (const TuneCandidate& candidate : record.candidates)
    groups.push_back(
        {candidate.name, {candidate.predicted_ms, candidate.measured ? candidate.measured->median_ms : -1}});
  body += svg::grouped_bars(groups, {"predicted", "measured median"}, "ms");
  body += html::table(candidate_header(record), candidate_rows(record), "ranked");
  body +=
      html::section("layers", "Layers on each configuration",
                    "median ms of each layer in each configuration's whole run (<: fastest, *: the winner's "
                    "choice)");
  std::vector<svg::BarGroup> layer_groups;
  std::vector<std::string> series;
  for (const TuneConfig& config : record.configs)
    series.push_back(config.name);
  for (const TuneLayer& layer : record.layers) {
    svg::BarGroup group{layer.name, {}};
    for (const auto& time : layer.time_ms)
      group.values.push_back(time ? *time : -1);
    layer_groups.push_back(std::move(group));
  }
  body += svg::with_log_switch(svg::grouped_bars(layer_groups, series, "ms"),
                               svg::grouped_bars(layer_groups, series, "ms", svg::Scale::log));
  body += html::table(layer_header(record), layer_rows(record));
  body += html::section("configurations", "Configurations run whole");
  body += html::table(config_header(), config_rows(record));
  if (!record.conversions.empty()) {
    body += html::section("conversions", "Conversions", "element type changes, timed on this machine");
    std::vector<std::vector<std::string>> rows;
    for (const TuneConversion& conversion : record.conversions)
      rows.push_back({fmt::format("{}->{}", conversion.from, conversion.to),
                      std::to_string(conversion.elements), fmt::format("{:.4f}", conversion.ms)});
    body += html::table({"conversion", "elements", "median ms"}, rows);
  }
  body += html::section("search", "Search", record.search);
  return html::page(fmt::format("ntp tune: {}", record.topology), body);
}

}  // namespace ntp::report
