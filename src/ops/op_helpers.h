// Small builders shared by the schema files: attribute specs, shape checks, weight initialisers.
#pragma once

#include <fmt/format.h>

#include <cmath>
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

// PyTorch's default for dense and recurrent layers: uniform in +-1/sqrt(fan_in).
inline Distribution fan_in_uniform(std::int64_t fan_in) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in > 0 ? fan_in : 1));
  return {Distribution::Kind::uniform, -bound, bound};
}

inline double elements(const Shape& shape) {
  return static_cast<double>(element_count(shape));
}

// Activation attributes fused into dense and conv layers.
std::vector<AttrSpec> fused_activation_attrs();

// A per-spatial-dimension attribute ("3" or "3,3") expanded to `dims` values; throws ShapeError otherwise.
std::vector<std::int64_t> spatial(const Attributes& attrs, const std::string& name, std::size_t dims);
// floor((in + 2*pad - dilation*(kernel-1) - 1) / stride) + 1, with a ShapeError when it is not positive.
std::int64_t window_output(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t pad,
                           std::int64_t dilation, const std::string& what);

}  // namespace ntp::ops
