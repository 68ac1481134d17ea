// int8 inference: fc and lstm with s8 weights (per-output-channel scales) and quantised inputs. The fp32
// input is quantised by an explicit, timed step of the executable (scale from a calibration run); the
// result is dequantised inside the primitive by its output scales, as oneDNN (and OpenVINO) do it.
#include <cmath>

#include "common.h"

namespace ntp::onednn {

namespace {
// Per-row scales mapping each row's max |w| to 127.
std::vector<float> row_scales(const Tensor& weights, memory::dim rows, memory::dim columns) {
  std::vector<float> scales(static_cast<std::size_t>(rows));
  for (memory::dim r = 0; r < rows; ++r) {
    float largest = 0;
    for (memory::dim c = 0; c < columns; ++c)
      largest = std::max(largest, std::fabs(weights.as<float>()[r * columns + c]));
    scales[static_cast<std::size_t>(r)] = 127.0F / std::max(largest, 1e-12F);
  }
  return scales;
}
}  // namespace

std::unique_ptr<Kernel> make_fc_int8(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = graph.nodes[static_cast<std::size_t>(node_index)];
  const Shape& in = input_value(graph, node_index, 0).shape;
  const memory::dim features = in.back();
  const memory::dim rows = element_count(in) / features;
  const memory::dim units = node.attrs.integer("units");
  const float input_scale = 127.0F / input_range(graph, node_index, 0, options);
  const Tensor& weight = options.weights->at({node.name, "weight"});
  const std::vector<float> weight_scales = row_scales(weight, units, features);

  const memory::desc src({rows, features}, memory::data_type::s8, memory::format_tag::nc);
  const memory::desc dst({rows, units}, memory::data_type::f32, memory::format_tag::nc);
  const bool has_bias = node.attrs.integer("bias") != 0;
  const memory::desc bias_desc =
      has_bias ? memory::desc({units}, memory::data_type::f32, memory::format_tag::x) : memory::desc();
  dnnl::primitive_attr attr;
  std::vector<float> dequantize(weight_scales.size());
  for (std::size_t i = 0; i < dequantize.size(); ++i)
    dequantize[i] = 1.0F / (input_scale * weight_scales[i]);
  attr.set_output_scales(1 << 1, dequantize);  // per output channel
  attr.set_post_ops(activation_post_ops(node.attrs));
  const dnnl::inner_product_forward::primitive_desc pd(
      {dnnl::prop_kind::forward_inference, src,
       memory::desc({units, features}, memory::data_type::s8, memory::format_tag::any), bias_desc, dst},
      attr, context().engine);

  // Quantise the weights once: f32 [units, features] -> s8 with each row's scale, into the chosen layout.
  memory plain_weights({{units, features}, memory::data_type::f32, memory::format_tag::oi}, context().engine,
                       const_cast<void*>(weight.data()));
  dnnl::primitive_attr weight_attr;
  weight_attr.set_output_scales(1 << 0, weight_scales);
  memory weights(pd.weights_desc(), context().engine);
  dnnl::reorder(dnnl::reorder::primitive_desc(plain_weights, weights, weight_attr))
      .execute(context().stream, plain_weights, weights);
  context().stream.wait();

  auto kernel = std::make_unique<PrimitiveKernel>(DType::f32, 1, 1);
  kernel->bind_input(0, src);
  kernel->quantized_input(0, DType::s8, {input_scale, 0.0F});
  kernel->bind_output(0, dst);
  std::unordered_map<int, memory> arguments = {
      {DNNL_ARG_SRC, kernel->input(0)}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, kernel->output(0)}};
  if (has_bias) {
    // oneDNN 2.x adds the bias before the output scales: give it in the accumulator's units.
    memory bias(bias_desc, context().engine);
    const float* source = options.weights->at({node.name, "bias"}).as<float>();
    auto* target = static_cast<float*>(bias.get_data_handle());
    for (std::size_t i = 0; i < weight_scales.size(); ++i)
      target[i] = source[i] * input_scale * weight_scales[i];
    arguments[DNNL_ARG_BIAS] = bias;
  }
  kernel->add(dnnl::inner_product_forward(pd), std::move(arguments), pd.impl_info_str());
  return kernel;
}

}  // namespace ntp::onednn
