#include "conversion.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "ntp/elements.h"
#include "profile/step_timer.h"

namespace ntp::runtime {

namespace {
template <class Integer>
void quantize(const Tensor& from, Tensor& to, Quantization quantization, float low, float high) {
  const float* source = from.as<float>();
  auto* target = to.as<Integer>();
  for (std::int64_t i = 0; i < from.elements(); ++i)
    target[i] = static_cast<Integer>(
        std::clamp(std::nearbyint(source[i] * quantization.scale + quantization.zero_point), low, high));
}
}  // namespace

void convert_tensor(const Tensor& from, Tensor& to, Quantization quantization) {
  const bool quantizing = to.dtype() == DType::s8 || to.dtype() == DType::u8;
  if (quantizing && from.dtype() != DType::f32 && is_floating(from.dtype())) {
    // A bf16 (or fp16) layer feeding an int8 one: widened, then quantised with the consumer's scale. A Cast
    // would drop the scale and hand the int8 kernel values off by that factor.
    Tensor wide(from.shape(), DType::f32);
    convert_elements(from, wide);
    convert_tensor(wide, to, quantization);
    return;
  }
  if (from.dtype() == DType::f32 && to.dtype() == DType::s8) {
    quantize<std::int8_t>(from, to, quantization, -128.0F, 127.0F);
  } else if (from.dtype() == DType::f32 && to.dtype() == DType::u8) {
    quantize<std::uint8_t>(from, to, quantization, 0.0F, 255.0F);
  } else {
    convert_elements(from, to);
  }
}

double conversion_ms(std::int64_t elements, DType from, DType to, int repetitions) {
  const Tensor source({elements}, from);
  Tensor target({elements}, to);
  convert_tensor(source, target);  // the first touch of the target's pages is no part of a step's time
  std::vector<double> times;
  for (int i = 0; i < std::max(repetitions, 1); ++i) {
    const std::int64_t start = profile::now_ns();
    convert_tensor(source, target);
    times.push_back(static_cast<double>(profile::now_ns() - start) * 1e-6);
  }
  std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2), times.end());
  return times[times.size() / 2];
}

}  // namespace ntp::runtime
