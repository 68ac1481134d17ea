#include "ntp/weights.h"

#include <cmath>
#include <numbers>

namespace ntp {

namespace {
// splitmix64: tiny, fast, and the same on every platform (unlike std:: distributions).
std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}
}  // namespace

SeededRandom::SeededRandom(std::uint64_t seed, const std::string& key) : state_(seed ^ fnv1a(key)) {}

double SeededRandom::uniform() {
  return static_cast<double>(splitmix64(state_) >> 11) * 0x1.0p-53;
}

double SeededRandom::normal() {
  // Box-Muller; 1 - u keeps the logarithm finite.
  const double u1 = 1.0 - uniform();
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

void SeededRandom::fill(Tensor& tensor, const Distribution& distribution) {
  float* data = tensor.as<float>();
  for (std::int64_t i = 0; i < tensor.elements(); ++i) {
    const double sample = distribution.kind == Distribution::Kind::uniform
                              ? distribution.a + (distribution.b - distribution.a) * uniform()
                              : distribution.a + distribution.b * normal();
    data[i] = static_cast<float>(sample);
  }
}

WeightStore generate_weights(const Graph& graph, std::uint64_t seed) {
  WeightStore store;
  for (const Node& node : graph.nodes) {
    for (const WeightSpec& spec : node.weights) {
      Tensor tensor(spec.shape, DType::f32);
      SeededRandom(seed, node.name + "/" + spec.name).fill(tensor, spec.distribution);
      store.emplace(std::make_pair(node.name, spec.name), std::move(tensor));
    }
  }
  return store;
}

std::map<std::string, Tensor> generate_inputs(const Graph& graph, std::uint64_t seed) {
  std::map<std::string, Tensor> inputs;
  for (const int index : graph.inputs) {
    const Value& value = graph.values[static_cast<std::size_t>(index)];
    Tensor tensor(value.shape, DType::f32);
    SeededRandom random(seed, "input/" + value.name);
    random.fill(tensor, value.distribution);
    if (!is_floating(value.dtype)) {  // integer inputs (token ids) are drawn as floats and truncated
      float* data = tensor.as<float>();
      for (std::int64_t i = 0; i < tensor.elements(); ++i)
        data[i] = std::floor(data[i]);
    }
    inputs.emplace(value.name, std::move(tensor));
  }
  return inputs;
}

}  // namespace ntp
