// conv1d / conv2d and their transposes (direct (de)convolution, activation fused; oneDNN's blocked layouts
// inside, reordered from and to plain NCW / NCHW at the edges) and pooling, on plain NCW / NCHW tensors.
#include "common.h"
#include "ntp/op_schema.h"

namespace ntp::onednn {

namespace {
memory::dims spatial(const Attributes& attrs, const std::string& name, std::size_t dims,
                     memory::dim fallback = 0) {
  return per_dimension(attrs, name, dims, {fallback});
}
// Runs `primitive` (its weights and bias already in `arguments`) between the kernel's plain input and output,
// reordering into and out of the layouts it chose (`chosen_src`, `chosen_dst`) where they differ.
void add_between_plain_edges(PrimitiveKernel& kernel, const memory::desc& chosen_src,
                             const memory::desc& chosen_dst, dnnl::primitive primitive,
                             std::unordered_map<int, memory> arguments, const std::string& implementation) {
  memory src = kernel.input(0);
  if (chosen_src != src.get_desc()) {
    src = memory(chosen_src, context().engine);
    const dnnl::reorder::primitive_desc to_blocked(context().engine, kernel.input(0).get_desc(),
                                                   context().engine, chosen_src);
    kernel.add(dnnl::reorder(to_blocked), {{DNNL_ARG_FROM, kernel.input(0)}, {DNNL_ARG_TO, src}},
               to_blocked.impl_info_str());
  }
  const memory::desc plain_dst = kernel.output(0).get_desc();
  memory dst = kernel.output(0);
  if (chosen_dst != plain_dst) dst = memory(chosen_dst, context().engine);
  arguments[DNNL_ARG_SRC] = src;
  arguments[DNNL_ARG_DST] = dst;
  kernel.add(std::move(primitive), std::move(arguments), implementation);
  if (chosen_dst != plain_dst) {
    const dnnl::reorder::primitive_desc to_plain(context().engine, chosen_dst, context().engine, plain_dst);
    kernel.add(dnnl::reorder(to_plain), {{DNNL_ARG_FROM, dst}, {DNNL_ARG_TO, kernel.output(0)}},
               to_plain.impl_info_str());
  }
}

// What a convolution and a deconvolution share, in oneDNN's terms.
struct ConvDescription {
  std::size_t dims = 0;
  DType io = DType::f32;
  memory::data_type type = memory::data_type::f32;
  memory::desc src, dst;  // plain NCW / NCHW
  memory::dim groups = 1, filters = 0, channels = 0;
  memory::dims kernel_size, stride, dilation, padding;  // dilation as oneDNN counts it: gaps between taps
  bool has_bias = false;
  dnnl::primitive_attr attr;

