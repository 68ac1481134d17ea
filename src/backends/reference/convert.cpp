// memcpy and convert. Every tensor a reference kernel sees is f32, so convert rounds values the way the
// target type would store them and keeps them as f32 ("fake quantisation"): bf16 and fp16 round to nearest
// even; int8 and uint8 quantise with scale and zero point, q = clamp(round(x / scale) + zero_point), and
// give back (q - zero_point) * scale; int32 and int64 truncate toward zero. It also permutes layouts.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>

#include "kernels.h"

namespace ntp::reference {

namespace {

// The nearest fp16 value (ties to even), overflowing to infinity as IEEE half precision does.
float round_to_f16(float x) {
  if (!std::isfinite(x)) return x;
  int exponent = 0;
  std::frexp(x, &exponent);  // x = m * 2^exponent, 0.5 <= |m| < 1
  // 10 fraction bits below the leading bit; below 2^-14 the subnormal spacing 2^-24 applies.
  const int quantum_exponent = std::max(exponent - 1 - 10, -24);
  const double quantum = std::ldexp(1.0, quantum_exponent);
  const double rounded = std::nearbyint(static_cast<double>(x) / quantum) * quantum;
  if (std::fabs(rounded) > 65504.0) return std::copysign(std::numeric_limits<float>::infinity(), x);
  return static_cast<float>(rounded);
}

float fake_quantise(float x, double scale, double zero_point, double low, double high) {
  const double q = std::clamp(std::nearbyint(static_cast<double>(x) / scale) + zero_point, low, high);
  return static_cast<float>((q - zero_point) * scale);
}

RunFunction make_memcpy(const NodeView& node) {
  node.expect_arity(1, 1, 1);
  node.expect_output_shape(0, node.input_shape(0));
  const std::int64_t count = element_count(node.input_shape(0));
  return [count](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    std::copy(inputs[0]->as<float>(), inputs[0]->as<float>() + count, outputs[0]->as<float>());
  };
}

RunFunction make_convert(const NodeView& node) {
  node.expect_arity(1, 1, 1);
  const Shape& in = node.input_shape(0);

  // The layout permutation: output dimension d reads input dimension perm[d].
  const std::string& layout = node.attrs().text("layout");
  std::vector<std::size_t> perm(in.size());
  std::iota(perm.begin(), perm.end(), std::size_t{0});
  if (layout == "nchw->nhwc" || layout == "nhwc->nchw") {
    if (in.size() < 3) node.fail(fmt::format("layout {} needs rank >= 3", layout));
    if (layout == "nchw->nhwc")
      std::rotate(perm.begin() + 1, perm.begin() + 2, perm.end());  // channels (axis 1) move last
    else
      std::rotate(perm.begin() + 1, perm.end() - 1, perm.end());  // the last axis moves to 1
  } else if (layout == "tnc->ntc" || layout == "ntc->tnc") {
    if (in.size() < 2) node.fail(fmt::format("layout {} needs rank >= 2", layout));
    std::swap(perm[0], perm[1]);
  } else if (layout != "none") {
    node.fail(fmt::format("unknown layout '{}'", layout));
  }
  Shape out(in.size());
  for (std::size_t d = 0; d < in.size(); ++d)
    out[d] = in[perm[d]];
  node.expect_output_shape(0, out);
  const std::vector<std::int64_t> in_strides = strides_of(in);
  std::vector<std::int64_t> strides(in.size());
  for (std::size_t d = 0; d < in.size(); ++d)
    strides[d] = in_strides[perm[d]];

  // The rounding of the target type.
  const std::string& to = node.attrs().text("to");
  std::optional<DType> target = to.empty() ? std::optional<DType>(node.input(0).dtype) : parse_dtype(to);
  if (!target) node.fail(fmt::format("unknown dtype '{}'", to));
  const double scale = node.attrs().real("scale");
  const double zero_point = node.attrs().real("zero_point");
  if ((*target == DType::s8 || *target == DType::u8) && !(scale > 0)) node.fail("scale must be positive");
  std::function<float(float)> round;
  switch (*target) {
    case DType::f32:
      round = [](float x) { return x; };
      break;
    case DType::bf16:
      round = [](float x) { return bf16_to_f32(f32_to_bf16(x)); };
      break;
    case DType::f16:
      round = round_to_f16;
      break;
    case DType::s8:
      round = [=](float x) { return fake_quantise(x, scale, zero_point, -128, 127); };
      break;
    case DType::u8:
      round = [=](float x) { return fake_quantise(x, scale, zero_point, 0, 255); };
      break;
    case DType::f64:
      round = [](float x) { return x; };
      break;
    case DType::s32:
    case DType::s64:
    case DType::boolean:
      round = [](float x) { return std::trunc(x); };
      break;
  }
  const std::int64_t count = element_count(in);

  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    const float* x = inputs[0]->as<float>();
    float* y = outputs[0]->as<float>();
    for (std::int64_t flat = 0; flat < count; ++flat) {
      std::int64_t offset = 0;
      std::int64_t remaining = flat;
      for (std::size_t d = out.size(); d-- > 0;) {
        offset += (remaining % out[d]) * strides[d];
        remaining /= out[d];
      }
      y[flat] = round(x[offset]);
    }
  };
}

}  // namespace

std::vector<KernelEntry> convert_kernels() {
  return {{"memcpy", make_memcpy}, {"convert", make_convert}};
}

}  // namespace ntp::reference
