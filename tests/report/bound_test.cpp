// Each layer's bound: compute or memory from its intensity against the machine's ridge, with the strongest
// evidence the record has (counters, then callgrind's simulation, then the cost model).
#include "report/bound.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

// 100 GFLOP/s and 10 GB/s: the ridge is at 10 FLOP per byte.
nlohmann::json machine() {
  return {{"gflops_per_second", 100.0}, {"gbytes_per_second", 10.0}, {"ridge_flops_per_byte", 10.0}};
}

nlohmann::json record_with(nlohmann::json nodes) {
  return {{"nodes", std::move(nodes)}, {"segments", nlohmann::json::array()}};
}

TEST(Bound, CostModelIntensityAgainstTheRidge) {
  auto record = record_with({{{"name", "gemm"}, {"flops", 2e9}, {"bytes", 1e8}, {"gflops_per_second", 50.0}},
                             {{"name", "lstm"}, {"flops", 1e9}, {"bytes", 5e8}, {"gflops_per_second", 1.0}},
                             {{"name", "copy"}, {"flops", 0.0}, {"bytes", 1e6}},
                             {{"name", "marker-like"}, {"op", "convert"}}});
  ntp::report::classify_bounds(record, machine());
  const auto& gemm = record["nodes"][0]["bound"];
  EXPECT_EQ(gemm["class"], "compute");
  EXPECT_EQ(gemm["evidence"], "cost model");
  EXPECT_DOUBLE_EQ(gemm["intensity_flops_per_byte"].get<double>(), 20.0);
  EXPECT_DOUBLE_EQ(gemm["roof_gflops_per_second"].get<double>(), 100.0);  // the compute roof
  EXPECT_DOUBLE_EQ(gemm["share_of_roof"].get<double>(), 0.5);
  const auto& lstm = record["nodes"][1]["bound"];
  EXPECT_EQ(lstm["class"], "memory");
  EXPECT_DOUBLE_EQ(lstm["roof_gflops_per_second"].get<double>(), 20.0);  // 2 FLOP/byte x 10 GB/s
  EXPECT_DOUBLE_EQ(lstm["share_of_roof"].get<double>(), 0.05);
  EXPECT_EQ(record["nodes"][2]["bound"]["class"], "memory");
  EXPECT_FALSE(record["nodes"][3].contains("bound"));
  EXPECT_EQ(record["machine"], machine());
}

TEST(Bound, CountersAndTheSimulatorOutrankTheCostModel) {
  // The cost model says compute (20 FLOP/byte), but the hardware saw 2e8 bytes come from memory (5
  // FLOP/byte).
  auto record = record_with(
      {{{"name", "measured"}, {"flops", 1e9}, {"bytes", 5e7}, {"counters", {{"LLC-load-misses", 3.125e6}}}},
       {{"name", "front"},
        {"flops", 1e9},
        {"bytes", 5e7},
        {"derived", {{"frontend_stall_share", 0.4}, {"backend_stall_share", 0.1}}}},
       {{"name", "simulated"},
        {"flops", 1e9},
        {"bytes", 5e7},
        {"callgrind", {{"DLmr", 3.0e6}, {"DLmw", 0.125e6}}}},
       {{"name", "cached"}, {"flops", 1e9}, {"bytes", 5e8}, {"callgrind", {{"DLmr", 0.0}, {"DLmw", 0.0}}}}});
  ntp::report::classify_bounds(record, machine());
  EXPECT_EQ(record["nodes"][0]["bound"]["class"], "memory");
  EXPECT_EQ(record["nodes"][0]["bound"]["evidence"], "counters");
  EXPECT_DOUBLE_EQ(record["nodes"][0]["bound"]["intensity_flops_per_byte"].get<double>(), 5.0);
  EXPECT_EQ(record["nodes"][1]["bound"]["class"], "front-end");
  EXPECT_EQ(record["nodes"][1]["bound"]["evidence"], "counters");
  EXPECT_EQ(record["nodes"][2]["bound"]["class"], "memory");
  EXPECT_EQ(record["nodes"][2]["bound"]["evidence"], "simulator");
  // No simulated misses at all: everything came from the caches.
  EXPECT_EQ(record["nodes"][3]["bound"]["class"], "compute");
  EXPECT_EQ(record["nodes"][3]["bound"]["evidence"], "simulator");
}

