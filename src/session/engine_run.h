// Runs and checks on a back end that runs whole graphs in its own engine (Backend::runs_whole_graphs:
// onnxruntime): the engine measures, and its per-node profile becomes the record's per-layer times.
#pragma once

#include "ntp/session.h"

namespace ntp::session {

// Throws UserError for engine settings no engine takes (an unknown optimisation level, a timeout <= 0).
void check_engine_options(const EngineOptions& options);

// `run` for such a back end: the same record as every back end's, its layers timed by the engine's profiler,
// with an "onnxruntime" section (the engine's nodes, what it fused, what its profiler cost). The returned
// run has no executable.
ProfiledRun run_on_engine(const Model& model, const ProfileOptions& options, const Backend& backend);

// `check` for such a back end: every layer whose output the engine returns, against the reference back end.
CheckRecord check_on_engine(const Model& model, const CheckOptions& options, const Backend& backend);

}  // namespace ntp::session
