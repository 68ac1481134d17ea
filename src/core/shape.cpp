#include "ntp/shape.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

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

std::string shape_to_string(const Shape& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

}  // namespace ntp
