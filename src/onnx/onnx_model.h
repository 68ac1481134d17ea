// ONNX models in and out of NTP's IR: import maps ONNX nodes and initializers (real weights) onto the graph;
// export writes any graph, with its weights, as a model ONNX Runtime, OpenVINO or TensorRT can load.
//
// Conventions both directions share (so export -> import reproduces the graph):
// - ONNX tensor names are NTP value names; an NTP node exported as several ONNX nodes gives its own name to
//   the main one and "name/part" to the helpers (e.g. "fc1/clip"); import fuses such groups back.
// - Ops ONNX has no operator for (the inlays: mfcc, ctc_beam, ...) are nodes of the domain "ai.ntp" whose
//   op_type is the NTP op name and whose attributes are the NTP attributes.
// - Markers (segments) and the topology's parameters travel in the model's metadata_props ("ntp.segments",
//   "ntp.params", JSON); dimensions that came from a parameter (batch, frames) are symbolic dim_params.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ntp/graph.h"
#include "ntp/status.h"
#include "ntp/tensor.h"
#include "ntp/weights.h"

namespace ntp::onnx_io {

struct ImportOptions {
  // Values for symbolic dimensions (dim_param name -> size), from --set and --shape; "batch" defaults to 1.
  std::vector<std::pair<std::string, std::string>> overrides;
  // Whole shapes of graph inputs (--shape name=d0,d1,...), for inputs whose dimensions have no names.
  std::vector<std::pair<std::string, Shape>> input_shapes;
  // Graph inputs whose data is known at load time (f32): they become constants like initializers (ONNX's
  // node tests pass weights as inputs).
  std::map<std::string, Tensor> known_inputs;
  DType precision = DType::f32;  // for the cost model, as in LoadOptions
};

struct ImportedModel {
  Graph graph;
  WeightStore weights;  // the model's initializers, in NTP's weight layouts
};

// Malformed, truncated or unsupported models give an error (every unsupported op with its node name).
Result<ImportedModel> import_model(const std::string& path, const ImportOptions& options = {});

// Writes `graph` with `weights` as an ONNX model checked by onnx::checker; throws UserError on failure.
void export_model(const Graph& graph, const WeightStore& weights, const std::string& path);

}  // namespace ntp::onnx_io
