// fc, matmul and multi-head attention as ATen GEMMs; fc writes straight into the executable's output.
#include <cmath>
#include <limits>

#include "common.h"

namespace ntp::libtorch {

std::unique_ptr<Kernel> make_fc(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = node_at(graph, node_index);
  const DType io = io_type(options.precision);
  const at::ScalarType type = scalar_type(io);
  const std::int64_t units = node.attrs.integer("units");
  const std::int64_t features = input_value(graph, node_index, 0).shape.back();
  // [units, features] as stored; .t() is a view the GEMM reads as transposed, no copy per run.
  const at::Tensor weight_t = weight(graph, node_index, options, "weight", type).t();
  const bool has_bias = node.attrs.integer("bias") != 0;
  const at::Tensor bias = has_bias ? weight(graph, node_index, options, "bias", type) : at::Tensor();
  const Attributes attrs = node.attrs;
  return std::make_unique<TorchKernel>(
      node, io,
      [=](const std::vector<at::Tensor>& inputs, at::Tensor& output) {
        const at::Tensor x = inputs[0].reshape({-1, features});
        at::Tensor y = output.view({-1, units});
        if (has_bias)
          at::addmm_out(y, bias, x, weight_t);
        else
          at::mm_out(y, x, weight_t);
        apply_activation(attrs, y);
      },
      fmt::format("aten::addmm ({})", gemm_library(type)));
}

std::unique_ptr<Kernel> make_matmul(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = node_at(graph, node_index);
  const DType io = io_type(options.precision);
  const bool transpose_b = node.attrs.integer("transpose_b") != 0;
  return std::make_unique<TorchKernel>(
      node, io,
      [transpose_b](const std::vector<at::Tensor>& inputs, at::Tensor& output) {
        at::matmul_out(output, inputs[0], transpose_b ? inputs[1].transpose(-2, -1) : inputs[1]);
      },
      fmt::format("aten::matmul ({})", gemm_library(scalar_type(io))));
}

// Projections by the schema's w_q, w_k, w_v, w_o [E, E] and biases; heads split from the last axis; scores
// scaled by 1/sqrt(head_dim); causal masking by -inf above the diagonal.
std::unique_ptr<Kernel> make_attention(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = node_at(graph, node_index);
  const DType io = io_type(options.precision);
  const at::ScalarType type = scalar_type(io);
  const std::int64_t heads = node.attrs.integer("heads");
  const bool causal = node.attrs.integer("causal") != 0;
  const std::int64_t embed = input_value(graph, node_index, 0).shape.at(2);
  const std::int64_t head_dim = embed / heads;
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
  auto parameter = [&](const std::string& name) { return weight(graph, node_index, options, name, type); };
  const at::Tensor w_q = parameter("w_q"), w_k = parameter("w_k"), w_v = parameter("w_v"),
                   w_o = parameter("w_o");
  const at::Tensor b_q = parameter("b_q"), b_k = parameter("b_k"), b_v = parameter("b_v"),
                   b_o = parameter("b_o");
  return std::make_unique<TorchKernel>(
      node, io,
      [=](const std::vector<at::Tensor>& inputs, at::Tensor& output) {
        const at::Tensor& q_in = inputs[0];
        const at::Tensor& k_in = inputs.size() == 3 ? inputs[1] : q_in;
        const at::Tensor& v_in = inputs.size() == 3 ? inputs[2] : q_in;
        // [N, T, E] -> [N, heads, T, head_dim]
        auto split_heads = [&](const at::Tensor& x) {
          return x.view({x.size(0), x.size(1), heads, head_dim}).transpose(1, 2);
        };
        const at::Tensor q = split_heads(at::linear(q_in, w_q, b_q));
        const at::Tensor k = split_heads(at::linear(k_in, w_k, b_k));
        const at::Tensor v = split_heads(at::linear(v_in, w_v, b_v));
        at::Tensor scores = at::matmul(q, k.transpose(-2, -1)).mul_(scale);
        if (causal) {
          const at::Tensor future = at::ones({scores.size(-2), scores.size(-1)}, at::kBool).triu(1);
          scores.masked_fill_(future, -std::numeric_limits<double>::infinity());
        }
        const at::Tensor context = at::matmul(at::softmax(scores, -1), v)
                                       .transpose(1, 2)
                                       .reshape({q_in.size(0), q_in.size(1), embed});
        output.copy_(at::linear(context, w_o, b_o));
      },
      fmt::format("aten::linear + aten::matmul + aten::softmax ({})", gemm_library(type)));
}

}  // namespace ntp::libtorch
