// `ntp history`: past runs from the results database, newest first, filtered.
#include <fmt/format.h>
#include <map>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "output.h"
#include "report/results_db.h"
#include "report/text_table.h"

namespace ntp::cli {

namespace {

// `--sweep ID`: that sweep's points, each with its status and run id.
int list_sweep(const report::ResultsDatabase& database, const HistoryArgs& args) {
  const std::vector<nlohmann::json> points = database.sweep_points(args.sweep);
  if (args.format == "json") {
    write_output(
        "", nlohmann::json{{"database", database.path()}, {"sweep", args.sweep}, {"points", points}}.dump(2) +
                "\n");
    return 0;
  }
  report::TextTable table;
  using Align = report::TextTable::Align;
  for (const auto& [title, align] : std::vector<std::pair<std::string, Align>>{{"point", Align::right},
                                                                               {"parameters", Align::left},
                                                                               {"status", Align::left},
                                                                               {"seconds", Align::right},
                                                                               {"run", Align::right},
                                                                               {"reason", Align::left}})
    table.add_column(title, align);
  for (const nlohmann::json& point : points) {
    const std::int64_t run = point["run_id"].get<std::int64_t>();
    table.add_row({point["index"].dump(), point["label"].get<std::string>(),
                   point["status"].get<std::string>(), fmt::format("{:.1f}", point["seconds"].get<double>()),
                   run > 0 ? std::to_string(run) : "", point["reason"].get<std::string>()});
  }
  write_output(
      "", fmt::format("sweep {}: {} point(s) recorded in {}\n", args.sweep, points.size(), database.path()) +
              table.render() + "compare its runs by id: ntp compare ID ID ...\n");
  return 0;
}

}  // namespace

int history_command(const HistoryArgs& args) {
  const report::ResultsDatabase database(args.db.empty() ? report::default_database_path() : args.db,
                                         report::ResultsDatabase::Access::read_only);
  if (args.sweep > 0) return list_sweep(database, args);
  const std::vector<report::RunRow> rows =
      database.runs({args.topology, args.backend, args.host, args.since, args.limit});
  if (args.format == "json") {
    nlohmann::json list = nlohmann::json::array();
    for (const report::RunRow& row : rows)
      list.push_back({{"id", row.id},
                      {"recorded_at", row.recorded_at},
                      {"topology", row.topology},
                      {"backend", row.backend},
                      {"precision", row.precision},
                      {"batch", row.batch},
                      {"threads", row.threads},
                      {"host", row.host},
                      {"parameters", nlohmann::json(std::map<std::string, std::string>(
                                         row.parameters.begin(), row.parameters.end()))},
                      {"tool", row.tool},
                      {"label", row.label},
                      {"sweep", row.sweep > 0 ? nlohmann::json(row.sweep) : nlohmann::json()},
                      {"sweep_point", row.sweep > 0 ? nlohmann::json(row.sweep_point) : nlohmann::json()},
                      {"latency_median_ms", row.latency_median_ms},
                      {"quality_warnings", row.warnings ? nlohmann::json(*row.warnings) : nlohmann::json()}});
    write_output("", nlohmann::json{{"database", database.path()}, {"runs", list}}.dump(2) + "\n");
    return 0;
  }
  report::TextTable table;
  using Align = report::TextTable::Align;
  for (const auto& [title, align] :
       std::vector<std::pair<std::string, Align>>{{"id", Align::right},
                                                  {"recorded (UTC)", Align::left},
                                                  {"topology", Align::left},
                                                  {"backend", Align::left},
                                                  {"precision", Align::left},
                                                  {"batch", Align::right},
                                                  {"threads", Align::right},
                                                  {"parameters", Align::left},
                                                  {"tool", Align::left},
                                                  {"label", Align::left},
                                                  {"sweep", Align::left},
                                                  {"host", Align::left},
                                                  {"median ms", Align::right},
                                                  {"figures", Align::left}})
    table.add_column(title, align);
  for (const report::RunRow& row : rows) {
    std::vector<std::string> parameters;
    for (const auto& [name, value] : row.parameters)
      parameters.push_back(name + "=" + value);
    table.add_row({std::to_string(row.id), row.recorded_at, row.topology, row.backend, row.precision,
                   std::to_string(row.batch), row.threads > 0 ? std::to_string(row.threads) : "default",
                   fmt::format("{}", fmt::join(parameters, " ")), row.tool, row.label,
                   row.sweep > 0 ? fmt::format("{} (point {})", row.sweep, row.sweep_point) : "", row.host,
                   fmt::format("{:.3f}", row.latency_median_ms),
                   !row.warnings ? ""
                   : *row.warnings == 0
                       ? "ok"
                       : fmt::format("noisy ({} warning{})", *row.warnings, *row.warnings == 1 ? "" : "s")});
  }
  write_output("", fmt::format("{} run(s) in {}\n", rows.size(), database.path()) + table.render() +
                       "compare runs by id: ntp compare ID ID ...; `ntp report ID --format table` lists a "
                       "noisy run's warnings\n");
  return 0;
}

}  // namespace ntp::cli
