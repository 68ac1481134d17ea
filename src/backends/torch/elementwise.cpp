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

namespace ntp::libtorch {

namespace {
using Unary = std::function<at::Tensor(const at::Tensor&)>;

// The ONNX-semantics unary ops ATen has, by NTP name (each with ONNX's attributes where it has any).
Unary unary_function(const Node& node) {
  const Attributes& attrs = node.attrs;
  const std::string& op = node.op;
  if (op == "abs") return [](const at::Tensor& x) { return at::abs(x); };
  if (op == "neg") return [](const at::Tensor& x) { return at::neg(x); };
  if (op == "sign") return [](const at::Tensor& x) { return at::sign(x); };
  if (op == "ceil") return [](const at::Tensor& x) { return at::ceil(x); };
  if (op == "floor") return [](const at::Tensor& x) { return at::floor(x); };
  if (op == "sqrt") return [](const at::Tensor& x) { return at::sqrt(x); };
  if (op == "reciprocal") return [](const at::Tensor& x) { return at::reciprocal(x); };
  if (op == "exp") return [](const at::Tensor& x) { return at::exp(x); };
  if (op == "log") return [](const at::Tensor& x) { return at::log(x); };
  if (op == "sin") return [](const at::Tensor& x) { return at::sin(x); };
  if (op == "cos") return [](const at::Tensor& x) { return at::cos(x); };
  if (op == "erf") return [](const at::Tensor& x) { return at::erf(x); };
  if (op == "softplus") return [](const at::Tensor& x) { return at::softplus(x); };
  if (op == "softsign") return [](const at::Tensor& x) { return x / (at::abs(x) + 1); };
  if (op == "mish") return [](const at::Tensor& x) { return at::mish(x); };
  if (op == "hard_swish") return [](const at::Tensor& x) { return at::hardswish(x); };
  if (op == "hard_sigmoid") {
    const double alpha = attrs.real("alpha");
    const double beta = attrs.real("beta");
    return [alpha, beta](const at::Tensor& x) { return at::clamp(x * alpha + beta, 0.0, 1.0); };
  }
  if (op == "elu") {
    const double alpha = attrs.real("alpha");
    return [alpha](const at::Tensor& x) { return at::elu(x, alpha); };
  }
  return nullptr;
}
}  // namespace

std::unique_ptr<Kernel> make_unary(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = node_at(graph, node_index);
  Unary function = unary_function(node);
  return std::make_unique<TorchKernel>(
      node, io_type(options.precision),
      [function](const std::vector<at::Tensor>& in, at::Tensor& out) { out.copy_(function(in[0])); },
      "aten::" + node.op);
}

// sub, div, pow, prelu of two inputs; max, min, sum, mean of any number, with numpy broadcasting.
std::unique_ptr<Kernel> make_binary(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = node_at(graph, node_index);
  const std::string op = node.op;
  return std::make_unique<TorchKernel>(
      node, io_type(options.precision),
      [op](const std::vector<at::Tensor>& in, at::Tensor& out) {
        at::Tensor result = in[0];
        for (std::size_t i = 1; i < in.size(); ++i) {
          if (op == "sub")
            result = at::sub(result, in[i]);
          else if (op == "div")
            result = at::div(result, in[i]);
          else if (op == "pow")
            result = at::pow(result, in[i]);
          else if (op == "prelu")
            result = at::where(result < 0, result * in[i], result);
          else if (op == "max")
            result = at::maximum(result, in[i]);
          else if (op == "min")
            result = at::minimum(result, in[i]);
          else
            result = at::add(result, in[i]);  // sum, mean
        }
        if (op == "mean") result = result / static_cast<double>(in.size());
        out.copy_(result.expand(out.sizes()));
      },
      "aten::" + op);
}

// reduce_*: over the axes (all when none), the result reshaped to the graph's shape (keepdims or not).
std::unique_ptr<Kernel> make_reduction(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = node_at(graph, node_index);
  const std::string op = node.op;
  const auto rank =
      static_cast<std::int64_t>(graph.values[static_cast<std::size_t>(node.inputs[0])].shape.size());
  std::vector<std::int64_t> axes = node.attrs.integers("axes");
  if (axes.empty())
    for (std::int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  for (std::int64_t& axis : axes)
    if (axis < 0) axis += rank;
  return std::make_unique<TorchKernel>(
      node, io_type(options.precision),
      [op, axes](const std::vector<at::Tensor>& in, at::Tensor& out) {
        const at::Tensor& x = in[0];
        at::Tensor result;
        if (op == "reduce_sum") {
          result = at::sum(x, axes, true);
        } else if (op == "reduce_mean") {
          result = at::mean(x, axes, true);
        } else if (op == "reduce_max") {
          result = at::amax(x, axes, true);
        } else if (op == "reduce_min") {
          result = at::amin(x, axes, true);
        } else if (op == "reduce_prod") {
          result = x;
          for (const std::int64_t axis : axes)
            result = at::prod(result, axis, true);
        } else if (op == "reduce_l1") {
          result = at::sum(at::abs(x), axes, true);
        } else if (op == "reduce_l2") {
          result = at::sqrt(at::sum(x * x, axes, true));
        } else if (op == "reduce_sum_square") {
          result = at::sum(x * x, axes, true);
        } else if (op == "reduce_log_sum") {
          result = at::log(at::sum(x, axes, true));
        } else {
          result = at::logsumexp(x, axes, true);
        }
        out.copy_(result.reshape(out.sizes()));
      },
      "aten::" + op);
}

}  // namespace ntp::libtorch
