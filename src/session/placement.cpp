// Where each layer runs: a back end and precision of its own (the topology's backend= and precision=, or
// --place), checked before anything compiles.
#include "placement.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <optional>

#include "ntp/registry.h"
#include "ntp/status.h"

namespace ntp::session {

bool runs_precision(const Backend& backend, DType precision) {
  const auto precisions = backend.precisions();
  return std::find(precisions.begin(), precisions.end(), precision) != precisions.end();
}

std::string precisions_hint(const Backend& backend) {
  std::vector<std::string> names;
  for (const DType supported : backend.precisions())
    names.emplace_back(dtype_name(supported));
  return fmt::format("it runs: {}", fmt::join(names, ", "));
}

void apply_places(Graph& graph, const std::vector<std::string>& places) {
  for (const std::string& place : places) {
    const auto equals = place.find('=');
    const std::string name = place.substr(0, equals);
    const std::string target = equals == std::string::npos ? "" : place.substr(equals + 1);
    const std::string backend = target.substr(0, target.find(':'));
    if (name.empty() || backend.empty())
      throw UserError(kCommandLine, fmt::format("--place '{}' is not NAME=BACKEND[:PRECISION]", place),
                      "write --place bilstm=torch or --place recurrent=onednn:bf16 (a layer or a segment)");
    std::optional<DType> precision;
    if (target.find(':') != std::string::npos) {
      const std::string text = target.substr(target.find(':') + 1);
      precision = parse_dtype(text);
      if (!precision)
        throw UserError(kCommandLine, fmt::format("--place '{}': unknown precision '{}'", place, text),
                        fmt::format("precisions are: {}", dtype_names()));
    }
    std::vector<int> nodes;
    for (const Segment& segment : graph.segments())
      if (segment.name == name) nodes = segment.op_nodes;
    std::vector<std::string> names;
    for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
      if (!graph.nodes[n].is_op()) continue;
      names.push_back(graph.nodes[n].name);
      if (nodes.empty() && graph.nodes[n].name == name) nodes.push_back(static_cast<int>(n));
    }
    if (nodes.empty()) {
      for (const Segment& segment : graph.segments())
        names.push_back(segment.name);
      const std::string close = closest_match(name, names);
      throw UserError(kCommandLine, fmt::format("--place '{}': no layer or segment '{}'", place, name),
                      close.empty() ? "`ntp inspect` lists the layers and segments"
                                    : fmt::format("did you mean '{}'?", close));
    }
    for (const int n : nodes) {
      graph.nodes[static_cast<std::size_t>(n)].backend = backend;
      if (precision) graph.nodes[static_cast<std::size_t>(n)].precision = precision;
    }
  }
}

std::vector<const Backend*> placement_of(const Graph& graph, const Backend& run_backend,
                                         DType run_precision) {
  std::vector<const Backend*> placement(graph.nodes.size(), nullptr);
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    const Node& node = graph.nodes[n];
    if (!node.is_op()) continue;
    if (!node.device.empty() && node.device != "cpu")
      throw UserError(node.where,
                      fmt::format("layer '{}' asks for device {}: no back end of this build runs on it",
                                  node.name, node.device),
                      "the devices of this build: cpu; write device=\"cpu\" or leave it out");
    const Backend* placed = &run_backend;
    if (!node.backend.empty()) {
      placed = find_backend(node.backend);
      if (placed == nullptr) {
        const std::string why = backend_load_error(node.backend);
        throw UserError(node.where,
                        fmt::format("layer '{}' asks for back end '{}', {}", node.name, node.backend,
                                    why.empty() ? "which this build does not have" : why),
                        fmt::format("the back ends of this build: {}", fmt::join(backend_names(), ", ")));
      }
      placement[n] = placed;
    }
    const DType wanted = node.precision.value_or(run_precision);
    if (!runs_precision(*placed, wanted))
      throw UserError(node.where,
                      fmt::format("layer '{}' is to run {} on back end '{}', which cannot on this machine",
                                  node.name, dtype_name(wanted), placed->name()),
                      precisions_hint(*placed));
  }
  return placement;
}

DType coarsest_precision(const Graph& graph, DType run_precision) {
  // fp32, then bf16, then int8: the order of their default tolerances.
  const auto rank = [](DType type) { return type == DType::s8 ? 2 : type == DType::bf16 ? 1 : 0; };
  DType coarsest = run_precision;
  for (const Node& node : graph.nodes)
    if (node.precision && rank(*node.precision) > rank(coarsest)) coarsest = *node.precision;
  return coarsest;
}

}  // namespace ntp::session
