// Which dimensions of an exported model may vary: a parameter written alone as a dimension of a graph input
// (batch, frames, samples) becomes a symbolic dim_param when the graph works at another value of it with
// the same weights. Found by re-running the op schemas' shape inference with that dimension changed.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ntp/graph.h"

namespace ntp::onnx_io {

// Per value index, per dimension: "" for a fixed size, the parameter name for a dimension that equals it,
// or kUnnamedDim for one that varies with a parameter but is not the parameter itself (frames / 2, ...).
inline constexpr const char* kUnnamedDim = "?";
using SymbolicDims = std::vector<std::vector<std::string>>;

struct SymbolicAnalysis {
  SymbolicDims dims;                 // indexed like graph.values
  std::vector<std::string> symbols;  // the parameters that stay symbolic
  std::vector<std::string> pinned;   // parameters that name input dimensions but the graph fixes
};

SymbolicAnalysis symbolic_dims(const Graph& graph);

}  // namespace ntp::onnx_io
