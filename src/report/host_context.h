// Where a run happened: host, CPU model and ISA, cores, memory, NTP's git commit, the time.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

namespace ntp::report {

nlohmann::json host_context();

}  // namespace ntp::report
