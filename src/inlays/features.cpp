#include "inlays/features.h"

#include <fftw3.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <new>
#include <numbers>
#include <stdexcept>
#include <string>

namespace ntp::inlays {

namespace {

// numpy.finfo(float).eps: python_speech_features puts it in place of zero energies before taking logs.
constexpr double kEps = std::numeric_limits<double>::epsilon();

// FFTW's planner and plan destruction are not thread-safe (only execution is): every call into them goes
// through this lock.
std::mutex& fftw_planner_mutex() {
  static std::mutex mutex;
  return mutex;
}

// FFTW runs a plan on new arrays only when their alignment matches the arrays it was planned with: both
// come from this allocator, which (unlike fftw_malloc) is safe to call from any thread.
constexpr std::align_val_t kFftAlignment{64};

struct AlignedFree {
  void operator()(double* values) const { ::operator delete(values, kFftAlignment); }
};
using AlignedDoubles = std::unique_ptr<double[], AlignedFree>;

AlignedDoubles aligned_doubles(std::int64_t count) {
  const auto size = static_cast<std::size_t>(count);
  AlignedDoubles values(static_cast<double*>(::operator new(size * sizeof(double), kFftAlignment)));
  std::fill(values.get(), values.get() + size, 0.0);
  return values;
}

// Seconds at a rate rounded half up to whole samples, as python_speech_features' round_half_up and
// src/ops/inlays.cpp's samples_of (the same expression, so the graph's shapes agree).
std::int64_t samples_of(double seconds, double rate, const char* what) {
  if (!(rate > 0) || !std::isfinite(rate))
    throw std::invalid_argument(fmt::format("samplerate {} must be positive", rate));
  const double samples = seconds * rate;
  if (!(samples >= 0 && samples < 1e15))
    throw std::invalid_argument(
        fmt::format("{} of {} s at {} Hz is not a number of samples", what, seconds, rate));
  const auto rounded = static_cast<std::int64_t>(std::llround(samples));
  if (rounded <= 0)
    throw std::invalid_argument(
        fmt::format("{} of {} s at {} Hz is less than one sample", what, seconds, rate));
  return rounded;
}

// python_speech_features.sigproc.framesig's count, equal to frame_count in src/ops/inlays.cpp.
std::int64_t frame_count(std::int64_t samples, std::int64_t length, std::int64_t step) {
  if (samples <= length) return 1;
  return 1 + (samples - length + step - 1) / step;
}

void check_samples(std::int64_t samples) {
  if (samples < 0)
    throw std::invalid_argument(fmt::format("{} samples: the count cannot be negative", samples));
}

// FFTW takes int sizes; far larger windows than any audio front end uses are refused.
void check_fft_size(std::int64_t size) {
  if (size <= 0 || size > (1 << 26))
    throw std::invalid_argument(fmt::format("FFT size {} is not within 1 to 2^26", size));
}

// numpy.hamming / numpy.hanning (symmetric, as python_speech_features' winfunc), or ones.
std::vector<double> window_values(Window window, std::int64_t length) {
  std::vector<double> values(static_cast<std::size_t>(length), 1.0);
  if (window == Window::rectangular || length == 1) return values;
  const double a = window == Window::hamming ? 0.54 : 0.5;
  const double b = window == Window::hamming ? 0.46 : 0.5;
  const double period = static_cast<double>(length - 1);
  for (std::int64_t n = 0; n < length; ++n)
    values[static_cast<std::size_t>(n)] =
        a - b * std::cos(2 * std::numbers::pi * static_cast<double>(n) / period);
  return values;
}

double hz_to_mel(double hz) {
  return 2595 * std::log10(1 + hz / 700.0);
}
double mel_to_hz(double mel) {
  return 700 * (std::pow(10.0, mel / 2595.0) - 1);
}

}  // namespace

namespace detail {

// A real-to-complex FFT of one size. The plan is made once; each caller transforms its own Buffers, so
// one RealFft serves several threads.
class RealFft {
 public:
  struct Buffers {
    AlignedDoubles input;   // size values
    AlignedDoubles output;  // size / 2 + 1 complex values, interleaved
  };

  explicit RealFft(std::int64_t size) : size_(size) {
    check_fft_size(size);
    Buffers planning = buffers();
    const std::lock_guard lock(fftw_planner_mutex());
    // FFTW_ESTIMATE: planning is quick and leaves the arrays alone.
    plan_ = fftw_plan_dft_r2c_1d(static_cast<int>(size), planning.input.get(),
                                 reinterpret_cast<fftw_complex*>(planning.output.get()), FFTW_ESTIMATE);
    if (plan_ == nullptr) throw std::runtime_error(fmt::format("FFTW could not plan a real FFT of {}", size));
  }
  ~RealFft() {
    const std::lock_guard lock(fftw_planner_mutex());
    fftw_destroy_plan(plan_);
  }
  RealFft(const RealFft&) = delete;
  RealFft& operator=(const RealFft&) = delete;

