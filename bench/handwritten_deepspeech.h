// DeepSpeech v0.1 written by hand against oneDNN, the way an engineer would without NTP: the baseline that
// NTP's onednn back end is measured against. Same shapes, same seeded weights, same threads.
#pragma once

#include <memory>

#include "ntp/tensor.h"
#include "ntp/weights.h"

namespace ntp::bench {

class HandwrittenDeepSpeech {
 public:
  // Weights come from NTP's seeded store for examples/deepspeech-v0.1.xml with the same parameters,
  // so both produce the same numbers.
  HandwrittenDeepSpeech(const WeightStore& weights, int frames, int batch, int hidden);
  ~HandwrittenDeepSpeech();
  HandwrittenDeepSpeech(const HandwrittenDeepSpeech&) = delete;
  HandwrittenDeepSpeech& operator=(const HandwrittenDeepSpeech&) = delete;

  // features: [frames, batch, 494] f32; returns the softmax output [frames, batch, 29].
  const Tensor& run(const Tensor& features);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ntp::bench
