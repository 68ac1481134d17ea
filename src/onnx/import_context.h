// Import internals: the state one ONNX graph's conversion shares between the per-op converters. Each ONNX
// tensor name maps to an operand, a value of the NTP graph or a tensor known at load time (initializers,
// Constant nodes and what folds from them); NTP nodes are added one at a time with their shapes inferred
// at once, because Reshape and friends need the shapes of what came before.
#pragma once

#include <onnx/onnx_pb.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "import_tensors.h"
#include "ntp/graph.h"
#include "ntp/weights.h"

namespace ntp::onnx_io {

struct Operand {
  int value = -1;                       // NTP value index; -1 for a constant not yet in the graph
  std::optional<ConstTensor> constant;  // known at load time
};

class ImportContext {
 public:
  ImportContext(const onnx::ModelProto& model, std::string file, DType precision);

  Graph& graph() { return graph_; }
  WeightStore& weights() { return weights_; }
  int opset() const { return opset_; }
  const std::string& file() const { return file_; }
  const onnx::GraphProto& onnx_graph() const { return model_.graph(); }

  // ---- operands ----
  bool has_input(const onnx::NodeProto& node, int index) const;
  const Operand& operand(const std::string& tensor) const;
  const Operand& input(const onnx::NodeProto& node, int index) const;
  // The input as a tensor known at load time; fails naming `role` (e.g. "the weight W") otherwise.
  const ConstTensor& constant_input(const onnx::NodeProto& node, int index, const std::string& role) const;
  bool is_constant(const onnx::NodeProto& node, int index) const;
  // The input as a graph value; a constant becomes a `constant` node the first time it is used so.
  int value_input(const onnx::NodeProto& node, int index);
  int value_of(const std::string& tensor);
  const Shape& input_shape(const onnx::NodeProto& node, int index) const;
  const Shape& shape_of(int value) const { return graph_.values.at(static_cast<std::size_t>(value)).shape; }

  bool is_defined(const std::string& tensor) const { return operands_.count(tensor) != 0; }
  void define(const std::string& tensor, int value);
  void define_constant(const std::string& tensor, ConstTensor constant);
  // The output `index` is consumed somewhere or is a graph output.
  bool output_used(const onnx::NodeProto& node, int index) const;

  // ---- graph building ----
  // Adds the graph input `name` of `shape`.
  int add_input(const std::string& name, const Shape& shape, std::vector<std::string> dim_params,
                DType dtype = DType::f32);
  // Adds an op node with its outputs inferred by the op's schema and its weights stored; returns its first
  // output value. `name` is made unique if taken. Fails naming `node` when the schema refuses the shapes or
  // a weight does not have the shape the op declares.
  int add_op(const onnx::NodeProto& node, const std::string& name, const std::string& op, Attributes attrs,
             const std::vector<int>& inputs, const std::map<std::string, Tensor>& node_weights = {});
  std::string unique_name(const std::string& wanted) const;

  // ---- evaluation at load time ----
  struct Mark {
    std::size_t nodes = 0, values = 0;
  };
  Mark mark() const { return {graph_.nodes.size(), graph_.values.size()}; }
  // When the nodes added since `since` are one op reading only constants (and the constant nodes made for
  // it), computes the op with the reference back end, removes those nodes and defines `node`'s outputs as
  // the known results, so that later nodes can use them as shapes, bounds or axes. False, touching nothing,
  // otherwise.
  bool evaluate_added(const onnx::NodeProto& node, Mark since);

  // ---- fusion ----
  // The one node that consumes `tensor`, when nothing else (and no graph output) does; else null.
  const onnx::NodeProto* sole_consumer(const std::string& tensor) const;
  // Every node reading `tensor`, each once, in model order; the node writing it (null for inputs and
  // initializers).
  std::vector<const onnx::NodeProto*> consumers(const std::string& tensor) const;
  const onnx::NodeProto* producer(const std::string& tensor) const;
  bool is_graph_output(const std::string& tensor) const;
  void mark_fused(const onnx::NodeProto* node) { fused_.insert(node); }
  bool is_fused(const onnx::NodeProto* node) const { return fused_.count(node) != 0; }

  // ---- attributes ----
  const onnx::AttributeProto* attribute(const onnx::NodeProto& node, const std::string& name) const;
  std::int64_t attr_int(const onnx::NodeProto& node, const std::string& name, std::int64_t fallback) const;
  float attr_float(const onnx::NodeProto& node, const std::string& name, float fallback) const;
  std::string attr_string(const onnx::NodeProto& node, const std::string& name,
                          const std::string& fallback) const;
  std::vector<std::int64_t> attr_ints(const onnx::NodeProto& node, const std::string& name,
                                      std::vector<std::int64_t> fallback = {}) const;
  std::vector<float> attr_floats(const onnx::NodeProto& node, const std::string& name) const;
  std::vector<std::string> attr_strings(const onnx::NodeProto& node, const std::string& name) const;