  memory::desc any(const memory::desc& plain) const {
    return memory::desc(plain.dims(), type, memory::format_tag::any);
  }
  memory::desc bias() const {
    return has_bias ? memory::desc({filters}, memory::data_type::f32, memory::format_tag::x) : memory::desc();
  }
};

ConvDescription describe(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = graph.nodes[static_cast<std::size_t>(node_index)];
  const Shape& in = input_value(graph, node_index, 0).shape;
  ConvDescription d;
  d.dims = in.size() - 2;
  d.io = io_type(options.precision);
  d.type = data_type(d.io);
  d.src = plain(in, d.type);
  d.dst = plain(output_value(graph, node_index, 0).shape, d.type);
  d.groups = node.attrs.integer("groups");
  d.filters = node.attrs.integer("filters");
  d.channels = in[1];
  d.kernel_size = spatial(node.attrs, "kernel", d.dims);
  d.stride = spatial(node.attrs, "stride", d.dims, 1);
  d.dilation = spatial(node.attrs, "dilation", d.dims, 1);
  for (auto& gaps : d.dilation)
    gaps -= 1;
  d.padding = spatial(node.attrs, "padding", d.dims);
  d.has_bias = node.attrs.integer("bias") != 0;
  d.attr.set_post_ops(activation_post_ops(node.attrs));
  return d;
}

// The kernel around a (de)convolution primitive: plain edges, the weights already in the primitive's layout.
template <typename PrimitiveDesc, typename Primitive>
std::unique_ptr<Kernel> conv_kernel(const Graph& graph, int node_index, const CompileOptions& options,
                                    const ConvDescription& d, const PrimitiveDesc& pd, memory weights) {
  auto kernel = std::make_unique<PrimitiveKernel>(d.io, 1, 1);
  kernel->bind_input(0, d.src);
  kernel->bind_output(0, d.dst);
  std::unordered_map<int, memory> arguments = {{DNNL_ARG_WEIGHTS, std::move(weights)}};
  if (d.has_bias)
    arguments[DNNL_ARG_BIAS] = weight_memory(graph, node_index, options, "bias", memory::data_type::f32);
  add_between_plain_edges(*kernel, pd.src_desc(), pd.dst_desc(), Primitive(pd), std::move(arguments),
                          pd.impl_info_str());
  return kernel;
}
}  // namespace

std::unique_ptr<Kernel> make_conv(const Graph& graph, int node_index, const CompileOptions& options) {
  const ConvDescription d = describe(graph, node_index, options);
  // oneDNN groups weights as [G, O/G, I/G, k...]; the schema's [O, I/G, k...] is the same memory.
  Shape weight_shape = {d.groups, d.filters / d.groups, d.channels / d.groups};
  weight_shape.insert(weight_shape.end(), d.kernel_size.begin(), d.kernel_size.end());
  memory::dims any_weights = dims_of(weight_shape);
  if (d.groups == 1) any_weights.erase(any_weights.begin());
  // oneDNN picks the activations' layout too (format_tag::any): on plain NCHW it runs an im2col gemm
  // (x64:gemm:jit), on its blocked layouts brgconv, which was 1.1-4x faster here even counting the reorders
  // at the edges (DeepSpeech 2's convolutions, ResNet 3x3, conv1d; fp32 and bf16).
  const dnnl::convolution_forward::primitive_desc pd(
      {dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, d.any(d.src),
       memory::desc(any_weights, d.type, memory::format_tag::any), d.bias(), d.any(d.dst), d.stride,
       d.dilation, d.padding, d.padding},
      d.attr, context().engine);
  Shape plain_weights(any_weights.begin(), any_weights.end());
  memory weights = reordered(weight_memory(graph, node_index, options, "weight", d.type, plain_weights),
                             pd.weights_desc());
  return conv_kernel<dnnl::convolution_forward::primitive_desc, dnnl::convolution_forward>(
      graph, node_index, options, d, pd, std::move(weights));
}

std::unique_ptr<Kernel> make_conv_transpose(const Graph& graph, int node_index,
                                            const CompileOptions& options) {
  const ConvDescription d = describe(graph, node_index, options);
  const memory::dim group_filters = d.filters / d.groups;
  // NTP's weight is [C, F/G, k...] (PyTorch's, ONNX's); oneDNN names it [G, F/G, C/G, k...] (no G when
  // ungrouped): the same memory described by strides.
  memory::dims weight_dims = {d.groups, group_filters, d.channels / d.groups};
  weight_dims.insert(weight_dims.end(), d.kernel_size.begin(), d.kernel_size.end());
  memory::dim volume = 1;
  for (const memory::dim k : d.kernel_size)
    volume *= k;
  memory::dims weight_strides = {(d.channels / d.groups) * group_filters * volume, volume,
                                 group_filters * volume};
  for (std::size_t axis = 0; axis < d.dims; ++axis) {
    memory::dim inner = 1;
    for (std::size_t e = axis + 1; e < d.dims; ++e)
      inner *= d.kernel_size[e];
    weight_strides.push_back(inner);
  }
  if (d.groups == 1) {
    weight_dims.erase(weight_dims.begin());
    weight_strides.erase(weight_strides.begin());
  }
  memory::dims padding_end = d.padding;  // output_padding extends the end: less cropped there
  const memory::dims output_padding =
      spatial(graph.nodes[static_cast<std::size_t>(node_index)].attrs, "output_padding", d.dims);
  for (std::size_t axis = 0; axis < d.dims; ++axis)
    padding_end[axis] -= output_padding[axis];
  const dnnl::deconvolution_forward::primitive_desc pd(
      {dnnl::prop_kind::forward_inference, dnnl::algorithm::deconvolution_direct, d.any(d.src),
       memory::desc(weight_dims, d.type, memory::format_tag::any), d.bias(), d.any(d.dst), d.stride,
       d.dilation, d.padding, padding_end},
      d.attr, context().engine);
  const memory stored = weight_memory(graph, node_index, options, "weight", d.type);
  const memory described(memory::desc(weight_dims, d.type, weight_strides), context().engine,
                         stored.get_data_handle());
  return conv_kernel<dnnl::deconvolution_forward::primitive_desc, dnnl::deconvolution_forward>(
      graph, node_index, options, d, pd, reordered(described, pd.weights_desc()));
}

std::unique_ptr<Kernel> make_pool(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = graph.nodes[static_cast<std::size_t>(node_index)];
  const Shape& in = input_value(graph, node_index, 0).shape;
  const Shape& out = output_value(graph, node_index, 0).shape;
  const std::size_t dims = in.size() - 2;
  const DType io = io_type(options.precision);
  const auto type = data_type(io);
  const bool global = node.op.rfind("global_", 0) == 0;
  memory::dims kernel_size, strides, padding(dims, 0);
  if (global) {
    kernel_size.assign(in.begin() + 2, in.end());
    strides.assign(dims, 1);
  } else {
    kernel_size = spatial(node.attrs, "kernel", dims);
    strides = node.attrs.integers("stride").empty() ? kernel_size : spatial(node.attrs, "stride", dims);
    padding = spatial(node.attrs, "padding", dims);
  }
  dnnl::algorithm algorithm = dnnl::algorithm::pooling_max;
  if (node.op == "avgpool" || node.op == "global_avgpool")
    algorithm = !global && node.attrs.integer("count_include_pad") != 0
                    ? dnnl::algorithm::pooling_avg_include_padding
                    : dnnl::algorithm::pooling_avg_exclude_padding;
  const memory::desc src = plain(in, type);
  const memory::desc dst = plain(out, type);
  // Pooled in oneDNN's channel-blocked layout (nCw16c, nChw16c, nCdhw16c), reordered at the edges: on plain
  // NCHW oneDNN 2.6 falls back to simple_nchw for some shapes (a 2x2 max pool over 32x80x350 took 10 ms
  // there, 0.12 ms blocked with both reorders), and was up to 2x slower where it does run its jit kernel.
  const memory::format_tag blocked_tag = dims == 1   ? memory::format_tag::nCw16c
                                         : dims == 2 ? memory::format_tag::nChw16c
                                                     : memory::format_tag::nCdhw16c;
  const memory::desc blocked_src(src.dims(), type, blocked_tag);
  const memory::desc blocked_dst(dst.dims(), type, blocked_tag);
  const dnnl::pooling_v2_forward::primitive_desc pd(
      {dnnl::prop_kind::forward_inference, algorithm, blocked_src, blocked_dst, strides, kernel_size,
       memory::dims(dims, 0), padding, padding},
      context().engine);
  auto kernel = std::make_unique<PrimitiveKernel>(io, 1, 1);
  kernel->bind_input(0, src);
  kernel->bind_output(0, dst);
  const memory pool_src(blocked_src, context().engine);
  const memory pool_dst(blocked_dst, context().engine);
  const dnnl::reorder::primitive_desc to_blocked(context().engine, src, context().engine, blocked_src);
  kernel->add(dnnl::reorder(to_blocked), {{DNNL_ARG_FROM, kernel->input(0)}, {DNNL_ARG_TO, pool_src}},
              to_blocked.impl_info_str());
  std::unordered_map<int, memory> arguments = {{DNNL_ARG_SRC, pool_src}, {DNNL_ARG_DST, pool_dst}};
  if (pd.workspace_desc().get_size() != 0)
    arguments[DNNL_ARG_WORKSPACE] = memory(pd.workspace_desc(), context().engine);
  kernel->add(dnnl::pooling_v2_forward(pd), std::move(arguments), pd.impl_info_str());
  const dnnl::reorder::primitive_desc to_plain(context().engine, blocked_dst, context().engine, dst);
  kernel->add(dnnl::reorder(to_plain), {{DNNL_ARG_FROM, pool_dst}, {DNNL_ARG_TO, kernel->output(0)}},
              to_plain.impl_info_str());
  return kernel;
}

}  // namespace ntp::onednn
