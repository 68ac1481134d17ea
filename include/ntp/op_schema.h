// One OpSchema per op type: attributes with defaults, shape inference, weights, cost, documentation.
// The graph owns semantics; back ends only decide how fast an op runs.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ntp/graph.h"

namespace ntp {

enum class AttrType { integer, real, text, integers, reals };

struct AttrSpec {
  std::string name;
  AttrType type = AttrType::integer;
  std::optional<AttrValue> default_value;  // nullopt: required
  std::string doc;
  std::vector<std::string> choices;  // for text attributes; empty = any text
};

// What shape inference and the cost model see of a node.
struct OpContext {
  const Node& node;
  const Attributes& attrs;
  std::vector<const Value*> inputs;
  std::vector<const Value*> outputs;  // empty during shape inference
  DType weight_dtype = DType::f32;    // precision the weights are stored in

  const Shape& in(std::size_t i) const { return inputs.at(i)->shape; }
};

struct TensorType {
  Shape shape;
  DType dtype = DType::f32;
};

struct InferResult {
  std::vector<TensorType> outputs;
  std::vector<WeightSpec> weights;
};

// Work and traffic of one execution of a node. FLOPs count a multiply-add as 2.
struct Cost {
  double flops = 0;
  double bytes_read = 0;     // inputs and weights, including weights re-read per step where unavoidable
  double bytes_written = 0;  // outputs
  double bytes_moved() const { return bytes_read + bytes_written; }
  double intensity() const { return bytes_moved() > 0 ? flops / bytes_moved() : 0; }
};

enum class OpCategory { layer, inlay };

struct OpSchema {
  std::string name;
  OpCategory category = OpCategory::layer;
  std::string family;   // "dense", "conv", "rnn", ... (groups the documentation)
  std::string summary;  // one paragraph for docs and `ntp ops`
  std::vector<AttrSpec> attrs;
  int min_inputs = 1;
  int max_inputs = 1;  // -1 = any number
  std::string layout;  // expected input layout, for docs, e.g. "[T, N, C] (time-major)"
  // Throws ShapeError for inputs the op cannot take.
  std::function<InferResult(const OpContext&)> infer;
  // Defaults to default_cost() with zero FLOPs when empty.
  std::function<Cost(const OpContext&)> cost;

  const AttrSpec* find_attr(const std::string& attr_name) const;
};

// Thrown by OpSchema::infer; shape inference adds the node's location.
class ShapeError : public std::runtime_error {
 public:
  ShapeError(const std::string& message, std::string hint = {})
      : std::runtime_error(message), hint_(std::move(hint)) {}
  const std::string& hint() const { return hint_; }

 private:
  std::string hint_;
};

// An integer-list attribute written as one value for every dimension ("3") or one per dimension ("3,5"):
// its value for each of `count` dimensions; an empty list gives `fallback`, expanded the same way. Throws
// ShapeError when the count does not fit (shape inference reports it; back ends see checked attributes).
std::vector<std::int64_t> per_dimension(const Attributes& attrs, const std::string& name, std::size_t count,
                                        std::vector<std::int64_t> fallback = {});

// Bytes of all inputs + all weights read, all outputs written, with the given FLOPs.
Cost default_cost(const OpContext& ctx, double flops);
double tensor_bytes(const Value& value);
double weight_bytes(const OpContext& ctx);

// The explicit table of every built-in op (no static registration that a linker could drop).
const std::vector<OpSchema>& all_ops();
const OpSchema* find_op(const std::string& name);
std::vector<std::string> op_names();
// Sets every attribute the schema defines and `attrs` lacks to its default (required ones stay unset).
void apply_defaults(const OpSchema& schema, Attributes& attrs);

}  // namespace ntp
