// Export with options (the opset); onnx_model.h's export_model writes the default opset.
#pragma once

#include <string>

#include "ntp/graph.h"
#include "ntp/weights.h"

namespace ntp::onnx_io {

struct ExportOptions {
  int opset = 17;  // 13 to 17: Debian's ONNX 1.12 knows up to 17; 13 moved the axes of Split etc. to inputs
};

// The serialized model, checked by onnx::checker and ONNX shape inference; throws UserError on failure.
std::string export_model_bytes(const Graph& graph, const WeightStore& weights, const ExportOptions& options);

// export_model_bytes written atomically to `path`: a failure leaves no file behind.
void export_model(const Graph& graph, const WeightStore& weights, const std::string& path,
                  const ExportOptions& options);

}  // namespace ntp::onnx_io
