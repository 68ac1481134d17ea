// Feature extraction against python_speech_features' own output on real speech (LDC93S1), DeepSpeech
// v0.1's input built from it, and filterbank / spectrogram values worked out by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <limits>
#include <numbers>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "inlays/audio.h"
#include "inlays/features.h"

namespace {

using ntp::inlays::context_window;
using ntp::inlays::context_window_rows;
using ntp::inlays::FilterbankExtractor;
using ntp::inlays::FilterbankOptions;
using ntp::inlays::MfccExtractor;
using ntp::inlays::SpectrogramExtractor;
using ntp::inlays::Window;

const std::string kTestData = NTP_TESTDATA_DIR;
constexpr double kEps = std::numeric_limits<double>::epsilon();  // numpy.finfo(float).eps

// Whitespace-separated numbers, one row a line.
std::vector<std::vector<double>> read_matrix(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot open " << path;
  std::vector<std::vector<double>> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream numbers(line);
    std::vector<double> row;
    double value = 0;
    while (numbers >> value)
      row.push_back(value);
    if (!row.empty()) rows.push_back(std::move(row));
  }
  return rows;
}

// Largest |actual - expected| over a [rows, columns] matrix; fails on a shape mismatch.
double max_abs_error(const std::vector<float>& actual, const std::vector<std::vector<double>>& expected,
                     std::size_t columns) {
  EXPECT_EQ(actual.size(), expected.size() * columns);
  double worst = 0;
  for (std::size_t r = 0; r < expected.size(); ++r) {
    EXPECT_EQ(expected[r].size(), columns) << "row " << r;
    for (std::size_t c = 0; c < std::min(columns, expected[r].size()); ++c)
      worst = std::max(worst, std::abs(actual[r * columns + c] - expected[r][c]));
  }
  return worst;
}

// python_speech_features.mfcc(signal, 16000, numcep=26) of LDC93S1.wav: [291, 26].
std::vector<float> speech_mfcc26() {
  const ntp::inlays::Audio audio = ntp::inlays::read_audio(kTestData + "/LDC93S1.wav");
  const MfccExtractor mfcc(FilterbankOptions{}, 26, 22, true,
                           static_cast<std::int64_t>(audio.samples.size()));
  std::vector<float> out(static_cast<std::size_t>(mfcc.frames() * 26));
  mfcc.compute(audio.samples.data(), out.data());
  return out;
}

// A sine of `hz` at 16 kHz.
std::vector<float> sine(std::size_t samples, double hz, double amplitude) {
  std::vector<float> values(samples);
  for (std::size_t i = 0; i < samples; ++i)
    values[i] =
        static_cast<float>(amplitude * std::sin(2 * std::numbers::pi * hz * static_cast<double>(i) / 16000));
  return values;
}

TEST(Mfcc, MatchesPythonSpeechFeaturesOnRealSpeech) {
  const auto expected = read_matrix(kTestData + "/LDC93S1.mfcc26.txt");
  ASSERT_EQ(expected.size(), 291U);
  const std::vector<float> mfcc = speech_mfcc26();
  ASSERT_EQ(mfcc.size(), 291U * 26);
  // Measured: at most 2.3e-06 over all 7566 coefficients (the reference is printed to 6 decimals).
  const double error = max_abs_error(mfcc, expected, 26);
  std::cout << "max |MFCC - python_speech_features| = " << error << "\n";
  RecordProperty("max_abs_error", std::to_string(error));
  EXPECT_LT(error, 1e-3);
}

TEST(ContextWindow, ReproducesDeepSpeechV01Input) {
  const auto expected = read_matrix(kTestData + "/LDC93S1.deepspeech-v0.1-input.txt");
  ASSERT_EQ(expected.size(), 146U);
  const std::vector<float> mfcc = speech_mfcc26();
  const std::int64_t rows = context_window_rows(291, 2);
  ASSERT_EQ(rows, 146);
  const std::int64_t width = 19 * 26;
  std::vector<float> input(static_cast<std::size_t>(rows * width));
  context_window(mfcc.data(), 291, 26, 2, 9, true, input.data(), width);
  // Measured: at most 7.3e-07 over all 72124 values.
  const double error = max_abs_error(input, expected, static_cast<std::size_t>(width));
  std::cout << "max |context window - DeepSpeech v0.1 input| = " << error << "\n";
  RecordProperty("max_abs_error", std::to_string(error));
  EXPECT_LT(error, 1e-3);
}

