// Loading a topology from the markup format: parse, substitute parameters, validate, infer shapes.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ntp/graph.h"
#include "ntp/status.h"

namespace ntp {

struct LoadOptions {
  // --set name=value, in command-line order; "batch" is the built-in parameter (default 1).
  std::vector<std::pair<std::string, std::string>> overrides;
  // Precision the weights are stored in, for the cost model (bytes).
  DType precision = DType::f32;
};

// The returned graph is complete: shapes inferred, weights declared, markers in place.
Result<Graph> load_topology(const std::string& path, const LoadOptions& options = {});
// The same from text; source_name stands for the file in messages.
Result<Graph> parse_topology(const std::string& text, const std::string& source_name,
                             const LoadOptions& options = {});

}  // namespace ntp