TEST(Bound, SegmentsByTheirLayersTogether) {
  auto record = record_with(
      {{{"name", "a"}, {"flops", 1e9}, {"bytes", 1e7}}, {{"name", "b"}, {"flops", 1e9}, {"bytes", 1e9}}});
  record["segments"] = {{{"name", "both"}, {"layers", {"a", "b"}}, {"time_ms", {{"median", 100.0}}}}};
  ntp::report::classify_bounds(record, machine());
  const auto& bound = record["segments"][0]["bound"];
  EXPECT_EQ(bound["class"], "memory");  // 2e9 / 1.01e9 ~ 2 FLOP per byte
  EXPECT_NEAR(bound["intensity_flops_per_byte"].get<double>(), 2e9 / 1.01e9, 1e-9);
  EXPECT_NEAR(bound["share_of_roof"].get<double>(), 20.0 / (2e9 / 1.01e9 * 10), 1e-9);  // 20 GFLOP/s attained
}

// Above a memory roof caches explain it; above the compute peak nothing does but a peak measured too low.
TEST(Bound, AboveTheComputePeakBlamesTheCalibrationNotTheCaches) {
  auto record =
      record_with({{{"name", "fc"}, {"flops", 2e9}, {"bytes", 1e8}, {"gflops_per_second", 300.0}},
                   {{"name", "lstm"}, {"flops", 1e9}, {"bytes", 5e8}, {"gflops_per_second", 30.0}}});
  ntp::report::classify_bounds(record, machine());
  const auto& fc = record["nodes"][0]["bound"];
  EXPECT_EQ(fc["roof"], "compute");
  EXPECT_DOUBLE_EQ(fc["share_of_roof"].get<double>(), 3.0);
  EXPECT_NE(fc["above_roof"].get<std::string>().find("--recalibrate"), std::string::npos);
  EXPECT_EQ(fc["above_roof"].get<std::string>().find("caches"), std::string::npos);
  const auto& lstm = record["nodes"][1]["bound"];
  EXPECT_EQ(lstm["roof"], "memory");
  EXPECT_NE(lstm["above_roof"].get<std::string>().find("caches"), std::string::npos);
}

// A segment is judged on its layers' evidence when they share one, so a simulated BiLSTM layer and its
// segment tell one story; where the evidence is mixed, the segment falls back to the cost model and names
// the layers it disagrees with.
TEST(Bound, ASegmentUsesItsLayersEvidenceAndNamesDisagreements) {
  auto record = record_with(
      {{{"name", "lstm"},
        {"flops", 1e9},
        {"bytes", 5e8},
        {"callgrind", {{"DLmr", 3.0e5}, {"DLmw", 0.125e5}}}},
       {{"name", "fc"}, {"flops", 1e9}, {"bytes", 5e7}, {"callgrind", {{"DLmr", 1.0e5}, {"DLmw", 0.0}}}},
       {{"name", "plain"}, {"flops", 1e9}, {"bytes", 5e8}}});
  record["segments"] = {{{"name", "rnn"}, {"layers", {"lstm", "fc"}}, {"time_ms", {{"median", 100.0}}}},
                        {{"name", "mixed"}, {"layers", {"lstm", "plain"}}, {"time_ms", {{"median", 100.0}}}}};
  ntp::report::classify_bounds(record, machine());
  // lstm: the cost model says memory (2 FLOP/byte), the simulator compute (1e9 / 2e7 B = 50 FLOP/byte).
  const auto& lstm = record["nodes"][0]["bound"];
  EXPECT_EQ(lstm["class"], "compute");
  EXPECT_EQ(lstm["evidence"], "simulator");
  EXPECT_EQ(lstm["cost_model_class"], "memory");
  const auto& rnn = record["segments"][0]["bound"];
  EXPECT_EQ(rnn["evidence"], "simulator");
  EXPECT_EQ(rnn["class"], "compute");  // 2e9 FLOP over (2e7 + 6.4e6) B
  EXPECT_NEAR(rnn["intensity_flops_per_byte"].get<double>(), 2e9 / (2e7 + 6.4e6), 1e-6);
  EXPECT_FALSE(rnn.contains("layers_disagreeing"));
  const auto& mixed = record["segments"][1]["bound"];
  EXPECT_EQ(mixed["evidence"], "cost model");
  EXPECT_EQ(mixed["class"], "memory");  // 2e9 / 1e9 B
  ASSERT_EQ(mixed["layers_disagreeing"].size(), 1u);
  EXPECT_EQ(mixed["layers_disagreeing"][0]["layer"], "lstm");
  EXPECT_EQ(mixed["layers_disagreeing"][0]["evidence"], "simulator");
}

}  // namespace