TEST(Mfcc, ExtractorsRunOnSeveralThreads) {
  const std::vector<float> signal = sine(16000, 440, 3000);
  const MfccExtractor shared(FilterbankOptions{}, 13, 22, true, 16000);
  std::vector<float> reference(static_cast<std::size_t>(shared.frames() * 13));
  shared.compute(signal.data(), reference.data());
  // Each thread plans its own extractor (the planner lock) and also runs the shared one (per-call buffers).
  std::vector<std::vector<float>> own(4, reference), common(4, reference);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      const MfccExtractor mine(FilterbankOptions{}, 13, 22, true, 16000);
      std::fill(own[t].begin(), own[t].end(), 0.0F);
      std::fill(common[t].begin(), common[t].end(), 0.0F);
      mine.compute(signal.data(), own[t].data());
      shared.compute(signal.data(), common[t].data());
    });
  for (std::thread& thread : threads)
    thread.join();
  for (std::size_t t = 0; t < 4; ++t) {
    EXPECT_EQ(own[t], reference);
    EXPECT_EQ(common[t], reference);
  }
}

TEST(Mfcc, WithoutEnergyOrLifterCoefficientZeroIsTheScaledSumOfLogEnergies) {
  // DCT-II ortho, k = 0: sum(log E) / sqrt(nfilt); the lifter leaves coefficient 0 alone.
  const std::vector<float> signal = sine(1000, 700, 2000);
  FilterbankOptions options;
  options.nfilt = 20;
  const MfccExtractor mfcc(options, 5, 0, false, 1000);
  const FilterbankExtractor fbank(options, 1000);
  ASSERT_EQ(mfcc.frames(), fbank.frames());
  std::vector<float> coefficients(static_cast<std::size_t>(mfcc.frames() * 5));
  std::vector<float> log_energies(static_cast<std::size_t>(fbank.frames() * 20));
  mfcc.compute(signal.data(), coefficients.data());
  fbank.compute(signal.data(), log_energies.data(), true);
  for (std::int64_t f = 0; f < mfcc.frames(); ++f) {
    double sum = 0;
    for (std::int64_t j = 0; j < 20; ++j)
      sum += log_energies[static_cast<std::size_t>(f * 20 + j)];
    EXPECT_NEAR(coefficients[static_cast<std::size_t>(f * 5)], sum / std::sqrt(20.0), 1e-4) << "frame " << f;
  }
}

TEST(Filterbank, PureToneSplitsItsPowerBetweenTwoAdjacentFilters) {
  // 512-sample windows (32 ms) with nfft 512: a sine at bin 43 (43 * 16000 / 512 = 1343.75 Hz) of
  // amplitude A has |X[43]| = A * 512 / 2 and no other bin, so its power is (A * 256)^2 / 512 = A^2 * 128.
  // The 28 mel points from 0 to 8000 Hz floor to bins 0 2 4 7 10 13 16 20 24 29 34 40 46 53 ... 256
  // (floor(513 * mel2hz(i * 2840.02 / 27) / 16000)): bin 43 lies halfway from point 11 (bin 40) to point 12
  // (bin 46), so filter 11 rises to weight 3/6 and filter 10 falls to 3/6 there: each gets half the power.
  // 512 + 10 * 160 samples: 11 whole frames, no padding.
  FilterbankOptions options;
  options.winlen = 0.032;
  options.preemph = 0;
  const FilterbankExtractor fbank(options, 2112);
  ASSERT_EQ(fbank.frames(), 11);
  ASSERT_EQ(fbank.filters(), 26);
  const std::vector<float> tone = sine(2112, 1343.75, 1000);
  std::vector<float> energies(11 * 26);
  std::vector<float> frame_energy(11);
  fbank.compute(tone.data(), energies.data(), false, frame_energy.data());
  const double power = 1000.0 * 1000.0 * 128;
  for (std::size_t f = 0; f < 11; ++f) {
    for (std::size_t j = 0; j < 26; ++j) {
      const float energy = energies[f * 26 + j];
      if (j == 10 || j == 11)
        EXPECT_NEAR(energy, power / 2, power * 1e-5) << "frame " << f << " filter " << j;
      else
        EXPECT_LT(energy, power * 1e-9) << "frame " << f << " filter " << j;
    }
    EXPECT_NEAR(frame_energy[f], std::log(power), 1e-5);
  }
}

