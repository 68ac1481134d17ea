#include <nlohmann/json.hpp>
#include "commands.h"
#include "load.h"
#include "ntp/analysis.h"
#include "output.h"
#include "report/inspect_report.h"

namespace ntp::cli {

int inspect_command(const InspectArgs& args) {
  const Graph graph = load_graph(args.topology);
  const GraphAnalysis analysis = analyze(graph, parse_precision(args.topology.precision));
  const nlohmann::json inspection = report::inspect_json(graph, analysis, available_memory_bytes());
  if (args.format == "json")
    write_output(args.output, inspection.dump(2) + "\n");
  else if (args.format == "csv")
    write_output(args.output, report::inspect_csv(inspection));
  else
    write_output(args.output, report::inspect_table(inspection));
  return 0;
}

}  // namespace ntp::cli
