// Where each layer runs: its own back end and precision (the topology's backend= and precision=, or
// --place NAME=BACKEND[:PRECISION]), checked before anything compiles.
#pragma once

#include <string>
#include <vector>

#include "ntp/backend.h"
#include "ntp/graph.h"

namespace ntp::session {

// Whether `backend` runs `precision` on this machine, and the hint that lists what it runs instead.
bool runs_precision(const Backend& backend, DType precision);
std::string precisions_hint(const Backend& backend);

// --place NAME=BACKEND[:PRECISION]: the layer of that name, or every layer of the segment of that name,
// gets that back end (and precision), as if the topology said so on it. Throws UserError for a malformed
// place or a name the graph has no layer or segment of.
void apply_places(Graph& graph, const std::vector<std::string>& places);

// A placement file (what `ntp tune --write-placement` writes): one NAME=BACKEND[:PRECISION] a line, `#` to
// the end of a line a comment. Errors name the file, line and column. "" applies nothing.
void apply_placement_file(Graph& graph, const std::string& path);

// Per node, the back end to compile it on (nullptr: the run's). Throws UserError, at the layer, for a back
// end this build lacks, a precision the layer's back end cannot run, or a device other than the cpu.
std::vector<const Backend*> placement_of(const Graph& graph, const Backend& run_backend, DType run_precision);

// How many copies of the weights the back ends a run uses keep (a library's packed copy beside NTP's): the
// most any of them keeps, the run's back end's or a placed layer's, since the memory check has no per-layer
// figure.
double weight_copies(const Backend& run_backend, const std::vector<const Backend*>& placement);

// The least precise of the run's precision and the layers' own (fp32, bf16, int8): what a check's default
// tolerance follows, since errors flow downstream from the coarsest layer.
DType coarsest_precision(const Graph& graph, DType run_precision);

}  // namespace ntp::session