TEST(Filterbank, FrameEnergyObeysParsevalWithPreEmphasis) {
  // One 400-sample frame in a 512-point FFT. The one-sided power sum(|X[k]|^2, k = 0..256) / 512 is
  // (sum x^2 + (X[0]^2 + X[256]^2) / 512) / 2 by Parseval, with X[0] = sum x, X[256] = sum (-1)^n x.
  std::vector<float> signal(400);
  unsigned state = 12345;
  for (float& sample : signal) {
    state = state * 1103515245U + 12345U;
    sample = static_cast<float>(static_cast<int>((state >> 16) % 2001) - 1000);
  }
  const FilterbankExtractor fbank(FilterbankOptions{}, 400);
  ASSERT_EQ(fbank.frames(), 1);
  std::vector<float> energies(26);
  std::vector<float> log_energies(26);
  float frame_energy = 0;
  fbank.compute(signal.data(), energies.data(), false, &frame_energy);
  fbank.compute(signal.data(), log_energies.data(), true);

  double squares = 0;
  double sum = 0;
  double alternating = 0;
  for (std::size_t n = 0; n < 400; ++n) {
    const double x = n == 0 ? signal[0] : signal[n] - 0.97 * signal[n - 1];  // pre-emphasis
    squares += x * x;
    sum += x;
    alternating += n % 2 == 0 ? x : -x;
  }
  const double power = (squares + (sum * sum + alternating * alternating) / 512) / 2;
  EXPECT_NEAR(frame_energy, std::log(power), 1e-5);
  for (std::size_t j = 0; j < 26; ++j)
    EXPECT_NEAR(log_energies[j], std::log(energies[j]), 1e-5) << "filter " << j;
}

TEST(Filterbank, ShortAndEmptySignalsGiveOneZeroPaddedFrame) {
  // framesig: one frame when the signal is no longer than the window; silence has eps energies.
  const FilterbankExtractor empty(FilterbankOptions{}, 0);
  ASSERT_EQ(empty.frames(), 1);
  std::vector<float> energies(26);
  float frame_energy = 0;
  empty.compute(nullptr, energies.data(), true, &frame_energy);
  for (const float energy : energies)
    EXPECT_FLOAT_EQ(energy, static_cast<float>(std::log(kEps)));
  EXPECT_FLOAT_EQ(frame_energy, static_cast<float>(std::log(kEps)));

  // Frame counts as src/ops/inlays.cpp: 1 + ceil((S - 400) / 160) past one window.
  EXPECT_EQ(FilterbankExtractor(FilterbankOptions{}, 100).frames(), 1);
  EXPECT_EQ(FilterbankExtractor(FilterbankOptions{}, 400).frames(), 1);
  EXPECT_EQ(FilterbankExtractor(FilterbankOptions{}, 401).frames(), 2);
  EXPECT_EQ(FilterbankExtractor(FilterbankOptions{}, 560).frames(), 2);
  EXPECT_EQ(FilterbankExtractor(FilterbankOptions{}, 561).frames(), 3);
  EXPECT_EQ(FilterbankExtractor(FilterbankOptions{}, 46797).frames(), 291);
}

