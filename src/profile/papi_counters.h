// Per-layer counters read through PAPI (`--tool papi`, Debian's libpapi-dev): PAPI's preset events
// (PAPI_TOT_INS, PAPI_L1_DCM, ...) and its components' native events, on the thread that runs the graph
// and the threads it starts later (PAPI_INHERIT). Built only where PAPI is installed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "profile/counter_source.h"

namespace ntp::profile {

// Whether this build has PAPI.
bool papi_built();

// Opens the events it can; throws UserError when PAPI has no counter component here (saying why, e.g. no
// PMU in a virtual machine) or when the build has no PAPI.
std::unique_ptr<CounterSource> make_papi_counters(const std::vector<std::string>& events);

}  // namespace ntp::profile
