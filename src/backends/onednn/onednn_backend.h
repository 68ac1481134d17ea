// The oneDNN back end: oneDNN's native primitives (the library under OpenVINO's CPU plugin and the CPU paths
// of PyTorch and TensorFlow), weights reordered once at compile time.
#pragma once

#include "ntp/backend.h"

namespace ntp {

const Backend& onednn_backend();

}  // namespace ntp
