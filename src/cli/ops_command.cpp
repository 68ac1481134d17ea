#include "commands.h"
#include "output.h"
#include "report/op_catalog.h"

namespace ntp::cli {

int ops_command(const OpsArgs& args) {
  write_output(args.output,
               args.format == "markdown" ? report::op_catalog_markdown() : report::op_catalog_table());
  return 0;
}

}  // namespace ntp::cli
