// Tensor shapes: dimensions as int64, their element count and their text form.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ntp {

using Shape = std::vector<std::int64_t>;

// Product of the dimensions; throws UserError (no location) when it overflows int64.
std::int64_t element_count(const Shape& shape);
// Bytes of a tensor of that shape with elements of `element_bytes` each; throws UserError when the count,
// or the bytes, overflow int64 (a shape of 2^62 elements of 4 bytes must not wrap to 0).
std::int64_t byte_count(const Shape& shape, std::size_t element_bytes);
// "[146, 1, 494]"
std::string shape_to_string(const Shape& shape);

// The elements ONNX's Slice takes along one axis of `length`: start, start+step, ... before end, negative
// positions counting from the end, both clamped to the axis. `step` must not be 0 (count is then 0).
struct SliceRange {
  std::int64_t start = 0;
  std::int64_t step = 1;
  std::int64_t count = 0;
};
SliceRange slice_range(std::int64_t length, std::int64_t start, std::int64_t end, std::int64_t step);

}  // namespace ntp
