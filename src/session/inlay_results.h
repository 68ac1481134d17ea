// What a pipeline's inlays add to a run record: the audio it processed with the real-time factor, and the
// transcripts its CTC decoders wrote.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "ntp/executable.h"
#include "ntp/run_record.h"

namespace ntp::session {

// record.sections["audio"] for every audio input (samplerate, seconds per item, where the data came from) and
// the real-time factor: median latency / audio seconds processed per inference (batch x seconds). No-op for a
// graph without audio input. `sources`: input name -> file; absent inputs were seeded random.
// Streaming: chunk_seconds > 0 is the new audio each run (chunk) processes.
void add_audio(RunRecord& record, const Graph& graph, const std::map<std::string, std::string>& sources,
               double chunk_seconds = 0);

// The transcripts of every ctc_greedy / ctc_beam node after a run: per batch item (and path), the text
// spelled with the node's alphabet (class numbers without one) and the score where the decoder gives one.
nlohmann::json transcripts(const Executable& executable);

}  // namespace ntp::session
