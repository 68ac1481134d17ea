// `ntp report RESULT -o report.html`: a saved run record, comparison, sweep or run id written as a report.
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "commands.h"
#include "ntp/status.h"
#include "output.h"
#include "record_files.h"
#include "report/compare.h"
#include "report/html_report.h"
#include "report/results_db.h"
#include "report/run_views.h"
#include "report/tune.h"

namespace ntp::cli {

namespace {

// A run record is read through load_records, which checks it; a comparison that keeps its records is made
// again from them, so that its figures are never taken on trust from the file.
nlohmann::json load_result(const std::string& argument, const std::string& db) {
  if (is_run_id(argument)) return load_records({argument}, db).front();
  const nlohmann::json document =
      read_document(argument, {"ntp.run/1", "ntp.compare/1", "ntp.sweep/1", "ntp.tune/1"});
  // A sweep, a tune (checked by its typed reader), and a comparison `ntp compare` wrote (it keeps no
  // records), are shown as they are.
  if (document["schema"] == "ntp.sweep/1" || document["schema"] == "ntp.tune/1" ||
      (document["schema"] == "ntp.compare/1" && !document.contains("records")))
    return document;
  const std::vector<nlohmann::json> records = load_records({argument}, db);
  if (document["schema"] == "ntp.run/1") return records.front();
  nlohmann::json comparison = report::compare_records(records);
  comparison["records"] = records;
  return comparison;
}

}  // namespace

int report_command(const ReportArgs& args) {
  const nlohmann::json result = load_result(args.input, args.db);
  if (result["schema"] == "ntp.tune/1") {
    const TuneRecord tune = TuneRecord::from_json(result);
    write_output(args.output, args.format == "table" ? report::tune_table(tune) : report::tune_html(tune));
    return 0;
  }
  if (result["schema"] == "ntp.sweep/1") {
    write_sweep_output(result, args.format, args.output);
    return 0;
  }
  const bool comparison = result["schema"] == "ntp.compare/1";
  if (args.format == "table")
    write_output(args.output,
                 comparison ? report::comparison_table(result) : report::run_table(result, args.depth));
  else
    write_output(args.output,
                 comparison ? report::comparison_html(result) : report::run_html(result, args.depth));
  return 0;
}

}  // namespace ntp::cli
