#include "bound.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

namespace ntp::report {

namespace {

constexpr double kLineBytes = 64;  // one last-level miss brings one cache line from memory
// Front-end stalls this large a share of cycles, and larger than back-end stalls, make a layer front-end
// bound.
constexpr double kFrontEndShare = 0.2;

double number(const nlohmann::json& object, const char* key) {
  return object.contains(key) ? object[key].get<double>() : 0.0;
}

struct Verdict {
  std::string bound;     // compute | memory | front-end | unknown
  std::string evidence;  // counters | simulator | cost model
  std::string why;
  double intensity = 0;  // FLOP per byte the verdict rests on (0: not used)
};

// Compute or memory from FLOP per byte against the ridge.
Verdict against_ridge(double flops, double bytes, double ridge, const std::string& evidence,
                      const std::string& bytes_meaning) {
  if (bytes <= 0)
    return {"compute", evidence, fmt::format("{}: no bytes from memory", bytes_meaning),
            std::numeric_limits<double>::infinity()};
  const double intensity = flops / bytes;
  const bool memory = intensity < ridge;
  return {memory ? "memory" : "compute", evidence,
          fmt::format("{:.3g} FLOP per byte ({}) is {} this machine's ridge of {:.3g} FLOP/byte", intensity,
                      bytes_meaning, memory ? "below" : "above", ridge),
          intensity};
}

Verdict classify_node(const nlohmann::json& node, double ridge) {
  const double flops = number(node, "flops");
  const double bytes = number(node, "bytes");
  const nlohmann::json derived = node.value("derived", nlohmann::json::object());
  const nlohmann::json counters = node.value("counters", nlohmann::json::object());
  // Hardware counters first: they saw this machine run this layer.
  if (derived.contains("frontend_stall_share") && derived.contains("backend_stall_share")) {
    const double front = derived["frontend_stall_share"].get<double>();
    const double back = derived["backend_stall_share"].get<double>();
    if (front >= kFrontEndShare && front > back)
      return {
          "front-end", "counters",
          fmt::format("front-end stalls in {:.0f}% of cycles, back-end in {:.0f}%", front * 100, back * 100)};
  }
  if (flops > 0 && counters.contains("LLC-load-misses"))
    return against_ridge(flops, number(counters, "LLC-load-misses") * kLineBytes, ridge, "counters",
                         "last-level load misses x 64 B");
  // Callgrind's simulated last-level misses stand in for memory traffic.
  const nlohmann::json simulated = node.value("callgrind", nlohmann::json::object());
  if (flops > 0 && simulated.contains("DLmr"))
    return against_ridge(flops, (number(simulated, "DLmr") + number(simulated, "DLmw")) * kLineBytes, ridge,
                         "simulator", "callgrind's simulated last-level misses x 64 B");
  if (flops > 0 && bytes > 0)
    return against_ridge(flops, bytes, ridge, "cost model", "the cost model's bytes moved");
  if (bytes > 0) return {"memory", "cost model", "moves data and does no arithmetic", 0};
  return {"unknown", "cost model", "no cost model for this step", 0};
}

nlohmann::json to_json(const Verdict& verdict, double flops, double attained_gflops,
                       const nlohmann::json& machine) {
  nlohmann::json bound = {{"class", verdict.bound}, {"evidence", verdict.evidence}, {"why", verdict.why}};
  if (verdict.intensity > 0 && std::isfinite(verdict.intensity)) {
    bound["intensity_flops_per_byte"] = verdict.intensity;
    // The roofline: what this intensity allows on this machine, and how much of it the layer reached.
    const double peak = machine["gflops_per_second"].get<double>();
    const double memory_roof = verdict.intensity * machine["gbytes_per_second"].get<double>();
    const double roof = std::min(peak, memory_roof);
    bound["roof_gflops_per_second"] = roof;
    bound["roof"] = memory_roof < peak ? "memory" : "compute";
    if (flops > 0 && attained_gflops > 0 && roof > 0) {
      bound["share_of_roof"] = attained_gflops / roof;
      // Above a memory roof, caches served what the byte count says came from memory; nothing lets a
      // layer beat the compute peak, so above it the calibrated peak is what is wrong.
      if (attained_gflops > roof)
        bound["above_roof"] =
            memory_roof < peak ? "above the memory roof: caches served data the byte count takes from memory"
                               : "above the calibrated compute peak, which cannot be: the peak was measured "
                                 "low (under load?); "
                                 "ntp run --recalibrate measures it again";
    }
  }
  return bound;
}

}  // namespace

void classify_bounds(nlohmann::json& record, const nlohmann::json& machine) {
  record["machine"] = machine;
  const double ridge = machine["ridge_flops_per_byte"].get<double>();
  std::map<std::string, const nlohmann::json*> by_name;
  for (auto& node : record["nodes"]) {
    if (!node.contains("flops") && !node.contains("bytes")) continue;
    const Verdict verdict = classify_node(node, ridge);
    node["bound"] = to_json(verdict, number(node, "flops"), number(node, "gflops_per_second"), machine);
    // Where better evidence overrules the cost model, say so: the cost model counts every byte from memory.
    if (verdict.evidence != "cost model" && number(node, "flops") > 0 && number(node, "bytes") > 0) {
      const Verdict modelled = against_ridge(number(node, "flops"), number(node, "bytes"), ridge,
                                             "cost model", "the cost model's bytes");
      if (modelled.bound != verdict.bound) node["bound"]["cost_model_class"] = modelled.bound;
    }
    by_name[node["name"].get<std::string>()] = &node;
  }
  // A segment over its layers together, on the same evidence as its layers where they all have the same
  // (their bytes from memory, flops / intensity, summed), else the cost model; layers whose class differs
  // from their segment's are named, so one layer does not tell two stories unremarked.
  for (auto& segment : record["segments"]) {
    double flops = 0;
    double bytes = 0;
    double evidence_bytes = 0;
    std::set<std::string> evidence;
    std::vector<const nlohmann::json*> layers;
    for (const auto& layer : segment["layers"]) {
      const auto found = by_name.find(layer.get<std::string>());
      if (found == by_name.end()) continue;
      const nlohmann::json& node = *found->second;
      layers.push_back(&node);
      const double layer_flops = number(node, "flops");
      flops += layer_flops;
      bytes += number(node, "bytes");
      if (layer_flops <= 0) continue;
      const auto& bound = node["bound"];
      evidence.insert(bound["evidence"].get<std::string>());
      if (bound.contains("intensity_flops_per_byte"))
        evidence_bytes += layer_flops / bound["intensity_flops_per_byte"].get<double>();
    }
    if (flops <= 0 || bytes <= 0) continue;
    const double seconds =
        segment.contains("time_ms") ? segment["time_ms"]["median"].get<double>() * 1e-3 : 0;
    const bool shared_evidence =
        evidence.size() == 1 && *evidence.begin() != "cost model" && evidence_bytes > 0;
    const Verdict verdict =
        shared_evidence
            ? against_ridge(flops, evidence_bytes, ridge, *evidence.begin(),
                            "its layers' bytes from memory, as their " + *evidence.begin() + " saw")
            : against_ridge(flops, bytes, ridge, "cost model", "the cost model's bytes moved");
    nlohmann::json bound = to_json(verdict, flops, seconds > 0 ? flops / seconds * 1e-9 : 0, machine);
    nlohmann::json disagreeing = nlohmann::json::array();
    for (const nlohmann::json* node : layers)
      if (node->contains("bound") && (*node)["bound"]["class"] != verdict.bound && number(*node, "flops") > 0)
        disagreeing.push_back({{"layer", (*node)["name"]},
                               {"class", (*node)["bound"]["class"]},
                               {"evidence", (*node)["bound"]["evidence"]}});
    if (!disagreeing.empty()) {
      bound["layers_disagreeing"] = disagreeing;
      bound["why"] = bound["why"].get<std::string>() +
                     (shared_evidence ? "; its layers' classes differ by their own intensities"
                                      : "; its layers were classified on other evidence (" +
                                            fmt::format("{}", fmt::join(evidence, ", ")) +
                                            "), which sees cache reuse the cost model does not");
    }
    segment["bound"] = std::move(bound);
  }
}

}  // namespace ntp::report
