// The conversion steps an executable inserts where a value crosses from one element type to another (an fp32
// layer feeding a bf16 or int8 one), and their measured cost, which `ntp tune` adds between neighbouring
// layers placed at different precisions.
#pragma once

#include <cstdint>

#include "ntp/backend.h"
#include "ntp/tensor.h"

namespace ntp::runtime {

// `from` into `to` (same shape): ONNX's Cast, or quantisation to int8 / uint8 with the consumer's scale.
void convert_tensor(const Tensor& from, Tensor& to, Quantization quantization = {});

// The median time in ms of converting `elements` values from one element type to another, as a conversion
// step does (tensors allocated and touched first, then timed `repetitions` times).
double conversion_ms(std::int64_t elements, DType from, DType to, int repetitions = 5);

}  // namespace ntp::runtime
