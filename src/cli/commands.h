// The subcommands of `ntp`; main.cpp parses the command line (CLI11 lives only there) and calls these.
// Each returns the process exit code: 0 success, 2 bad input (after printing the diagnostic).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ntp::cli {

// Shared by every subcommand that loads a topology.
struct TopologyArgs {
  std::string file;
  std::vector<std::string> sets;  // "name=value"
  std::optional<long long> batch;
  std::string precision = "fp32";
};

struct InspectArgs {
  TopologyArgs topology;
  std::string format = "table";  // table | json | csv
  std::string output;            // "" = stdout
};

struct OpsArgs {
  std::string format = "table";  // table | markdown
  std::string output;
};

int inspect_command(const InspectArgs& args);
int ops_command(const OpsArgs& args);

}  // namespace ntp::cli
