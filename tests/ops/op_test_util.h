// Two ways to test an op:
// - OpHarness runs one schema directly on an OpContext (no parser): the unit tests of shape inference and
//   cost use it, so they depend on src/ops only.
// - build() / refusal() go through the topology parser, shape inference and the cost model that users get,
//   for what only the whole path does (attribute choices, input counts, outputs named layer:k).
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "ntp/analysis.h"
#include "ntp/op_schema.h"
#include "ntp/topology.h"

namespace ntp::test {

// An integers attribute value: ints({3, 3}).
inline AttrValue ints(std::initializer_list<std::int64_t> values) {
  return std::vector<std::int64_t>(values);
}

// One node of `op` with typed attributes (defaults filled in by apply_defaults) and inputs of the given
// shapes. As the parser does, an integer given for an integers attribute becomes a one-element list and an
// integer given for a real attribute becomes a real. Attribute names the schema lacks fail the test.
class OpHarness {
 public:
  OpHarness(const std::string& op, std::vector<std::pair<std::string, AttrValue>> attrs,
            const std::vector<Shape>& shapes, const std::vector<DType>& dtypes = {})
      : schema_(find_op(op)) {
    if (schema_ == nullptr) throw std::logic_error("no op named " + op);
    node_.name = "node";
    node_.op = op;
    node_.schema = schema_;
    for (auto& [name, value] : attrs) {
      const AttrSpec* spec = schema_->find_attr(name);
      if (spec == nullptr) {
        ADD_FAILURE() << op << " has no attribute " << name;
        continue;
      }
      if (spec->type == AttrType::integers && std::holds_alternative<std::int64_t>(value))
        value = std::vector<std::int64_t>{std::get<std::int64_t>(value)};
      if (spec->type == AttrType::real && std::holds_alternative<std::int64_t>(value))
        value = static_cast<double>(std::get<std::int64_t>(value));
      node_.attrs.set(name, std::move(value));
    }
    apply_defaults(*schema_, node_.attrs);
    for (std::size_t i = 0; i < shapes.size(); ++i) {
      Value value;
      value.name = "in" + std::to_string(i);
      value.shape = shapes[i];
      value.dtype = i < dtypes.size() ? dtypes[i] : DType::f32;
      inputs_.push_back(std::move(value));
    }
  }

  // Runs infer (throws what it throws); keeps the weights on the node and the outputs as values.
  const InferResult& infer() {
    OpContext context{node_, node_.attrs, input_pointers(), {}, DType::f32};
    result_ = schema_->infer(context);
    node_.weights = result_.weights;
    outputs_.clear();
    for (std::size_t k = 0; k < result_.outputs.size(); ++k) {
      Value value;
      value.name = k == 0 ? "node" : "node:" + std::to_string(k);
      value.shape = result_.outputs[k].shape;
      value.dtype = result_.outputs[k].dtype;
      outputs_.push_back(std::move(value));
    }
    return result_;
  }

  // infer(), then the cost with the outputs bound and the weights stored in `weight_dtype`.
  Cost cost(DType weight_dtype = DType::f32) {
    infer();
    std::vector<const Value*> outputs;
    for (const Value& value : outputs_)
      outputs.push_back(&value);
    OpContext context{node_, node_.attrs, input_pointers(), outputs, weight_dtype};
    return schema_->cost(context);
  }

  Shape out(std::size_t k = 0) { return infer().outputs.at(k).shape; }
  DType dtype(std::size_t k = 0) { return infer().outputs.at(k).dtype; }
  std::size_t output_count() { return infer().outputs.size(); }

  // Parameters: the elements of every weight.
  std::int64_t params() {
    std::int64_t total = 0;
    for (const WeightSpec& weight : infer().weights)
      total += element_count(weight.shape);
    return total;
  }
  // The weight of that name; fails the test (and returns an empty spec) when there is none.
  WeightSpec weight(const std::string& name) {
    for (const WeightSpec& spec : infer().weights)
      if (spec.name == name) return spec;
    ADD_FAILURE() << "no weight named " << name;
    return {};
  }
  std::vector<std::string> weight_names() {
    std::vector<std::string> names;
    for (const WeightSpec& spec : infer().weights)
      names.push_back(spec.name);
    return names;
  }

  // The message of the ShapeError infer() throws ("" when it accepts the inputs); `hint` receives its hint.
  std::string error(std::string* hint = nullptr) {
    try {
      infer();
    } catch (const ShapeError& e) {
      if (hint != nullptr) *hint = e.hint();
      return e.what();
    }
    return {};
  }

 private:
  std::vector<const Value*> input_pointers() const {
    std::vector<const Value*> pointers;
    for (const Value& value : inputs_)
      pointers.push_back(&value);
    return pointers;
  }

  const OpSchema* schema_;
  Node node_;
  std::vector<Value> inputs_;
  std::vector<Value> outputs_;
  InferResult result_;
};

// EXPECT_TRUE(refuses(OpHarness(...), "part")): infer() throws a ShapeError whose message contains `part`.
inline ::testing::AssertionResult refuses(OpHarness harness, const std::string& part) {
  const std::string message = harness.error();
  if (message.empty()) return ::testing::AssertionFailure() << "the op accepted its inputs";
  if (message.find(part) == std::string::npos)
    return ::testing::AssertionFailure() << "the ShapeError \"" << message << "\" lacks \"" << part << "\"";
  return ::testing::AssertionSuccess();
}

struct OpResult {
  Graph graph;
  GraphAnalysis analysis;
  const NodeAnalysis& last() const { return analysis.nodes.back(); }
  Shape shape(const std::string& value) const {
    return graph.values.at(static_cast<std::size_t>(graph.find_value(value))).shape;
  }
  DType dtype(const std::string& value) const {
    return graph.values.at(static_cast<std::size_t>(graph.find_value(value))).dtype;
  }
};

// `inputs`: <input> elements; `layers`: <layer> elements. Fails the test when the topology is refused.
inline OpResult build(const std::string& inputs, const std::string& layers) {
  auto result = parse_topology("<topology name=\"t\">" + inputs + layers + "</topology>", "op.xml");
  if (!result.ok()) {
    ADD_FAILURE() << result.error().to_string();
    return {};
  }
  OpResult built{std::move(result.value()), {}};
  built.analysis = analyze(built.graph);
  return built;
}

// The error message for a topology that must be refused ("" when it was accepted).
inline std::string refusal(const std::string& inputs, const std::string& layers) {
  auto result = parse_topology("<topology name=\"t\">" + inputs + layers + "</topology>", "op.xml");
  return result.ok() ? std::string() : result.error().message;
}

inline std::string input(const std::string& name, const std::string& shape,
                         const std::string& dtype = "fp32") {
  return "<input name=\"" + name + "\" shape=\"" + shape + "\" dtype=\"" + dtype + "\"/>";
}

}  // namespace ntp::test
