// Turning the command line's topology arguments into a loaded graph.
#pragma once

#include "commands.h"
#include "ntp/graph.h"
#include "ntp/topology.h"

namespace ntp::cli {

// Throws UserError for malformed --set values, unknown precisions and every topology error.
Graph load_graph(const TopologyArgs& args);
DType parse_precision(const std::string& text);

}  // namespace ntp::cli
