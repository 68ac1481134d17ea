// Export with options (the opset); onnx_model.h's export_model writes the default opset.
#pragma once

#include <string>
#include <vector>

#include "ntp/graph.h"
#include "ntp/weights.h"

namespace ntp::onnx_io {

struct ExportOptions {
  int opset = 17;  // 13 to 17: Debian's ONNX 1.12 knows up to 17; 13 moved the axes of Split etc. to inputs
  // Every layer's outputs are graph outputs too, so that a runtime returns them (a check compares each
  // layer); an output ONNX Runtime must keep stops it fusing across it.
  bool every_layer_output = false;
};

// The NTP ops written as standard ONNX operators; the others (the inlays) go to the "ai.ntp" domain, which
// only NTP reads back.
std::vector<std::string> standard_ops();

// The serialized model, checked by onnx::checker and ONNX shape inference; throws UserError on failure.
std::string export_model_bytes(const Graph& graph, const WeightStore& weights, const ExportOptions& options);

// export_model_bytes written atomically to `path`: a failure leaves no file behind.
void export_model(const Graph& graph, const WeightStore& weights, const std::string& path,
                  const ExportOptions& options);

}  // namespace ntp::onnx_io
