// Builds a one- or few-layer graph from markup and reports its shapes and cost, so op tests go through the
// same parser, shape inference and cost model that users get.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "ntp/analysis.h"
#include "ntp/topology.h"

namespace ntp::test {

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
