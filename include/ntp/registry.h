// The back ends this build has.
#pragma once

#include <string>
#include <vector>

#include "ntp/backend.h"

namespace ntp {

// In order of preference; the first is the default.
std::vector<const Backend*> available_backends();
// Nullptr when this build has no back end of that name.
const Backend* find_backend(const std::string& name);
std::string default_backend_name();

}  // namespace ntp
