// Static calibration for int8 runs: one fp32 inference on the run's inputs gives the range of every value,
// from which the quantise steps take their scales.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ntp/backend.h"

namespace ntp::runtime {

// max |x| of every graph value (by value index) after one fp32 run of `graph` on `backend`.
std::vector<float> calibrate_ranges(const Graph& graph, const Backend& backend, const WeightStore& weights,
                                    const std::map<std::string, Tensor>& inputs, int threads);

}  // namespace ntp::runtime
