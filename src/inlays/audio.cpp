#include "inlays/audio.h"

#include <fmt/format.h>
#include <samplerate.h>
#include <sndfile.h>

#include <climits>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <utility>

#include "io/files.h"
#include "ntp/status.h"

namespace ntp::inlays {

namespace {

// libsndfile's normalised reads map the full scale of any integer format to [-1, 1); 32768 brings 16-bit
// PCM back to its exact integer values and puts every other format on the same scale.
constexpr float kInt16Scale = 32768.0F;

// Frames read per call: the header's frame count is not trusted, so a truncated or lying file costs no
// more memory than the samples it really holds.
constexpr sf_count_t kReadChunk = 1 << 16;

struct SndfileCloser {
  void operator()(SNDFILE* file) const { sf_close(file); }
};
using SndfileHandle = std::unique_ptr<SNDFILE, SndfileCloser>;

[[noreturn]] void refuse(const std::string& path, std::string message, std::string hint = {}) {
  throw UserError({path, 0, 0}, std::move(message), std::move(hint));
}

}  // namespace

Audio read_audio(const std::string& path) {
  io::refuse_special_file(path, "the audio file");  // a FIFO would block, a device never end
  SF_INFO info{};                                   // format 0: let libsndfile detect it
  SndfileHandle file(sf_open(path.c_str(), SFM_READ, &info));
  if (!file)
    refuse(path, fmt::format("cannot read audio: {}", sf_strerror(nullptr)),
           "give a readable audio file libsndfile knows (WAV, FLAC, OGG, AIFF, ...)");
  if (info.channels != 1)
    refuse(path, fmt::format("the audio file has {} channels; NTP takes mono audio", info.channels),
           fmt::format("mix it down to one channel first, e.g. `sox {} -c 1 mono.wav`", path));
  if (!(info.samplerate > 0))
    refuse(path, fmt::format("the audio file has an invalid sample rate {}", info.samplerate));
  sf_command(file.get(), SFC_SET_NORM_FLOAT, nullptr, SF_TRUE);

  Audio audio;
  audio.samplerate = info.samplerate;
  std::vector<float> chunk(kReadChunk);
  for (;;) {
    const sf_count_t read = sf_readf_float(file.get(), chunk.data(), kReadChunk);
    if (read <= 0) break;
    audio.samples.insert(audio.samples.end(), chunk.begin(), chunk.begin() + read);
  }
  if (audio.samples.empty())
    refuse(path, "the audio file has no samples", "check that the file is complete and not truncated");
  for (std::size_t i = 0; i < audio.samples.size(); ++i) {
    // A float file can hold NaN, infinity, or values that overflow at the int16 scale, which every feature
    // after it would spread (issue 16).
    const float scaled = audio.samples[i] * kInt16Scale;
    if (!std::isfinite(scaled))
      refuse(path,
             fmt::format("sample {} of the audio file is not a finite number at the int16 scale ({} * 32768)",
                         i, audio.samples[i]),
             "the file is corrupt, or was written from a signal that overflowed; fix or re-encode it");
    audio.samples[i] = scaled;
  }
  return audio;
}

std::vector<float> resample(const std::vector<float>& samples, double from_rate, double to_rate) {
  if (!(from_rate > 0) || !(to_rate > 0) || !std::isfinite(from_rate) || !std::isfinite(to_rate))
    throw std::invalid_argument(
        fmt::format("cannot resample from {} Hz to {} Hz: rates must be positive", from_rate, to_rate));
  if (from_rate == to_rate || samples.empty()) return samples;
  const double ratio = to_rate / from_rate;
  if (src_is_valid_ratio(ratio) == 0)
    throw UserError(
        {"", 0, 0},
        fmt::format("cannot resample from {} Hz to {} Hz: the ratio is beyond 1:256", from_rate, to_rate),
        "convert the audio to a nearer sample rate first");
  const double expected = std::ceil(static_cast<double>(samples.size()) * ratio);
  if (static_cast<double>(samples.size()) > LONG_MAX / 2.0 || expected > LONG_MAX / 2.0)
    throw std::invalid_argument(fmt::format("{} samples are too many to resample", samples.size()));

  // A little headroom: the converter may emit a sample more than the rounded length.
  std::vector<float> out(static_cast<std::size_t>(expected) + 16);
  SRC_DATA data{};
  data.data_in = samples.data();
  data.input_frames = static_cast<long>(samples.size());
  data.data_out = out.data();
  data.output_frames = static_cast<long>(out.size());
  data.src_ratio = ratio;
  const int error = src_simple(&data, SRC_SINC_BEST_QUALITY, 1);
  if (error != 0)
    throw std::runtime_error(fmt::format("libsamplerate failed to resample from {} Hz to {} Hz: {}",
                                         from_rate, to_rate, src_strerror(error)));
  out.resize(static_cast<std::size_t>(data.output_frames_gen));
  return out;
}

}  // namespace ntp::inlays
