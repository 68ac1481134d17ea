// `ntp compare A.json B.json ...`: run records saved earlier, lined up layer by layer against the first.
#include <nlohmann/json.hpp>
#include "commands.h"
#include "ntp/status.h"
#include "output.h"
#include "record_files.h"
#include "report/compare.h"
#include "report/html_report.h"

namespace ntp::cli {

int compare_command(const CompareArgs& args) {
  const std::vector<nlohmann::json> records = load_records(args.files, args.db);
  if (records.size() < 2)
    throw UserError({"<command line>", 0, 0}, "compare needs at least two runs",
                    "give two or more run records; the first is the baseline");
  const nlohmann::json comparison = report::compare_records(records);
  if (args.format == "json")
    write_output(args.output, comparison.dump(2) + "\n");
  else if (args.format == "csv")
    write_output(args.output, report::comparison_csv(comparison));
  else if (args.format == "html")
    write_output(args.output, report::comparison_html(comparison));
  else
    write_output(args.output, report::comparison_table(comparison));
  return 0;
}

}  // namespace ntp::cli
