// Where a run happened: host, CPU model and ISA, cores, memory, NTP's git commit, the time.
#pragma once

#include "ntp/run_record.h"

namespace ntp::session {

// Everything but the command line and the libraries, which the run knows.
RunContext host_context();

}  // namespace ntp::session
