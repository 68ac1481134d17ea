// `ntp inspect`: the static analysis of a topology as a JSON document, and the table and CSV made from it.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "ntp/analysis.h"
#include "ntp/graph.h"

namespace ntp::report {

// available_bytes: memory the machine has free, to say whether the model fits (nullopt: unknown).
nlohmann::json inspect_json(const Graph& graph, const GraphAnalysis& analysis,
                            std::optional<double> available_bytes);
std::string inspect_table(const nlohmann::json& inspection);
std::string inspect_csv(const nlohmann::json& inspection);

}  // namespace ntp::report
