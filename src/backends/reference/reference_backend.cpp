#include "reference_backend.h"

#include <fmt/format.h>

namespace ntp {

namespace {
class ReferenceBackend final : public Backend {
 public:
  std::string name() const override { return "reference"; }
  std::string version() const override { return "1"; }
  std::vector<DType> precisions() const override { return {DType::f32}; }
  std::vector<std::string> ops() const override { return {}; }
  bool supports(const Graph& /*graph*/, int /*node_index*/, const CompileOptions& /*options*/) const override {
    return false;
  }
  std::unique_ptr<Kernel> compile_node(const Graph& graph, int node_index,
                                       const CompileOptions& /*options*/) const override {
    const Node& node = graph.nodes.at(static_cast<std::size_t>(node_index));
    throw UserError(node.where, fmt::format("the reference back end has no kernel for op '{}'", node.op));
  }
};
}  // namespace

const Backend& reference_backend() {
  static const ReferenceBackend backend;
  return backend;
}

}  // namespace ntp
