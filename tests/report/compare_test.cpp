// compare_records lines runs up layer by layer: by name, else by descriptor; ratios against the first run.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "report/compare.h"

namespace {

nlohmann::json node(const std::string& name, const std::string& descriptor, double median_ms, double share) {
  return {{"name", name},
          {"op", "fc"},
          {"kind", "layer"},
          {"backend", "b"},
          {"implementation", "impl"},
          {"fallback", false},
          {"descriptor", descriptor},
          {"time_ms", {{"median", median_ms}}},
          {"share", share}};
}

nlohmann::json record(const std::string& backend, std::int64_t batch, double latency_ms,
                      nlohmann::json nodes) {
  return {{"topology", {{"name", "t"}}},
          {"options", {{"backend", backend}, {"precision", "fp32"}, {"batch", batch}, {"threads", 2}}},
          {"context", {{"libraries", {{backend, "1.0"}}}, {"host", "h"}, {"cpu_model", "c"}}},
          {"latency", {{"median", latency_ms}}},
          {"throughput", {{"items_per_second", 1000 / latency_ms}}},
          {"nodes", std::move(nodes)}};
}

TEST(Compare, MatchesByNameThenDescriptorAndTakesRatiosToTheBaseline) {
  const auto a = record("onednn", 1, 10, {node("fc1", "fc:d1", 4, 0.4), node("lstm", "lstm:d2", 6, 0.6)});
  // The second run names its LSTM differently (a variant topology) and has an extra layer.
  const auto b =
      record("torch", 1, 25,
             {node("fc1", "fc:d1", 2, 0.08), node("rnn0", "lstm:d2", 18, 0.72), node("x", "x:d3", 5, 0.2)});
  const auto comparison = ntp::report::compare_records({a, b});
  EXPECT_EQ(comparison["baseline"], "onednn");
  ASSERT_EQ(comparison["layers"].size(), 3U);
  const auto& fc1 = comparison["layers"][0];
  EXPECT_EQ(fc1["name"], "fc1");
  EXPECT_DOUBLE_EQ(fc1["runs"][1]["ratio"].get<double>(), 0.5);
  const auto& lstm = comparison["layers"][1];
  EXPECT_EQ(lstm["name"], "lstm");
  EXPECT_DOUBLE_EQ(lstm["runs"][1]["median_ms"].get<double>(), 18);
  EXPECT_DOUBLE_EQ(lstm["runs"][1]["ratio"].get<double>(), 3);
  EXPECT_TRUE(comparison["layers"][2]["runs"][0].is_null()) << "a layer only the second run has";
  EXPECT_DOUBLE_EQ(comparison["end_to_end"][1]["ratio"].get<double>(), 2.5);
  // Geometric mean over the two layers both runs timed: sqrt(0.5 * 3).
  EXPECT_NEAR(comparison["end_to_end"][1]["geomean_layer_ratio"].get<double>(), std::sqrt(1.5), 1e-12);
  EXPECT_EQ(comparison["end_to_end"][1]["layers_compared"], 2);
  const std::string table = ntp::report::comparison_table(comparison);
  EXPECT_NE(table.find("3.00x"), std::string::npos) << table;
  EXPECT_NE(table.find("2.50x"), std::string::npos) << table;
}

TEST(Compare, LabelsNameWhatDiffersBetweenRuns) {
  const auto one = record("onednn", 1, 10, {node("fc1", "fc:d1", 4, 0.4)});
  const auto sixteen = record("onednn", 16, 40, {node("fc1", "fc:d16", 30, 0.75)});
  const auto comparison = ntp::report::compare_records({one, sixteen});
  EXPECT_EQ(comparison["runs"][0]["label"], "batch 1");
  EXPECT_EQ(comparison["runs"][1]["label"], "batch 16");
  // Same name, different descriptor: still one row (names win).
  ASSERT_EQ(comparison["layers"].size(), 1U);
  EXPECT_DOUBLE_EQ(comparison["layers"][0]["runs"][1]["ratio"].get<double>(), 7.5);
  const auto same = ntp::report::compare_records({one, one});
  EXPECT_EQ(same["runs"][1]["label"], "run 2");
  // The names users gave (--label) win when every run has its own; one missing, and they are not used.
  auto before = one;
  auto after = sixteen;
  before["context"]["label"] = "before the fix";
  after["context"]["label"] = "after the fix";
  const auto named = ntp::report::compare_records({before, after});
  EXPECT_EQ(named["runs"][0]["label"], "before the fix");
  EXPECT_EQ(named["runs"][1]["label"], "after the fix");
  EXPECT_EQ(ntp::report::compare_records({before, sixteen})["runs"][0]["label"], "batch 1");
}

TEST(Compare, CsvHasOneRowPerLayerAndRunPlusEndToEnd) {
  const auto a = record("onednn", 1, 10, {node("fc1", "fc:d1", 4, 0.4)});
  const auto b = record("torch", 1, 20, {node("fc1", "fc:d1", 8, 0.4)});
  const std::string csv = ntp::report::comparison_csv(ntp::report::compare_records({a, b}));
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);  // header, 2 layer rows, 2 end-to-end rows
  EXPECT_NE(csv.find("fc1,fc,layer,fc:d1,torch,b,impl,false,8.000000,0.400000,2.000000"), std::string::npos)
      << csv;
}

}  // namespace

namespace {

TEST(Compare, SignificanceByMannWhitneyAndTopologyVariantsInLabels) {
  auto slow = node("lstm", "lstm:d", 2, 0.5);
  slow["samples_ms"] = {2.0, 2.1, 1.9, 2.05, 1.95};
  auto fast = node("lstm", "lstm:d", 1, 0.5);
  fast["samples_ms"] = {1.0, 1.1, 0.9, 1.05, 0.95};
  auto fc_a = node("fc", "fc:d", 1, 0.5);
  fc_a["samples_ms"] = {1.0, 1.2, 0.8, 1.1, 0.9};
  auto fc_b = fc_a;  // the same distribution: no difference
  auto a = record("onednn", 1, 3, {fast, fc_a});
  auto b = record("onednn", 1, 4, {slow, fc_b});
  a["topology"]["params"] = {{"hidden", "1024"}, {"frames", "146"}};
  b["topology"]["params"] = {{"hidden", "2048"}, {"frames", "146"}};
  a["samples"] = {{"latency_ms", {3.0, 3.1}}};  // too few to test
  b["samples"] = {{"latency_ms", {4.0, 4.1}}};
  const auto comparison = ntp::report::compare_records({a, b});
  EXPECT_EQ(comparison["runs"][0]["label"], "hidden=1024");
  EXPECT_EQ(comparison["runs"][1]["label"], "hidden=2048");
  const auto& lstm = comparison["layers"][0]["runs"][1]["significance"];
  EXPECT_TRUE(lstm["significant"].get<bool>());
  EXPECT_NEAR(lstm["p_value"].get<double>(), 0.01219, 1e-4);  // U = 25 of 25: the smallest p with 5 a side
  EXPECT_FALSE(comparison["layers"][1]["runs"][1]["significance"]["significant"].get<bool>());
  EXPECT_FALSE(comparison["end_to_end"][1]["significance"]["enough"].get<bool>());
  const std::string table = ntp::report::comparison_table(comparison);
  EXPECT_NE(table.find("p=0.012"), std::string::npos) << table;
  EXPECT_NE(table.find("n.s. (p="), std::string::npos) << table;
  EXPECT_NE(table.find("n.s. (n=2/2)"), std::string::npos) << table;
  EXPECT_EQ(table.find("same"), std::string::npos) << "not shown to differ is not the same: " << table;
}

}  // namespace
