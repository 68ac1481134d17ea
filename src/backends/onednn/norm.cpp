// batchnorm with the running statistics (inference) and layernorm over the last axis, scale and shift.
#include <cstring>

#include "common.h"

namespace ntp::onednn {

namespace {
// oneDNN 2.6 takes scale and shift as one [2, C] f32 memory.
memory scale_shift(const Graph& graph, int node, const CompileOptions& options, memory::dim channels) {
  memory result({{2, channels}, memory::data_type::f32, memory::format_tag::nc}, context().engine);
  const std::string& name = graph.nodes[static_cast<std::size_t>(node)].name;
  auto* target = static_cast<float*>(result.get_data_handle());
  std::memcpy(target, options.weights->at({name, "scale"}).data(),
              static_cast<std::size_t>(channels) * sizeof(float));
  std::memcpy(target + channels, options.weights->at({name, "shift"}).data(),
              static_cast<std::size_t>(channels) * sizeof(float));
  return result;
}
}  // namespace

std::unique_ptr<Kernel> make_batchnorm(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = graph.nodes[static_cast<std::size_t>(node_index)];
  const Shape& in = input_value(graph, node_index, 0).shape;
  const DType io = io_type(options.precision);
  // [N, C] and [N, C, L] described as [N, C, L, 1] (the same memory): oneDNN 2.6 runs its reference batch
  // norm on 2-D and 3-D tensors, its ncsp kernel on 4-D and 5-D ones.
  Shape shape = in;
  while (shape.size() < 4)
    shape.push_back(1);
  const memory::desc data = plain(shape, data_type(io));
  const auto flags = dnnl::normalization_flags::use_global_stats | dnnl::normalization_flags::use_scale_shift;
  const dnnl::batch_normalization_forward::primitive_desc pd(
      {dnnl::prop_kind::forward_inference, data, static_cast<float>(node.attrs.real("epsilon")), flags},
      context().engine);
  auto kernel = std::make_unique<PrimitiveKernel>(io, 1, 1);
  kernel->bind_input(0, data);
  kernel->bind_output(0, data);
  const memory::dim channels = in[1];
  kernel->add(
      dnnl::batch_normalization_forward(pd),
      {{DNNL_ARG_SRC, kernel->input(0)},
       {DNNL_ARG_DST, kernel->output(0)},
       {DNNL_ARG_SCALE_SHIFT, scale_shift(graph, node_index, options, channels)},
       {DNNL_ARG_MEAN, weight_memory(graph, node_index, options, "mean", memory::data_type::f32)},
       {DNNL_ARG_VARIANCE, weight_memory(graph, node_index, options, "variance", memory::data_type::f32)}},
      pd.impl_info_str());
  return kernel;
}

std::unique_ptr<Kernel> make_layernorm(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = graph.nodes[static_cast<std::size_t>(node_index)];
  const Shape& in = input_value(graph, node_index, 0).shape;
  const DType io = io_type(options.precision);
  const memory::desc data = plain(in, data_type(io));
  const dnnl::layer_normalization_forward::primitive_desc pd(
      {dnnl::prop_kind::forward_inference, data, static_cast<float>(node.attrs.real("epsilon")),
       dnnl::normalization_flags::use_scale_shift},
      context().engine);
  auto kernel = std::make_unique<PrimitiveKernel>(io, 1, 1);
  kernel->bind_input(0, data);
  kernel->bind_output(0, data);
  kernel->add(dnnl::layer_normalization_forward(pd),
              {{DNNL_ARG_SRC, kernel->input(0)},
               {DNNL_ARG_DST, kernel->output(0)},
               {DNNL_ARG_SCALE_SHIFT, scale_shift(graph, node_index, options, in.back())},
               {DNNL_ARG_MEAN, memory(pd.mean_desc(), context().engine)},
               {DNNL_ARG_VARIANCE, memory(pd.variance_desc(), context().engine)}},
              pd.impl_info_str());
  return kernel;
}

}  // namespace ntp::onednn
