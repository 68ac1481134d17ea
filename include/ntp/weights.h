// Seeded weights and inputs: the same seed gives the same numbers on every back end.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "ntp/graph.h"
#include "ntp/tensor.h"

namespace ntp {

// A deterministic generator whose stream depends only on (seed, key), so adding a node to a topology
// does not change the numbers drawn for the others.
class SeededRandom {
 public:
  SeededRandom(std::uint64_t seed, const std::string& key);
  double uniform();                                             // [0, 1)
  double normal();                                              // mean 0, standard deviation 1
  void fill(Tensor& tensor, const Distribution& distribution);  // f32 tensors

 private:
  std::uint64_t state_;
};

// Weights of every op node, in f32, keyed by (node name, weight name).
using WeightStore = std::map<std::pair<std::string, std::string>, Tensor>;
WeightStore generate_weights(const Graph& graph, std::uint64_t seed);
// One f32 tensor per graph input, from the input's distribution.
std::map<std::string, Tensor> generate_inputs(const Graph& graph, std::uint64_t seed);

}  // namespace ntp
