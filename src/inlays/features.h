// Feature extraction before the network, compatible with python_speech_features (float64 numpy):
// mel filterbank energies, MFCC, a DeepSpeech 2 style spectrogram, and DeepSpeech v0.1's context windows.
// Everything is computed in double and stored as float.
//
// Each extractor is built for a fixed number of samples per call and plans its FFT once. compute() is
// const and allocates its own scratch buffers, so one extractor may run on several threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace ntp::inlays {

enum class Window { rectangular, hamming, hann };

// "rectangular", "hamming" or "hann"; nullopt for anything else.
std::optional<Window> parse_window(std::string_view name);

// python_speech_features' parameters and defaults (winlen and winstep in seconds).
struct FilterbankOptions {
  double samplerate = 16000;
  double winlen = 0.025;
  double winstep = 0.01;
  int nfilt = 26;
  int nfft = 512;
  double lowfreq = 0;
  double highfreq = 0;  // 0: samplerate / 2
  double preemph = 0.97;
  Window window = Window::rectangular;
};

namespace detail {
class RealFft;  // an FFTW plan; defined in features.cpp so that callers need no FFTW headers
}

// python_speech_features.fbank: pre-emphasis, framing (frame length and step rounded half up to samples,
// zero padding after the last sample), power spectrum |rfft(frame, nfft)|^2 / nfft, triangular mel filters.
// Throws std::invalid_argument for options python_speech_features would reject or misbehave on.
class FilterbankExtractor {
 public:
  FilterbankExtractor(const FilterbankOptions& options, std::int64_t samples);
  ~FilterbankExtractor();
  FilterbankExtractor(FilterbankExtractor&&) noexcept;
  FilterbankExtractor& operator=(FilterbankExtractor&&) noexcept;

  // 1 when samples <= frame length, else 1 + ceil((samples - frame length) / frame step).
  std::int64_t frames() const { return frames_; }
  std::int64_t filters() const { return static_cast<std::int64_t>(filters_.size()); }

  // energies [frames, nfilt], natural log taken when log_energies; when frame_energy is not null, the log
  // of each frame's total power [frames] (python_speech_features' `energy`). Zeros become numpy's float64
  // eps before any log, as there.
  void compute(const float* samples, float* energies, bool log_energies, float* frame_energy = nullptr) const;

 private:
  friend class MfccExtractor;

  // One triangle: weights for the FFT bins first, first + 1, ...
  struct Filter {
    std::int64_t first = 0;
    std::vector<double> weights;
  };

  // Calls visit(frame, energies [nfilt], total power) for each frame, in double, zeros replaced by eps.
  template <class Visit>
  void each_frame(const float* samples, Visit&& visit) const;

  double preemph_ = 0;
  std::int64_t samples_ = 0;
  std::int64_t frame_length_ = 0;
  std::int64_t frame_step_ = 0;
  std::int64_t frames_ = 0;
  std::vector<double> window_;
  std::vector<Filter> filters_;
  std::unique_ptr<detail::RealFft> fft_;
};

// python_speech_features.mfcc: log filterbank energies, DCT-II (orthonormal) keeping numcep coefficients,
// lifter 1 + (L/2) sin(pi n / L) when ceplifter > 0, and with append_energy coefficient 0 replaced by the
// log frame energy. Throws std::invalid_argument when numcep is not within 1..nfilt.
class MfccExtractor {
 public:
  MfccExtractor(const FilterbankOptions& options, int numcep, int ceplifter, bool append_energy,
                std::int64_t samples);

  std::int64_t frames() const { return filterbank_.frames(); }
  std::int64_t coefficients() const { return numcep_; }

  // out [frames, numcep]
  void compute(const float* samples, float* out) const;

 private:
  FilterbankExtractor filterbank_;
  std::int64_t numcep_ = 0;
  bool append_energy_ = false;
  std::vector<double> cosines_;  // [numcep, nfilt]: DCT-II rows, orthonormal scale and lifter folded in
};

// DeepSpeech 2 style spectrogram: windows of window_ms every step_ms (framed as above, no pre-emphasis),
// |FFT| over the window with nfft = the window length in samples (161 bins at 20 ms, 16 kHz), log(1 + x)
// when log_magnitude. Throws std::invalid_argument for sizes that are not positive.
class SpectrogramExtractor {
 public:
  SpectrogramExtractor(double samplerate, double window_ms, double step_ms, Window window, bool log_magnitude,
                       std::int64_t samples);
  ~SpectrogramExtractor();
  SpectrogramExtractor(SpectrogramExtractor&&) noexcept;
  SpectrogramExtractor& operator=(SpectrogramExtractor&&) noexcept;

  std::int64_t frames() const { return frames_; }
  std::int64_t bins() const { return frame_length_ / 2 + 1; }

  // out [frames, bins]
  void compute(const float* samples, float* out) const;

 private:
  bool log_magnitude_ = false;
  std::int64_t samples_ = 0;
  std::int64_t frame_length_ = 0;
  std::int64_t frame_step_ = 0;
  std::int64_t frames_ = 0;
  std::vector<double> window_;
  std::unique_ptr<detail::RealFft> fft_;
};

// Rows context_window writes: ceil(frames / stride).
std::int64_t context_window_rows(std::int64_t frames, std::int64_t stride);

// DeepSpeech v0.1's input assembly for one utterance. frames [frame_count, features] row-major; every
// stride-th frame is kept (from 0) and stacked with `context` kept frames on either side (zeros past the
// edges) into rows of (2 * context + 1) * features values. With whiten, the whole output matrix has its mean
// subtracted and is divided by its population standard deviation (left unscaled when that is 0). Row r is
// written at out + r * out_row_stride, so batch items can interleave in a time-major [T', N, W] tensor.
// Throws std::invalid_argument for a stride that is not positive, a negative context or count, or an
// out_row_stride narrower than a row.
void context_window(const float* frames, std::int64_t frame_count, std::int64_t features, std::int64_t stride,
                    std::int64_t context, bool whiten, float* out, std::int64_t out_row_stride);

// The whitening context_window applies: `rows` rows of `width` values, row r at data + r * row_stride, get
// their mean subtracted and are divided by their population standard deviation (only centred when it is 0).
void whiten_rows(float* data, std::int64_t rows, std::int64_t width, std::int64_t row_stride);

}  // namespace ntp::inlays
