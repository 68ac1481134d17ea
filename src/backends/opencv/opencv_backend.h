// The OpenCV DNN back end: every node becomes a small cv::dnn::Net built layer by layer (addLayer/connect,
// weights as layer blobs converted once at compile time), run on OpenCV's own CPU implementation.
#pragma once

#include "ntp/backend.h"

namespace ntp {

const Backend& opencv_backend();

}  // namespace ntp
