// Tensor shapes: dimensions as int64, their element count and their text form.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ntp {

using Shape = std::vector<std::int64_t>;

// Product of the dimensions; throws UserError (no location) when it overflows int64.
std::int64_t element_count(const Shape& shape);
// "[146, 1, 494]"
std::string shape_to_string(const Shape& shape);

}  // namespace ntp
