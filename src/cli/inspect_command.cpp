#include <nlohmann/json.hpp>

#include "commands.h"
#include "ntp/session.h"
#include "output.h"
#include "report/inspect_report.h"

namespace ntp::cli {

int inspect_command(const InspectArgs& args) {
  const nlohmann::json inspection = Model::load(args.topology).inspect();
  if (args.format == "json")
    write_output(args.output, inspection.dump(2) + "\n");
  else if (args.format == "csv")
    write_output(args.output, report::inspect_csv(inspection));
  else
    write_output(args.output, report::inspect_table(inspection));
  return 0;
}

}  // namespace ntp::cli
