// export_model: the graph's nodes through the per-op emitters, graph inputs and outputs with symbolic
// dimensions, markers and parameters as metadata; then onnx::checker and strict shape inference.
#include "export.h"

#include <fmt/format.h>
#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "export_builder.h"
#include "export_dims.h"
#include "io/files.h"
#include "onnx/onnx_model.h"

namespace ntp::onnx_io {

namespace {

void set_value_info(onnx::ValueInfoProto& info, const Value& value,
                    const std::vector<std::string>& symbolic) {
  info.set_name(value.name);
  onnx::TypeProto_Tensor& tensor = *info.mutable_type()->mutable_tensor_type();
  tensor.set_elem_type(onnx_type(value.dtype));
  onnx::TensorShapeProto& shape = *tensor.mutable_shape();
  for (std::size_t d = 0; d < value.shape.size(); ++d) {
    onnx::TensorShapeProto_Dimension& dim = *shape.add_dim();
    const std::string& name = d < symbolic.size() ? symbolic[d] : std::string();
    if (name.empty())
      dim.set_dim_value(value.shape[d]);
    else if (name != kUnnamedDim)
      dim.set_dim_param(name);
    // an unnamed varying dimension stays unknown: neither value nor name
  }
}

void add_metadata(onnx::ModelProto& model, const std::string& key, const nlohmann::json& value) {
  onnx::StringStringEntryProto& entry = *model.add_metadata_props();
  entry.set_key(key);
  entry.set_value(value.dump());
}

nlohmann::json segments_json(const Graph& graph) {
  nlohmann::json segments = nlohmann::json::array();
  for (const Segment& segment : graph.segments()) {
    const auto node_name = [&](int index) { return graph.nodes[static_cast<std::size_t>(index)].name; };
    segments.push_back({{"name", segment.name},
                        {"tool", segment.tool},
                        {"first", segment.op_nodes.empty() ? "" : node_name(segment.op_nodes.front())},
                        {"last", segment.op_nodes.empty() ? "" : node_name(segment.op_nodes.back())}});
  }
  return segments;
}

// What a graph input was declared with beyond its type: the distribution seeded inputs are drawn from
// and an audio input's sample rate.
nlohmann::json inputs_json(const Graph& graph) {
  nlohmann::json inputs = nlohmann::json::object();
  for (const int index : graph.inputs) {
    const Value& value = graph.values[static_cast<std::size_t>(index)];
    nlohmann::json entry = {
        {"distribution", value.distribution.kind == Distribution::Kind::normal ? "normal" : "uniform"},
        {"a", value.distribution.a},
        {"b", value.distribution.b}};
    if (value.samplerate > 0) entry["samplerate"] = value.samplerate;
    inputs[value.name] = entry;
  }
  return inputs;
}

onnx::ModelProto build_model(const Graph& graph, const WeightStore& weights, const ExportOptions& options) {
  onnx::ModelProto model;
  model.set_ir_version(onnx::IR_VERSION);
  model.set_producer_name("ntp");
  model.set_producer_version(NTP_VERSION);
  onnx::GraphProto& onnx_graph = *model.mutable_graph();
  onnx_graph.set_name(graph.name.empty() ? "ntp" : graph.name);

  const SymbolicAnalysis symbolic = symbolic_dims(graph);
  for (const int input : graph.inputs)
    set_value_info(*onnx_graph.add_input(), graph.values[static_cast<std::size_t>(input)],
                   symbolic.dims[static_cast<std::size_t>(input)]);
  std::vector<int> outputs = graph.outputs;
  if (options.every_layer_output)
    for (const Node& node : graph.nodes)
      for (const int value : node.is_op() ? node.outputs : std::vector<int>{})
        if (std::find(outputs.begin(), outputs.end(), value) == outputs.end()) outputs.push_back(value);
  for (const int output : outputs)
    set_value_info(*onnx_graph.add_output(), graph.values[static_cast<std::size_t>(output)],
                   symbolic.dims[static_cast<std::size_t>(output)]);

  ModelBuilder builder(onnx_graph, options.opset);
  for (const Node& node : graph.nodes)
    if (node.is_op()) emit_node({builder, graph, node, weights});

  onnx::OperatorSetIdProto& onnx_opset = *model.add_opset_import();
  onnx_opset.set_domain("");
  onnx_opset.set_version(options.opset);
  if (builder.used_ntp_domain()) {
    onnx::OperatorSetIdProto& ntp_opset = *model.add_opset_import();
    ntp_opset.set_domain(kNtpDomain);
    ntp_opset.set_version(1);
  }

  add_metadata(model, "ntp.segments", segments_json(graph));
  add_metadata(model, "ntp.params", nlohmann::json(graph.params));
  add_metadata(model, "ntp.inputs", inputs_json(graph));
  add_metadata(model, "ntp.symbolic", nlohmann::json(symbolic.symbols));
  // Each layer's NTP op, where ONNX alone is ambiguous (hardtanh(0, c) and relu clip c are both Clip).
  nlohmann::json layers = nlohmann::json::array();
  for (const Node& node : graph.nodes)
    if (node.is_op()) layers.push_back({{"name", node.name}, {"op", node.op}});
  add_metadata(model, "ntp.layers", layers);
  return model;
}

}  // namespace

std::string export_model_bytes(const Graph& graph, const WeightStore& weights, const ExportOptions& options) {
  const SourceLocation where{graph.source, 0, 0};
  if (options.opset < kMinOpset || options.opset > kMaxOpset)
    throw UserError({"<command line>", 0, 0}, fmt::format("opset {} cannot be exported", options.opset),
                    fmt::format("use an opset from {} to {}", kMinOpset, kMaxOpset));
  onnx::ModelProto model = build_model(graph, weights, options);
  try {
    onnx::checker::check_model(model);
    // Strict: an op whose inferred shape disagrees with NTP's is an export error, not a model to ship.
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(true, 1, false));
  } catch (const std::exception& error) {
    throw UserError(where, fmt::format("the exported ONNX model is not valid: {}", error.what()),
                    "this is a bug in the exporter for this topology; please report it");
  }
  std::string bytes;
  if (!model.SerializeToString(&bytes))
    throw UserError(where, "the ONNX model cannot be serialized (protobuf's limit is 2 GiB)",
                    "use smaller parameters");
  return bytes;
}

void export_model(const Graph& graph, const WeightStore& weights, const std::string& path,
                  const ExportOptions& options) {
  const std::string bytes = export_model_bytes(graph, weights, options);
  io::write_file(path, bytes, "the ONNX model");
}

void export_model(const Graph& graph, const WeightStore& weights, const std::string& path) {
  export_model(graph, weights, path, ExportOptions{});
}

}  // namespace ntp::onnx_io
