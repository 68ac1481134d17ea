#include "reference_backend.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "kernels.h"
#include "ntp/op_schema.h"  // TensorType

namespace ntp {

namespace reference {

const std::vector<KernelEntry>& kernel_table() {
  static const std::vector<KernelEntry> table = [] {
    std::vector<KernelEntry> entries;
    for (auto family : {dense_kernels, conv_kernels, pool_kernels, norm_kernels, activation_kernels,
                        rnn_kernels, attention_kernels, tensor_kernels, elementwise_kernels, reduce_kernels,
                        indexing_kernels, convert_kernels, inlay_kernels}) {
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
  ReferenceKernel(reference::RunFunction run, std::function<void()> reset, std::string node,
                  std::string implementation, std::vector<TensorType> inputs, std::vector<TensorType> outputs)
      : run_(std::move(run)),
        reset_(std::move(reset)),
        node_(std::move(node)),
        implementation_(std::move(implementation)),
        inputs_(std::move(inputs)),
        outputs_(std::move(outputs)) {}

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) override {
    // The executor hands over tensors typed and shaped as declared; anything else is an internal error.
    check("input", inputs, inputs_);
    check("output", outputs, outputs_);
    run_(inputs, outputs);
  }
  // Layers compute in f32; ops with ONNX semantics (and a decoder's int32 labels) keep the graph's types.
  DType input_dtype(std::size_t index) const override { return inputs_.at(index).dtype; }
  DType output_dtype(std::size_t index) const override { return outputs_.at(index).dtype; }
  std::string implementation() const override { return implementation_; }
  void reset_stream() override {
    if (reset_) reset_();
  }

 private:
  template <class TensorPointer>
  void check(const char* what, std::span<TensorPointer const> tensors,
             const std::vector<TensorType>& types) const {
    if (tensors.size() != types.size())
      throw std::logic_error(fmt::format("reference kernel '{}': {} {}s given, {} expected", node_,
                                         tensors.size(), what, types.size()));
    for (std::size_t i = 0; i < types.size(); ++i) {
      const Tensor* tensor = tensors[i];
      if (tensor == nullptr || tensor->dtype() != types[i].dtype || tensor->shape() != types[i].shape)
        throw std::logic_error(fmt::format("reference kernel '{}': {} {} must be a {} tensor of shape {}",
                                           node_, what, i, dtype_name(types[i].dtype),
                                           shape_to_string(types[i].shape)));
    }
  }

  reference::RunFunction run_;
  std::function<void()> reset_;
  std::string node_;
  std::string implementation_;
  std::vector<TensorType> inputs_;
  std::vector<TensorType> outputs_;
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
    const reference::NodeView view(graph, node_index, options.weights, options.streaming);
    std::vector<TensorType> inputs;
    for (std::size_t i = 0; i < view.input_count(); ++i)
      inputs.push_back({view.input_shape(i), entry->typed_inputs ? view.input(i).dtype : DType::f32});
    std::vector<TensorType> outputs;
    for (std::size_t i = 0; i < view.output_count(); ++i)
      outputs.push_back({view.output_shape(i), entry->typed_outputs ? view.output(i).dtype : DType::f32});
    reference::RunFunction run = entry->make(view);
    return std::make_unique<ReferenceKernel>(std::move(run), view.stream_reset(), node.name,
                                             std::string(entry->implementation), std::move(inputs),
                                             std::move(outputs));
  }
};

}  // namespace

const Backend& reference_backend() {
  static const ReferenceBackend backend;
  return backend;
}

}  // namespace ntp
