// `ntp`: the command line. Parsing lives here (CLI11 is slow to compile: one translation unit only).
#include <CLI/CLI.hpp>
#include <iostream>

#include "commands.h"
#include "ntp/status.h"

namespace {

void add_topology_options(CLI::App& command, ntp::cli::TopologyArgs& args) {
  command.add_option("file", args.file, "topology file (.xml)")->required();
  command.add_option("--set", args.sets, "override a topology parameter: --set hidden=1024 (repeatable)");
  command.add_option("--batch", args.batch, "the built-in batch parameter")->check(CLI::PositiveNumber);
  command.add_option("--precision", args.precision, "fp32, bf16 or int8 (weights, for the cost model)");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ntp: the Neural network Topology Profiler. Where does a topology spend its time and memory?"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "ntp 0.1.0");

  ntp::cli::InspectArgs inspect;
  auto* inspect_command =
      app.add_subcommand("inspect", "static analysis: shapes, parameters, FLOPs, bytes, memory");
  add_topology_options(*inspect_command, inspect.topology);
  inspect_command->add_option("--format", inspect.format, "table, json or csv")
      ->check(CLI::IsMember({"table", "json", "csv"}));
  inspect_command->add_option("-o,--output", inspect.output, "write to this file instead of stdout");

  ntp::cli::OpsArgs ops;
  auto* ops_command = app.add_subcommand("ops", "list the ops a topology can use, with their attributes");
  ops_command->add_option("--format", ops.format, "table or markdown")
      ->check(CLI::IsMember({"table", "markdown"}));
  ops_command->add_option("-o,--output", ops.output, "write to this file instead of stdout");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : 2;  // bad command lines are bad input: exit code 2, like every other
  }

  try {
    if (*inspect_command) return ntp::cli::inspect_command(inspect);
    if (*ops_command) return ntp::cli::ops_command(ops);
  } catch (const ntp::UserError& error) {
    std::cerr << error.diagnostic().to_string() << "\n";
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "ntp: internal error: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
