// Small builders shared by the schema files: attribute specs, shape checks, weight initialisers.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "ntp/op_schema.h"

namespace ntp::ops {

inline AttrSpec required_integer(std::string name, std::string doc) {
  return {std::move(name), AttrType::integer, std::nullopt, std::move(doc), {}};
}
inline AttrSpec integer_attr(std::string name, std::int64_t default_value, std::string doc) {
  return {std::move(name), AttrType::integer, AttrValue{default_value}, std::move(doc), {}};
}
inline AttrSpec real_attr(std::string name, double default_value, std::string doc) {
  return {std::move(name), AttrType::real, AttrValue{default_value}, std::move(doc), {}};
}
inline AttrSpec text_attr(std::string name, std::string default_value, std::string doc,
                          std::vector<std::string> choices = {}) {
  return {std::move(name), AttrType::text, AttrValue{std::move(default_value)}, std::move(doc),
          std::move(choices)};
}
inline AttrSpec integers_attr(std::string name, std::vector<std::int64_t> default_value, std::string doc) {
  return {std::move(name), AttrType::integers, AttrValue{std::move(default_value)}, std::move(doc), {}};
}
inline AttrSpec required_integers(std::string name, std::string doc) {
  return {std::move(name), AttrType::integers, std::nullopt, std::move(doc), {}};
}

// Throws ShapeError unless min_rank <= rank(shape) <= max_rank.
inline void expect_rank(const Shape& shape, std::size_t min_rank, std::size_t max_rank,
                        const std::string& what) {
  if (shape.size() >= min_rank && shape.size() <= max_rank) return;
  const std::string expected =
      min_rank == max_rank ? std::to_string(min_rank) : fmt::format("{} to {}", min_rank, max_rank);
  throw ShapeError(fmt::format("{} must have rank {}, got {} of shape {}", what, expected, shape.size(),
                               shape_to_string(shape)));
}

// Shape arithmetic that cannot overflow silently: a ShapeError naming `what` instead.
inline std::int64_t checked_mul(std::int64_t a, std::int64_t b, const std::string& what) {
  std::int64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product))
    throw ShapeError(fmt::format("{} overflows a 64-bit size ({} * {})", what, a, b), "use smaller sizes");
  return product;
}
inline std::int64_t checked_add(std::int64_t a, std::int64_t b, const std::string& what) {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum))
    throw ShapeError(fmt::format("{} overflows a 64-bit size ({} + {})", what, a, b), "use smaller sizes");
  return sum;
}
// ceil(a / b) for a >= 0, b > 0, without the overflow of (a + b - 1) / b.
inline std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return a / b + (a % b != 0 ? 1 : 0);
}

inline void expect_positive(std::int64_t value, const std::string& what) {
  if (value <= 0) throw ShapeError(fmt::format("{} must be positive, got {}", what, value));
}

// An axis in [-rank, rank) as an index; negative counts from the end. ShapeError when out of range.
inline std::size_t normalise_axis(std::int64_t axis, std::size_t rank) {
  const auto signed_rank = static_cast<std::int64_t>(rank);
  if (axis < -signed_rank || axis >= signed_rank)
    throw ShapeError(fmt::format("axis {} is out of range for rank {}", axis, rank),
                     fmt::format("use 0 to {} or -1 for the last axis", signed_rank - 1));
  return static_cast<std::size_t>(axis < 0 ? axis + signed_rank : axis);
}

// numpy broadcasting of two shapes, aligned from the last axis; `what` names them in the error
// ("shapes", "batch dimensions").
inline Shape broadcast_shapes(const Shape& a, const Shape& b, const std::string& what = "shapes") {
  Shape out(std::max(a.size(), b.size()), 1);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::int64_t da = i < out.size() - a.size() ? 1 : a[i - (out.size() - a.size())];
    const std::int64_t db = i < out.size() - b.size() ? 1 : b[i - (out.size() - b.size())];
    if (da != db && da != 1 && db != 1)
      throw ShapeError(
          fmt::format("{} {} and {} do not broadcast", what, shape_to_string(a), shape_to_string(b)),
          "dimensions must match or be 1, aligned from the last axis");
    out[i] = std::max(da, db);
  }
  return out;
}

// PyTorch's default for dense and recurrent layers: uniform in +-1/sqrt(fan_in).
inline Distribution fan_in_uniform(std::int64_t fan_in) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in > 0 ? fan_in : 1));
  return {Distribution::Kind::uniform, -bound, bound};
}

inline double elements(const Shape& shape) {
  return static_cast<double>(element_count(shape));
}

// The result of an op with one output and no weights.
inline InferResult single_output(Shape shape, DType dtype) {
  InferResult result;
  result.outputs.push_back({std::move(shape), dtype});
  return result;
}

// Activation attributes fused into dense and conv layers.
std::vector<AttrSpec> fused_activation_attrs();
// ShapeError for a negative clip of the fused activation.
void check_fused_activation(const Attributes& attrs);
// FLOPs of the fused activation: one per output element unless it is "none".
double fused_activation_flops(const Attributes& attrs, double outputs);

// floor((in + 2*pad - dilation*(kernel-1) - 1) / stride) + 1, with a ShapeError when it is not positive.
std::int64_t window_output(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t pad,
                           std::int64_t dilation, const std::string& what);

}  // namespace ntp::ops
