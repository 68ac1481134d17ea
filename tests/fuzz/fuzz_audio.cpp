// The audio reader (inlays::read_audio): libsndfile's decoders (WAV, FLAC, ...) and the checks around them.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"
#include "inlays/audio.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = ntp::fuzz::write_input(data, size, "input.wav");
  ntp::fuzz::expect_clean([&] {
    const ntp::inlays::Audio audio = ntp::inlays::read_audio(path);
    // What it returns is usable: samples, all finite, at a positive rate.
    if (audio.samples.empty() || !(audio.samplerate > 0)) std::abort();
    for (const float sample : audio.samples)
      if (!std::isfinite(sample)) std::abort();
  });
  return 0;
}
