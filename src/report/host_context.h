// Where a run happened: host, CPU model and ISA, cores, memory, NTP's git commit, the time.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ntp::report {

nlohmann::json host_context();

// "2026-11-24T09:30:00Z": when a run, a calibration or a database row was made.
std::string utc_now();

}  // namespace ntp::report