  // ---- errors ----
  // "node 'conv1' (Conv)", or the first output's name for nameless nodes.
  std::string label(const onnx::NodeProto& node) const;
  [[noreturn]] void fail(const onnx::NodeProto& node, const std::string& message,
                         const std::string& hint = {}) const;
  [[noreturn]] void fail(const std::string& message, const std::string& hint = {}) const;
  ConstTensor decode(const onnx::TensorProto& proto) const;

 private:
  const onnx::ModelProto& model_;
  std::string file_;
  std::string folder_;
  DType precision_;
  int opset_ = 1;
  Graph graph_;
  WeightStore weights_;
  std::map<std::string, Operand> operands_;
  std::map<std::string, int> consumers_;
  std::set<std::string> graph_outputs_;
  std::set<const onnx::NodeProto*> fused_;
  std::map<std::string, std::vector<const onnx::NodeProto*>> consumer_nodes_;
  std::map<std::string, const onnx::NodeProto*> producers_;
};

// Converts one ONNX node (ops of the default domain and of "ai.ntp"); defines its outputs' operands.
void convert_node(ImportContext& context, const onnx::NodeProto& node);
// The op types convert_node takes (for the one error that lists every unsupported node).
bool is_importable(const onnx::NodeProto& node);

// ONNX operators that are one NTP op each with ONNX's semantics (import_generic.cpp): elementwise, casts,
// reductions, gathers, slices, pads, ...; null for other op types.
using GenericConverter = void (*)(ImportContext&, const onnx::NodeProto&);
GenericConverter generic_converter(const std::string& op_type);

// Recurrent converters (import_rnn.cpp).
void convert_recurrent(ImportContext& context, const onnx::NodeProto& node);
// Subgraphs that are one NTP op (import_patterns.cpp): GELU written with Erf, as PyTorch and NTP export it,
// and multi-head attention written with MatMul, Reshape, Transpose and Softmax.
struct GeluMatch {
  std::vector<const onnx::NodeProto*> nodes;  // Div, Erf, Add, Mul, Mul; the last one's output is the GELU
};
// The GELU 0.5 * x * (1 + erf(x / sqrt(2))) reading `x`. With `only_reader`, nothing else may read `x`
// (so that `x` can be fused away); the group's intermediates are never read outside it.
std::optional<GeluMatch> match_gelu_erf(const ImportContext& context, const std::string& x, bool only_reader);
// Converts the GELU that starts at `node` (its Div or Mul) as one `gelu` op; false, touching nothing, if
// none.
bool try_convert_gelu(ImportContext& context, const onnx::NodeProto& node);
// Converts the attention subgraph `node` (a MatMul) belongs to as one `attention` op; false, touching
// nothing, when `node` is not the first node of such a subgraph.
bool try_convert_attention(ImportContext& context, const onnx::NodeProto& node);

// Converts the written-out LayerNorm whose first ReduceMean is `node` (mean and biased variance over the
// last axis, then the optional scale and shift, as exported below opset 17) as one `layernorm` op; false,
// touching nothing, if none.
bool try_convert_layernorm(ImportContext& context, const onnx::NodeProto& node);

// Replaces every node NTP cannot import but ONNX defines by a function body (import_functions.cpp) with
// that body, in place; names inside a body are prefixed with the node's name.
void expand_functions(onnx::ModelProto& model);

// Constant folding (import_fold.cpp): true when `node` was folded (all its inputs known at load time).
bool try_fold(ImportContext& context, const onnx::NodeProto& node);

}  // namespace ntp::onnx_io

namespace ntp::onnx_io {

// Shapes of Squeeze / Unsqueeze with `axes` (opset 13 takes them as an input, older opsets as an attribute);
// shared by folding and conversion. Fail through `context` naming `node`.
std::vector<std::int64_t> squeeze_axes(const ImportContext& context, const onnx::NodeProto& node);
Shape squeezed_shape(const ImportContext& context, const onnx::NodeProto& node, const Shape& input);
Shape unsqueezed_shape(const ImportContext& context, const onnx::NodeProto& node, const Shape& input);
// ONNX Reshape's target (0 copies, -1 infers) resolved against `input`.
Shape reshaped_shape(const ImportContext& context, const onnx::NodeProto& node, const Shape& input,
                     const std::vector<std::int64_t>& target);

}  // namespace ntp::onnx_io
