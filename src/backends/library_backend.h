// What the back ends over a library (onednn, torch, opencv) share: a table from op name to kernel factory,
// int8 runs in which the layers the library does not quantise run in fp32, and a library's exception turned
// into the diagnostic that names the layer.
#pragma once

#include <fmt/format.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ntp/backend.h"
#include "ntp/status.h"

namespace ntp::backends {

using KernelFactory = std::function<std::unique_ptr<Kernel>(const Graph&, int node, const CompileOptions&)>;
using FactoryTable = std::map<std::string, KernelFactory>;

inline std::vector<std::string> table_ops(const FactoryTable& table) {
  std::vector<std::string> names;
  for (const auto& [op, factory] : table)
    names.push_back(op);
  return names;
}

// Builds the node from the table. In int8, `quantised` builds the layers the library quantises and returns
// null for the others, which are built in fp32.
inline std::unique_ptr<Kernel> build_from_table(const FactoryTable& table, const Graph& graph, int node_index,
                                                const CompileOptions& options,
                                                const KernelFactory& quantised = nullptr) {
  const std::string& op = graph.nodes.at(static_cast<std::size_t>(node_index)).op;
  if (options.precision != DType::s8) return table.at(op)(graph, node_index, options);
  if (quantised)
    if (std::unique_ptr<Kernel> kernel = quantised(graph, node_index, options)) return kernel;
  CompileOptions fp32 = options;
  fp32.precision = DType::f32;
  return table.at(op)(graph, node_index, fp32);
}

// The UserError for a layer the library refused to build, naming the layer and quoting the library.
inline UserError library_refused(const Node& node, const std::string& library, const CompileOptions& options,
                                 const std::string& what, const std::string& hint) {
  return UserError(node.where,
                   fmt::format("{} cannot build layer '{}' ({}) in {}: {}", library, node.name, node.op,
                               dtype_name(options.precision), what),
                   hint);
}

}  // namespace ntp::backends
