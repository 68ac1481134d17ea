// Sweep planning: grids, points and shards parsed or refused, the cross product's order, shards that split
// the points exactly, and shard results merged.
#include "report/sweep.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "ntp/status.h"

namespace {

using ntp::report::cross_product;
using ntp::report::in_shard;
using ntp::report::parse_axis;
using ntp::report::parse_shard;

TEST(Sweep, TheCrossProductVariesTheFirstAxisSlowest) {
  const auto points = cross_product({parse_axis("hidden=64,128"), parse_axis("batch=1,8,16")});
  ASSERT_EQ(points.size(), 6u);
  EXPECT_EQ(ntp::report::point_label(points[0]), "hidden=64 batch=1");
  EXPECT_EQ(ntp::report::point_label(points[2]), "hidden=64 batch=16");
  EXPECT_EQ(ntp::report::point_label(points[3]), "hidden=128 batch=1");
  EXPECT_THROW(cross_product({parse_axis("hidden=64"), parse_axis("hidden=128")}), ntp::UserError);
}

TEST(Sweep, MalformedAxesPointsAndShardsAreRefused) {
  for (const char* text : {"hidden", "=64", "hidden=", "hidden=64,,128", "hidden=64,64"})
    EXPECT_THROW(parse_axis(text), ntp::UserError) << text;
  for (const char* text : {"hidden", "hidden=64,hidden=128", "hidden=64,=3"})
    EXPECT_THROW(ntp::report::parse_point(text), ntp::UserError) << text;
  for (const char* text : {"2", "0/2", "3/2", "a/b", "1/0", "1/2x", "-1/2"})
    EXPECT_THROW(parse_shard(text), ntp::UserError) << text;
  const auto shard = parse_shard("3/4");
  EXPECT_EQ(shard.index, 3);
  EXPECT_EQ(shard.count, 4);
}

TEST(Sweep, ShardsSplitThePointsExactly) {
  for (int count = 1; count <= 5; ++count) {
    std::multiset<std::size_t> seen;
    for (int index = 1; index <= count; ++index)
      for (std::size_t point = 0; point < 23; ++point)
        if (in_shard(point, {index, count})) seen.insert(point);
    EXPECT_EQ(seen.size(), 23u) << count << " shards";
    for (std::size_t point = 0; point < 23; ++point)
      EXPECT_EQ(seen.count(point), 1u) << "point " << point << " in " << count << " shards";
  }
}

nlohmann::json shard(int index, std::vector<int> points) {
  nlohmann::json document = {{"schema", "ntp.sweep/1"},
                             {"topology_file", "ds.xml"},
                             {"axes", {{{"name", "hidden"}, {"values", {"1", "2", "3"}}}}},
                             {"points_total", 3},
                             {"shard", {{"index", index}, {"count", 2}}},
                             {"points", nlohmann::json::array()}};
  for (const int point : points)
    document["points"].push_back({{"index", point},
                                  {"label", "hidden=" + std::to_string(point + 1)},
                                  {"params", {{"hidden", std::to_string(point + 1)}}},
                                  {"status", "failed"}});
  return document;
}

TEST(Sweep, MergeJoinsShardsInPointOrderAndRefusesOverlaps) {
  const auto merged = ntp::report::merge_sweeps({shard(2, {1}), shard(1, {0, 2})}, {"b.json", "a.json"});
  ASSERT_EQ(merged["points"].size(), 3u);
  EXPECT_EQ(merged["points"][0]["index"], 0);
  EXPECT_EQ(merged["points"][2]["index"], 2);
  EXPECT_TRUE(merged["missing"].empty());
  EXPECT_FALSE(merged.contains("shard"));
  const auto partial = ntp::report::merge_sweeps({shard(1, {0, 2})}, {"a.json"});
  EXPECT_EQ(partial["missing"], nlohmann::json::array({1}));
  try {
    ntp::report::merge_sweeps({shard(1, {0, 2}), shard(1, {0, 2})}, {"a.json", "again.json"});
    FAIL() << "merged a shard with itself";
  } catch (const ntp::UserError& error) {
    EXPECT_EQ(error.diagnostic().where.file, "again.json");
    EXPECT_NE(error.diagnostic().message.find("point 0 (hidden=1) is in a.json too"), std::string::npos);
  }
  nlohmann::json other = shard(2, {1});
  other["points_total"] = 4;
  EXPECT_THROW(ntp::report::merge_sweeps({shard(1, {0, 2}), other}, {"a.json", "b.json"}), ntp::UserError);
}

// A sweep file's word on its size is bounded before the missing points are listed one by one: a merge of a
// file claiming 4e12 points took all memory (issue 16, class 3); a grid over the limit is refused before a
// point is built.
TEST(Sweep, ImpossibleSizesAreRefusedBeforeTheyAreUsed) {
  for (const nlohmann::json& total : {nlohmann::json(4e12), nlohmann::json(4000000000000), nlohmann::json(0),
                                      nlohmann::json("3"), nlohmann::json(-1)}) {
    nlohmann::json claimed = shard(1, {0});
    claimed["points_total"] = total;
    try {
      ntp::report::merge_sweeps({claimed}, {"claimed.json"});
      FAIL() << "merged a sweep of " << total << " points";
    } catch (const ntp::UserError& error) {
      EXPECT_NE(error.diagnostic().message.find("is not a count from 1 to 100000"), std::string::npos)
          << error.diagnostic().message;
    }
  }
  nlohmann::json outside = shard(1, {0});
  outside["points"][0]["index"] = 7;
  EXPECT_THROW(ntp::report::merge_sweeps({outside}, {"outside.json"}), ntp::UserError);

  const auto axis = [](const std::string& name, int count) {
    std::string text = name + "=0";
    for (int value = 1; value < count; ++value)
      text += "," + std::to_string(value);
    return parse_axis(text);
  };
  EXPECT_EQ(cross_product({axis("a", 1000), axis("b", 100)}).size(), 100000u)
      << "the limit itself is allowed";
  try {
    cross_product({axis("a", 1000), axis("b", 1000), axis("c", 2)});
    FAIL() << "a grid of 2 million points was built";
  } catch (const ntp::UserError& error) {
    EXPECT_EQ(error.diagnostic().message, "the grid has more than 100000 points");
  }
}

// A point measured on a busy machine is marked in the sweep's table: it may rank wrongly (issue 17).
TEST(Sweep, TheTableMarksNoisyPoints) {
  nlohmann::json sweep = shard(1, {0, 1});  // point 0 failed; point 1 ran on a busy machine
  nlohmann::json& point = sweep["points"][1];
  point["status"] = "ok";
  point["record"] = {{"latency", {{"median", 1.0}}},
                     {"throughput", {{"items_per_second", 1000.0}}},
                     {"nodes", nlohmann::json::array()},
                     {"quality", {{"warnings", {"the run was preempted 300 times a second"}}}}};
  sweep.erase("shard");
  const std::string table = ntp::report::sweep_table(sweep);
  EXPECT_NE(table.find("figures"), std::string::npos) << table;
  EXPECT_NE(table.find("noisy (1 warning)"), std::string::npos) << table;
}

}  // namespace
