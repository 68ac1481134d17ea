// fc as an inner product over all leading rows, with the activation fused as a post-op; matmul.
#include "common.h"

namespace ntp::onednn {

std::unique_ptr<Kernel> make_fc(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = graph.nodes[static_cast<std::size_t>(node_index)];
  const Shape& in = input_value(graph, node_index, 0).shape;
  const memory::dim features = in.back();
  const memory::dim rows = element_count(in) / features;
  const memory::dim units = node.attrs.integer("units");
  const DType io = io_type(options.precision);
  const auto type = data_type(io);
  const memory::desc src({rows, features}, type, memory::format_tag::nc);
  const memory::desc dst({rows, units}, type, memory::format_tag::nc);
  const memory::desc weights_any({units, features}, type, memory::format_tag::any);
  const bool has_bias = node.attrs.integer("bias") != 0;
  const memory::desc bias_desc =
      has_bias ? memory::desc({units}, memory::data_type::f32, memory::format_tag::x) : memory::desc();
  dnnl::primitive_attr attr;
  attr.set_post_ops(activation_post_ops(node.attrs));
  const dnnl::inner_product_forward::primitive_desc pd(
      {dnnl::prop_kind::forward_inference, src, weights_any, bias_desc, dst}, attr, context().engine);

  auto kernel = std::make_unique<PrimitiveKernel>(io, 1, 1);
  kernel->bind_input(0, src);
  kernel->bind_output(0, dst);
  // Weights reordered once, here, into the layout the chosen implementation wants.
  const memory weights =
      reordered(weight_memory(graph, node_index, options, "weight", type), pd.weights_desc());
  std::unordered_map<int, memory> arguments = {
      {DNNL_ARG_SRC, kernel->input(0)}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, kernel->output(0)}};
  if (has_bias)
    arguments[DNNL_ARG_BIAS] = weight_memory(graph, node_index, options, "bias", memory::data_type::f32);
  kernel->add(dnnl::inner_product_forward(pd), std::move(arguments), pd.impl_info_str());
  return kernel;
}

std::unique_ptr<Kernel> make_matmul(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = graph.nodes[static_cast<std::size_t>(node_index)];
  Shape a = input_value(graph, node_index, 0).shape;
  Shape b = input_value(graph, node_index, 1).shape;
  const Shape& out = output_value(graph, node_index, 0).shape;
  // oneDNN wants equal ranks: pad the batch dimensions with leading ones (broadcast).
  while (a.size() < out.size())
    a.insert(a.begin(), 1);
  while (b.size() < out.size())
    b.insert(b.begin(), 1);
  const DType io = io_type(options.precision);
  const auto type = data_type(io);
  memory::desc b_desc = plain(b, type);
  if (node.attrs.integer("transpose_b") != 0) {
    // B is stored [..., N, K]: describe it as [..., K, N] with swapped strides.
    Shape logical = b;
    std::swap(logical[logical.size() - 1], logical[logical.size() - 2]);
    memory::dims strides(b.size(), 1);
    for (std::size_t i = b.size(); i-- > 1;)
      strides[i - 1] = strides[i] * b[i];
    std::swap(strides[strides.size() - 1], strides[strides.size() - 2]);
    b_desc = memory::desc(dims_of(logical), type, strides);
  }
  const memory::desc a_desc = plain(a, type);
  const memory::desc dst = plain(out, type);
  const dnnl::matmul::primitive_desc pd({a_desc, b_desc, dst}, context().engine);
  auto kernel = std::make_unique<PrimitiveKernel>(io, 2, 1);
  kernel->bind_input(0, a_desc);
  kernel->bind_input(1, b_desc);
  kernel->bind_output(0, dst);
  kernel->add(dnnl::matmul(pd),
              {{DNNL_ARG_SRC, kernel->input(0)},
               {DNNL_ARG_WEIGHTS, kernel->input(1)},
               {DNNL_ARG_DST, kernel->output(0)}},
              pd.impl_info_str());
  return kernel;
}

}  // namespace ntp::onednn
