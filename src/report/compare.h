// Comparing runs: several run records (back ends, precisions, batch sizes, topology variants) lined up layer
// by layer, with each run's time, its share, and its ratio to the first run (the baseline). Written from the
// runs' JSON records only, so a comparison of records saved earlier reads the same as one made in a run.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace ntp::report {

// Labels name the runs in the comparison ("onednn", "torch"); empty labels are made from each run's options.
// Layers are matched by name, and by their descriptor where a name is missing from the baseline.
nlohmann::json compare_records(const std::vector<nlohmann::json>& records,
                               std::vector<std::string> labels = {});

std::string comparison_table(const nlohmann::json& comparison);
std::string comparison_csv(const nlohmann::json& comparison);

// A cell's (or an end-to-end entry's) ratio to the baseline, "1.25x", and its test: "p=0.012" where the
// difference is significant, "same" where not, "n<5" with too few samples; "" where there is none.
std::string ratio_text(const nlohmann::json& cell);
std::string significance_text(const nlohmann::json& cell);

}  // namespace ntp::report
