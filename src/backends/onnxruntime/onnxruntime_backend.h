// The onnxruntime back end: ONNX Runtime's CPU provider runs the whole graph, driven through its Node.js
// package (onnxruntime-node, npm; its C headers are not shipped) by runner.mjs, a child process started
// with an argument vector. NTP exports the graph (or hands over the user's ONNX file as given), the runner
// measures on NTP's schedule, and ONNX Runtime's own profiler times each node of its optimised graph, which
// layer_map.h ties back to NTP's layers.
#pragma once

#include "ntp/backend.h"

namespace ntp {

const Backend& onnxruntime_backend();

}  // namespace ntp
