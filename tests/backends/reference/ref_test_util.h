// Helpers for the reference back end's tests: graphs from small topology snippets, seeded weights, running
// every op node of a graph in order, and comparing tensors with a relative tolerance.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "backends/reference/reference_backend.h"
#include "ntp/topology.h"
#include "ntp/weights.h"

namespace ntp::testing {

inline Graph parse(const std::string& markup) {
  auto result = parse_topology(markup, "test.xml");
  if (!result.ok()) {
    ADD_FAILURE() << result.error().to_string();
    return Graph{};
  }
  return std::move(result.value());
}

inline Tensor make_tensor(const Shape& shape, const std::vector<float>& values) {
  Tensor tensor(shape, DType::f32);
  EXPECT_EQ(static_cast<std::size_t>(tensor.elements()), values.size())
      << "values for " << shape_to_string(shape);
  std::copy_n(values.begin(), std::min(values.size(), static_cast<std::size_t>(tensor.elements())),
              tensor.as<float>());
  return tensor;
}

// Uniform in [low, high), from a seeded stream.
inline Tensor random_tensor(const Shape& shape, std::uint64_t seed, double low = -1, double high = 1) {
  Tensor tensor(shape, DType::f32);
  SeededRandom(seed, "test").fill(tensor, Distribution{Distribution::Kind::uniform, low, high});
  return tensor;
}

inline std::vector<float> values_of(const Tensor& tensor) {
  return {tensor.as<float>(), tensor.as<float>() + tensor.elements()};
}

// A parsed graph with seeded weights; run() executes every op node on the reference back end in order.
struct Model {
  Graph graph;
  WeightStore weights;

  // The f32 data of a weight, e.g. w("l", "w_ih_l0").
  float* w(const std::string& node, const std::string& name) {
    const auto found = weights.find({node, name});
    if (found == weights.end()) {
      ADD_FAILURE() << "no weight " << node << "/" << name;
      return nullptr;
    }
    return found->second.as<float>();
  }
  void set(const std::string& node, const std::string& name, const std::vector<float>& data) {
    Tensor& tensor = weights.at({node, name});
    ASSERT_EQ(static_cast<std::size_t>(tensor.elements()), data.size()) << node << "/" << name;
    std::copy(data.begin(), data.end(), tensor.as<float>());
  }

  // Every value the graph computes, by name (inputs included).
  std::map<std::string, Tensor> run_all(const std::map<std::string, Tensor>& inputs) const {
    std::map<std::string, Tensor> values = inputs;
    const Backend& backend = reference_backend();
    CompileOptions options;
    options.weights = &weights;
    for (std::size_t index = 0; index < graph.nodes.size(); ++index) {
      const Node& node = graph.nodes[index];
      if (!node.is_op()) continue;
      EXPECT_TRUE(backend.supports(graph, static_cast<int>(index), options)) << node.op;
      auto kernel = backend.compile_node(graph, static_cast<int>(index), options);
      std::vector<const Tensor*> in;
      for (const int value : node.inputs)
        in.push_back(&values.at(graph.values[static_cast<std::size_t>(value)].name));
      std::vector<Tensor> out;
      for (const int value : node.outputs)
        out.emplace_back(graph.values[static_cast<std::size_t>(value)].shape, DType::f32);
      std::vector<Tensor*> out_pointers;
      for (Tensor& tensor : out)
        out_pointers.push_back(&tensor);
      kernel->run(in, out_pointers);
      for (std::size_t k = 0; k < node.outputs.size(); ++k)
        values[graph.values[static_cast<std::size_t>(node.outputs[k])].name] = out[k];
    }
    return values;
  }
  // The graph's first output, for a graph with one input.
  Tensor run(const Tensor& input) const {
    const std::string& name = graph.values[static_cast<std::size_t>(graph.inputs.at(0))].name;
    return output(run_all({{name, input}}));
  }
  Tensor output(const std::map<std::string, Tensor>& values) const {
    return values.at(graph.values[static_cast<std::size_t>(graph.outputs.at(0))].name);
  }
  const Shape& input_shape(std::size_t index = 0) const {
    return graph.values[static_cast<std::size_t>(graph.inputs.at(index))].shape;
  }
};

inline Model model(const std::string& markup, std::uint64_t seed = 1) {
  Model result;
  result.graph = parse(markup);
  result.weights = generate_weights(result.graph, seed);
  return result;
}

// |actual - expected| <= tolerance * max(1, |expected|) for every element, and equal shapes.
inline void expect_close(const Tensor& actual, const Shape& shape, const std::vector<float>& expected,
                         double tolerance = 1e-5) {
  ASSERT_EQ(actual.shape(), shape) << shape_to_string(actual.shape()) << " vs " << shape_to_string(shape);
  ASSERT_EQ(static_cast<std::size_t>(actual.elements()), expected.size());
  int reported = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const double a = actual.as<float>()[i];
    const double e = expected[i];
    const bool close =
        std::fabs(a - e) <= tolerance * std::max(1.0, std::fabs(e)) || (std::isinf(e) && a == e);
    if (!close && reported++ < 10) ADD_FAILURE() << "element " << i << ": got " << a << ", expected " << e;
  }
}

inline void expect_close(const Tensor& actual, const Tensor& expected, double tolerance = 1e-5) {
  expect_close(actual, expected.shape(), values_of(expected), tolerance);
}

}  // namespace ntp::testing