TEST(Spectrogram, SineAtABinPeaksThereWithItsAmplitude) {
  // 20 ms at 16 kHz: 320-point FFT, 161 bins 50 Hz apart; 1000 Hz is bin 20. A rectangular window over
  // whole periods gives |X[20]| = A * 320 / 2 and nothing elsewhere.
  const std::vector<float> tone = sine(16000, 1000, 1000);
  const SpectrogramExtractor plain(16000, 20, 10, Window::rectangular, false, 16000);
  ASSERT_EQ(plain.frames(), 99);  // 1 + ceil((16000 - 320) / 160)
  ASSERT_EQ(plain.bins(), 161);
  std::vector<float> magnitudes(99 * 161);
  plain.compute(tone.data(), magnitudes.data());
  for (std::size_t f = 0; f < 99; ++f)
    for (std::size_t k = 0; k < 161; ++k) {
      const float value = magnitudes[f * 161 + k];
      if (k == 20)
        EXPECT_NEAR(value, 160000, 160000 * 1e-5) << "frame " << f;
      else
        ASSERT_LT(value, 1) << "frame " << f << " bin " << k;
    }

  const SpectrogramExtractor logged(16000, 20, 10, Window::rectangular, true, 16000);
  std::vector<float> log_magnitudes(99 * 161);
  logged.compute(tone.data(), log_magnitudes.data());
  for (std::size_t i = 0; i < log_magnitudes.size(); ++i)
    ASSERT_NEAR(log_magnitudes[i], std::log1p(magnitudes[i]), 1e-5);

  // Tapered windows spread the line over neighbouring bins but keep its peak.
  for (const Window window : {Window::hamming, Window::hann}) {
    const SpectrogramExtractor tapered(16000, 20, 10, window, true, 16000);
    tapered.compute(tone.data(), log_magnitudes.data());
    for (std::size_t f = 0; f < 99; ++f) {
      const auto row = log_magnitudes.begin() + static_cast<std::ptrdiff_t>(f * 161);
      EXPECT_EQ(std::max_element(row, row + 161) - row, 20);
    }
  }
}

TEST(Spectrogram, ConstantSignalIsAllDcAndTheLastFrameIsZeroPadded) {
  // 1000 samples of 3: frames start every 160 samples, 1 + ceil(680 / 160) = 6; the first five hold 320
  // samples (DC 960, nothing else), the last starts at 800 and holds 200 (DC 600).
  const std::vector<float> constant(1000, 3.0F);
  const SpectrogramExtractor spectrogram(16000, 20, 10, Window::rectangular, false, 1000);
  ASSERT_EQ(spectrogram.frames(), 6);
  std::vector<float> magnitudes(6 * 161);
  spectrogram.compute(constant.data(), magnitudes.data());
  for (std::size_t f = 0; f < 5; ++f) {
    EXPECT_NEAR(magnitudes[f * 161], 960, 1e-3);
    for (std::size_t k = 1; k < 161; ++k)
      ASSERT_LT(magnitudes[f * 161 + k], 1e-9) << "frame " << f << " bin " << k;
  }
  EXPECT_NEAR(magnitudes[5 * 161], 600, 1e-3);
}

TEST(Features, InvalidOptionsAreRefused) {
  FilterbankOptions short_fft;
  short_fft.nfft = 256;  // shorter than the 400-sample window
  EXPECT_THROW(FilterbankExtractor(short_fft, 1000), std::invalid_argument);
  FilterbankOptions high;
  high.highfreq = 9000;  // above samplerate / 2
  EXPECT_THROW(FilterbankExtractor(high, 1000), std::invalid_argument);
  FilterbankOptions inverted;
  inverted.lowfreq = 4000;
  inverted.highfreq = 3000;
  EXPECT_THROW(FilterbankExtractor(inverted, 1000), std::invalid_argument);
  FilterbankOptions no_window;
  no_window.winlen = 0;
  EXPECT_THROW(FilterbankExtractor(no_window, 1000), std::invalid_argument);
  FilterbankOptions no_rate;
  no_rate.samplerate = -16000;
  EXPECT_THROW(FilterbankExtractor(no_rate, 1000), std::invalid_argument);
  FilterbankOptions no_filters;
  no_filters.nfilt = 0;
  EXPECT_THROW(FilterbankExtractor(no_filters, 1000), std::invalid_argument);
  EXPECT_THROW(FilterbankExtractor(FilterbankOptions{}, -1), std::invalid_argument);
  EXPECT_THROW(MfccExtractor(FilterbankOptions{}, 27, 22, true, 1000), std::invalid_argument);
  EXPECT_THROW(MfccExtractor(FilterbankOptions{}, 0, 22, true, 1000), std::invalid_argument);
  EXPECT_THROW(SpectrogramExtractor(16000, 0, 10, Window::hamming, true, 1000), std::invalid_argument);
  EXPECT_THROW(SpectrogramExtractor(16000, 20, -10, Window::hamming, true, 1000), std::invalid_argument);
  EXPECT_THROW(context_window_rows(10, 0), std::invalid_argument);
}

