// The aggregated views of a run: its nodes' median times summed per op type and per module of the
// node-name hierarchy, on hand-built records whose sums are known.
#include "report/aggregate.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "report/run_views.h"

namespace {

using ntp::report::aggregate_run;
using ntp::report::Aggregates;
using ntp::report::module_path;
using ntp::report::modules_to_depth;
using ntp::report::ModuleTotals;

nlohmann::json node(const std::string& name, const std::string& op, double median_ms,
                    const std::string& kind = "layer") {
  return {{"name", name},
          {"op", op},
          {"kind", kind},
          {"backend", "reference"},
          {"implementation", "reference"},
          {"fallback", false},
          {"time_ms",
           {{"median", median_ms},
            {"mean", median_ms},
            {"min", median_ms},
            {"max", median_ms},
            {"p90", median_ms},
            {"p99", median_ms},
            {"stddev", 0.0}}}};
}

nlohmann::json costed(nlohmann::json item, double flops, double bytes) {
  item["flops"] = flops;
  item["bytes"] = bytes;
  return item;
}

nlohmann::json record_of(nlohmann::json nodes, double end_to_end_ms = 10.0) {
  return {{"nodes", std::move(nodes)}, {"latency", {{"median", end_to_end_ms}}}};
}

// An exporter's graph: two encoder layers, a decoder, an int8 conversion step and an inlay whose name has a
// '.' but no '/'. Node times add up to 9.5 ms of a 10 ms end-to-end median.
nlohmann::json onnx_like_record() {
  return record_of({costed(node("/encoder/layer.0/attn/MatMul", "matmul", 2.0), 100, 40),
                    costed(node("/encoder/layer.0/attn/Softmax", "softmax", 0.5), 10, 8),
                    costed(node("/encoder/layer.0/ffn/MatMul", "matmul", 3.0), 200, 80),
                    costed(node("/encoder/layer.1/attn/MatMul", "matmul", 1.0), 100, 40),
                    node("/encoder/layer.1/ffn/MatMul.in0:fp32->int8", "convert", 0.25, "convert"),
                    costed(node("/encoder/layer.1/ffn/MatMul", "matmul", 1.0), 100, 40),
                    costed(node("/decoder/Gemm", "fc", 1.5), 50, 30),
                    node("features.mfcc", "mfcc", 0.25, "inlay")});
}

std::vector<std::string> paths(const std::vector<const ModuleTotals*>& modules) {
  std::vector<std::string> out;
  for (const ModuleTotals* module : modules)
    out.push_back(module->path);
  return out;
}

const ModuleTotals& child(const ModuleTotals& parent, std::size_t index) {
  EXPECT_LT(index, parent.children.size()) << parent.path;
  return parent.children.at(index);
}

TEST(Aggregate, OpTypesSumCountsTimesSharesAndCostMostTimeFirst) {
  const Aggregates aggregates = aggregate_run(onnx_like_record());
  EXPECT_DOUBLE_EQ(aggregates.end_to_end_ms, 10.0);
  ASSERT_EQ(aggregates.op_types.size(), 5u);
  std::vector<std::string> order;
  for (const auto& op : aggregates.op_types)
    order.push_back(op.op);
  // convert and mfcc tie at 0.25 ms: execution order decides.
  EXPECT_EQ(order, (std::vector<std::string>{"matmul", "fc", "softmax", "convert", "mfcc"}));
  const auto& matmul = aggregates.op_types[0].totals;
  EXPECT_EQ(matmul.nodes, 4);
  EXPECT_DOUBLE_EQ(matmul.time_ms, 7.0);
  EXPECT_DOUBLE_EQ(matmul.share, 0.7);
  EXPECT_TRUE(matmul.costed);
  EXPECT_DOUBLE_EQ(matmul.flops, 500);
  EXPECT_DOUBLE_EQ(matmul.bytes, 200);
  const auto& fc = aggregates.op_types[1].totals;
  EXPECT_EQ(fc.nodes, 1);
  EXPECT_DOUBLE_EQ(fc.time_ms, 1.5);
  EXPECT_DOUBLE_EQ(fc.share, 0.15);
  // The conversion step counts as convert and the inlay as its op; neither has a cost.
  EXPECT_EQ(aggregates.op_types[3].totals.nodes, 1);
  EXPECT_DOUBLE_EQ(aggregates.op_types[3].totals.time_ms, 0.25);
  EXPECT_FALSE(aggregates.op_types[3].totals.costed);
  EXPECT_FALSE(aggregates.op_types[4].totals.costed);
  double shares = 0;
  for (const auto& op : aggregates.op_types)
    shares += op.totals.share;
  EXPECT_DOUBLE_EQ(shares, 0.95);  // the rest of the end-to-end median is the residual
}

TEST(Aggregate, ModulesFollowTheSlashHierarchyMostTimeFirstWithinEachParent) {
  const Aggregates aggregates = aggregate_run(onnx_like_record());
  EXPECT_EQ(aggregates.separator, '/');
  EXPECT_EQ(aggregates.depth, 4);
  const ModuleTotals& root = aggregates.modules;
  EXPECT_EQ(root.depth, 0);
  EXPECT_EQ(root.totals.nodes, 8);
  EXPECT_DOUBLE_EQ(root.totals.time_ms, 9.5);
  EXPECT_DOUBLE_EQ(root.totals.share, 0.95);
  EXPECT_DOUBLE_EQ(root.totals.flops, 560);
  // Top level: the leading '/' is the root; a name without '/' is a top-level leaf, its '.' kept.
  ASSERT_EQ(root.children.size(), 3u);
  const ModuleTotals& encoder = child(root, 0);
  EXPECT_EQ(encoder.path, "encoder");
  EXPECT_EQ(encoder.depth, 1);
  EXPECT_EQ(encoder.totals.nodes, 6);
  EXPECT_DOUBLE_EQ(encoder.totals.time_ms, 7.75);
  EXPECT_DOUBLE_EQ(encoder.totals.share, 0.775);
  EXPECT_FALSE(encoder.layer);
  EXPECT_EQ(child(root, 1).path, "decoder");
  EXPECT_DOUBLE_EQ(child(root, 1).totals.time_ms, 1.5);
  EXPECT_EQ(child(root, 2).path, "features.mfcc");
  EXPECT_TRUE(child(root, 2).layer);
  EXPECT_TRUE(child(root, 2).children.empty());
  // encoder/layer.0: ffn (3 ms) before attn (2.5 ms), though attn ran first.
  const ModuleTotals& layer0 = child(encoder, 0);
  EXPECT_EQ(layer0.path, "encoder/layer.0");
  EXPECT_EQ(layer0.totals.nodes, 3);
  EXPECT_DOUBLE_EQ(layer0.totals.time_ms, 5.5);
  EXPECT_EQ(child(layer0, 0).path, "encoder/layer.0/ffn");
  EXPECT_EQ(child(layer0, 1).path, "encoder/layer.0/attn");
  EXPECT_DOUBLE_EQ(child(layer0, 1).totals.time_ms, 2.5);
  EXPECT_EQ(child(layer0, 1).totals.nodes, 2);
  const ModuleTotals& matmul = child(child(layer0, 1), 0);
  EXPECT_EQ(matmul.path, "encoder/layer.0/attn/MatMul");
  EXPECT_EQ(matmul.name, "MatMul");
  EXPECT_EQ(matmul.depth, 4);
  EXPECT_TRUE(matmul.layer);
  EXPECT_DOUBLE_EQ(matmul.totals.flops, 100);
  // The conversion step sits beside the layer it feeds, in the same module.
  const ModuleTotals& ffn1 = child(child(encoder, 1), 0);
  EXPECT_EQ(ffn1.path, "encoder/layer.1/ffn");
  EXPECT_EQ(ffn1.totals.nodes, 2);
  EXPECT_DOUBLE_EQ(ffn1.totals.time_ms, 1.25);
  EXPECT_DOUBLE_EQ(ffn1.totals.flops, 100);  // the conversion adds no cost
  EXPECT_EQ(child(ffn1, 0).path, "encoder/layer.1/ffn/MatMul");
  EXPECT_EQ(child(ffn1, 1).path, "encoder/layer.1/ffn/MatMul.in0:fp32->int8");
}

TEST(Aggregate, DepthCutsTheModuleListInTableOrder) {
  const Aggregates aggregates = aggregate_run(onnx_like_record());
  EXPECT_EQ(paths(modules_to_depth(aggregates.modules, 1)),
            (std::vector<std::string>{"encoder", "decoder", "features.mfcc"}));
  EXPECT_EQ(paths(modules_to_depth(aggregates.modules, 2)),
            (std::vector<std::string>{"encoder", "encoder/layer.0", "encoder/layer.1", "decoder",
                                      "decoder/Gemm", "features.mfcc"}));
  EXPECT_EQ(modules_to_depth(aggregates.modules, 3).size(), 10u);
  const auto all = modules_to_depth(aggregates.modules, 100);
  EXPECT_EQ(all.size(), 16u);  // 8 nodes and 8 modules above them
  EXPECT_EQ(paths(all), paths(modules_to_depth(aggregates.modules, aggregates.depth)));
  EXPECT_EQ(all[3]->path, "encoder/layer.0/ffn/MatMul");  // each module followed by its children
}

TEST(Aggregate, NamesWithoutSlashSplitOnDots) {
  const Aggregates aggregates = aggregate_run(
      record_of({node("encoder.layer.0.q_proj", "fc", 1.0), node("encoder.layer.0.k_proj", "fc", 2.0),
                 node("encoder.layer.1.q_proj", "fc", 0.5), node("lm_head", "fc", 0.25),
                 node("lm_head.in0:fp32->int8", "convert", 0.125, "convert")},
                4.0));
  EXPECT_EQ(aggregates.separator, '.');
  EXPECT_EQ(aggregates.depth, 4);
  EXPECT_EQ(paths(modules_to_depth(aggregates.modules, 3)),
            (std::vector<std::string>{"encoder", "encoder.layer", "encoder.layer.0", "encoder.layer.1",
                                      "lm_head", "lm_head.in0:fp32->int8"}));
  const ModuleTotals& layer0 = child(child(child(aggregates.modules, 0), 0), 0);
  EXPECT_EQ(layer0.totals.nodes, 2);
  EXPECT_DOUBLE_EQ(layer0.totals.time_ms, 3.0);
  EXPECT_DOUBLE_EQ(layer0.totals.share, 0.75);
  EXPECT_EQ(child(layer0, 0).name, "k_proj");  // 2 ms before q_proj's 1 ms
  ASSERT_EQ(aggregates.op_types.size(), 2u);
  EXPECT_EQ(aggregates.op_types[0].op, "fc");
  EXPECT_EQ(aggregates.op_types[0].totals.nodes, 4);
  EXPECT_DOUBLE_EQ(aggregates.op_types[0].totals.time_ms, 3.75);
  EXPECT_EQ(aggregates.op_types[1].op, "convert");
}

TEST(Aggregate, FlatNamesAreTopLevelLeaves) {
  const Aggregates aggregates = aggregate_run(
      record_of({node("fc1", "fc", 1.0), node("bilstm", "lstm", 4.0), node("fc2", "fc", 1.0)}, 8.0));
  EXPECT_EQ(aggregates.depth, 1);
  EXPECT_EQ(paths(modules_to_depth(aggregates.modules, 2)),
            (std::vector<std::string>{"bilstm", "fc1", "fc2"}));
  EXPECT_DOUBLE_EQ(aggregates.modules.children[0].totals.share, 0.5);
  EXPECT_EQ(aggregates.op_types[0].op, "lstm");
  EXPECT_EQ(aggregates.op_types[1].totals.nodes, 2);
}

TEST(Aggregate, ModulePathRules) {
  using Parts = std::vector<std::string>;
  EXPECT_EQ(module_path("/a/b/C", "layer", '/'), (Parts{"a", "b", "C"}));
  EXPECT_EQ(module_path("a//b/", "layer", '/'), (Parts{"a", "b"}));
  EXPECT_EQ(module_path("StatefulPartitionedCall/model/dense", "layer", '/'),
            (Parts{"StatefulPartitionedCall", "model", "dense"}));
  EXPECT_EQ(module_path("x.y", "layer", '/'), (Parts{"x.y"}));
  EXPECT_EQ(module_path("/", "layer", '/'), (Parts{"/"}));
  EXPECT_EQ(module_path("", "layer", '.'), (Parts{""}));
  EXPECT_EQ(module_path("x/y.in2:fp32->bf16", "convert", '/'), (Parts{"x", "y.in2:fp32->bf16"}));
  EXPECT_EQ(module_path("enc.fc.in0:fp32->int8", "convert", '.'), (Parts{"enc", "fc.in0:fp32->int8"}));
  EXPECT_EQ(module_path("fc1.in0:fp32->int8", "layer", '.'), (Parts{"fc1", "in0:fp32->int8"}));
  EXPECT_EQ(module_path("odd.input:x", "convert", '.'), (Parts{"odd", "input:x"}));  // not LAYER.inK:
  EXPECT_EQ(ntp::report::module_separator({"fc1", "a.b"}), '.');
  EXPECT_EQ(ntp::report::module_separator({"fc1", "/a/b"}), '/');
}

TEST(Aggregate, EmptyGraph) {
  const Aggregates aggregates = aggregate_run(record_of(nlohmann::json::array(), 1.0));
  EXPECT_TRUE(aggregates.op_types.empty());
  EXPECT_EQ(aggregates.modules.totals.nodes, 0);
  EXPECT_TRUE(aggregates.modules.children.empty());
  EXPECT_EQ(aggregates.depth, 0);
  EXPECT_TRUE(modules_to_depth(aggregates.modules, 3).empty());
  const nlohmann::json json = ntp::report::aggregates_json(aggregates);
  EXPECT_EQ(json["op_types"], nlohmann::json::array());
  EXPECT_EQ(json["modules"]["nodes"], 0);
  EXPECT_FALSE(json["modules"].contains("time_ms"));
  EXPECT_EQ(json["modules"]["children"], nlohmann::json::array());
  // A record with no nodes at all reads the same.
  EXPECT_TRUE(aggregate_run(nlohmann::json::object()).op_types.empty());
}

TEST(Aggregate, WithoutLayerTimingCountsAndCostsInExecutionOrder) {
  nlohmann::json record = onnx_like_record();
  for (auto& item : record["nodes"])
    item.erase("time_ms");
  const Aggregates aggregates = aggregate_run(record);
  EXPECT_EQ(aggregates.op_types[0].op, "matmul");  // first seen
  EXPECT_EQ(aggregates.op_types[1].op, "softmax");
  EXPECT_FALSE(aggregates.op_types[0].totals.timed);
  EXPECT_EQ(aggregates.modules.children[0].children[0].path, "encoder/layer.0");
  const nlohmann::json json = ntp::report::aggregates_json(aggregates);
  EXPECT_FALSE(json["op_types"][0].contains("time_ms"));
  EXPECT_FALSE(json["op_types"][0].contains("share"));
  EXPECT_EQ(json["op_types"][0]["nodes"], 4);
  EXPECT_EQ(json["op_types"][0]["flops"], 500.0);
}

TEST(Aggregate, SharesFallBackToTheSumOfTimesWithoutAnEndToEndMedian) {
  nlohmann::json record = onnx_like_record();
  record.erase("latency");
  const Aggregates aggregates = aggregate_run(record);
  EXPECT_DOUBLE_EQ(aggregates.end_to_end_ms, 9.5);
  EXPECT_DOUBLE_EQ(aggregates.modules.totals.share, 1.0);
  EXPECT_DOUBLE_EQ(aggregates.op_types[0].totals.share, 7.0 / 9.5);
}

TEST(Aggregate, JsonCarriesTheWholeTree) {
  const nlohmann::json json = ntp::report::aggregates_json(aggregate_run(onnx_like_record()));
  EXPECT_EQ(json["separator"], "/");
  EXPECT_EQ(json["depth"], 4);
  EXPECT_EQ(json["end_to_end_ms"], 10.0);
  EXPECT_TRUE(json.contains("how"));
  const auto& matmul = json["op_types"][0];
  EXPECT_EQ(matmul["op"], "matmul");
  EXPECT_EQ(matmul["nodes"], 4);
  EXPECT_DOUBLE_EQ(matmul["time_ms"].get<double>(), 7.0);
  EXPECT_DOUBLE_EQ(matmul["share"].get<double>(), 0.7);
  EXPECT_EQ(matmul["bytes"], 200.0);
  EXPECT_FALSE(json["op_types"][3].contains("flops"));  // convert: no cost
  const auto& leaf = json["modules"]["children"][0]["children"][0]["children"][1]["children"][0];
  EXPECT_EQ(leaf["path"], "encoder/layer.0/attn/MatMul");
  EXPECT_EQ(leaf["name"], "MatMul");
  EXPECT_EQ(leaf["depth"], 4);
  EXPECT_EQ(leaf["layer"], true);
  EXPECT_EQ(leaf["children"], nlohmann::json::array());
  EXPECT_EQ(json["modules"]["nodes"], 8);
  EXPECT_DOUBLE_EQ(json["modules"]["time_ms"].get<double>(), 9.5);
}

// The CSV: the nodes, then a row per op type and per module down to the depth asked for.
TEST(Aggregate, CsvRowsFollowTheNodes) {
  const auto rows_of = [](const std::string& text) {
    std::vector<std::vector<std::string>> rows;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      std::vector<std::string> cells;
      std::istringstream fields(line);
      for (std::string cell; std::getline(fields, cell, ',');)
        cells.push_back(cell);
      if (!line.empty() && line.back() == ',') cells.emplace_back();
      rows.push_back(cells);
    }
    return rows;
  };
  const auto rows = rows_of(ntp::report::run_csv(onnx_like_record(), 1));
  const auto& header = rows.front();
  const auto column = [&](const std::string& name) {
    return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  ASSERT_LT(column("depth"), header.size());
  ASSERT_EQ(rows.size(), 1u + 8 + 5 + 3);  // header, nodes, op types, top-level modules
  for (const auto& row : rows)
    EXPECT_EQ(row.size(), header.size());
  const auto& matmul = rows[9];
  EXPECT_EQ(matmul[column("name")], "matmul");
  EXPECT_EQ(matmul[column("kind")], "op_type");
  EXPECT_EQ(matmul[column("nodes")], "4");
  EXPECT_EQ(matmul[column("total_ms")], "7.000000");
  EXPECT_EQ(matmul[column("share")], "0.700000");
  EXPECT_EQ(matmul[column("flops")], "500");
  EXPECT_EQ(matmul[column("median_ms")], "");
  const auto& encoder = rows[14];
  EXPECT_EQ(encoder[column("name")], "encoder");
  EXPECT_EQ(encoder[column("kind")], "module");
  EXPECT_EQ(encoder[column("depth")], "1");
  EXPECT_EQ(encoder[column("nodes")], "6");
  EXPECT_EQ(encoder[column("total_ms")], "7.750000");
  EXPECT_EQ(rows[1][column("nodes")], "");  // a node's row leaves the aggregate columns empty
  EXPECT_EQ(rows_of(ntp::report::run_csv(onnx_like_record(), 2)).size(), 1u + 8 + 5 + 6);
}

}  // namespace
