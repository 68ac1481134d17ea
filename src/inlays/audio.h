// Audio input for the feature inlays: decoding (libsndfile) and sample-rate conversion (libsamplerate).
#pragma once

#include <string>
#include <vector>

namespace ntp::inlays {

// Mono samples in the int16 range (-32768..32767), the scale python_speech_features and DeepSpeech expect.
struct Audio {
  std::vector<float> samples;
  double samplerate = 0;
};

// Decodes any format libsndfile reads (WAV, FLAC, OGG, ...). Integer PCM is scaled so that 16-bit files
// come back as their exact integer values; float files are scaled by 32768. Throws ntp::UserError (located
// at `path`) for a missing or unreadable file, a file with more than one channel, or no samples.
Audio read_audio(const std::string& path);

// Band-limited sample-rate conversion (libsamplerate, SRC_SINC_BEST_QUALITY); about
// samples.size() * to_rate / from_rate samples come back. Equal rates return a copy. Throws
// std::invalid_argument for a rate that is not positive, ntp::UserError for a ratio libsamplerate cannot
// convert (beyond 1:256 either way).
std::vector<float> resample(const std::vector<float>& samples, double from_rate, double to_rate);

}  // namespace ntp::inlays
