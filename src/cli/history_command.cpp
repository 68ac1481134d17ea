// `ntp history`: past runs from the results database, newest first, filtered.
#include <fmt/format.h>

#include "commands.h"
#include "output.h"
#include "report/results_db.h"
#include "report/text_table.h"

namespace ntp::cli {

int history_command(const HistoryArgs& args) {
  const report::ResultsDatabase database(args.db.empty() ? report::default_database_path() : args.db);
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
                      {"latency_median_ms", row.latency_median_ms}});
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
                                                  {"host", Align::left},
                                                  {"median ms", Align::right}})
    table.add_column(title, align);
  for (const report::RunRow& row : rows)
    table.add_row({std::to_string(row.id), row.recorded_at, row.topology, row.backend, row.precision,
                   std::to_string(row.batch), row.threads > 0 ? std::to_string(row.threads) : "default",
                   row.host, fmt::format("{:.3f}", row.latency_median_ms)});
  write_output("", fmt::format("{} run(s) in {}\n", rows.size(), database.path()) + table.render() +
                       "compare runs by id: ntp compare ID ID ...\n");
  return 0;
}

}  // namespace ntp::cli
