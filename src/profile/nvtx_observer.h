// NVTX ranges for Nsight Systems (and any NVTX tool): a pushed range per layer, a start/end range per
// segment (segments may overlap, which pushed ranges cannot), named as in the topology. Built when the
// CUDA toolkit's header-only NVTX 3 is present; with no tool attached each call is a no-op of a few ns.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ntp/executable.h"
#include "ntp/observer.h"

namespace ntp::profile {

// Whether this build emits NVTX ranges.
bool nvtx_built();

class NvtxObserver final : public Observer {
 public:
  explicit NvtxObserver(const std::vector<Step>& steps);
  void begin(int step) override;
  void end(int step) override;

 private:
  const std::vector<Step>& steps_;
  std::vector<int> segment_end_of_;  // per step: for a start marker, the step of its end marker, else -1
  std::vector<std::uint64_t> open_range_;  // per start-marker step: the NVTX range it opened
};

}  // namespace ntp::profile