TEST(Features, ParseWindow) {
  EXPECT_EQ(ntp::inlays::parse_window("rectangular"), Window::rectangular);
  EXPECT_EQ(ntp::inlays::parse_window("hamming"), Window::hamming);
  EXPECT_EQ(ntp::inlays::parse_window("hann"), Window::hann);
  EXPECT_EQ(ntp::inlays::parse_window("hanning"), std::nullopt);
  EXPECT_EQ(ntp::inlays::parse_window(""), std::nullopt);
}

TEST(ContextWindow, StacksKeptFramesIntoStridedRows) {
  // Frames f0..f4 of two features (f_t = {10t + 1, 10t + 2}); stride 2 keeps f0, f2, f4; context 1 stacks
  // each with its kept neighbours. Rows are 6 wide, written 8 apart: the 2 gap values stay untouched.
  const std::vector<float> frames{1, 2, 11, 12, 21, 22, 31, 32, 41, 42};
  EXPECT_EQ(context_window_rows(5, 2), 3);
  EXPECT_EQ(context_window_rows(4, 2), 2);
  EXPECT_EQ(context_window_rows(0, 2), 0);
  std::vector<float> out(3 * 8, -7.0F);
  context_window(frames.data(), 5, 2, 2, 1, false, out.data(), 8);
  const std::vector<float> expected{0,  0,  1,  2,  21, 22, -7, -7,   // f0 with zeros before it
                                    1,  2,  21, 22, 41, 42, -7, -7,   // f2
                                    21, 22, 41, 42, 0,  0,  -7, -7};  // f4 with zeros after it
  EXPECT_EQ(out, expected);

  // Stride 1, no context: a plain copy.
  std::vector<float> copy(10);
  context_window(frames.data(), 5, 2, 1, 0, false, copy.data(), 2);
  EXPECT_EQ(copy, frames);

  EXPECT_THROW(context_window(frames.data(), 5, 2, 2, 1, false, out.data(), 5), std::invalid_argument);
}

TEST(ContextWindow, WhiteningGivesZeroMeanAndUnitDeviationOverTheWrittenRows) {
  const std::vector<float> frames{1, 2, 11, 12, 21, 22, 31, 32, 41, 42};
  std::vector<float> out(3 * 8, -7.0F);
  context_window(frames.data(), 5, 2, 2, 1, true, out.data(), 8);
  // Before whitening the 18 values are those of the test above: row sums 46 + 129 + 126 = 301, sums of
  // squares 930 + 4375 + 4370 = 9675, so mean 301 / 18 and population variance 9675 / 18 - mean^2.
  const double mean = 301.0 / 18;
  const double deviation = std::sqrt(9675.0 / 18 - mean * mean);
  EXPECT_NEAR(out[0], (0 - mean) / deviation, 1e-6);
  EXPECT_NEAR(out[4], (21 - mean) / deviation, 1e-6);
  EXPECT_NEAR(out[8 + 5], (42 - mean) / deviation, 1e-6);
  double sum = 0;
  double squares = 0;
  for (std::size_t r = 0; r < 3; ++r)
    for (std::size_t c = 0; c < 8; ++c) {
      const float value = out[r * 8 + c];
      if (c >= 6) {
        EXPECT_EQ(value, -7.0F);  // the gap between rows belongs to other batch items
        continue;
      }
      sum += value;
      squares += static_cast<double>(value) * value;
    }
  EXPECT_NEAR(sum / 18, 0, 1e-6);
  EXPECT_NEAR(squares / 18, 1, 1e-6);

  // A constant matrix is only centred.
  const std::vector<float> flat(4, 5.0F);
  std::vector<float> centred(4, -7.0F);
  context_window(flat.data(), 2, 2, 1, 0, true, centred.data(), 2);
  EXPECT_EQ(centred, std::vector<float>(4, 0.0F));
}

}  // namespace
