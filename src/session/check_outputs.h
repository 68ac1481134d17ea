// What `check` and `tune` share: a graph compiled where its layers are placed, and how far its outputs are
// from the reference back end's.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ntp/check_record.h"
#include "ntp/executable.h"
#include "ntp/weights.h"

namespace ntp::session {

struct PlacedExecutable {
  std::vector<float> ranges;  // int8 scales, which the executable refers to
  std::unique_ptr<Executable> executable;
};

// `graph` on `backend` at `precision`, each layer where its own backend=/precision= put it, int8 scales
// calibrated on `inputs` when any layer is int8. Throws UserError as placement_of does.
std::unique_ptr<PlacedExecutable> compile_placed(const Graph& graph, const Backend& backend, DType precision,
                                                 const WeightStore& weights,
                                                 const std::map<std::string, Tensor>& inputs, int threads);

// How far a back end's output is from the reference's.
struct OutputDifference {
  double max_abs = 0;
  double max_rel = 0;    // |error| / |reference|, over elements whose reference is not tiny
  double magnitude = 0;  // max |reference|
  double normalised() const { return magnitude > 0 ? max_abs / magnitude : max_abs; }
};
OutputDifference compare_outputs(const Tensor& reference, const Tensor& other);

// One layer's outputs against the reference's after both ran: the worst float difference, and integer outputs
// (a decoder's labels) counted where they differ rather than held to `tolerance`. `actual(value)` is the
// checked back end's output of that value as f32, or none where it returned none; none of them: nullopt.
std::optional<LayerCheck> check_layer(const Executable& reference, const Node& node,
                                      const std::string& backend, bool fallback, double tolerance,
                                      const std::function<std::optional<Tensor>(int value)>& actual);

// Largest normalised error a check allows by default at this precision.
double check_tolerance(DType precision);

// The largest error of the graph's float outputs (a decoder's integer labels left out) over the largest
// magnitude of the reference's, after both ran on the same inputs.
double outputs_error(const Executable& reference, const Executable& candidate);

}  // namespace ntp::session
