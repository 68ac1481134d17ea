// The steps an external tool sees: ranges of step indices, each a segment from its start marker to its end
// marker (inclusive). Regions may nest or overlap; no ranges means every step.
#pragma once

#include <utility>
#include <vector>

namespace ntp::profile {

class ToolRegions {
 public:
  ToolRegions() = default;
  explicit ToolRegions(std::vector<std::pair<int, int>> ranges) : ranges_(std::move(ranges)) {}

  bool everything() const { return ranges_.empty(); }
  bool covers(int step) const {
    if (ranges_.empty()) return true;
    for (const auto& [first, last] : ranges_)
      if (step >= first && step <= last) return true;
    return false;
  }
  // How many regions open at this step's begin, and close at its end (a step can start or end several).
  int opening_at(int step) const { return count(step, &std::pair<int, int>::first); }
  int closing_at(int step) const { return count(step, &std::pair<int, int>::second); }

 private:
  int count(int step, int std::pair<int, int>::*end) const {
    int n = 0;
    for (const auto& range : ranges_)
      n += range.*end == step ? 1 : 0;
    return n;
  }
  std::vector<std::pair<int, int>> ranges_;
};

}  // namespace ntp::profile
