// Normalisation kernels: batchnorm (inference, channel axis 1) and layernorm (last axis).
#include <cmath>

#include "kernels.h"

namespace ntp::reference {

namespace {

// y = scale * (x - mean) / sqrt(variance + epsilon) + shift, per channel of axis 1.
RunFunction make_batchnorm(const NodeView& node) {
  node.expect_arity(1, 1, 1);
  const Shape& in = node.input_shape(0);
  if (in.size() < 2) node.fail("input must be [N, C, ...]");
  node.expect_output_shape(0, in);
  const std::int64_t batch = in[0];
  const std::int64_t channels = in[1];
  const std::int64_t inner = element_count(in) / std::max<std::int64_t>(batch * channels, 1);
  const double epsilon = node.attrs().real("epsilon");
  const Tensor scale = node.weight("scale");
  const Tensor shift = node.weight("shift");
  const Tensor mean = node.weight("mean");
  const Tensor variance = node.weight("variance");

  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    const float* x = inputs[0]->as<float>();
    float* y = outputs[0]->as<float>();
    for (std::int64_t n = 0; n < batch; ++n) {
      for (std::int64_t c = 0; c < channels; ++c) {
        const double inv_std = 1.0 / std::sqrt(static_cast<double>(variance.as<float>()[c]) + epsilon);
        const double m = mean.as<float>()[c];
        const double s = scale.as<float>()[c];
        const double b = shift.as<float>()[c];
        const std::int64_t offset = (n * channels + c) * inner;
        for (std::int64_t i = 0; i < inner; ++i)
          y[offset + i] = static_cast<float>(s * (x[offset + i] - m) * inv_std + b);
      }
    }
  };
}

// Over the last axis: y = scale * (x - mean) / sqrt(var + epsilon) + shift, with the biased variance.
RunFunction make_layernorm(const NodeView& node) {
  node.expect_arity(1, 1, 1);
  const Shape& in = node.input_shape(0);
  if (in.empty()) node.fail("input must have rank >= 1");
  node.expect_output_shape(0, in);
  const std::int64_t width = in.back();
  const std::int64_t rows = element_count(in) / std::max<std::int64_t>(width, 1);
  const double epsilon = node.attrs().real("epsilon");
  const Tensor scale = node.weight("scale");
  const Tensor shift = node.weight("shift");

  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    const float* x = inputs[0]->as<float>();
    float* y = outputs[0]->as<float>();
    for (std::int64_t r = 0; r < rows; ++r) {
      const float* row = x + r * width;
      double sum = 0;
      for (std::int64_t i = 0; i < width; ++i)
        sum += row[i];
      const double mean = sum / static_cast<double>(width);
      double squares = 0;
      for (std::int64_t i = 0; i < width; ++i)
        squares += (row[i] - mean) * (row[i] - mean);
      const double inv_std = 1.0 / std::sqrt(squares / static_cast<double>(width) + epsilon);
      for (std::int64_t i = 0; i < width; ++i)
        y[r * width + i] =
            static_cast<float>(scale.as<float>()[i] * (row[i] - mean) * inv_std + shift.as<float>()[i]);
    }
  };
}

}  // namespace

std::vector<KernelEntry> norm_kernels() {
  return {{"batchnorm", make_batchnorm}, {"layernorm", make_layernorm}};
}

}  // namespace ntp::reference
