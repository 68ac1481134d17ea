// The speech pipeline end to end through `ntp run`: a real utterance read from a WAV file, features,
// network and decoder profiled in one table, the real-time factor, transcripts, and the stream mode.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "process.h"

namespace {

using ntp::test::example;
using ntp::test::run_ntp;
using ntp::test::temporary;

const std::string kUtterance = std::string(NTP_SOURCE_DIR) + "/../shared/testdata/LDC93S1.wav";
constexpr double kUtteranceSeconds = 46797.0 / 16000.0;

std::vector<std::string> small_pipeline(const std::string& file, const std::string& backend,
                                        std::vector<std::string> more) {
  std::vector<std::string> arguments = {
      "run",          example(file), "--backend", backend,  "--input",  "audio=" + kUtterance,
      "--set",        "hidden=64",   "--set",     "beam=8", "--warmup", "1",
      "--iterations", "2",           "--format",  "json"};
  arguments.insert(arguments.end(), more.begin(), more.end());
  return arguments;
}

TEST(Pipeline, EveryStageOfARealUtteranceIsProfiledInOneTable) {
  for (const std::string backend : {"reference", "onednn"}) {
    const auto result = run_ntp(small_pipeline("deepspeech-v0.1-e2e.xml", backend, {}));
    if (backend == "onednn" && result.exit_code == 2 && result.err.find("no back end") != std::string::npos)
      continue;  // a build without oneDNN
    ASSERT_EQ(result.exit_code, 0) << backend << "\n" << result.err;
    const auto record = nlohmann::json::parse(result.out);
    // Golden structure, timings masked: stages in order, with their kind and what ran them.
    std::vector<std::string> stages;
    for (const auto& node : record["nodes"]) {
      stages.push_back(node["name"].get<std::string>() + ":" + node["kind"].get<std::string>());
      EXPECT_FALSE(node["fallback"].get<bool>()) << node["name"];
      EXPECT_GT(node["time_ms"]["median"].get<double>(), 0.0) << node["name"];
    }
    EXPECT_EQ(stages, (std::vector<std::string>{"mfcc:inlay", "context:inlay", "fc1:layer", "fc2:layer",
                                                "fc3:layer", "bilstm:layer", "fc5:layer", "fc6:layer",
                                                "probs:layer", "decoder:inlay"}))
        << backend;
    EXPECT_EQ(record["nodes"][0]["implementation"], "fftw3 (float64)");
    std::vector<std::string> segments;
    for (const auto& segment : record["segments"])
      segments.push_back(segment["name"]);
    EXPECT_EQ(segments, (std::vector<std::string>{"features", "network", "decoder"}));

    // The file set the samples parameter: 46797 samples are 291 MFCC frames and 146 network steps.
    EXPECT_EQ(record["topology"]["params"]["samples"], "46797");
    EXPECT_NE(record["nodes"][2]["descriptor"].get<std::string>().find("fc:146x1x494"), std::string::npos);
    const auto& audio = record["audio"];
    EXPECT_EQ(audio["inputs"][0]["source"], kUtterance);
    EXPECT_NEAR(audio["inputs"][0]["seconds"].get<double>(), kUtteranceSeconds, 1e-12);
    EXPECT_NEAR(audio["real_time_factor"].get<double>(),
                record["latency"]["median"].get<double>() * 1e-3 / kUtteranceSeconds, 1e-12);

    // One transcript, spelled with DeepSpeech's alphabet, and the warning that it is noise.
    ASSERT_EQ(record["transcripts"].size(), 1U);
    const std::string text = record["transcripts"][0]["text"];
    EXPECT_FALSE(text.empty());
    EXPECT_EQ(text.find_first_not_of(" abcdefghijklmnopqrstuvwxyz'"), std::string::npos) << text;
    EXPECT_LT(record["transcripts"][0]["log_score"].get<double>(), 0.0);
    EXPECT_NE(record["transcripts_note"].get<std::string>().find("random"), std::string::npos);
  }
}

TEST(Pipeline, TheSameSeedDecodesTheSameTranscriptOnEveryBackEnd) {
  const auto reference = run_ntp(small_pipeline("deepspeech-v0.1-e2e.xml", "reference", {}));
  const auto onednn = run_ntp(small_pipeline("deepspeech-v0.1-e2e.xml", "onednn", {}));
  ASSERT_EQ(reference.exit_code, 0) << reference.err;
  if (onednn.exit_code != 0) GTEST_SKIP() << "no onednn back end: " << onednn.err;
  EXPECT_EQ(nlohmann::json::parse(reference.out)["transcripts"][0]["text"],
            nlohmann::json::parse(onednn.out)["transcripts"][0]["text"]);
}

TEST(Pipeline, SaveOutputsWritesTheTranscriptAsText) {
  const auto folder = temporary("transcripts");
  const auto result =
      run_ntp(small_pipeline("deepspeech-v0.1-e2e.xml", "reference", {"--save-outputs", folder.string()}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string text = ntp::test::slurp(folder / "decoder.txt");
  const std::string transcript = nlohmann::json::parse(result.out)["transcripts"][0]["text"];
  EXPECT_NE(text.find("decoder item 0 path 0"), std::string::npos) << text;
  EXPECT_NE(text.find("\"" + transcript + "\""), std::string::npos) << text;
  EXPECT_TRUE(std::filesystem::exists(folder / "decoder.npy"));    // labels
  EXPECT_TRUE(std::filesystem::exists(folder / "decoder_1.npy"));  // scores
  std::filesystem::remove_all(folder);
}

TEST(Pipeline, AudioAtAnotherRateIsResampledToTheInputs) {
  const auto file = temporary("8khz.xml");
  std::ofstream(file) << R"(<topology name="narrowband"><param name="samples" value="8000"/>
<input name="audio" shape="batch,samples" samplerate="8000"/>
<layer name="mfcc" type="mfcc" samplerate="8000" numcep="13" nfft="256"/></topology>)";
  const auto result = run_ntp(
      {"run", file.string(), "--input", "audio=" + kUtterance, "--iterations", "1", "--format", "json"});
  std::filesystem::remove(file);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto record = nlohmann::json::parse(result.out);
  const auto& input = record["audio"]["inputs"][0];
  EXPECT_EQ(input["source"], kUtterance + " (resampled from 16000 Hz to 8000 Hz)");
  // Half the samples (libsamplerate's length, within a sample), the same duration.
  EXPECT_NEAR(input["samples"].get<double>(), 46797.0 / 2, 1.0);
  EXPECT_NEAR(input["seconds"].get<double>(), kUtteranceSeconds, 1.0 / 8000);
}

TEST(Pipeline, StreamModeFeedsChunksAndReportsPerChunkLatency) {
  const auto result = run_ntp(
      small_pipeline("deepspeech-stream-e2e.xml", "reference", {"--mode", "stream", "--chunk-ms", "320"}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto record = nlohmann::json::parse(result.out);
  const auto& stream = record["stream"];
  EXPECT_EQ(stream["chunk_samples"], 5120);
  EXPECT_EQ(stream["overlap_samples"], 240);
  EXPECT_EQ(stream["lookback_samples"], 320);
  EXPECT_EQ(stream["chunks"], 10);  // 46797 samples in chunks of 5120
  EXPECT_EQ(stream["passes"], 2);
  EXPECT_EQ(record["latency"]["count"], 20);  // every chunk of every pass is one measurement
  // The graph runs on one chunk: 32 MFCC frames, 16 network steps.
  EXPECT_NE(record["nodes"][0]["descriptor"].get<std::string>().find("mfcc:1x5360"), std::string::npos);
  EXPECT_NEAR(record["audio"]["real_time_factor"].get<double>(),
              record["latency"]["median"].get<double>() * 1e-3 / 0.32, 1e-12);
  // The utterance's audio is still described whole, and the transcript joins every chunk's text.
  EXPECT_NEAR(record["audio"]["inputs"][0]["seconds"].get<double>(), kUtteranceSeconds, 1e-12);
  ASSERT_EQ(record["transcripts"].size(), 1U);
}

TEST(Pipeline, StreamingOnOneDnnCarriesTheLstmStateInOneDnnItself) {
  const auto result = run_ntp(
      small_pipeline("deepspeech-stream-e2e.xml", "onednn", {"--mode", "stream", "--chunk-ms", "160"}));
  if (result.exit_code == 2 && result.err.find("no back end") != std::string::npos) GTEST_SKIP();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto record = nlohmann::json::parse(result.out);
  EXPECT_EQ(record["stream"]["chunks"], 19);  // 46797 samples in chunks of 2560
  for (const auto& node : record["nodes"]) {
    if (node["op"] == "lstm") {
      EXPECT_FALSE(node["fallback"].get<bool>());
      EXPECT_EQ(node["backend"], "onednn");
    }
  }
}

TEST(Pipeline, WhatCannotStreamOrReadIsAClearError) {
  const auto bidirectional =
      run_ntp(small_pipeline("deepspeech-v0.1-e2e.xml", "reference", {"--mode", "stream"}));
  EXPECT_EQ(bidirectional.exit_code, 2);
  EXPECT_NE(
      bidirectional.err.find("deepspeech-v0.1-e2e.xml:28:3: error: layer 'bilstm' is a bidirectional lstm"),
      std::string::npos)
      << bidirectional.err;

  const auto uneven = run_ntp(
      small_pipeline("deepspeech-stream-e2e.xml", "reference", {"--mode", "stream", "--chunk-ms", "325"}));
  EXPECT_EQ(uneven.exit_code, 2);
  EXPECT_NE(uneven.err.find("hint: use a multiple of 10 ms"), std::string::npos) << uneven.err;

  // Audio into an input that is not audio; a file that is not audio; a missing file.
  const auto not_audio =
      run_ntp({"run", example("deepspeech-v0.1.xml"), "--input", "features=" + kUtterance});
  EXPECT_EQ(not_audio.exit_code, 2);
  EXPECT_NE(not_audio.err.find("is not an audio input"), std::string::npos) << not_audio.err;
  const auto garbage = run_ntp(
      {"run", example("deepspeech-v0.1-e2e.xml"), "--input", "audio=" + example("deepspeech-v0.1.xml")});
  EXPECT_EQ(garbage.exit_code, 2) << garbage.err;
  EXPECT_NE(garbage.err.find("error:"), std::string::npos) << garbage.err;
  const auto missing = run_ntp({"run", example("deepspeech-v0.1-e2e.xml"), "--input", "audio=/no/such.wav"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("/no/such.wav"), std::string::npos) << missing.err;

  // An utterance too long for memory is refused before any sample is allocated.
  const auto huge = run_ntp(
      {"run", example("deepspeech-v0.1-e2e.xml"), "--set", "samples=100000000000", "--set", "hidden=64"});
  EXPECT_EQ(huge.exit_code, 2) << huge.err;
  EXPECT_NE(huge.err.find("GiB of memory is available"), std::string::npos) << huge.err;

  // An explicit --set that disagrees with the file is refused rather than silently overridden.
  const auto disagree = run_ntp({"run", example("deepspeech-v0.1-e2e.xml"), "--set", "samples=16000", "--set",
                                 "hidden=64", "--input", "audio=" + kUtterance});
  EXPECT_EQ(disagree.exit_code, 2);
  EXPECT_NE(disagree.err.find("the topology expects [1, 16000]"), std::string::npos) << disagree.err;
}

}  // namespace
