#include "export_builder.h"

#include <fmt/format.h>

#include "ntp/tensor.h"

namespace ntp::onnx_io {

onnx::NodeProto& ModelBuilder::node(const std::string& op_type, const std::string& name,
                                    const std::vector<std::string>& inputs,
                                    const std::vector<std::string>& outputs, const std::string& domain) {
  onnx::NodeProto& result = *graph_.add_node();
  result.set_op_type(op_type);
  result.set_name(name);
  if (!domain.empty()) result.set_domain(domain);
  if (domain == kNtpDomain) used_ntp_domain_ = true;
  for (const std::string& input : inputs)
    result.add_input(input);
  for (const std::string& output : outputs)
    result.add_output(output);
  return result;
}

const std::string& ModelBuilder::floats(const std::string& name, const Shape& shape,
                                        const std::vector<float>& values) {
  onnx::TensorProto& initializer = *graph_.add_initializer();
  initializer.set_name(name);
  initializer.set_data_type(onnx::TensorProto_DataType_FLOAT);
  for (const std::int64_t dim : shape)
    initializer.add_dims(dim);
  // raw_data keeps large weights compact (little-endian, as ONNX specifies and this machine is).
  initializer.set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * 4));
  return initializer.name();
}

const std::string& ModelBuilder::tensor(const std::string& name, const Tensor& value) {
  const float* data = value.as<float>();
  return floats(name, value.shape(), std::vector<float>(data, data + value.elements()));
}

const std::string& ModelBuilder::scalar(const std::string& name, float value) {
  return floats(name, {}, {value});
}

const std::string& ModelBuilder::int64s(const std::string& name, const std::vector<std::int64_t>& values) {
  onnx::TensorProto& initializer = *graph_.add_initializer();
  initializer.set_name(name);
  initializer.set_data_type(onnx::TensorProto_DataType_INT64);
  initializer.add_dims(static_cast<std::int64_t>(values.size()));
  for (const std::int64_t value : values)
    initializer.add_int64_data(value);
  return initializer.name();
}

void set_attr(onnx::NodeProto& node, const std::string& name, std::int64_t value) {
  onnx::AttributeProto& attr = *node.add_attribute();
  attr.set_name(name);
  attr.set_type(onnx::AttributeProto_AttributeType_INT);
  attr.set_i(value);
}

void set_attr(onnx::NodeProto& node, const std::string& name, float value) {
  onnx::AttributeProto& attr = *node.add_attribute();
  attr.set_name(name);
  attr.set_type(onnx::AttributeProto_AttributeType_FLOAT);
  attr.set_f(value);
}

void set_attr(onnx::NodeProto& node, const std::string& name, const std::string& value) {
  onnx::AttributeProto& attr = *node.add_attribute();
  attr.set_name(name);
  attr.set_type(onnx::AttributeProto_AttributeType_STRING);
  attr.set_s(value);
}

void set_attr(onnx::NodeProto& node, const std::string& name, const std::vector<std::int64_t>& values) {
  onnx::AttributeProto& attr = *node.add_attribute();
  attr.set_name(name);
  attr.set_type(onnx::AttributeProto_AttributeType_INTS);
  for (const std::int64_t value : values)
    attr.add_ints(value);
}

void set_attr(onnx::NodeProto& node, const std::string& name, const std::vector<float>& values) {
  onnx::AttributeProto& attr = *node.add_attribute();
  attr.set_name(name);
  attr.set_type(onnx::AttributeProto_AttributeType_FLOATS);
  for (const float value : values)
    attr.add_floats(value);
}

void set_attr(onnx::NodeProto& node, const std::string& name, const std::vector<std::string>& values) {
  onnx::AttributeProto& attr = *node.add_attribute();
  attr.set_name(name);
  attr.set_type(onnx::AttributeProto_AttributeType_STRINGS);
  for (const std::string& value : values)
    attr.add_strings(value);
}

onnx::TensorProto_DataType onnx_type(DType type) {
  switch (type) {
    case DType::f32:
      return onnx::TensorProto_DataType_FLOAT;
    case DType::bf16:
      return onnx::TensorProto_DataType_BFLOAT16;
    case DType::f16:
      return onnx::TensorProto_DataType_FLOAT16;
    case DType::s8:
      return onnx::TensorProto_DataType_INT8;
    case DType::u8:
      return onnx::TensorProto_DataType_UINT8;
    case DType::s32:
      return onnx::TensorProto_DataType_INT32;
    case DType::s64:
      return onnx::TensorProto_DataType_INT64;
    case DType::f64:
      return onnx::TensorProto_DataType_DOUBLE;
    case DType::boolean:
      return onnx::TensorProto_DataType_BOOL;
  }
  return onnx::TensorProto_DataType_UNDEFINED;
}

const std::string& EmitContext::input(std::size_t i) const {
  return graph.values.at(static_cast<std::size_t>(node.inputs.at(i))).name;
}

const Shape& EmitContext::input_shape(std::size_t i) const {
  return graph.values.at(static_cast<std::size_t>(node.inputs.at(i))).shape;
}

const std::string& EmitContext::output(std::size_t k) const {
  return graph.values.at(static_cast<std::size_t>(node.outputs.at(k))).name;
}

const Shape& EmitContext::output_shape(std::size_t k) const {
  return graph.values.at(static_cast<std::size_t>(node.outputs.at(k))).shape;
}

const Tensor& EmitContext::weight(const std::string& weight_name) const {
  const auto found = weights.find({node.name, weight_name});
  if (found == weights.end() || found->second.empty())
    throw UserError(node.where,
                    fmt::format("layer '{}' has no weight '{}' to export", node.name, weight_name));
  if (found->second.dtype() != DType::f32)
    throw UserError(node.where, fmt::format("layer '{}' weight '{}' is not fp32", node.name, weight_name),
                    "export writes fp32 weights");
  return found->second;
}

}  // namespace ntp::onnx_io
