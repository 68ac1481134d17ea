// Element types of tensors, and their names in the topology format.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ntp {

// f64 and boolean come from imported models (ONNX's DOUBLE and BOOL); layers compute in the others.
enum class DType : std::uint8_t { f32, bf16, f16, s8, u8, s32, s64, f64, boolean };

// Canonical names: fp32, bf16, fp16, int8, uint8, int32, int64, fp64, bool.
std::string_view dtype_name(DType type);
// Accepts the canonical names and common aliases (f32, float32, s8, i64, ...).
std::optional<DType> parse_dtype(std::string_view text);
std::size_t dtype_size(DType type);
bool is_floating(DType type);  // f32, bf16, f16, f64
// The canonical names, for hints.
std::string dtype_names();

}  // namespace ntp
