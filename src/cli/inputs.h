// Real input data for a run: .npy arrays and audio files (WAV, FLAC, ...) bound to graph inputs by name.
// Data of another length than the topology declares sets the parameter that dimension was written as
// (`shape="batch,samples"` with a 3 s file sets samples); an explicit --set of that parameter must agree.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "commands.h"
#include "ntp/graph.h"
#include "ntp/tensor.h"

namespace ntp::cli {

struct BoundGraph {
  Graph graph;
  std::map<std::string, Tensor> data;          // the inputs given as files, shaped as the graph's inputs
  std::map<std::string, std::string> sources;  // input name -> where its data came from (absent: random)
  TopologyArgs topology;                       // the arguments that load `graph`: the user's and the data's
};

// Loads the topology, reads every "name=file" binding, re-loading with the parameters the files set.
// Throws UserError for unknown inputs, unreadable files and shapes that cannot be matched. Inputs without
// a file are not made yet, so that a caller can check the graph fits in memory first.
BoundGraph load_with_inputs(const TopologyArgs& topology, const std::vector<std::string>& bindings);

// Every graph input: the files' data, and seeded random data for the others.
std::map<std::string, Tensor> complete_inputs(const BoundGraph& bound, std::uint64_t seed);

}  // namespace ntp::cli
