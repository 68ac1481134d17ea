// Activations, (log-)softmax, n-ary add / mul with broadcasting, concat, transpose, and the copies that
// only reinterpret the shape (reshape, flatten).
#include "common.h"

namespace ntp::libtorch {

std::unique_ptr<Kernel> make_activation(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = node_at(graph, node_index);
  const DType io = io_type(options.precision);
  const std::string& op = node.op;
  const Attributes& attrs = node.attrs;
  auto kernel = [&](Compute compute, const std::string& implementation) {
    return std::make_unique<TorchKernel>(node, io, std::move(compute), implementation);
  };
  if (op == "relu") {
    const double clip = attrs.real("clip");
    if (clip > 0)
      return kernel([clip](const auto& in, at::Tensor& out) { at::clamp_out(out, in[0], 0.0, clip); },
                    "aten::clamp");
    return kernel([](const auto& in, at::Tensor& out) { out.copy_(at::relu(in[0])); }, "aten::relu");
  }
  if (op == "leaky_relu") {
    const double alpha = attrs.real("alpha");
    return kernel([alpha](const auto& in, at::Tensor& out) { at::leaky_relu_out(out, in[0], alpha); },
                  "aten::leaky_relu");
  }
  if (op == "tanh")
    return kernel([](const auto& in, at::Tensor& out) { at::tanh_out(out, in[0]); }, "aten::tanh");
  if (op == "sigmoid")
    return kernel([](const auto& in, at::Tensor& out) { at::sigmoid_out(out, in[0]); }, "aten::sigmoid");
  if (op == "gelu") {
    const std::string approximate = attrs.text("approximate");  // "none" (erf) or "tanh", as ATen names them
    return kernel([approximate](const auto& in, at::Tensor& out) { at::gelu_out(out, in[0], approximate); },
                  "aten::gelu (" + approximate + ")");
  }
  if (op == "hardtanh") {
    const double low = attrs.real("min_val");
    const double high = attrs.real("max_val");
    return kernel([low, high](const auto& in, at::Tensor& out) { at::hardtanh_out(out, in[0], low, high); },
                  "aten::hardtanh");
  }
  const std::int64_t axis = attrs.integer("axis");
  if (op == "log_softmax")
    return kernel([axis](const auto& in, at::Tensor& out) { out.copy_(at::log_softmax(in[0], axis)); },
                  "aten::log_softmax");
  return kernel([axis](const auto& in, at::Tensor& out) { out.copy_(at::softmax(in[0], axis)); },
                "aten::softmax");
}

std::unique_ptr<Kernel> make_tensor_op(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = node_at(graph, node_index);
  const DType io = io_type(options.precision);
  const std::string& op = node.op;
  auto kernel = [&](Compute compute, const std::string& implementation) {
    return std::make_unique<TorchKernel>(node, io, std::move(compute), implementation);
  };
  if (op == "add" || op == "mul") {
    // The first pair broadcasts into the output; later operands broadcast into it in place.
    const bool add = op == "add";
    return kernel(
        [add](const std::vector<at::Tensor>& in, at::Tensor& out) {
          if (add)
            at::add_out(out, in[0], in[1]);
          else
            at::mul_out(out, in[0], in[1]);
          for (std::size_t i = 2; i < in.size(); ++i)
            if (add)
              out.add_(in[i]);
            else
              out.mul_(in[i]);
        },
        add ? "aten::add" : "aten::mul");
  }
  if (op == "concat") {
    const std::int64_t axis = node.attrs.integer("axis");
    return kernel([axis](const std::vector<at::Tensor>& in, at::Tensor& out) { at::cat_out(out, in, axis); },
                  "aten::cat");
  }
  if (op == "transpose") {
    const std::vector<std::int64_t> perm = node.attrs.integers("perm");
    return kernel([perm](const auto& in, at::Tensor& out) { out.copy_(in[0].permute(perm)); },
                  "aten::permute + copy");
  }
  // reshape, flatten: the same elements in the same order.
  return kernel([](const auto& in, at::Tensor& out) { out.view(-1).copy_(in[0].reshape(-1)); }, "aten::copy");
}

}  // namespace ntp::libtorch
