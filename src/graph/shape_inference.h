// The shape inference pass: connects each op node to its input values, asks its schema for output
// shapes and weights, and creates the output values.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "ntp/graph.h"

namespace ntp::graph {

// The input value names of the k-th op node (in graph order), with where they are written.
using InputResolver =
    std::function<std::vector<std::pair<std::string, SourceLocation>>(std::size_t op_position)>;

// Throws UserError located at the offending node.
void infer_shapes(Graph& graph, const InputResolver& resolve_inputs, DType weight_precision);

// Marks every value that no node consumes as a graph output.
void mark_unconsumed_outputs(Graph& graph);

}  // namespace ntp::graph
