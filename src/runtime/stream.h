// Streaming (--mode stream): an utterance fed to the pipeline in fixed chunks, the way a live recogniser
// hears it. The graph is compiled for one chunk; recurrent layers and context windows carry their state
// from chunk to chunk (CompileOptions::streaming), and each chunk's features start with samples of the
// previous one, so that frames continue across chunk boundaries on the utterance's frame grid.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ntp/graph.h"
#include "ntp/tensor.h"

namespace ntp::runtime {

struct StreamPlan {
  std::string input;          // the audio input
  std::string samples_param;  // the parameter its samples dimension is written as
  double samplerate = 0;
  std::int64_t total_samples = 0;     // the whole utterance
  std::int64_t chunk_samples = 0;     // new audio per chunk
  std::int64_t overlap_samples = 0;   // extra samples each run reads: feature window - step
  std::int64_t lookback_samples = 0;  // how far before its chunk a run starts: the overlap in whole steps
  std::int64_t chunks = 0;

  std::int64_t samples_per_run() const { return chunk_samples + overlap_samples; }
  double chunk_seconds() const { return static_cast<double>(chunk_samples) / samplerate; }
};

// Plans chunks of chunk_ms for the graph of the whole utterance. Throws UserError (with a hint) when the
// graph cannot stream: no audio input or more than one, a layer that needs the whole sequence
// (bidirectional or reverse recurrent layers, attention), or a chunk that is not a whole number of feature
// steps.
StreamPlan plan_stream(const Graph& utterance, double chunk_ms);

// The input of every chunk, [N, samples_per_run()], starting lookback_samples before the chunk so that
// its frames are the utterance's frames (the stream's first frames start before the utterance): zeros
// before the utterance starts and after it ends.
std::vector<Tensor> chunk_audio(const Tensor& utterance, const StreamPlan& plan);

}  // namespace ntp::runtime
