// Where each layer runs: a back end and precision of its own (the topology's backend= and precision=, or
// --place), checked before anything compiles.
#include "placement.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <optional>

#include "io/files.h"
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

namespace {

// One NAME=BACKEND[:PRECISION], from the command line (`where` = kCommandLine, `what` = "--place '...'") or a
// line of a placement file (`where` its line and column, `what` = "'...'"). The back end and the precision
// are checked here, so that an error points at the place rather than at the layer's line in the topology.
void apply_place(Graph& graph, const std::string& place, const SourceLocation& where,
                 const std::string& what) {
  const auto equals = place.find('=');
  const std::string name = place.substr(0, equals);
  const std::string target = equals == std::string::npos ? "" : place.substr(equals + 1);
  const std::string backend_name = target.substr(0, target.find(':'));
  if (name.empty() || backend_name.empty())
    throw UserError(where, fmt::format("{} is not NAME=BACKEND[:PRECISION]", what),
                    "write bilstm=torch or recurrent=onednn:bf16 (a layer or a segment)");
  std::optional<DType> precision;
  if (target.find(':') != std::string::npos) {
    const std::string text = target.substr(target.find(':') + 1);
    precision = parse_dtype(text);
    if (!precision)
      throw UserError(where, fmt::format("{}: unknown precision '{}'", what, text),
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
    throw UserError(where, fmt::format("{}: no layer or segment '{}'", what, name),
                    close.empty() ? "`ntp inspect` lists the layers and segments"
                                  : fmt::format("did you mean '{}'?", close));
  }
  const Backend* backend = find_backend(backend_name);
  if (backend == nullptr) {
    const std::string why = backend_load_error(backend_name);
    throw UserError(where,
                    fmt::format("{}: back end '{}' {}", what, backend_name,
                                why.empty() ? "is not in this build" : "could not be loaded: " + why),
                    fmt::format("the back ends of this build: {}", fmt::join(backend_names(), ", ")));
  }
  if (backend->runs_whole_graphs())
    throw UserError(where,
                    fmt::format("{}: back end '{}' runs whole graphs in its own engine, not single layers",
                                what, backend->name()),
                    fmt::format("run the whole graph there with --backend {}", backend->name()));
  if (precision && !runs_precision(*backend, *precision))
    throw UserError(where,
                    fmt::format("{}: back end '{}' cannot run {} on this machine", what, backend->name(),
                                dtype_name(*precision)),
                    precisions_hint(*backend));
  for (const int n : nodes) {
    graph.nodes[static_cast<std::size_t>(n)].backend = backend->name();
    if (precision) graph.nodes[static_cast<std::size_t>(n)].precision = precision;
  }
}

}  // namespace

void apply_places(Graph& graph, const std::vector<std::string>& places) {
  for (const std::string& place : places)
    apply_place(graph, place, kCommandLine, fmt::format("--place '{}'", place));
}

void apply_placement_file(Graph& graph, const std::string& path) {
  if (path.empty()) return;
  io::refuse_special_file(path, "the placement file");
  const std::optional<std::string> text = io::read_file(path);
  if (!text)
    throw UserError(
        {path, 0, 0}, "cannot read the placement file",
        "give a file `ntp tune --write-placement FILE` wrote, or one NAME=BACKEND[:PRECISION] a line");
  int line_number = 0;
  std::size_t start = 0;
  while (start < text->size()) {
    const std::size_t end = std::min(text->find('\n', start), text->size());
    std::string line = text->substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    const auto last = line.find_last_not_of(" \t\r");
    const std::string place = line.substr(first, last - first + 1);
    if (place.find_first_of(" \t") != std::string::npos)
      throw UserError({path, line_number, static_cast<int>(place.find_first_of(" \t") + first + 1)},
                      fmt::format("'{}' is not one NAME=BACKEND[:PRECISION]", place),
                      "write one place a line, without spaces: bilstm=torch:fp32");
    apply_place(graph, place, {path, line_number, static_cast<int>(first + 1)}, fmt::format("'{}'", place));
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
      if (placed->runs_whole_graphs())
        throw UserError(
            node.where,
            fmt::format("layer '{}' asks for back end '{}', which runs whole graphs in its own "
                        "engine, not single layers",
                        node.name, node.backend),
            fmt::format("remove backend= and run the whole graph with --backend {}", node.backend));
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

double weight_copies(const Backend& run_backend, const std::vector<const Backend*>& placement) {
  double copies = run_backend.weight_copies();
  for (const Backend* placed : placement)
    if (placed != nullptr) copies = std::max(copies, placed->weight_copies());
  return copies;
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
