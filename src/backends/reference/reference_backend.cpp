#include "reference_backend.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "kernels.h"

namespace ntp {

namespace reference {

const std::vector<KernelEntry>& kernel_table() {
  static const std::vector<KernelEntry> table = [] {
    std::vector<KernelEntry> entries;
    for (auto family : {dense_kernels, conv_kernels, pool_kernels, norm_kernels, activation_kernels,
                        rnn_kernels, attention_kernels, tensor_kernels, convert_kernels}) {
      for (const KernelEntry& entry : family())
        entries.push_back(entry);
    }
    return entries;
  }();
  return table;
}

const KernelEntry* find_kernel(std::string_view op) {
  const auto& table = kernel_table();
  const auto found =
      std::find_if(table.begin(), table.end(), [&](const KernelEntry& e) { return e.op == op; });
  return found == table.end() ? nullptr : &*found;
}

}  // namespace reference

namespace {

class ReferenceKernel final : public Kernel {
 public:
  ReferenceKernel(reference::RunFunction run, std::string node, std::vector<Shape> inputs,
                  std::vector<Shape> outputs)
      : run_(std::move(run)),
        node_(std::move(node)),
        inputs_(std::move(inputs)),
        outputs_(std::move(outputs)) {}

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) override {
    // The executor hands over f32 tensors shaped as the graph says; anything else is an internal error.
    check("input", inputs, inputs_);
    check("output", outputs, outputs_);
    run_(inputs, outputs);
  }
  std::string implementation() const override { return "reference"; }

 private:
  template <class TensorPointer>
  void check(const char* what, std::span<TensorPointer const> tensors,
             const std::vector<Shape>& shapes) const {
    if (tensors.size() != shapes.size())
      throw std::logic_error(fmt::format("reference kernel '{}': {} {}s given, {} expected", node_,
                                         tensors.size(), what, shapes.size()));
    for (std::size_t i = 0; i < shapes.size(); ++i) {
      const Tensor* tensor = tensors[i];
      if (tensor == nullptr || tensor->dtype() != DType::f32 || tensor->shape() != shapes[i])
        throw std::logic_error(fmt::format("reference kernel '{}': {} {} must be an fp32 tensor of shape {}",
                                           node_, what, i, shape_to_string(shapes[i])));
    }
  }

  reference::RunFunction run_;
  std::string node_;
  std::vector<Shape> inputs_;
  std::vector<Shape> outputs_;
};

class ReferenceBackend final : public Backend {
 public:
  std::string name() const override { return "reference"; }
  std::string version() const override { return "1"; }
  std::vector<DType> precisions() const override { return {DType::f32}; }
  std::vector<std::string> ops() const override {
    std::vector<std::string> names;
    for (const auto& entry : reference::kernel_table())
      names.emplace_back(entry.op);
    return names;
  }
  bool supports(const Graph& graph, int node_index, const CompileOptions& /*options*/) const override {
    const Node& node = graph.nodes.at(static_cast<std::size_t>(node_index));
    return node.is_op() && reference::find_kernel(node.op) != nullptr;
  }
  std::unique_ptr<Kernel> compile_node(const Graph& graph, int node_index,
                                       const CompileOptions& options) const override {
    const Node& node = graph.nodes.at(static_cast<std::size_t>(node_index));
    const reference::KernelEntry* entry = node.is_op() ? reference::find_kernel(node.op) : nullptr;
    if (entry == nullptr)
      throw UserError(node.where, fmt::format("no back end of this build can run op '{}' yet", node.op),
                      "`ntp backends` lists the ops each back end runs; `ntp inspect` analyses this topology "
                      "without running it");
    const reference::NodeView view(graph, node_index, options.weights);
    std::vector<Shape> inputs;
    for (std::size_t i = 0; i < view.input_count(); ++i)
      inputs.push_back(view.input_shape(i));
    std::vector<Shape> outputs;
    for (std::size_t i = 0; i < view.output_count(); ++i)
      outputs.push_back(view.output_shape(i));
    return std::make_unique<ReferenceKernel>(entry->make(view), node.name, std::move(inputs),
                                             std::move(outputs));
  }
};

}  // namespace

const Backend& reference_backend() {
  static const ReferenceBackend backend;
  return backend;
}

}  // namespace ntp
