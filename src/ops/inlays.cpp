#include "families.h"
#include "op_helpers.h"

namespace ntp::ops {

std::vector<OpSchema> inlay_ops() { return {}; }

}  // namespace ntp::ops
