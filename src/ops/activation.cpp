#include "families.h"
#include "op_helpers.h"

namespace ntp::ops {

std::vector<OpSchema> activation_ops() { return {}; }

}  // namespace ntp::ops
