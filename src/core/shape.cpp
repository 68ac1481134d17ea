#include "ntp/shape.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <algorithm>

#include "ntp/status.h"

namespace ntp {

std::int64_t element_count(const Shape& shape) {
  std::int64_t count = 1;
  for (const std::int64_t dim : shape) {
    if (__builtin_mul_overflow(count, dim, &count))
      throw UserError(
          {}, fmt::format("tensor of shape {} has more elements than fit in 64 bits", shape_to_string(shape)),
          "reduce the sizes set by the parameters");
  }
  return count;
}

std::int64_t byte_count(const Shape& shape, std::size_t element_bytes) {
  std::int64_t bytes = 0;
  if (__builtin_mul_overflow(element_count(shape), static_cast<std::int64_t>(element_bytes), &bytes))
    throw UserError(
        {}, fmt::format("tensor of shape {} has more bytes than fit in 64 bits", shape_to_string(shape)),
        "reduce the sizes set by the parameters");
  return bytes;
}

std::string shape_to_string(const Shape& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

SliceRange slice_range(std::int64_t length, std::int64_t start, std::int64_t end, std::int64_t step) {
  if (step == 0) return {0, 1, 0};
  if (start < 0) start += length;
  if (end < 0) end += length;
  if (step > 0) {
    start = std::clamp<std::int64_t>(start, 0, length);
    end = std::clamp<std::int64_t>(end, 0, length);
  } else {
    start = std::clamp<std::int64_t>(start, 0, length - 1);
    end = std::clamp<std::int64_t>(end, -1, length - 1);
  }
  const std::int64_t span = step > 0 ? end - start : start - end;
  // -INT64_MIN does not exist; any step that large takes one element anyway.
  const std::int64_t magnitude = step > 0 ? step : (step == INT64_MIN ? INT64_MAX : -step);
  return {start, step, span <= 0 ? 0 : span / magnitude + (span % magnitude != 0 ? 1 : 0)};
}

}  // namespace ntp
