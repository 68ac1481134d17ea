// Export internals: a thin layer over onnx::GraphProto that the per-op emitters share, so each emitter says
// what it writes (nodes, initializers) and not how protobuf spells it.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ntp/graph.h"
#include "ntp/weights.h"

namespace ntp::onnx_io {

inline constexpr const char* kNtpDomain = "ai.ntp";
inline constexpr int kMinOpset = 13;  // Split, Squeeze and ReduceSum take their axes as inputs from 13 on
inline constexpr int kMaxOpset = 17;  // the newest opset Debian's ONNX 1.12 knows

class ModelBuilder {
 public:
  ModelBuilder(onnx::GraphProto& graph, int opset) : graph_(graph), opset_(opset) {}
  int opset() const { return opset_; }
  bool used_ntp_domain() const { return used_ntp_domain_; }

  // A node whose outputs are named `outputs`; domain "" is the default ONNX domain.
  onnx::NodeProto& node(const std::string& op_type, const std::string& name,
                        const std::vector<std::string>& inputs, const std::vector<std::string>& outputs,
                        const std::string& domain = "");

  // Initializers; each returns its name so that it can go straight into a node's inputs.
  const std::string& floats(const std::string& name, const Shape& shape, const std::vector<float>& values);
  const std::string& tensor(const std::string& name, const Tensor& value);                      // f32
  const std::string& scalar(const std::string& name, float value);                              // shape []
  const std::string& int64s(const std::string& name, const std::vector<std::int64_t>& values);  // 1-D

 private:
  onnx::GraphProto& graph_;
  int opset_;
  bool used_ntp_domain_ = false;
  std::vector<std::string> initializer_names_;
};

void set_attr(onnx::NodeProto& node, const std::string& name, std::int64_t value);
void set_attr(onnx::NodeProto& node, const std::string& name, float value);
void set_attr(onnx::NodeProto& node, const std::string& name, const std::string& value);
void set_attr(onnx::NodeProto& node, const std::string& name, const std::vector<std::int64_t>& values);
void set_attr(onnx::NodeProto& node, const std::string& name, const std::vector<float>& values);
void set_attr(onnx::NodeProto& node, const std::string& name, const std::vector<std::string>& values);

onnx::TensorProto_DataType onnx_type(DType type);

// What an op emitter gets: the node, its graph, its weights and where its inputs and outputs are.
struct EmitContext {
  ModelBuilder& model;
  const Graph& graph;
  const Node& node;
  const WeightStore& weights;

  const std::string& input(std::size_t i) const;  // tensor name of the i-th input
  const Shape& input_shape(std::size_t i) const;
  const std::string& output(std::size_t k) const;  // tensor name of the k-th output (the NTP value name)
  const Shape& output_shape(std::size_t k) const;
  const Tensor& weight(const std::string& weight_name) const;  // throws UserError when missing
  // "name/part": the names of helper nodes, helper tensors and the node's initializers.
  std::string part(const std::string& suffix) const { return node.name + "/" + suffix; }
};

// Writes `ctx.node` as ONNX nodes; ops without an ONNX operator become an ai.ntp node.
void emit_node(const EmitContext& ctx);
// The recurrent layers (lstm, gru, rnn) as ONNX LSTM / GRU / RNN nodes, one per stacked layer.
void emit_recurrent(const EmitContext& ctx);
// The node as one node of the ai.ntp domain: op_type = NTP op, attributes = NTP attributes.
void emit_ntp_node(const EmitContext& ctx);

}  // namespace ntp::onnx_io
