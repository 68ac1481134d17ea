// `ntp run` and `ntp check` end to end on the small DeepSpeech variant: structure of every output format
// (timings masked), outputs saved, real inputs read.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "io/npy.h"
#include "ntp/registry.h"
#include "process.h"

namespace {

using ntp::test::example;
using ntp::test::run_ntp;
using ntp::test::temporary;

using ntp::test::small_run;

TEST(Run, JsonRecordHasEveryLayerSegmentAndStatistic) {
  const auto result = run_ntp(small_run("reference", {"--format", "json"}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto record = nlohmann::json::parse(result.out);
  EXPECT_EQ(record["schema"], "ntp.run/1");
  for (const char* key : {"host", "cpu_model", "isa", "cores", "git_commit", "command_line", "libraries"})
    EXPECT_TRUE(record["context"].contains(key)) << key;
  EXPECT_EQ(record["options"]["backend"], "reference");
  EXPECT_EQ(record["options"]["seed"], 1);
  // Golden structure, timings masked: the layers in order with their op, kind and back end.
  std::vector<std::string> layers;
  for (const auto& node : record["nodes"]) {
    layers.push_back(node["name"].get<std::string>() + ":" + node["op"].get<std::string>() + ":" +
                     node["kind"].get<std::string>() + ":" + node["backend"].get<std::string>());
    EXPECT_EQ(node["time_ms"]["count"], 3);
    EXPECT_GT(node["time_ms"]["median"].get<double>(), 0.0);
    EXPECT_LE(node["time_ms"]["min"].get<double>(), node["time_ms"]["median"].get<double>());
    EXPECT_LE(node["time_ms"]["median"].get<double>(), node["time_ms"]["max"].get<double>());
  }
  EXPECT_EQ(layers, (std::vector<std::string>{"fc1:fc:layer:reference", "fc2:fc:layer:reference",
                                              "fc3:fc:layer:reference", "bilstm:lstm:layer:reference",
                                              "fc5:fc:layer:reference", "fc6:fc:layer:reference",
                                              "probs:softmax:layer:reference"}));
  std::vector<std::string> segments;
  for (const auto& segment : record["segments"])
    segments.push_back(segment["name"]);
  EXPECT_EQ(segments, (std::vector<std::string>{"front", "recurrent", "back"}));
  // Layers and residual add up to the end-to-end median within measurement noise.
  double shares = 0;
  for (const auto& node : record["nodes"])
    shares += node["share"].get<double>();
  EXPECT_GT(shares, 0.5);
  EXPECT_LT(shares, 1.5);
  EXPECT_EQ(record["latency"]["count"], 3);
  EXPECT_GT(record["latency"]["cold"].get<double>(), 0.0);
  EXPECT_GT(record["throughput"]["inferences_per_second"].get<double>(), 0.0);
  EXPECT_GT(record["instrumentation"]["timer_overhead_ns_per_step"].get<double>(), 0.0);
  // Every layer's bound follows its cost-model intensity against the machine's calibrated ridge.
  const auto& machine = record["machine"];
  ASSERT_GT(machine["gflops_per_second"].get<double>(), 0.0);
  ASSERT_GT(machine["gbytes_per_second"].get<double>(), 0.0);
  const double ridge = machine["ridge_flops_per_byte"].get<double>();
  for (const auto& item : record["nodes"]) {
    const auto& bound = item["bound"];
    EXPECT_EQ(bound["evidence"], "cost model") << item["name"];
    const double intensity = item["flops"].get<double>() / item["bytes"].get<double>();
    EXPECT_DOUBLE_EQ(bound["intensity_flops_per_byte"].get<double>(), intensity) << item["name"];
    EXPECT_EQ(bound["class"], intensity < ridge ? "memory" : "compute") << item["name"];
    EXPECT_LE(bound["roof_gflops_per_second"].get<double>(), machine["gflops_per_second"].get<double>());
  }
  for (const auto& segment : record["segments"])
    EXPECT_TRUE(segment.contains("bound")) << segment["name"];
  // Memory: the process before and after, and each layer's growth in the cold run and a warm-up iteration.
  const auto& memory = record["memory"];
  EXPECT_GT(memory["before"]["rss_bytes"].get<double>(), 1e6);
  EXPECT_GE(memory["after"]["peak_rss_bytes"].get<double>(), memory["after"]["rss_bytes"].get<double>());
  EXPECT_GE(memory["after"]["peak_rss_bytes"].get<double>(),
            memory["before"]["peak_rss_bytes"].get<double>());
  for (const auto& item : record["nodes"]) {
    ASSERT_TRUE(item.contains("memory")) << item["name"];
    for (const char* phase : {"cold", "warm"})
      for (const char* key : {"heap_bytes", "rss_bytes", "peak_rss_bytes"})
        EXPECT_TRUE(item["memory"][phase].contains(key)) << item["name"] << phase << key;
    EXPECT_GE(item["memory"]["cold"]["peak_rss_bytes"].get<double>(), 0.0) << "a peak never falls";
  }
}

TEST(Run, TableCsvAndTraceAreWrittenFromTheRecord) {
  const auto table = run_ntp(small_run("reference", {}));
  ASSERT_EQ(table.exit_code, 0) << table.err;
  for (const char* text : {"bilstm", "share", "GFLOP/s", "latency (ms", "cold", "throughput", "residual",
                           "bound", "ridge", "memory: resident"})
    EXPECT_NE(table.out.find(text), std::string::npos) << text;

  const auto csv = run_ntp(small_run("reference", {"--format", "csv"}));
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(
      csv.out.substr(0, csv.out.find('\n')),
      "name,op,kind,backend,implementation,fallback,descriptor,median_ms,mean_ms,min_ms,max_ms,p90_ms,p99_ms,"
      "stddev_ms,share,flops,bytes,gflops_per_second,gbytes_per_second,cold_heap_bytes,cold_rss_bytes,"
      "warm_heap_bytes,warm_rss_bytes,bound,bound_evidence,intensity_flops_per_byte,share_of_roof,nodes,"
      "total_ms,"
      "depth");
  // header, 7 layers, 3 op types (fc, lstm, softmax), 7 top-level modules (the names have no hierarchy)
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 18);

  const auto trace_file = temporary("trace.json");
  const auto trace = run_ntp(small_run("reference", {"--format", "trace", "-o", trace_file.string()}));
  ASSERT_EQ(trace.exit_code, 0) << trace.err;
  const auto document = nlohmann::json::parse(ntp::test::slurp(trace_file));
  int layers = 0;
  int segments = 0;
  std::map<std::string, int> counter_samples;  // track -> samples
  for (const auto& event : document["traceEvents"]) {
    if (event["ph"] == "C") ++counter_samples[event["name"].get<std::string>()];
    if (event["ph"] != "X") continue;
    EXPECT_GE(event["dur"].get<double>(), 0.0);
    layers += event["cat"] == "layer" ? 1 : 0;
    segments += event["cat"] == "segment" ? 1 : 0;
    if (event["cat"] == "layer") {
      EXPECT_TRUE(event["args"].contains("bound")) << event["name"];
    }
  }
  EXPECT_EQ(layers, 7);  // one iteration traced
  EXPECT_EQ(segments, 3);
  // Counter tracks: a value at each layer's begin and a zero at its end.
  EXPECT_EQ(counter_samples["GFLOP/s (cost model)"], 14);
  EXPECT_EQ(counter_samples["GB/s (cost model)"], 14);
  std::filesystem::remove(trace_file);
}

// --trace-iterations all and --trace-warmup: every measured iteration, the cold run and the warm-up on the
// same rows, in time order, each event saying its phase; the counter tracks still follow one iteration.
TEST(Run, TheTraceKeepsEveryIterationAndTheWarmUpWhenAsked) {
  const auto trace_file = temporary("full-trace.json");
  const auto trace = run_ntp(small_run("reference", {"--trace-iterations", "all", "--trace-warmup",
                                                     "--format", "trace", "-o", trace_file.string()}));
  ASSERT_EQ(trace.exit_code, 0) << trace.err;
  const auto document = nlohmann::json::parse(ntp::test::slurp(trace_file));
  std::map<std::string, int> layers_by_phase;
  std::map<std::string, double> first_by_phase, last_by_phase;
  int counter_samples = 0;
  for (const auto& event : document["traceEvents"]) {
    if (event["ph"] == "C" && event["name"] == "GFLOP/s (cost model)") ++counter_samples;
    if (event["ph"] != "X" || event["cat"].get<std::string>().rfind("layer", 0) != 0) continue;
    const std::string phase = event["args"]["phase"];
    ++layers_by_phase[phase];
    const double begin = event["ts"].get<double>();
    first_by_phase.try_emplace(phase, begin);
    first_by_phase[phase] = std::min(first_by_phase[phase], begin);
    last_by_phase[phase] = std::max(last_by_phase[phase], begin);
  }
  EXPECT_EQ(layers_by_phase["cold"], 7);
  EXPECT_EQ(layers_by_phase["warm-up"], 7);    // one warm-up iteration
  EXPECT_EQ(layers_by_phase["measured"], 21);  // all three measured iterations
  EXPECT_LT(last_by_phase["cold"], first_by_phase["warm-up"]);
  EXPECT_LT(last_by_phase["warm-up"], first_by_phase["measured"]);
  EXPECT_EQ(counter_samples, 14);
  std::filesystem::remove(trace_file);
}

std::vector<std::string> hierarchical_run(const std::filesystem::path& topology,
                                          const std::vector<std::string>& more) {
  std::vector<std::string> arguments = {"run", topology.string(), "--backend", "reference", "--warmup",
                                        "1",   "--iterations",    "3",         "--no-db"};
  arguments.insert(arguments.end(), more.begin(), more.end());
  return arguments;
}

// The lines of the table's module view (after its title, header and rule).
std::vector<std::string> module_lines(const std::string& table) {
  const auto begin = table.find("per module:");
  if (begin == std::string::npos) return {};
  std::vector<std::string> lines;
  std::istringstream text(table.substr(begin, table.find("\nlatency", begin) - begin));
  for (std::string line; std::getline(text, line);)
    if (!line.empty()) lines.push_back(line);
  return lines.size() > 3 ? std::vector<std::string>(lines.begin() + 3, lines.end())
                          : std::vector<std::string>{};
}

// Each module's children most time first, and its figures the sums of theirs where no node sits on it.
void expect_sorted_sums(const nlohmann::json& module) {
  double time = 0;
  int nodes = 0;
  for (std::size_t c = 0; c < module["children"].size(); ++c) {
    const auto& child = module["children"][c];
    if (c > 0) {
      EXPECT_GE(module["children"][c - 1]["time_ms"].get<double>(), child["time_ms"].get<double>());
    }
    EXPECT_EQ(child["depth"], module["depth"].get<int>() + 1);
    time += child["time_ms"].get<double>();
    nodes += child["nodes"].get<int>();
    expect_sorted_sums(child);
  }
  if (!module["layer"].get<bool>()) {
    EXPECT_NEAR(module["time_ms"].get<double>(), time, 1e-9) << module["path"];
    EXPECT_EQ(module["nodes"], nodes) << module["path"];
  }
}

TEST(Run, OpTypeAndModuleViewsInJsonTableAndCsv) {
  const auto topology = ntp::test::hierarchical_topology();
  const auto json = run_ntp(hierarchical_run(topology, {"--format", "json"}));
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto record = nlohmann::json::parse(json.out);
  const auto& aggregates = record["aggregates"];
  const double end_to_end = record["latency"]["median"].get<double>();
  EXPECT_EQ(aggregates["end_to_end_ms"].get<double>(), end_to_end);
  // Per op type: the sums of the nodes' medians, counts and costs.
  std::map<std::string, std::pair<int, double>> expected;  // op -> (nodes, ms)
  double flops = 0;
  for (const auto& node : record["nodes"]) {
    auto& [count, ms] = expected[node["op"].get<std::string>()];
    ++count;
    ms += node["time_ms"]["median"].get<double>();
    if (node["op"] == "fc") flops += node["flops"].get<double>();
  }
  ASSERT_EQ(aggregates["op_types"].size(), 5u);
  for (std::size_t i = 0; i < aggregates["op_types"].size(); ++i) {
    const auto& op = aggregates["op_types"][i];
    const auto& [count, ms] = expected[op["op"].get<std::string>()];
    EXPECT_EQ(op["nodes"], count) << op["op"];
    EXPECT_NEAR(op["time_ms"].get<double>(), ms, 1e-9) << op["op"];
    EXPECT_NEAR(op["share"].get<double>(), ms / end_to_end, 1e-9) << op["op"];
    if (i > 0) {
      EXPECT_GE(aggregates["op_types"][i - 1]["time_ms"].get<double>(), op["time_ms"].get<double>());
    }
  }
  const auto fc = std::find_if(aggregates["op_types"].begin(), aggregates["op_types"].end(),
                               [](const auto& op) { return op["op"] == "fc"; });
  ASSERT_NE(fc, aggregates["op_types"].end());
  EXPECT_EQ((*fc)["nodes"], 3);
  EXPECT_EQ((*fc)["flops"].get<double>(), flops);
  // Per module: the whole tree, split on '/'.
  EXPECT_EQ(aggregates["separator"], "/");
  EXPECT_EQ(aggregates["depth"], 3);
  const auto& root = aggregates["modules"];
  EXPECT_EQ(root["nodes"], 7);
  std::vector<std::string> top;
  for (const auto& module : root["children"])
    top.push_back(module["path"]);
  std::sort(top.begin(), top.end());
  EXPECT_EQ(top, (std::vector<std::string>{"encoder", "head", "probs"}));
  expect_sorted_sums(root);

  // The table: op types and modules down to --depth (default 2) levels, children indented.
  const auto table = run_ntp(hierarchical_run(topology, {}));
  ASSERT_EQ(table.exit_code, 0) << table.err;
  for (const char* text : {"per op type: 7 nodes", "layernorm", "per module: 2 of 3 levels"})
    EXPECT_NE(table.out.find(text), std::string::npos) << text << "\n" << table.out;
  const auto two_levels = module_lines(table.out);
  EXPECT_EQ(two_levels.size(), 7u) << table.out;  // encoder, its two layers and norm; head, head/fc; probs
  EXPECT_EQ(std::count_if(two_levels.begin(), two_levels.end(),
                          [](const std::string& line) { return line.starts_with("  layer."); }),
            2);
  const auto one_level = run_ntp(hierarchical_run(topology, {"--depth", "1"}));
  ASSERT_EQ(one_level.exit_code, 0) << one_level.err;
  EXPECT_EQ(module_lines(one_level.out).size(), 3u) << one_level.out;
  EXPECT_NE(one_level.out.find("per module: 1 of 3 levels"), std::string::npos);
  const auto all_levels = run_ntp(hierarchical_run(topology, {"--depth", "9"}));
  ASSERT_EQ(all_levels.exit_code, 0) << all_levels.err;
  EXPECT_EQ(module_lines(all_levels.out).size(), 11u) << all_levels.out;
  EXPECT_NE(all_levels.out.find("\n    fc "), std::string::npos) << all_levels.out;

  // CSV: a row per op type and per module down to --depth, after the nodes.
  for (const auto& [depth, modules] : {std::pair{"1", 3}, std::pair{"2", 7}}) {
    const auto csv = run_ntp(hierarchical_run(topology, {"--format", "csv", "--depth", depth}));
    ASSERT_EQ(csv.exit_code, 0) << csv.err;
    int op_rows = 0, module_rows = 0;
    std::istringstream lines(csv.out);
    for (std::string line; std::getline(lines, line);) {
      op_rows += line.find(",op_type,") != std::string::npos ? 1 : 0;
      module_rows += line.find(",,module,") != std::string::npos ? 1 : 0;
    }
    EXPECT_EQ(op_rows, 5) << csv.out;
    EXPECT_EQ(module_rows, modules) << csv.out;
    EXPECT_NE(csv.out.find("\nencoder,,module,"), std::string::npos) << csv.out;
  }

  // `ntp report` of the saved record shows the same views, with its own --depth.
  const auto saved = temporary("modules.json");
  std::ofstream(saved) << json.out;
  const auto reported = run_ntp({"report", saved.string(), "--format", "table", "--depth", "1"});
  ASSERT_EQ(reported.exit_code, 0) << reported.err;
  EXPECT_EQ(module_lines(reported.out).size(), 3u) << reported.out;
  std::filesystem::remove(saved);
  std::filesystem::remove(topology);
}

TEST(Run, BadDepthIsRefused) {
  for (const char* depth : {"0", "-1", "two", "1.5", ""}) {
    const auto result = run_ntp(small_run("reference", {"--depth", depth}));
    EXPECT_EQ(result.exit_code, 2) << depth;
    EXPECT_TRUE(result.out.empty()) << depth;
    EXPECT_NE(result.err.find(std::string("--depth: '") + depth + "' is not a number of levels"),
              std::string::npos)
        << result.err;
  }
  const auto report = run_ntp({"report", "1", "--depth", "0"});
  EXPECT_EQ(report.exit_code, 2);
  EXPECT_NE(report.err.find("--depth: '0' is not a number of levels"), std::string::npos) << report.err;
}

TEST(Run, NoLayerTimingGivesEndToEndOnly) {
  const auto result = run_ntp(small_run("reference", {"--no-layer-timing", "--format", "json"}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto record = nlohmann::json::parse(result.out);
  EXPECT_FALSE(record["instrumentation"]["layer_timing"].get<bool>());
  EXPECT_FALSE(record["nodes"][0].contains("time_ms"));
  EXPECT_EQ(record["latency"]["count"], 3);
}

TEST(Run, ThroughputModeRunsConcurrentStreams) {
  const auto result =
      run_ntp(small_run("reference", {"--mode", "throughput", "--streams", "2", "--format", "json"}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto record = nlohmann::json::parse(result.out);
  EXPECT_EQ(record["throughput"]["streams"], 2);
  EXPECT_EQ(record["throughput"]["inferences"], 6);
  EXPECT_EQ(record["latency"]["count"], 6);
}

TEST(Run, SavesOutputsAndReadsThemBackAsInputs) {
  const auto folder = temporary("outputs");
  const auto result = run_ntp(small_run("reference", {"--save-outputs", folder.string(), "--save-all"}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const ntp::Tensor probs = ntp::io::read_npy((folder / "probs.npy").string());
  EXPECT_EQ(probs.shape(), (ntp::Shape{16, 1, 29}));
  double row = 0;
  for (int c = 0; c < 29; ++c)
    row += probs.as<float>()[c];
  EXPECT_NEAR(row, 1.0, 1e-5);  // a softmax row
  EXPECT_TRUE(std::filesystem::exists(folder / "bilstm.npy"));

  // fc3's output has the shape of the LSTM's input; a wrong-shaped input file is refused.
  const auto wrong =
      run_ntp(small_run("reference", {"--input", "features=" + (folder / "fc3.npy").string()}));
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_NE(wrong.err.find("the topology expects [16, 1, 494]"), std::string::npos) << wrong.err;
  std::filesystem::remove_all(folder);
}

TEST(Check, ReferenceAgreesWithItself) {
  const auto result = run_ntp({"check", example("deepspeech-v0.1.xml"), "--backend", "reference", "--set",
                               "hidden=32", "--set", "frames=8", "--format", "json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto document = nlohmann::json::parse(result.out);
  EXPECT_TRUE(document["pass"].get<bool>());
  for (const auto& layer : document["layers"])
    EXPECT_EQ(layer["max_abs_error"].get<double>(), 0.0);
}

}  // namespace

namespace {

TEST(Precision, ReferenceRefusesInt8Clearly) {
  const auto result =
      ntp::test::run_ntp({"run", ntp::test::example("deepspeech-v0.1.xml"), "--backend", "reference",
                          "--precision", "int8", "--set", "hidden=32", "--set", "frames=8"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("back end 'reference' cannot run int8"), std::string::npos) << result.err;
}

TEST(Precision, Int8CheckCalibratesAndStaysWithinTolerance) {
  const auto backends = ntp::test::run_ntp({"backends", "--format", "json"});
  bool int8 = false;
  for (const auto& backend : nlohmann::json::parse(backends.out))
    for (const auto& precision : backend["precisions"])
      if (backend["name"] == "onednn" && precision == "int8") int8 = true;
  if (!int8) GTEST_SKIP() << "no back end with int8 on this machine";
  const auto result = ntp::test::run_ntp({"check", ntp::test::example("deepspeech-v0.1.xml"), "--backend",
                                          "onednn", "--precision", "int8", "--set", "hidden=64", "--set",
                                          "frames=16", "--format", "json"});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  const auto document = nlohmann::json::parse(result.out);
  EXPECT_EQ(document["precision"], "int8");
  EXPECT_TRUE(document["pass"].get<bool>());
  double worst = 0;
  for (const auto& layer : document["layers"])
    worst = std::max(worst, layer["normalised_error"].get<double>());
  EXPECT_GT(worst, 0.0);  // quantised: not bit-identical to fp32
}

}  // namespace

namespace {}  // namespace

namespace {

using ntp::test::run_ntp;

// `ntp run --backend a,b`: every back end of this build on the same graph, lined up layer by layer.
TEST(RunSeveralBackends, ComparesEveryBackendLayerByLayer) {
  const std::vector<std::string> names = ntp::backend_names();
  if (names.size() < 2) GTEST_SKIP() << "this build has one back end";
  std::string list;
  for (const std::string& name : names)
    list += (list.empty() ? "" : ",") + name;
  const auto result = run_ntp(small_run(list, {"--format", "json"}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto comparison = nlohmann::json::parse(result.out);
  EXPECT_EQ(comparison["schema"], "ntp.compare/1");
  ASSERT_EQ(comparison["runs"].size(), names.size());
  ASSERT_EQ(comparison["records"].size(), names.size());
  for (std::size_t r = 0; r < names.size(); ++r) {
    EXPECT_EQ(comparison["runs"][r]["label"], names[r]);
    EXPECT_EQ(comparison["records"][r]["options"]["backend"], names[r]);
  }
  // Every layer of the baseline's record has its row, in order, holding each run's own median.
  const auto& baseline_nodes = comparison["records"][0]["nodes"];
  ASSERT_EQ(comparison["layers"].size(), baseline_nodes.size());
  for (std::size_t l = 0; l < baseline_nodes.size(); ++l) {
    const auto& row = comparison["layers"][l];
    EXPECT_EQ(row["name"], baseline_nodes[l]["name"]);
    const double baseline_ms = baseline_nodes[l]["time_ms"]["median"].get<double>();
    for (std::size_t r = 1; r < names.size(); ++r) {
      const auto& node = comparison["records"][r]["nodes"][l];
      ASSERT_EQ(node["name"], row["name"]);
      const double ms = node["time_ms"]["median"].get<double>();
      EXPECT_DOUBLE_EQ(row["runs"][r]["median_ms"].get<double>(), ms);
      EXPECT_DOUBLE_EQ(row["runs"][r]["ratio"].get<double>(), ms / baseline_ms);
    }
  }
  const auto table = run_ntp(small_run(list, {}));
  ASSERT_EQ(table.exit_code, 0) << table.err;
  for (const std::string& name : names)
    EXPECT_NE(table.out.find(name + " ms"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("end to end"), std::string::npos);
}

TEST(RunSeveralBackends, RefusesBadListsBeforeRunning) {
  for (const char* list : {"reference,reference", "reference,,reference", "reference,nosuch"}) {
    const auto result = run_ntp(small_run(list, {}));
    EXPECT_EQ(result.exit_code, 2) << list;
    EXPECT_TRUE(result.out.empty()) << list;
    EXPECT_NE(result.err.find("hint:"), std::string::npos) << result.err;
  }
  const auto saving = run_ntp(small_run("reference," + ntp::default_backend_name(),
                                        {"--save-outputs", temporary("several").string()}));
  if (ntp::default_backend_name() != "reference") {
    EXPECT_EQ(saving.exit_code, 2);
    EXPECT_NE(saving.err.find("--save-outputs"), std::string::npos) << saving.err;
  }
}

}  // namespace

namespace {

// --counters: software events per layer on any machine; hardware events say once why they are missing.
TEST(RunCounters, SoftwareCountersPerLayerAndHardwareOnesExplained) {
  const auto result =
      run_ntp(small_run("reference", {"--counters", "software,instructions", "--format", "json"}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto record = nlohmann::json::parse(result.out);
  ASSERT_TRUE(record.contains("counters"));
  const auto events = record["counters"]["events"].get<std::vector<std::string>>();
  EXPECT_NE(std::find(events.begin(), events.end(), "task-clock"), events.end());
  EXPECT_NE(std::find(events.begin(), events.end(), "page-faults"), events.end());
  const bool has_instructions = std::find(events.begin(), events.end(), "instructions") != events.end();
  if (!has_instructions) {
    ASSERT_EQ(record["counters"]["unavailable"].size(), 1U);
    EXPECT_EQ(record["counters"]["unavailable"][0]["event"], "instructions");
  }
  double task_ms = 0;
  double layer_ms = 0;
  for (const auto& node : record["nodes"]) {
    ASSERT_TRUE(node.contains("counters")) << node["name"];
    EXPECT_GE(node["counters"]["task-clock"].get<double>(), 0.0);
    task_ms += node["counters"]["task-clock"].get<double>() * 1e-6;
    layer_ms += node["time_ms"]["median"].get<double>();
    if (has_instructions) {
      EXPECT_GT(node["derived"]["ipc"].get<double>(), 0.0);
    }
  }
  // The reference back end runs on one thread: its CPU time is about its wall time.
  EXPECT_GT(task_ms, 0.5 * layer_ms);
  EXPECT_LT(task_ms, 1.5 * layer_ms + 0.5);
  const auto table = run_ntp(small_run("reference", {"--counters", "software"}));
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("task-clock ns"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("cores"), std::string::npos) << table.out;
  const auto csv = run_ntp(small_run("reference", {"--counters", "software", "--format", "csv"}));
  EXPECT_NE(csv.out.find("counter:page-faults"), std::string::npos) << csv.out;
  const auto trace = run_ntp(small_run("reference", {"--counters", "software", "--format", "trace"}));
  ASSERT_EQ(trace.exit_code, 0) << trace.err;
  int task_clock_samples = 0;
  const auto document = nlohmann::json::parse(trace.out);
  for (const auto& event : document["traceEvents"])
    if (event["ph"] == "C" && event["name"] == "task-clock per ms") {
      ++task_clock_samples;
      EXPECT_GE(event["args"]["value"].get<double>(), 0.0);
    }
  EXPECT_EQ(task_clock_samples, 14) << "a counter track over the 7 layers";
}

TEST(RunCounters, UnknownEventIsRefusedWithAHint) {
  const auto result = run_ntp(small_run("reference", {"--counters", "cycles,not-an-event"}));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("not-an-event"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("hint:"), std::string::npos) << result.err;
  EXPECT_TRUE(result.out.empty());
}

// Processes that keep every core busy for as long as they live: the competition of a shared machine.
class BusyCores {
 public:
  explicit BusyCores(int count) {
    for (int i = 0; i < count; ++i) {
      const pid_t child = ::fork();
      if (child == 0) {
        volatile unsigned spin = 0;
        while (true)
          spin = spin + 1u;
      }
      children_.push_back(child);
    }
  }
  ~BusyCores() {
    for (const pid_t child : children_) {
      ::kill(child, SIGKILL);
      ::waitpid(child, nullptr, 0);
    }
  }
  BusyCores(const BusyCores&) = delete;
  BusyCores& operator=(const BusyCores&) = delete;

 private:
  std::vector<pid_t> children_;
};

// A run that shares its cores with busy processes says so: in its quality record, in its table and on
// standard error when the table is not on the terminal (issue 17).
TEST(Run, ANoisyRunIsFlaggedInItsQualityRecord) {
  const auto saved = temporary("noisy.json");
  const auto database = temporary("noisy.db");
  std::filesystem::remove(database);
  ntp::test::ProcessResult result;
  {
    const BusyCores busy(static_cast<int>(std::thread::hardware_concurrency()) + 1);
    result =
        run_ntp({"run", example("small-cnn.xml"), "--backend", "reference", "--threads", "2", "--time", "1",
                 "--warmup", "1", "--db", database.string(), "--format", "json", "-o", saved.string()});
  }
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto record = nlohmann::json::parse(ntp::test::slurp(saved));
  ASSERT_TRUE(record.contains("quality"));
  const auto& quality = record["quality"];
  // How often the busy processes preempt the run depends on the scheduler and on what else the machine
  // runs (the 1-minute load average lags): either sign of competing work must be flagged.
  EXPECT_GT(quality["involuntary_switches_per_second"].get<double>(), 10.0);
  EXPECT_EQ(quality["threads"], 2);
  EXPECT_GT(quality["cores"].get<int>(), 0);
  std::string competing;
  for (const auto& warning : quality["warnings"]) {
    const std::string text = warning;
    if (text.find("preempted") != std::string::npos || text.find("other work competes") != std::string::npos)
      competing = text;
  }
  ASSERT_FALSE(competing.empty()) << quality.dump(2);
  EXPECT_NE(result.err.find("ntp: warning: small-cnn on reference: the figures may be off: " + competing),
            std::string::npos)
      << result.err;
  const auto table = run_ntp({"report", saved.string(), "--format", "table"});
  EXPECT_NE(table.out.find("warning: the figures may be off:"), std::string::npos) << table.out;
  // history and compare mark it too.
  const auto history = run_ntp({"history", "--db", database.string()});
  EXPECT_NE(history.out.find("noisy ("), std::string::npos) << history.out;
  const auto compared = run_ntp({"compare", saved.string(), saved.string(), "--format", "table"});
  EXPECT_NE(compared.out.find("may be off: "), std::string::npos) << compared.out;
  std::filesystem::remove(database);
}

// Layers the chosen back end has no kernel for run on the reference back end; when they hold the time, the
// table says so in a line of its own, not only in the implementation column (issue 17).
TEST(Run, LayersThatFellBackToTheReferenceAreSummed) {
  const auto modules = ntp::backend_module_names();
  if (std::find(modules.begin(), modules.end(), "onednn") == modules.end())
    GTEST_SKIP() << "this build has no onednn back end, whose lack of attention the test uses";
  const auto saved = temporary("fallback.json");
  const auto run =
      run_ntp({"run", example("transformer-encoder.xml"), "--backend", "onednn", "--set", "tokens=8",
               "--iterations", "2", "--warmup", "0", "--no-db", "--format", "json", "-o", saved.string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto record = nlohmann::json::parse(ntp::test::slurp(saved));
  EXPECT_EQ(record["fallbacks"]["layers"], 1);
  EXPECT_EQ(record["fallbacks"]["ops"], nlohmann::json::array({"attention"}));
  EXPECT_GT(record["fallbacks"]["share"].get<double>(), 0);
  const auto result = run_ntp({"report", saved.string(), "--format", "table"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("note: 1 layer (attention), "), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("ran on the reference back end: onednn has no kernel for it"), std::string::npos)
      << result.out;
  // The torch back end has attention: where this build has it, the line says to try it.
  const auto has_torch = std::find(modules.begin(), modules.end(), "torch") != modules.end() &&
                         ntp::find_backend("torch") != nullptr;
  EXPECT_EQ(record["fallbacks"]["backends_with_them"].dump().find("torch") != std::string::npos, has_torch);
  if (has_torch) {
    // (and "or --backend onnxruntime", which runs attention too, where this build has it)
    EXPECT_NE(result.out.find("try --backend torch"), std::string::npos) << result.out;
  }
  // The HTML report says it first, in its notices.
  const auto page = run_ntp({"report", saved.string(), "--format", "html"});
  ASSERT_EQ(page.exit_code, 0) << page.err;
  const auto notices = page.out.find("<ul class=\"notices\"");
  ASSERT_NE(notices, std::string::npos);
  EXPECT_LT(page.out.find("onednn has no kernel for it", notices), page.out.find("</ul>", notices));
  const auto own = run_ntp({"run", example("small-cnn.xml"), "--backend", "reference", "--iterations", "1",
                            "--warmup", "0", "--no-db"});
  EXPECT_EQ(own.out.find("ran on the reference back end:"), std::string::npos) << "no fallback, no line";
}

}  // namespace

// The stopping rule (issue 17): with a precision target the run goes on past --iterations until the
// median's 95% interval is that tight, or the time limit passes; the record says which, with the interval.
TEST(Run, APrecisionTargetStopsWhenTheMedianIsKnownWellEnough) {
  const auto saved = temporary("precision.json");
  const auto result = run_ntp({"run", example("small-cnn.xml"), "--backend", "reference", "--warmup", "1",
                               "--iterations", "6", "--precision-target", "0.05", "--max-time", "20",
                               "--no-db", "--format", "json", "-o", saved.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto record = nlohmann::json::parse(ntp::test::slurp(saved));
  const auto& latency = record["latency"];
  EXPECT_EQ(record["options"]["precision_target"], 0.05);
  EXPECT_GE(latency["count"].get<int>(), 6);
  ASSERT_TRUE(latency.contains("median_interval")) << latency.dump(2);
  const auto& interval = latency["median_interval"];
  EXPECT_LE(interval["low"].get<double>(), latency["median"].get<double>());
  EXPECT_GE(interval["high"].get<double>(), latency["median"].get<double>());
  EXPECT_GE(interval["coverage"].get<double>(), 0.95);
  const std::string stopped_by = latency["stopped_by"];
  if (stopped_by == "precision target") {
    EXPECT_LE(interval["relative_half_width"].get<double>(), 0.05);
  } else {  // a machine too busy to get there in 20 s: said so
    EXPECT_EQ(stopped_by, "max time");
    EXPECT_NE(record["quality"].dump().find("precision target"), std::string::npos);
  }
  EXPECT_FALSE(latency["partial"].get<bool>());
}

TEST(Run, AMaxTimeCutsALongIterationCountShort) {
  const auto saved = temporary("max-time.json");
  const auto result =
      run_ntp({"run", example("small-cnn.xml"), "--backend", "reference", "--warmup", "0", "--iterations",
               "1000000", "--max-time", "0.5", "--no-db", "--format", "json", "-o", saved.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto record = nlohmann::json::parse(ntp::test::slurp(saved));
  EXPECT_EQ(record["latency"]["stopped_by"], "max time");
  EXPECT_LT(record["latency"]["count"].get<int>(), 1000000);
  EXPECT_GE(record["throughput"]["wall_seconds"].get<double>(), 0.5);
  const auto table = run_ntp({"report", saved.string(), "--format", "table"});
  EXPECT_NE(table.out.find("measuring stopped: the time limit passed"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("(95% CI "), std::string::npos) << table.out;
}

// Ctrl-C in the measured iterations: the run stops, prints and writes what it measured, marked partial, and
// exits 130 as a shell reports a process SIGINT ended.
TEST(Run, CtrlCKeepsThePartialFiguresAndExits130) {
  const auto saved = temporary("interrupted.json");
  std::filesystem::remove(saved);
  const auto database = temporary("interrupted.db");
  std::filesystem::remove(database);
  const auto result =
      run_ntp({"run", example("small-cnn.xml"), "--backend", "reference", "--warmup", "0", "--time", "120",
               "--db", database.string(), "--format", "json", "-o", saved.string()},
              ntp::test::signal_when(SIGINT, "", std::chrono::seconds(3)));
  ASSERT_EQ(result.exit_code, 130) << result.err;
  ASSERT_EQ(result.err.find("before anything was measured"), std::string::npos)
      << "the signal came before the measured iterations (a slow machine?): " << result.err;
  const auto record = nlohmann::json::parse(ntp::test::slurp(saved));
  EXPECT_EQ(record["latency"]["stopped_by"], "interrupted");
  EXPECT_TRUE(record["latency"]["partial"].get<bool>());
  EXPECT_GE(record["latency"]["count"].get<int>(), 1);
  EXPECT_LT(record["throughput"]["wall_seconds"].get<double>(), 60);
  EXPECT_NE(record["quality"].dump().find("interrupted after"), std::string::npos);
  EXPECT_NE(result.err.find("ntp: interrupted: the figures below are partial"), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("recorded as run"), std::string::npos) << result.err;  // and recorded
  std::filesystem::remove(database);
}

// Before anything was measured there is nothing to keep: no output file, and still the signal's status.
TEST(Run, ASignalBeforeMeasuringWritesNothing) {
  const auto saved = temporary("never.json");
  std::filesystem::remove(saved);
  // The reference back end's DeepSpeech at full size takes seconds a warm-up iteration.
  const auto result = run_ntp({"run", example("deepspeech-v0.1.xml"), "--backend", "reference", "--warmup",
                               "50", "--no-db", "--format", "json", "-o", saved.string()},
                              ntp::test::signal_when(SIGTERM, "", std::chrono::milliseconds(1500)));
  EXPECT_EQ(result.exit_code, 143) << result.err;
  EXPECT_NE(result.err.find("before anything was measured: nothing was written"), std::string::npos)
      << result.err;
  EXPECT_FALSE(std::filesystem::exists(saved));
}

// The progress line is for a person at a terminal: util-linux's `script` gives the run one, and the line
// shows the phase, the count and the time left; without a terminal nothing of it reaches the log.
TEST(Run, ProgressIsDrawnOnATerminalOnly) {
  const std::vector<std::string> arguments = {"run",
                                              example("small-cnn.xml"),
                                              "--backend",
                                              "reference",
                                              "--time",
                                              "2.5",
                                              "--no-db",
                                              "--format",
                                              "json",
                                              "-o",
                                              temporary("progress.json").string()};
  std::string command = NTP_BINARY;
  for (const std::string& argument : arguments)
    command += " '" + argument + "'";
  const auto on_terminal = ntp::test::run_program("/usr/bin/script", {"-qec", command, "/dev/null"});
  ASSERT_EQ(on_terminal.exit_code, 0) << on_terminal.out << on_terminal.err;
  EXPECT_NE(on_terminal.out.find("ntp: measuring "), std::string::npos) << on_terminal.out;
  EXPECT_NE(on_terminal.out.find(" s left"), std::string::npos) << on_terminal.out;
  EXPECT_NE(on_terminal.out.rfind("\r\033[K"), std::string::npos) << "the line is cleared at the end";
  const auto logged = run_ntp(arguments);
  ASSERT_EQ(logged.exit_code, 0) << logged.err;
  EXPECT_EQ(logged.err.find("ntp: measuring"), std::string::npos) << logged.err;
  EXPECT_EQ(logged.err.find('\r'), std::string::npos) << logged.err;
}

// Per-layer placement (issue 18): --place puts a segment on one back end and a layer on another at its own
// precision; the record says where each ran and at what, conversions between element types are steps of
// their own, and ntp check holds every layer to the reference.
TEST(Run, LayersRunWhereTheyArePlaced) {
  const ntp::Backend* onednn = ntp::find_backend("onednn");
  const ntp::Backend* torch = ntp::find_backend("torch");
  if (onednn == nullptr || torch == nullptr) GTEST_SKIP() << "needs the onednn and torch back ends";
  const auto precisions = onednn->precisions();
  const bool bf16 = std::find(precisions.begin(), precisions.end(), ntp::DType::bf16) != precisions.end();
  const std::string fc1_place = bf16 ? "fc1=onednn:bf16" : "fc1=onednn";
  const std::vector<std::string> model = {example("deepspeech-v0.1.xml"),
                                          "--set",
                                          "hidden=64",
                                          "--set",
                                          "frames=16",
                                          "--place",
                                          "recurrent=torch",
                                          "--place",
                                          fc1_place};
  const auto saved = temporary("placed.json");
  std::vector<std::string> run = {"run"};
  run.insert(run.end(), model.begin(), model.end());
  run.insert(run.end(), {"-d", "reference", "-n", "2", "--warmup", "0", "--no-db", "--format", "json", "-o",
                         saved.string()});
  const auto result = run_ntp(run);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto record = nlohmann::json::parse(ntp::test::slurp(saved));
  std::map<std::string, std::pair<std::string, std::string>> placed;  // layer -> (back end, precision)
  bool converted = false;
  for (const auto& node : record["nodes"]) {
    placed[node["name"]] = {node["backend"], node.value("precision", "")};
    converted = converted || node["name"].get<std::string>().rfind("fc1.in0:fp32->bf16", 0) == 0;
  }
  EXPECT_EQ(placed["bilstm"], std::make_pair(std::string("torch"), std::string("fp32")));
  EXPECT_EQ(placed["fc1"], std::make_pair(std::string("onednn"), std::string(bf16 ? "bf16" : "fp32")));
  EXPECT_EQ(placed["fc2"], std::make_pair(std::string("reference"), std::string("fp32")));
  EXPECT_EQ(converted, bf16) << "a bf16 layer between fp32 ones converts its input in a step of its own";
  const auto table = run_ntp({"report", saved.string(), "--format", "table"});
  EXPECT_NE(table.out.find("[torch fp32]"), std::string::npos) << table.out;

  std::vector<std::string> check = {"check"};
  check.insert(check.end(), model.begin(), model.end());
  check.insert(check.end(), {"-d", "reference", "--format", "json"});
  const auto checked = run_ntp(check);
  ASSERT_EQ(checked.exit_code, 0) << checked.out << checked.err;
  const auto verdict = nlohmann::json::parse(checked.out);
  ASSERT_EQ(verdict["layers"].size(), 7u);
  for (const auto& layer : verdict["layers"]) {
    EXPECT_TRUE(layer["pass"].get<bool>()) << layer.dump();
    const std::string expected = layer["name"] == "bilstm" ? "torch"
                                 : layer["name"] == "fc1"  ? "onednn"
                                                           : "reference";
    EXPECT_EQ(layer["backend"], expected) << layer.dump();
  }
}
