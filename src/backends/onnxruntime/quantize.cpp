#include "quantize.h"

#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <set>

#include "io/files.h"
#include "ntp/status.h"
#include "onnx/import_tensors.h"

namespace ntp::onnxruntime {

namespace {

onnx::NodeProto make_node(const std::string& op, const std::string& name,
                          const std::vector<std::string>& inputs, const std::vector<std::string>& outputs) {
  onnx::NodeProto node;
  node.set_op_type(op);
  node.set_name(name);
  for (const std::string& input : inputs)
    node.add_input(input);
  for (const std::string& output : outputs)
    node.add_output(output);
  return node;
}

void add_scalar(onnx::GraphProto& graph, const std::string& name, float value) {
  onnx::TensorProto& tensor = *graph.add_initializer();
  tensor.set_name(name);
  tensor.set_data_type(onnx::TensorProto::FLOAT);
  tensor.add_float_data(value);
}

void add_int8_zero(onnx::GraphProto& graph, const std::string& name) {
  onnx::TensorProto& tensor = *graph.add_initializer();
  tensor.set_name(name);
  tensor.set_data_type(onnx::TensorProto::INT8);
  tensor.set_raw_data(std::string(1, '\0'));
}

// W as int8 (symmetric, per tensor) under `name`; returns its scale.
float add_quantized_weight(onnx::GraphProto& graph, const std::string& name, const Shape& shape,
                           const std::vector<float>& values) {
  float largest = 0;
  for (const float value : values)
    largest = std::max(largest, std::fabs(value));
  const float scale = largest > 0 ? largest / 127.0F : 1.0F;
  std::string bytes(values.size(), '\0');
  for (std::size_t i = 0; i < values.size(); ++i)
    bytes[i] = static_cast<char>(
        static_cast<std::int8_t>(std::clamp(std::nearbyint(values[i] / scale), -127.0F, 127.0F)));
  onnx::TensorProto& tensor = *graph.add_initializer();
  tensor.set_name(name);
  tensor.set_data_type(onnx::TensorProto::INT8);
  for (const std::int64_t dim : shape)
    tensor.add_dims(dim);
  tensor.set_raw_data(bytes);
  return scale;
}

}  // namespace

DynamicQuantization quantize_dynamic(const std::string& from, const std::string& to) {
  onnx::ModelProto model;
  {
    std::ifstream file(from, std::ios::binary);
    if (!file || !model.ParseFromIstream(&file))
      throw UserError({from, 0, 0}, "the ONNX model cannot be read for quantisation");
  }
  onnx::GraphProto& graph = *model.mutable_graph();
  std::map<std::string, int> initializer;
  for (int i = 0; i < graph.initializer_size(); ++i)
    initializer[graph.initializer(i).name()] = i;
  const onnx_io::TensorSource source{from, std::filesystem::path(from).parent_path().string()};

  DynamicQuantization report;
  std::vector<onnx::NodeProto> nodes;
  std::set<std::string> replaced_weights;
  for (const onnx::NodeProto& node : graph.node()) {
    const auto weight = node.input_size() == 2 ? initializer.find(node.input(1)) : initializer.end();
    const onnx::TensorProto* proto =
        weight != initializer.end() ? &graph.initializer(weight->second) : nullptr;
    if (node.op_type() != "MatMul" || proto == nullptr || proto->dims_size() != 2 ||
        proto->data_type() != onnx::TensorProto::FLOAT) {
      if (node.op_type() == "Gemm" || node.op_type() == "Conv" || node.op_type() == "ConvTranspose" ||
          node.op_type() == "LSTM" || node.op_type() == "GRU" || node.op_type() == "RNN")
        report.kept_fp32.push_back(node.name());
      nodes.push_back(node);
      continue;
    }
    const onnx_io::ConstTensor values = onnx_io::decode_tensor(*proto, source);
    const std::string prefix = node.name().empty() ? node.output(0) : node.name();
    const std::string& x = node.input(0);
    const std::string w = node.input(1);
    const float w_scale = add_quantized_weight(graph, prefix + "/weight_int8", values.shape, values.floats);
    add_scalar(graph, prefix + "/weight_scale", w_scale);
    add_int8_zero(graph, prefix + "/weight_zero_point");
    nodes.push_back(make_node("DynamicQuantizeLinear", prefix + "/quantize_input", {x},
                              {prefix + "/x_uint8", prefix + "/x_scale", prefix + "/x_zero_point"}));
    nodes.push_back(make_node("MatMulInteger", node.name(),
                              {prefix + "/x_uint8", prefix + "/weight_int8", prefix + "/x_zero_point",
                               prefix + "/weight_zero_point"},
                              {prefix + "/int32"}));
    onnx::NodeProto cast = make_node("Cast", prefix + "/to_float", {prefix + "/int32"}, {prefix + "/float"});
    onnx::AttributeProto& to_type = *cast.add_attribute();
    to_type.set_name("to");
    to_type.set_type(onnx::AttributeProto::INT);
    to_type.set_i(onnx::TensorProto::FLOAT);
    nodes.push_back(cast);
    nodes.push_back(make_node("Mul", prefix + "/scales", {prefix + "/x_scale", prefix + "/weight_scale"},
                              {prefix + "/scale"}));
    nodes.push_back(
        make_node("Mul", prefix + "/rescale", {prefix + "/float", prefix + "/scale"}, {node.output(0)}));
    report.quantized.push_back(node.name());
    replaced_weights.insert(w);
  }
  if (report.quantized.empty())
    throw UserError({from, 0, 0},
                    "the model has no MatMul with constant weights to run in int8 on onnxruntime",
                    "int8 on onnxruntime quantises MatMul layers (fc, matmul); run this model in fp32 there");
  graph.clear_node();
  for (onnx::NodeProto& node : nodes)
    *graph.add_node() = std::move(node);
  // The fp32 weights no node reads any more (and no graph input names) are dropped.
  std::set<std::string> still_read;
  for (const onnx::NodeProto& node : graph.node())
    for (const std::string& input : node.input())
      still_read.insert(input);
  for (const onnx::ValueInfoProto& input : graph.input())
    still_read.insert(input.name());
  auto* initializers = graph.mutable_initializer();
  initializers->erase(std::remove_if(initializers->begin(), initializers->end(),
                                     [&](const onnx::TensorProto& tensor) {
                                       return replaced_weights.count(tensor.name()) != 0 &&
                                              still_read.count(tensor.name()) == 0;
                                     }),
                      initializers->end());
  std::string bytes;
  if (!model.SerializeToString(&bytes))
    throw UserError({from, 0, 0}, "the quantised model cannot be serialized (protobuf's limit is 2 GiB)");
  io::write_file(to, bytes, "the quantised ONNX model");
  return report;
}

}  // namespace ntp::onnxruntime