  std::int64_t size() const { return size_; }
  std::int64_t bins() const { return size_ / 2 + 1; }

  Buffers buffers() const { return {aligned_doubles(size_), aligned_doubles(2 * bins())}; }

  // Transforms buffers.input and writes |X[k]|^2 for k = 0 .. size / 2 to squared.
  void squared_magnitudes(Buffers& buffers, double* squared) const {
    fftw_execute_dft_r2c(plan_, buffers.input.get(), reinterpret_cast<fftw_complex*>(buffers.output.get()));
    const double* spectrum = buffers.output.get();
    for (std::int64_t k = 0; k < bins(); ++k) {
      const double re = spectrum[2 * k];
      const double im = spectrum[2 * k + 1];
      squared[k] = re * re + im * im;
    }
  }

 private:
  std::int64_t size_;
  fftw_plan plan_ = nullptr;
};

}  // namespace detail

std::optional<Window> parse_window(std::string_view name) {
  if (name == "rectangular") return Window::rectangular;
  if (name == "hamming") return Window::hamming;
  if (name == "hann") return Window::hann;
  return std::nullopt;
}

// ---- filterbank ----

FilterbankExtractor::FilterbankExtractor(const FilterbankOptions& options, std::int64_t samples)
    : preemph_(options.preemph), samples_(samples) {
  check_samples(samples);
  const double rate = options.samplerate;
  frame_length_ = samples_of(options.winlen, rate, "winlen");
  frame_step_ = samples_of(options.winstep, rate, "winstep");
  frames_ = frame_count(samples, frame_length_, frame_step_);
  if (options.nfilt <= 0)
    throw std::invalid_argument(fmt::format("nfilt {} must be positive", options.nfilt));
  if (options.nfft < frame_length_)
    throw std::invalid_argument(
        fmt::format("nfft {} is shorter than the window of {} samples", options.nfft, frame_length_));
  if (!std::isfinite(options.preemph))
    throw std::invalid_argument(fmt::format("preemph {} is not a number", options.preemph));
  const double low = options.lowfreq;
  const double high = options.highfreq > 0 ? options.highfreq : rate / 2;
  if (!(low >= 0 && low < high && high <= rate / 2))
    throw std::invalid_argument(fmt::format(
        "the filters' band {} to {} Hz is not within 0 to samplerate/2 = {} Hz", low, high, rate / 2));
  fft_ = std::make_unique<detail::RealFft>(options.nfft);
  window_ = window_values(options.window, frame_length_);

  // get_filterbanks: nfilt + 2 points evenly spaced in mel (numpy.linspace: start + i * step, the last
  // exactly the end), each floored to an FFT bin; filter j rises from point j to j + 1 and falls to j + 2.
  const int points = options.nfilt + 2;
  const double low_mel = hz_to_mel(low);
  const double high_mel = hz_to_mel(high);
  const double mel_step = (high_mel - low_mel) / (points - 1);
  std::vector<std::int64_t> bin(static_cast<std::size_t>(points));
  for (int i = 0; i < points; ++i) {
    const double mel = i == points - 1 ? high_mel : i * mel_step + low_mel;
    const double hz = mel_to_hz(mel);
    bin[static_cast<std::size_t>(i)] = static_cast<std::int64_t>(std::floor((options.nfft + 1) * hz / rate));
  }
  const std::int64_t bins = fft_->bins();
  filters_.resize(static_cast<std::size_t>(options.nfilt));
  for (std::size_t j = 0; j < filters_.size(); ++j) {
    const std::int64_t left = bin[j];
    const std::int64_t center = bin[j + 1];
    const std::int64_t right =
        std::min(bin[j + 2], bins);  // never past the spectrum (it cannot be, but cheap)
    Filter& filter = filters_[j];
    filter.first = left;
    filter.weights.assign(static_cast<std::size_t>(std::max<std::int64_t>(right - left, 0)), 0.0);
    for (std::int64_t i = left; i < std::min(center, right); ++i)
      filter.weights[static_cast<std::size_t>(i - left)] =
          static_cast<double>(i - left) / static_cast<double>(center - left);
    for (std::int64_t i = center; i < right; ++i)
      filter.weights[static_cast<std::size_t>(i - left)] =
          static_cast<double>(bin[j + 2] - i) / static_cast<double>(bin[j + 2] - center);
  }
}

FilterbankExtractor::~FilterbankExtractor() = default;
FilterbankExtractor::FilterbankExtractor(FilterbankExtractor&&) noexcept = default;
FilterbankExtractor& FilterbankExtractor::operator=(FilterbankExtractor&&) noexcept = default;

template <class Visit>
void FilterbankExtractor::each_frame(const float* samples, Visit&& visit) const {
  detail::RealFft::Buffers buffers = fft_->buffers();
  double* input = buffers.input.get();
  std::vector<double> power(static_cast<std::size_t>(fft_->bins()));
  std::vector<double> energies(filters_.size());
  const double scale = 1.0 / static_cast<double>(fft_->size());  // powspec: 1 / NFFT * |X|^2
  for (std::int64_t frame = 0; frame < frames_; ++frame) {
    // Pre-emphasis runs over the whole signal before framing, so the padding past the end stays zero.
    const std::int64_t start = frame * frame_step_;
    for (std::int64_t j = 0; j < frame_length_; ++j) {
      const std::int64_t i = start + j;
      double value = 0;
      if (i < samples_) value = i == 0 ? samples[0] : samples[i] - preemph_ * samples[i - 1];
      input[j] = value * window_[static_cast<std::size_t>(j)];
    }
    std::fill(input + frame_length_, input + fft_->size(), 0.0);
    fft_->squared_magnitudes(buffers, power.data());
    double total = 0;
    for (double& bin_power : power) {
      bin_power *= scale;
      total += bin_power;
    }
    for (std::size_t j = 0; j < filters_.size(); ++j) {
      const Filter& filter = filters_[j];
      double sum = 0;
      for (std::size_t k = 0; k < filter.weights.size(); ++k)
        sum += filter.weights[k] * power[static_cast<std::size_t>(filter.first) + k];
      energies[j] = sum == 0 ? kEps : sum;
    }
    visit(frame, energies.data(), total == 0 ? kEps : total);
  }
}

void FilterbankExtractor::compute(const float* samples, float* energies, bool log_energies,
                                  float* frame_energy) const {
  const auto filters = static_cast<std::size_t>(filters_.size());
  each_frame(samples, [&](std::int64_t frame, const double* frame_energies, double total) {
    float* row = energies + frame * static_cast<std::int64_t>(filters);
    for (std::size_t j = 0; j < filters; ++j)
      row[j] = static_cast<float>(log_energies ? std::log(frame_energies[j]) : frame_energies[j]);
    if (frame_energy != nullptr) frame_energy[frame] = static_cast<float>(std::log(total));
  });
}

// ---- MFCC ----

MfccExtractor::MfccExtractor(const FilterbankOptions& options, int numcep, int ceplifter, bool append_energy,
                             std::int64_t samples)
    : filterbank_(options, samples), numcep_(numcep), append_energy_(append_energy) {
  const std::int64_t nfilt = filterbank_.filters();
  if (numcep <= 0 || numcep > nfilt)
    throw std::invalid_argument(fmt::format("numcep {} must be between 1 and nfilt {}", numcep, nfilt));
  // scipy.fftpack.dct(type=2, norm='ortho'): sqrt(1/N) for coefficient 0, sqrt(2/N) for the others; the
  // lifter (python_speech_features applies it only when L > 0) multiplies each coefficient.
  cosines_.resize(static_cast<std::size_t>(numcep * nfilt));
  const auto n_filters = static_cast<double>(nfilt);
  for (std::int64_t k = 0; k < numcep; ++k) {
    const double scale = std::sqrt((k == 0 ? 1.0 : 2.0) / n_filters);
    const double lift =
        ceplifter > 0 ? 1 + ceplifter / 2.0 * std::sin(std::numbers::pi * static_cast<double>(k) / ceplifter)
                      : 1.0;
    for (std::int64_t n = 0; n < nfilt; ++n)
      cosines_[static_cast<std::size_t>(k * nfilt + n)] =
          scale * lift *
          std::cos(std::numbers::pi * static_cast<double>(k) * static_cast<double>(2 * n + 1) /
                   (2 * n_filters));
  }
}

void MfccExtractor::compute(const float* samples, float* out) const {
  const auto nfilt = static_cast<std::size_t>(filterbank_.filters());
  std::vector<double> log_energies(nfilt);
  filterbank_.each_frame(samples, [&](std::int64_t frame, const double* energies, double total) {
    for (std::size_t n = 0; n < nfilt; ++n)
      log_energies[n] = std::log(energies[n]);
    float* row = out + frame * numcep_;
    for (std::int64_t k = 0; k < numcep_; ++k) {
      const double* cosines = cosines_.data() + k * static_cast<std::int64_t>(nfilt);
      double sum = 0;
      for (std::size_t n = 0; n < nfilt; ++n)
        sum += cosines[n] * log_energies[n];
      row[k] = static_cast<float>(sum);
    }
    if (append_energy_) row[0] = static_cast<float>(std::log(total));
  });
}

// ---- spectrogram ----

SpectrogramExtractor::SpectrogramExtractor(double samplerate, double window_ms, double step_ms, Window window,
                                           bool log_magnitude, std::int64_t samples)
    : log_magnitude_(log_magnitude), samples_(samples) {
  check_samples(samples);
  frame_length_ = samples_of(window_ms / 1000, samplerate, "window_ms");
  frame_step_ = samples_of(step_ms / 1000, samplerate, "step_ms");
  frames_ = frame_count(samples, frame_length_, frame_step_);
  fft_ = std::make_unique<detail::RealFft>(frame_length_);
  window_ = window_values(window, frame_length_);
}

SpectrogramExtractor::~SpectrogramExtractor() = default;
SpectrogramExtractor::SpectrogramExtractor(SpectrogramExtractor&&) noexcept = default;
SpectrogramExtractor& SpectrogramExtractor::operator=(SpectrogramExtractor&&) noexcept = default;

void SpectrogramExtractor::compute(const float* samples, float* out) const {
  detail::RealFft::Buffers buffers = fft_->buffers();
  double* input = buffers.input.get();
  const std::int64_t bin_count = bins();
  std::vector<double> squared(static_cast<std::size_t>(bin_count));
  for (std::int64_t frame = 0; frame < frames_; ++frame) {
    const std::int64_t start = frame * frame_step_;
    for (std::int64_t j = 0; j < frame_length_; ++j) {
      const std::int64_t i = start + j;
      input[j] = i < samples_ ? samples[i] * window_[static_cast<std::size_t>(j)] : 0.0;
    }
    fft_->squared_magnitudes(buffers, squared.data());
    float* row = out + frame * bin_count;
    for (std::int64_t k = 0; k < bin_count; ++k) {
      const double magnitude = std::sqrt(squared[static_cast<std::size_t>(k)]);
      row[k] = static_cast<float>(log_magnitude_ ? std::log1p(magnitude) : magnitude);
    }
  }
}

// ---- context windows ----

std::int64_t context_window_rows(std::int64_t frames, std::int64_t stride) {
  if (stride <= 0) throw std::invalid_argument(fmt::format("stride {} must be positive", stride));
  if (frames < 0) throw std::invalid_argument(fmt::format("{} frames: the count cannot be negative", frames));
  return (frames + stride - 1) / stride;
}

void context_window(const float* frames, std::int64_t frame_count, std::int64_t features, std::int64_t stride,
                    std::int64_t context, bool whiten, float* out, std::int64_t out_row_stride) {
  const std::int64_t rows = context_window_rows(frame_count, stride);
  if (features < 0 || context < 0)
    throw std::invalid_argument(
        fmt::format("features {} and context {} cannot be negative", features, context));
  const std::int64_t width = (2 * context + 1) * features;
  if (out_row_stride < width)
    throw std::invalid_argument(
        fmt::format("out_row_stride {} is narrower than a row of {}", out_row_stride, width));
  if (rows == 0 || width == 0) return;

  // Neighbours are the kept frames (DeepSpeech v0.1 strides first, then pads and stacks).
  for (std::int64_t r = 0; r < rows; ++r) {
    float* row = out + r * out_row_stride;
    for (std::int64_t offset = -context; offset <= context; ++offset) {
      const std::int64_t kept = r + offset;
      float* slot = row + (offset + context) * features;
      if (kept < 0 || kept >= rows)
        std::fill(slot, slot + features, 0.0F);
      else
        std::copy(frames + kept * stride * features, frames + (kept * stride + 1) * features, slot);
    }
  }
  if (whiten) whiten_rows(out, rows, width, out_row_stride);
}

void whiten_rows(float* data, std::int64_t rows, std::int64_t width, std::int64_t row_stride) {
  if (rows <= 0 || width <= 0) return;
  // Two passes in double over the values: mean, then the variance around it, which stays accurate when
  // the mean is large.
  const double count = static_cast<double>(rows) * static_cast<double>(width);
  double sum = 0;
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < width; ++c)
      sum += data[r * row_stride + c];
  const double mean = sum / count;
  double squares = 0;
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < width; ++c) {
      const double deviation = data[r * row_stride + c] - mean;
      squares += deviation * deviation;
    }
  const double deviation = std::sqrt(squares / count);
  // A constant matrix has no scale to remove: numpy would divide by zero, here it is only centred.
  const double divisor = deviation > 0 ? deviation : 1.0;
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < width; ++c) {
      float& value = data[r * row_stride + c];
      value = static_cast<float>((value - mean) / divisor);
    }
}

}  // namespace ntp::inlays
