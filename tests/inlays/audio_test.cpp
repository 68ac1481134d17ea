// Audio decoding (libsndfile) and resampling (libsamplerate): the real LDC93S1 recording, small files
// written here with libsndfile for the refusals and scalings, and a sine resampled to half its rate.
#include <gtest/gtest.h>
#include <sndfile.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <string>
#include <vector>

#include "inlays/audio.h"
#include "ntp/status.h"

namespace {

namespace fs = std::filesystem;
using ntp::inlays::Audio;
using ntp::inlays::read_audio;
using ntp::inlays::resample;

const std::string kSpeech = std::string(NTP_TESTDATA_DIR) + "/LDC93S1.wav";

// A directory of its own per test, removed afterwards.
class AudioFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("ntp_audio_test_" + std::to_string(getpid()) + "_" + test->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Writes interleaved 16-bit samples in `format`; false when libsndfile cannot write that format.
  bool write_shorts(const std::string& file, int format, int channels,
                    const std::vector<short>& samples) const {
    SF_INFO info{};
    info.samplerate = 16000;
    info.channels = channels;
    info.format = format;
    if (sf_format_check(&info) == 0) return false;
    SNDFILE* sound = sf_open(file.c_str(), SFM_WRITE, &info);
    if (sound == nullptr) return false;
    const sf_count_t written = sf_write_short(sound, samples.data(), static_cast<sf_count_t>(samples.size()));
    sf_close(sound);
    return written == static_cast<sf_count_t>(samples.size());
  }

  // Writes mono 32-bit float samples as an 8 kHz WAV file; false when libsndfile cannot.
  bool write_floats(const std::string& file, const std::vector<float>& samples) const {
    SF_INFO info{};
    info.samplerate = 8000;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    SNDFILE* sound = sf_open(file.c_str(), SFM_WRITE, &info);
    if (sound == nullptr) return false;
    const sf_count_t written = sf_write_float(sound, samples.data(), static_cast<sf_count_t>(samples.size()));
    sf_close(sound);
    return written == static_cast<sf_count_t>(samples.size());
  }

  void write_bytes(const std::string& file, const std::string& bytes) const {
    std::ofstream(file, std::ios::binary) << bytes;
  }

  fs::path dir_;
};

// The UserError read_audio throws for `file`, located there; fails the test when none is thrown.
ntp::Diagnostic refusal(const std::string& file) {
  try {
    read_audio(file);
  } catch (const ntp::UserError& error) {
    EXPECT_EQ(error.diagnostic().where.file, file);
    return error.diagnostic();
  }
  ADD_FAILURE() << file << " was read without an error";
  return {};
}

TEST(ReadAudio, RealSpeechIsMono16kHzInTheInt16Range) {
  const Audio audio = read_audio(kSpeech);
  EXPECT_EQ(audio.samplerate, 16000);
  // The data chunk holds 93594 bytes (0x16d9a): 46797 16-bit samples, 2.92 s.
  ASSERT_EQ(audio.samples.size(), 46797U);
  // The first ten samples, read off the file's bytes (01 00, ff ff, 02 00, ...).
  const std::vector<float> first{1, -1, 2, 0, 0, 3, 0, 1, -3, -2};
  EXPECT_EQ(std::vector<float>(audio.samples.begin(), audio.samples.begin() + 10), first);
  float peak = 0;
  for (const float sample : audio.samples) {
    ASSERT_EQ(sample, std::round(sample));  // whole numbers: 16-bit PCM comes back exactly
    ASSERT_GE(sample, -32768);
    ASSERT_LE(sample, 32767);
    peak = std::max(peak, std::abs(sample));
  }
  EXPECT_GT(peak, 1000);  // speech, not silence, and not normalised to [-1, 1]
}

TEST_F(AudioFiles, SixteenBitPcmKeepsExactValues) {
  const std::vector<short> samples{0, 1, -1, 32767, -32768, 12345, -54};
  const std::string wav = path("pcm16.wav");
  ASSERT_TRUE(write_shorts(wav, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, samples));
  const Audio audio = read_audio(wav);
  EXPECT_EQ(audio.samplerate, 16000);
  EXPECT_EQ(audio.samples, std::vector<float>(samples.begin(), samples.end()));

  const std::string flac = path("pcm16.flac");
  if (!write_shorts(flac, SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 1, samples))
    GTEST_SKIP() << "this libsndfile writes no FLAC";
  EXPECT_EQ(read_audio(flac).samples, std::vector<float>(samples.begin(), samples.end()));
}

TEST_F(AudioFiles, FloatFilesAreScaledBy32768) {
  const std::string file = path("float.wav");
  ASSERT_TRUE(write_floats(file, {0.5F, -0.25F, 1.0F, -1.0F, 0.0F})) << sf_strerror(nullptr);
  const Audio audio = read_audio(file);
  EXPECT_EQ(audio.samplerate, 8000);
  EXPECT_EQ(audio.samples, (std::vector<float>{16384, -8192, 32768, -32768, 0}));
}

// Issue 16: NaN and infinite samples in a float file were read and made every feature NaN.
TEST_F(AudioFiles, NonFiniteSamplesAreRefused) {
  const std::string file = path("nan.wav");
  ASSERT_TRUE(write_floats(file, {0.5F, std::nanf(""), 0.25F})) << sf_strerror(nullptr);
  const ntp::Diagnostic diagnostic = refusal(file);
  EXPECT_NE(diagnostic.message.find("sample 1 of the audio file is not a finite number"), std::string::npos)
      << diagnostic.message;
  EXPECT_FALSE(diagnostic.hint.empty());
  // Found by the audio fuzz harness (tests/fuzz/corpus/audio/crash-overflow-at-scale.wav): a finite float
  // sample that overflows once scaled to the int16 range.
  const std::string huge = path("huge.wav");
  ASSERT_TRUE(write_floats(huge, {0.5F, 1e38F})) << sf_strerror(nullptr);
  const std::string message = refusal(huge).message;
  EXPECT_NE(message.find("sample 1 of the audio file is not a finite number at the int16 scale"),
            std::string::npos)
      << message;
}

TEST_F(AudioFiles, StereoIsRefusedWithAHint) {
  const std::string file = path("stereo.wav");
  ASSERT_TRUE(write_shorts(file, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 2, {1, 2, 3, 4, 5, 6}));
  const ntp::Diagnostic diagnostic = refusal(file);
  EXPECT_NE(diagnostic.message.find("2 channels"), std::string::npos) << diagnostic.message;
  EXPECT_NE(diagnostic.message.find("mono"), std::string::npos) << diagnostic.message;
  EXPECT_NE(diagnostic.hint.find("sox"), std::string::npos) << diagnostic.hint;
}

TEST_F(AudioFiles, MissingGarbageAndEmptyFilesAreRefused) {
  EXPECT_NE(refusal(path("missing.wav")).message.find("cannot read audio"), std::string::npos);

  const std::string garbage = path("garbage.wav");
  write_bytes(garbage, "this is not audio at all, only text pretending to be a WAV file");
  EXPECT_FALSE(refusal(garbage).message.empty());

  const std::string empty = path("empty.wav");
  write_bytes(empty, "");
  EXPECT_FALSE(refusal(empty).message.empty());

  const std::string no_samples = path("no_samples.wav");
  ASSERT_TRUE(write_shorts(no_samples, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, {}));
  EXPECT_NE(refusal(no_samples).message.find("has no samples"), std::string::npos);
}

TEST_F(AudioFiles, TruncatedFilesGiveWhatTheyHoldOrAnError) {
  std::ifstream in(kSpeech, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 1000U);

  // Cut inside the header: nothing to decode.
  const std::string header_only = path("header_cut.wav");
  write_bytes(header_only, bytes.substr(0, 20));
  EXPECT_FALSE(refusal(header_only).message.empty());

  // Cut inside the data: the header promises 46797 samples, the file holds (1000 - 44) / 2 = 478.
  const std::string data_cut = path("data_cut.wav");
  write_bytes(data_cut, bytes.substr(0, 1000));
  const Audio audio = read_audio(data_cut);
  const Audio full = read_audio(kSpeech);
  ASSERT_EQ(audio.samples.size(), 478U);
  EXPECT_TRUE(std::equal(audio.samples.begin(), audio.samples.end(), full.samples.begin()));
}

// Zero crossings of samples[begin, end): a sine of f Hz at rate r crosses 2 f / r times a sample.
int zero_crossings(const std::vector<float>& samples, std::size_t begin, std::size_t end) {
  int crossings = 0;
  for (std::size_t i = begin + 1; i < end; ++i)
    if ((samples[i - 1] < 0) != (samples[i] < 0)) ++crossings;
  return crossings;
}

TEST(Resample, HalvingTheRateKeepsASinesFrequencyAndAmplitude) {
  // 1 s of a 1 kHz sine at 16 kHz, amplitude 10000, a quarter period out of phase so no sample is 0.
  std::vector<float> sine(16000);
  for (std::size_t i = 0; i < sine.size(); ++i)
    sine[i] =
        static_cast<float>(10000 * std::sin(2 * std::numbers::pi * 1000 * static_cast<double>(i) / 16000 +
                                            std::numbers::pi / 4));
  const std::vector<float> half = resample(sine, 16000, 8000);
  EXPECT_NEAR(static_cast<double>(half.size()), 8000, 1);
  // Away from the filter's edge effects, 4000 samples at 8 kHz are 0.5 s: 500 periods, 1000 crossings.
  EXPECT_NEAR(zero_crossings(half, 2000, 6000), 1000, 1);
  // Whole periods of a sine of amplitude A have an RMS of A / sqrt(2), whatever the phase.
  double squares = 0;
  for (std::size_t i = 2000; i < 6000; ++i)
    squares += static_cast<double>(half[i]) * half[i];
  EXPECT_NEAR(std::sqrt(squares / 4000), 10000 / std::numbers::sqrt2, 10000 * 0.001);
}

TEST(Resample, SameRateCopiesAndBadRatesAreRefused) {
  const std::vector<float> samples{1, 2, 3};
  EXPECT_EQ(resample(samples, 16000, 16000), samples);
  EXPECT_TRUE(resample({}, 16000, 8000).empty());
  EXPECT_THROW(resample(samples, 0, 16000), std::invalid_argument);
  EXPECT_THROW(resample(samples, 16000, -1), std::invalid_argument);
  EXPECT_THROW(resample(samples, 100, 1e6), ntp::UserError);  // 1:10000 is beyond libsamplerate's 1:256
}

TEST(Resample, UpsamplingScalesTheLength) {
  const std::vector<float> noise_like(4410, 100.0F);
  EXPECT_NEAR(static_cast<double>(resample(noise_like, 44100, 16000).size()), 1600, 1);
  EXPECT_NEAR(static_cast<double>(resample(noise_like, 8000, 16000).size()), 8820, 1);
}

}  // namespace
