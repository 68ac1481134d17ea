// Reading callgrind's dump files back: the counts of every "ntp-step:N" dump, by step index.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace ntp::profile {

struct CallgrindCounts {
  std::vector<std::string> events;           // Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw with --cache-sim=yes
  std::map<int, std::vector<double>> steps;  // step index -> one count per event
  std::string cache_description;             // callgrind's "desc: D1 cache: ..." lines, joined
};

// Reads every file in `folder` (callgrind.out.*); throws UserError when none holds an ntp-step dump.
CallgrindCounts parse_callgrind_dumps(const std::string& folder);

}  // namespace ntp::profile
