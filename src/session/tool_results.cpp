#include "tool_results.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace ntp::session {

namespace {

nlohmann::json callgrind_counts(const std::vector<std::string>& events, const std::vector<double>& values) {
  nlohmann::json counts = nlohmann::json::object();
  for (std::size_t e = 0; e < events.size() && e < values.size(); ++e)
    counts[events[e]] = values[e];
  // Simulated miss rates of data accesses: first level, and last level (which stands in for DRAM).
  const auto get = [&](const char* name) { return counts.contains(name) ? counts[name].get<double>() : 0.0; };
  const double accesses = get("Dr") + get("Dw");
  if (accesses > 0) {
    counts["D1_miss_rate"] = (get("D1mr") + get("D1mw")) / accesses;
    counts["LL_miss_rate"] = (get("DLmr") + get("DLmw")) / accesses;
  }
  return counts;
}

// Milliseconds the regions took per measured iteration, from the record's own timing (0 when not timed).
double region_ms_per_iteration(const RunRecord& record, const std::vector<std::string>& regions) {
  if (regions.empty()) return record.latency.ms.mean;
  double sum = 0;
  for (const SegmentRecord& segment : record.segments)
    if (std::find(regions.begin(), regions.end(), segment.name) != regions.end() && segment.time_ms)
      sum += segment.time_ms->mean;
  return sum;
}

}  // namespace

void add_callgrind_results(RunRecord& record, const profile::CallgrindCounts& counts,
                           const std::vector<std::string>& regions) {
  std::map<std::string, const std::vector<double>*> by_name;
  for (NodeRecord& node : record.nodes) {
    const auto found = counts.steps.find(static_cast<int>(node.step));
    if (found == counts.steps.end()) continue;
    node.extra["callgrind"] = callgrind_counts(counts.events, found->second);
    by_name[node.name] = &found->second;
  }
  for (SegmentRecord& segment : record.segments) {
    std::vector<double> sums(counts.events.size(), 0.0);
    bool counted = false;
    for (const std::string& layer : segment.layers) {
      const auto found = by_name.find(layer);
      if (found == by_name.end()) continue;
      counted = true;
      for (std::size_t e = 0; e < sums.size() && e < found->second->size(); ++e)
        sums[e] += (*found->second)[e];
    }
    if (counted) segment.extra["callgrind"] = callgrind_counts(counts.events, sums);
  }
  record.sections["callgrind"] = {
      {"events", counts.events},
      {"regions", regions},
      {"cache", counts.cache_description},
      {"how",
       "valgrind --tool=callgrind --cache-sim=yes with collection switched on only inside each layer (of the "
       "regions, when named) of one measured iteration (after the cold run) and one dump per layer: "
       "instructions executed (Ir), data "
       "reads and writes (Dr, Dw) and simulated misses of the first-level (I1, D1) and last-level (IL, DL) "
       "caches, on one thread (callgrind switches collection per thread, so the run is single-threaded); "
       "deterministic for the same binary and inputs"},
      {"note",
       "valgrind hides AVX-512 from the program, so libraries such as oneDNN ran their AVX2 or reference "
       "kernels here: the counts describe those kernels, and the times in this record are valgrind's, not "
       "the hardware's"}};
}

void add_perf_results(RunRecord& record, const std::vector<profile::PerfStatCount>& counts,
                      const std::vector<std::string>& regions, const std::string& perf_command) {
  const double iterations = std::max(1.0, static_cast<double>(record.latency.ms.count));
  nlohmann::json events = nlohmann::json::object();
  nlohmann::json per_iteration = nlohmann::json::object();
  nlohmann::json unsupported = nlohmann::json::array();
  for (const profile::PerfStatCount& count : counts) {
    if (!count.counted) {
      unsupported.push_back(
          {{"event", count.event},
           {"reason",
            count.status == "not supported"
                ? "perf: not supported; this machine exposes no hardware PMU for it (virtual machines "
                  "often do not): software events work, and --tool callgrind simulates caches"
                : "perf: " + count.status}});
      continue;
    }
    events[count.event] = {
        {"value", count.value}, {"unit", count.unit}, {"running_fraction", count.running_fraction}};
    per_iteration[count.event] = count.value / iterations;
  }
  nlohmann::json derived = nlohmann::json::object();
  const double region_ms = region_ms_per_iteration(record, regions);
  if (per_iteration.contains("task-clock") && region_ms > 0)
    derived["cores_busy"] = per_iteration["task-clock"].get<double>() / region_ms;
  if (per_iteration.contains("instructions") && per_iteration.contains("cycles") &&
      per_iteration["cycles"].get<double>() > 0)
    derived["ipc"] = per_iteration["instructions"].get<double>() / per_iteration["cycles"].get<double>();
  if (region_ms > 0) derived["region_ms_per_iteration"] = region_ms;
  record.sections["perf"] = {
      {"command", perf_command},
      {"regions", regions},
      {"iterations", iterations},
      {"events", events},
      {"per_iteration", per_iteration},
      {"derived", derived},
      {"unsupported", unsupported},
      {"how",
       "perf stat started the run with its events disabled (--delay=-1); NTP enabled them through perf's "
       "control fifo at the start of each region and disabled them at its end, in the measured "
       "iterations only (not the cold run or warm-up), waiting for perf's acknowledgement; every thread "
       "of the process counts. per_iteration divides perf's totals by the measured iterations; "
       "cores_busy is task-clock over the regions' own measured time"}};
  if (regions.size() == 1)
    for (SegmentRecord& segment : record.segments)
      if (segment.name == regions.front()) segment.extra["perf"] = per_iteration;
}

}  // namespace ntp::session
