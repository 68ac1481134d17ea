// What limits each layer: compute, memory, or the front end, with the evidence it came from (hardware
// counters, callgrind's cache simulation, or the cost model's arithmetic intensity against this machine's
// measured ceilings).
#pragma once

#include <nlohmann/json_fwd.hpp>

namespace ntp::report {

// Sets record["machine"] to `machine` (MachinePeaks::to_json) and adds "bound" to every node with a cost
// and to every segment. Run it on the final record (after a tool's counts are merged in).
void classify_bounds(nlohmann::json& record, const nlohmann::json& machine);

}  // namespace ntp::report
