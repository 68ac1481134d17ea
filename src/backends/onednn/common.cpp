#include "common.h"

#include "ntp/fused_activation.h"

#include <algorithm>
#include <cstring>

#include "ntp/tensor.h"

namespace ntp::onednn {

Context& context() {
  static Context shared;
  return shared;
}

memory::data_type data_type(DType type) {
  switch (type) {
    case DType::f32:
      return memory::data_type::f32;
    case DType::bf16:
      return memory::data_type::bf16;
    case DType::f16:
      return memory::data_type::f16;
    case DType::s8:
      return memory::data_type::s8;
    case DType::u8:
      return memory::data_type::u8;
    case DType::s32:
      return memory::data_type::s32;
    case DType::s64:
    case DType::f64:
    case DType::boolean:
      break;
  }
  throw std::logic_error(fmt::format("oneDNN has no {} type", dtype_name(type)));
}

DType io_type(DType precision) {
  return precision == DType::bf16 ? DType::bf16 : DType::f32;
}

memory::dims dims_of(const Shape& shape) {
  return memory::dims(shape.begin(), shape.end());
}

memory::desc plain(const Shape& shape, memory::data_type type) {
  memory::dims strides(shape.size(), 1);
  for (std::size_t i = shape.size(); i-- > 1;)
    strides[i - 1] = strides[i] * shape[i];
  return {dims_of(shape), type, strides};
}

memory reordered(const memory& source, const memory::desc& target) {
  memory result(target, context().engine);
  dnnl::reorder(source, result).execute(context().stream, const_cast<memory&>(source), result);
  context().stream.wait();
  return result;
}

memory weight_memory(const Graph& graph, int node, const CompileOptions& options, const std::string& name,
                     memory::data_type type, const Shape& shape) {
  const Node& owner = graph.nodes[static_cast<std::size_t>(node)];
  const auto found = options.weights->find({owner.name, name});
  if (found == options.weights->end())
    throw UserError(owner.where, fmt::format("layer '{}': weight '{}' is missing", owner.name, name));
  const Tensor& tensor = found->second;
  const Shape& target = shape.empty() ? tensor.shape() : shape;
  memory f32(plain(target, memory::data_type::f32), context().engine, const_cast<void*>(tensor.data()));
  if (type == memory::data_type::f32) return reordered(f32, f32.get_desc());  // an owned copy
  return reordered(f32, plain(target, type));
}

PrimitiveKernel::PrimitiveKernel(DType io_type, std::size_t inputs, std::size_t outputs)
    : io_type_(io_type),
      input_types_(inputs, io_type),
      input_quantizations_(inputs),
      inputs_(inputs),
      outputs_(outputs) {}

void PrimitiveKernel::quantized_input(std::size_t index, DType type, Quantization quantization) {
  input_types_.at(index) = type;
  input_quantizations_.at(index) = quantization;
}

float input_range(const Graph& graph, int node, std::size_t index, const CompileOptions& options) {
  const auto value = static_cast<std::size_t>(graph.nodes[static_cast<std::size_t>(node)].inputs.at(index));
  if (options.value_ranges == nullptr || value >= options.value_ranges->size()) return 1.0F;
  return std::max((*options.value_ranges)[value], 1e-6F);
}

void PrimitiveKernel::bind_input(std::size_t index, const memory::desc& desc) {
  inputs_.at(index) = memory(desc, context().engine, DNNL_MEMORY_NONE);
}

void PrimitiveKernel::bind_output(std::size_t index, const memory::desc& desc) {
  outputs_.at(index) = memory(desc, context().engine, DNNL_MEMORY_NONE);
}

void PrimitiveKernel::add(dnnl::primitive primitive, std::unordered_map<int, memory> arguments,
                          const std::string& implementation) {
  steps_.emplace_back(std::move(primitive), std::move(arguments));
  implementation_ += (implementation_.empty() ? "" : "+") + implementation;
}

void PrimitiveKernel::run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  // The placeholders are shared (dnnl::memory is a handle), so setting their buffers updates every map.
  for (std::size_t i = 0; i < inputs_.size(); ++i)
    if (inputs_[i]) inputs_[i].set_data_handle(const_cast<void*>(inputs[i]->data()));
  for (std::size_t i = 0; i < outputs_.size(); ++i)
    if (outputs_[i]) outputs_[i].set_data_handle(outputs[i]->data());
  auto& stream = context().stream;
  for (auto& [primitive, arguments] : steps_)
    primitive.execute(stream, arguments);
  stream.wait();
  for (auto& [last, initial] : carried_states_)
    std::memcpy(initial.get_data_handle(), last.get_data_handle(), initial.get_desc().get_size());
}

void PrimitiveKernel::carry_state(memory last, memory initial) {
  carried_states_.emplace_back(std::move(last), std::move(initial));
  reset_stream();
}

void PrimitiveKernel::reset_stream() {
  for (auto& [last, initial] : carried_states_)
    std::memset(initial.get_data_handle(), 0, initial.get_desc().get_size());
}

dnnl::post_ops activation_post_ops(const Attributes& attrs) {
  dnnl::post_ops ops;
  const FusedActivation activation = FusedActivation::of(attrs);
  const auto clip = static_cast<float>(activation.clip);
  switch (activation.kind) {
    case FusedActivation::Kind::relu:
      if (clip > 0)
        ops.append_eltwise(1.0F, dnnl::algorithm::eltwise_clip, 0.0F, clip);
      else
        ops.append_eltwise(1.0F, dnnl::algorithm::eltwise_relu, 0.0F, 0.0F);
      break;
    case FusedActivation::Kind::leaky_relu:
      ops.append_eltwise(1.0F, dnnl::algorithm::eltwise_relu, static_cast<float>(activation.alpha), 0.0F);
      break;
    case FusedActivation::Kind::tanh:
      ops.append_eltwise(1.0F, dnnl::algorithm::eltwise_tanh, 0.0F, 0.0F);
      break;
    case FusedActivation::Kind::sigmoid:
      ops.append_eltwise(1.0F, dnnl::algorithm::eltwise_logistic, 0.0F, 0.0F);
      break;
    case FusedActivation::Kind::gelu:
      ops.append_eltwise(1.0F, dnnl::algorithm::eltwise_gelu_erf, 0.0F, 0.0F);
      break;
    case FusedActivation::Kind::none:
      break;
  }
  return ops;
}

}  // namespace ntp::onednn
