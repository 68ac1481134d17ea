// Sweeps: the points of a parameter grid (its cross product, or points given one by one), the share of them
// one shard runs, and the sweep document ("ntp.sweep/1": every point with its status, reason and run
// record) with its views and the merge of shards. `ntp sweep` runs the points; this part only plans and
// reports, so merged shards read the same as one sweep.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <utility>
#include <vector>

namespace ntp::report {

using SweepParams = std::vector<std::pair<std::string, std::string>>;  // name, value; in axis order

struct SweepAxis {
  std::string name;
  std::vector<std::string> values;
};

// "hidden=1024,2048" -> hidden: 1024, 2048. Throws UserError (on the command line) for a malformed axis.
SweepAxis parse_axis(const std::string& text);
// "hidden=1024,batch=16" -> one point. Throws UserError for a malformed point.
SweepParams parse_point(const std::string& text);
// Every combination, the first axis varying slowest. Throws UserError when an axis is named twice.
std::vector<SweepParams> cross_product(const std::vector<SweepAxis>& axes);

struct Shard {
  int index = 1;  // 1..count
  int count = 1;
};
// "2/4": the second of four shards. Throws UserError for anything else.
Shard parse_shard(const std::string& text);
// Point i belongs to shard (i mod count) + 1: shards interleave, so each gets small and large points alike.
bool in_shard(std::size_t point, const Shard& shard);

// "hidden=1024 batch=16"
std::string point_label(const SweepParams& params);

// Joins shard documents of one sweep (same topology, axes and point count) into one; a point found twice
// is refused, naming both files. Points no shard ran are listed under "missing".
nlohmann::json merge_sweeps(const std::vector<nlohmann::json>& shards, const std::vector<std::string>& files);

// The points that ran, compared (compare_records) against the first, labelled by their parameters; null
// when fewer than two ran.
nlohmann::json sweep_comparison(const nlohmann::json& sweep);

std::string sweep_table(const nlohmann::json& sweep);
// Long form: one row per point and layer (and one "end to end" row per point), parameters as columns.
std::string sweep_csv(const nlohmann::json& sweep);

}  // namespace ntp::report
