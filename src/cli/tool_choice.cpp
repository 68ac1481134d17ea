// Which external tool a run goes under and which segments it sees: from --tool and --region, or from the
// markers' tool attributes.
#include <fmt/format.h>

#include <algorithm>

#include "external_tools.h"
#include "ntp/status.h"
#include "relaunch.h"

namespace ntp::cli {

namespace {

const std::vector<std::string> kBuiltTools = {"callgrind", "perf", "papi"};

void check_built(const std::string& tool, const SourceLocation& where) {
  if (std::find(kBuiltTools.begin(), kBuiltTools.end(), tool) == kBuiltTools.end())
    throw UserError(
        where, fmt::format("this build of ntp cannot drive '{}'", tool),
        fmt::format("tools it drives: {}; --tool chooses another for the run", fmt::join(kBuiltTools, ", ")));
}

}  // namespace

ToolChoice choose_tool(const RunArgs& args, const Graph& graph) {
  const std::vector<Segment> segments = graph.segments();
  std::vector<std::string> names;
  for (const Segment& segment : segments)
    names.push_back(segment.name);
  ToolChoice choice{args.tool, {}};
  for (const std::string& region : args.regions) {
    const auto found = std::find(names.begin(), names.end(), region);
    if (found == names.end())
      throw UserError(kCommandLine, fmt::format("--region '{}' is not a segment of {}", region, graph.name),
                      names.empty() ? std::string("the topology has no <start marker=.../> segments")
                                    : fmt::format("segments: {}", fmt::join(names, ", ")));
    if (choice.tool.empty()) choice.tool = segments[static_cast<std::size_t>(found - names.begin())].tool;
    if (std::find(choice.regions.begin(), choice.regions.end(), region) == choice.regions.end())
      choice.regions.push_back(region);
  }
  if (!args.regions.empty() && choice.tool.empty())
    throw UserError(kCommandLine, "--region chooses what an external tool sees, and no tool is named",
                    "add --tool perf or --tool callgrind, or a tool=\"...\" attribute on the segment's start "
                    "marker");
  if (!args.regions.empty()) return choice;

  // No --region: the segments whose marker names the tool (or, without --tool, any tool).
  for (const Segment& segment : segments) {
    if (segment.tool.empty() || (!choice.tool.empty() && segment.tool != choice.tool)) continue;
    const SourceLocation& where = graph.nodes[static_cast<std::size_t>(segment.begin_node)].where;
    if (args.tool.empty()) {
      check_built(segment.tool, where);
      if (!choice.tool.empty() && choice.tool != segment.tool)
        throw UserError(where,
                        fmt::format("segment '{}' asks for {}, and another for {}: a run goes under one tool",
                                    segment.name, segment.tool, choice.tool),
                        fmt::format("choose one with --tool {} or --tool {}", choice.tool, segment.tool));
      choice.tool = segment.tool;
    }
    choice.regions.push_back(segment.name);
  }
  if (args.tool.empty() && !choice.tool.empty())
    std::fprintf(stderr, "ntp: the topology's markers ask for %s on %s\n", choice.tool.c_str(),
                 fmt::format("{}", fmt::join(choice.regions, ", ")).c_str());
  return choice;
}

std::vector<std::string> child_arguments(const RunArgs& args, const ToolChoice& choice,
                                         const std::string& record_path) {
  std::vector<std::string> arguments =
      relaunch_arguments(args.arguments, {"--tool", "--region", "--format", "-o", "--output"});
  for (const std::string& argument : {std::string("--tool"), choice.tool, std::string("--tool-child")})
    arguments.push_back(argument);
  for (const std::string& region : choice.regions) {
    arguments.emplace_back("--region");
    arguments.push_back(region);
  }
  for (const std::string& argument :
       {std::string("--format"), std::string("json"), std::string("--output"), record_path})
    arguments.push_back(argument);
  return arguments;
}

}  // namespace ntp::cli
