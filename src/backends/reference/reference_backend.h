// The reference back end: readable C++ for every op of the schema; the oracle the others are checked against.
#pragma once

#include "ntp/backend.h"

namespace ntp {

// The one instance; the executor also uses it for nodes another back end does not support.
const Backend& reference_backend();

}  // namespace ntp
