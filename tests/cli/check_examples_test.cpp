// `ntp check` on every example, small variants, on every back end this build has: each back end's per-layer
// outputs agree with the reference back end's within the fp32 tolerance.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "process.h"

namespace {

struct Example {
  std::string file;
  std::vector<std::string> small;  // --set arguments
  // Its inlays (MFCC, CTC decoders) have no ONNX operator: back ends that run whole graphs exported to ONNX
  // refuse it (tests/cli/bad/onnxruntime_inlay.case), so they are not in its list.
  bool has_inlays = false;
};

const std::vector<Example> kExamples = {
    {"deepspeech-v0.1.xml", {"--set", "hidden=64", "--set", "frames=16", "--batch", "2"}},
    {"deepspeech-v0.1-e2e.xml",
     {"--set", "hidden=64", "--set", "samples=8000", "--set", "beam=8", "--batch", "2"},
     true},
    {"deepspeech-stream-e2e.xml", {"--set", "hidden=64", "--set", "samples=8000", "--set", "beam=8"}, true},
    {"deepspeech2.xml", {"--set", "frames=24", "--set", "hidden=16", "--set", "channels=4"}},
    {"small-cnn.xml", {"--set", "size=16", "--set", "width=4", "--batch", "2"}},
    {"transformer-encoder.xml", {"--set", "tokens=8", "--set", "model=32", "--set", "heads=4"}},
};

std::vector<std::string> backends() {
  const auto result = ntp::test::run_ntp({"backends", "--format", "json"});
  std::vector<std::string> names;
  if (result.exit_code != 0) return names;
  for (const auto& backend : nlohmann::json::parse(result.out))
    names.push_back(backend["name"]);
  return names;
}

// One process per example checks every back end (a list), as a user checks a build: the back ends' library
// loads and the process start are paid once per example, not once per back end.
TEST(CheckExamples, EveryBackEndAgreesWithReferenceOnEveryExample) {
  const auto all = backends();
  ASSERT_FALSE(all.empty());
  for (const Example& example : kExamples) {
    std::vector<std::string> names;
    for (const std::string& backend : all)
      if (!example.has_inlays || backend != "onnxruntime") names.push_back(backend);
    std::string list;
    for (const std::string& backend : names)
      list += (list.empty() ? "" : ",") + backend;
    std::vector<std::string> arguments = {
        "check", ntp::test::example(example.file), "--backend", list, "--format", "json"};
    arguments.insert(arguments.end(), example.small.begin(), example.small.end());
    const auto result = ntp::test::run_ntp(arguments);
    ASSERT_EQ(result.exit_code, 0) << example.file << "\n" << result.out << result.err;
    auto documents = nlohmann::json::parse(result.out);
    if (names.size() == 1) documents = nlohmann::json::array({documents});
    ASSERT_EQ(documents.size(), names.size()) << example.file;
    for (std::size_t b = 0; b < names.size(); ++b) {
      EXPECT_EQ(documents[b]["backend"], names[b]) << example.file;
      EXPECT_TRUE(documents[b]["pass"].get<bool>()) << names[b] << " " << example.file;
      EXPECT_FALSE(documents[b]["layers"].empty());
    }
  }
}

}  // namespace
