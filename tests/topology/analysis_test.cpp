#include <gtest/gtest.h>

#include "ntp/analysis.h"
#include "ntp/topology.h"

namespace {

ntp::Graph load(const std::string& file, ntp::LoadOptions options = {}) {
  auto result = ntp::load_topology(std::string(NTP_SOURCE_DIR) + "/examples/" + file, options);
  if (!result.ok()) ADD_FAILURE() << result.error().to_string();
  return result.ok() ? std::move(result.value()) : ntp::Graph{};
}

// DeepSpeech v0.1 with hidden H = 2048, input 494, 29 classes, worked out by hand:
//   fc1  494*2048 + 2048                 =   1,013,760
//   fc2  2048*2048 + 2048                =   4,196,352
//   fc3  2048*4096 + 4096                =   8,392,704
//   bilstm, per direction: W_ih 4H x 4096 = 33,554,432, W_hh 4H x H = 16,777,216, one bias 4H = 8,192
//        -> 50,339,840 per direction, x2 = 100,679,680
//   fc5  4096*2048 + 2048                =   8,390,656
//   fc6  2048*29 + 29                    =      59,421
//   total                                = 122,732,573
TEST(Analysis, DeepSpeechV01ParameterCountMatchesTheHandCount) {
  const ntp::Graph graph = load("deepspeech-v0.1.xml");
  const ntp::GraphAnalysis analysis = ntp::analyze(graph);
  EXPECT_EQ(analysis.params, 122'732'573);
  EXPECT_DOUBLE_EQ(analysis.weight_bytes, 122'732'573.0 * 4);
  const int bilstm = graph.find_node("bilstm");
  for (const auto& node : analysis.nodes)
    if (node.node == bilstm) {
      EXPECT_EQ(node.params, 100'679'680);
    }
}

TEST(Analysis, DeepSpeechBiLstmIsMemoryBoundAndFcIsComputeBoundAtBatchOne) {
  const ntp::Graph graph = load("deepspeech-v0.1.xml");
  const ntp::GraphAnalysis analysis = ntp::analyze(graph);
  double lstm_intensity = 0;
  double fc2_intensity = 0;
  for (const auto& node : analysis.nodes) {
    const std::string& name = graph.nodes[static_cast<std::size_t>(node.node)].name;
    if (name == "bilstm") lstm_intensity = node.cost.intensity();
    if (name == "fc2") fc2_intensity = node.cost.intensity();
  }
  // The recurrent half re-reads 134 MB of weights every step for 0.5 FLOP per byte; the input projection
  // reuses its weights over all 146 steps; together about 1.5 FLOP/B, below any CPU's balance point
  // (this 2-core machine: a few hundred GFLOP/s over ~70 GB/s).
  EXPECT_GT(lstm_intensity, 1.0);
  EXPECT_LT(lstm_intensity, 2.0);
  // fc2 reuses each weight over 146 rows: tens of FLOPs per byte.
  EXPECT_GT(fc2_intensity, 30.0);
}

TEST(Analysis, DeepSpeechCostAtBatchOne) {
  const ntp::Graph graph = load("deepspeech-v0.1.xml");
  const ntp::GraphAnalysis analysis = ntp::analyze(graph);
  for (const auto& node : analysis.nodes) {
    if (graph.nodes[static_cast<std::size_t>(node.node)].name != "fc2") continue;
    // 146 rows x 2048 x 2048 multiply-adds = 2 FLOPs each, + bias + relu per output.
    EXPECT_DOUBLE_EQ(node.cost.flops, 2.0 * 146 * 2048 * 2048 + 2.0 * 146 * 2048);
  }
}

TEST(Analysis, SegmentsSumTheirLayers) {
  const ntp::Graph graph = load("deepspeech-v0.1.xml", {{{"hidden", "64"}}, ntp::DType::f32});
  const ntp::GraphAnalysis analysis = ntp::analyze(graph);
  ASSERT_EQ(analysis.segments.size(), 3U);
  EXPECT_EQ(analysis.segments[0].name, "front");
  // fc1..fc3 at hidden 64: 494*64+64 + 64*64+64 + 64*128+128
  EXPECT_EQ(analysis.segments[0].params, 31'680 + 4'160 + 8'320);
  std::int64_t sum = 0;
  for (const auto& segment : analysis.segments)
    sum += segment.params;
  EXPECT_EQ(sum, analysis.params);  // the three segments cover every layer with weights
}

TEST(Analysis, PeakMemoryCountsLiveActivations) {
  auto result = ntp::parse_topology(R"(<topology name="t"><input name="x" shape="10,100"/>
      <layer name="a" type="fc" units="200" bias="0"/><layer name="b" type="fc" units="50" bias="0"/></topology>)",
                                    "t.xml");
  ASSERT_TRUE(result.ok());
  const ntp::GraphAnalysis analysis = ntp::analyze(result.value());
  // Weights 100*200 + 200*50 floats; activations peak while b runs: a (10x200) + b (10x50) floats,
  // since x is dead after a.
  EXPECT_DOUBLE_EQ(analysis.weight_bytes, (20'000 + 10'000) * 4.0);
  EXPECT_DOUBLE_EQ(analysis.peak_activation_bytes, std::max(1000 + 2000, 2000 + 500) * 4.0);
  // A run keeps every value (x, a, b) and the input data once more, besides two copies of the weights.
  EXPECT_DOUBLE_EQ(analysis.total_activation_bytes, (1000 + 2000 + 500) * 4.0);
  constexpr double kScratch = 64.0 * 0x1p20;
  EXPECT_DOUBLE_EQ(ntp::run_memory_bytes(analysis, {2, 2}),
                   kScratch + 1.1 * (30'000 + 1000 + 2 * (30'000 + 3500)) * 4.0);
  // A back end that keeps a reordered copy of the weights doubles their share.
  EXPECT_DOUBLE_EQ(ntp::run_memory_bytes(analysis, {1, 2}),
                   kScratch + 1.1 * (30'000 + 1000 + 2 * 30'000 + 3500) * 4.0);
  EXPECT_FALSE(ntp::check_fits(analysis, 1e9).has_value());
  const auto message = ntp::check_fits(analysis, 1e6);
  ASSERT_TRUE(message.has_value());
  EXPECT_NE(message->find("available"), std::string::npos);
}

TEST(Analysis, AllExamplesLoad) {
  for (const char* file :
       {"deepspeech-v0.1.xml", "deepspeech2.xml", "small-cnn.xml", "transformer-encoder.xml"}) {
    const ntp::Graph graph = load(file);
    EXPECT_FALSE(graph.nodes.empty()) << file;
  }
}

TEST(Analysis, PrecisionChangesWeightBytes) {
  const ntp::Graph graph = load("deepspeech-v0.1.xml", {{{"hidden", "64"}}, ntp::DType::bf16});
  const ntp::GraphAnalysis fp32 = ntp::analyze(graph, ntp::DType::f32);
  const ntp::GraphAnalysis bf16 = ntp::analyze(graph, ntp::DType::bf16);
  EXPECT_DOUBLE_EQ(bf16.weight_bytes * 2, fp32.weight_bytes);
}

}  // namespace
