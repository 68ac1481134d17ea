#include "profile/nvtx_observer.h"

#if NTP_HAVE_NVTX
#include <nvtx3/nvToolsExt.h>
#endif

namespace ntp::profile {

bool nvtx_built() {
  return NTP_HAVE_NVTX != 0;
}

NvtxObserver::NvtxObserver(const std::vector<Step>& steps)
    : steps_(steps), segment_end_of_(steps.size(), -1), open_range_(steps.size(), 0) {
  for (std::size_t s = 0; s < steps.size(); ++s) {
    if (steps[s].kind != Step::Kind::segment_begin) continue;
    for (std::size_t e = s + 1; e < steps.size(); ++e)
      if (steps[e].kind == Step::Kind::segment_end && steps[e].name == steps[s].name) {
        segment_end_of_[s] = static_cast<int>(e);
        break;
      }
  }
}

void NvtxObserver::begin(int step) {
#if NTP_HAVE_NVTX
  const Step& current = steps_[static_cast<std::size_t>(step)];
  if (current.kind == Step::Kind::segment_begin)
    open_range_[static_cast<std::size_t>(step)] = nvtxRangeStartA(current.name.c_str());
  else if (current.kind != Step::Kind::segment_end)
    nvtxRangePushA(current.name.c_str());
#else
  (void)step;
#endif
}

void NvtxObserver::end(int step) {
#if NTP_HAVE_NVTX
  const Step& current = steps_[static_cast<std::size_t>(step)];
  if (current.kind == Step::Kind::segment_end) {
    for (std::size_t s = 0; s < segment_end_of_.size(); ++s)
      if (segment_end_of_[s] == step) nvtxRangeEnd(open_range_[s]);
  } else if (current.kind != Step::Kind::segment_begin) {
    nvtxRangePop();
  }
#else
  (void)step;
#endif
}

}  // namespace ntp::profile
