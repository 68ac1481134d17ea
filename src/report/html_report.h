// The HTML reports: one self-contained file (inline style and SVG charts, no script, no external
// resource) written from a run record or a comparison, for reading offline and sharing.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "aggregate.h"

namespace ntp::report {

// A run: context, end-to-end statistics with a latency histogram, the time per op type (bars) and per module
// (an icicle of the node-name hierarchy; its table shows `module_depth` levels), per-layer time bars with
// shares, segments, the stacked share of each layer, counters, bound classes and a roofline under the
// machine's ceilings.
std::string run_html(const nlohmann::json& record, int module_depth = kDefaultModuleDepth);

// A comparison (compare_records): the runs side by side, end to end and per layer, shares per run,
// ratios to the baseline and their significance.
std::string comparison_html(const nlohmann::json& comparison);

// A sweep (ntp.sweep/1): its points with status, end-to-end time against each numeric axis (with each
// point's spread as error bars), items/s against batch, each layer's share against the first numeric axis
// (a bar per point where no axis is numeric), and the comparison of the points that ran.
std::string sweep_html(const nlohmann::json& sweep);

}  // namespace ntp::report
