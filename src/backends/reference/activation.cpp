// Elementwise activations and (log-)softmax along an axis.
#include <cmath>
#include <limits>

#include "kernels.h"

namespace ntp::reference {

namespace {

// A kernel applying `f` to every element; the output has the input's shape.
template <class F>
RunFunction elementwise(const NodeView& node, F f) {
  node.expect_arity(1, 1, 1);
  node.expect_output_shape(0, node.input_shape(0));
  const std::int64_t count = element_count(node.input_shape(0));
  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    const float* x = inputs[0]->as<float>();
    float* y = outputs[0]->as<float>();
    for (std::int64_t i = 0; i < count; ++i)
      y[i] = f(x[i]);
  };
}

RunFunction make_relu(const NodeView& node) {
  const auto clip = static_cast<float>(node.attrs().real("clip"));
  return elementwise(node, [clip](float x) {
    const float positive = std::max(x, 0.0F);
    return clip > 0 ? std::min(positive, clip) : positive;
  });
}

RunFunction make_leaky_relu(const NodeView& node) {
  const auto alpha = static_cast<float>(node.attrs().real("alpha"));
  return elementwise(node, [alpha](float x) { return x > 0 ? x : alpha * x; });
}

RunFunction make_tanh(const NodeView& node) {
  return elementwise(node, [](float x) { return std::tanh(x); });
}

RunFunction make_sigmoid(const NodeView& node) {
  return elementwise(node, sigmoid);
}

RunFunction make_gelu(const NodeView& node) {
  if (node.attrs().text("approximate") == "tanh") return elementwise(node, gelu_tanh);
  return elementwise(node, gelu_erf);
}

RunFunction make_hardtanh(const NodeView& node) {
  const auto low = static_cast<float>(node.attrs().real("min_val"));
  const auto high = static_cast<float>(node.attrs().real("max_val"));
  return elementwise(node, [low, high](float x) { return std::min(std::max(x, low), high); });
}

// softmax(x)_i = exp(x_i - max) / sum_j exp(x_j - max); log_softmax = x_i - max - log(sum_j exp(x_j - max)).
// The tensor is viewed as [outer, axis, inner]; sums are taken in double.
RunFunction make_softmax_like(const NodeView& node, bool logarithm) {
  node.expect_arity(1, 1, 1);
  const Shape& in = node.input_shape(0);
  node.expect_output_shape(0, in);
  const std::size_t axis = normalise_axis(node, node.attrs().integer("axis"), in.size());
  std::int64_t outer = 1;
  std::int64_t inner = 1;
  for (std::size_t d = 0; d < axis; ++d)
    outer *= in[d];
  for (std::size_t d = axis + 1; d < in.size(); ++d)
    inner *= in[d];
  const std::int64_t length = in[axis];

  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    const float* x = inputs[0]->as<float>();
    float* y = outputs[0]->as<float>();
    for (std::int64_t o = 0; o < outer; ++o) {
      for (std::int64_t i = 0; i < inner; ++i) {
        const std::int64_t base = o * length * inner + i;
        auto at = [&](std::int64_t k) { return base + k * inner; };
        float maximum = -std::numeric_limits<float>::infinity();
        for (std::int64_t k = 0; k < length; ++k)
          maximum = std::max(maximum, x[at(k)]);
        double sum = 0;
        for (std::int64_t k = 0; k < length; ++k)
          sum += std::exp(static_cast<double>(x[at(k)]) - maximum);
        for (std::int64_t k = 0; k < length; ++k) {
          const double shifted = static_cast<double>(x[at(k)]) - maximum;
          y[at(k)] = static_cast<float>(logarithm ? shifted - std::log(sum) : std::exp(shifted) / sum);
        }
      }
    }
  };
}

RunFunction make_softmax(const NodeView& node) {
  return make_softmax_like(node, false);
}
RunFunction make_log_softmax(const NodeView& node) {
  return make_softmax_like(node, true);
}

}  // namespace

std::vector<KernelEntry> activation_kernels() {
  return {{"relu", make_relu},       {"leaky_relu", make_leaky_relu},
          {"tanh", make_tanh},       {"sigmoid", make_sigmoid},
          {"gelu", make_gelu},       {"hardtanh", make_hardtanh},
          {"softmax", make_softmax}, {"log_softmax", make_log_softmax}};
}

}  // namespace ntp::reference
