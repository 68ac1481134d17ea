// `ntp run --tool perf|callgrind`: NTP relaunches itself under the tool, which sees only the chosen
// regions of the measured iterations; the counts come back into the run record.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "process.h"

namespace {

using ntp::test::example;
using ntp::test::run_ntp;
using ntp::test::slurp;

using ntp::test::small_run;

// DeepSpeech with a tool attribute on one start marker.
std::filesystem::path with_marker_tool(const std::string& segment, const std::string& tool) {
  const std::string text = slurp(example("deepspeech-v0.1.xml"));
  const auto path = std::filesystem::temp_directory_path() /
                    (std::to_string(::getpid()) + "-" + segment + "-" + tool + ".xml");
  std::ofstream(path) << std::regex_replace(text, std::regex("<start marker=\"" + segment + "\"/>"),
                                            "<start marker=\"" + segment + "\" tool=\"" + tool + "\"/>");
  return path;
}

const nlohmann::json* find_named(const nlohmann::json& list, const std::string& name) {
  for (const auto& item : list)
    if (item["name"] == name) return &item;
  return nullptr;
}

// ---- --tool perf ----

bool perf_runs_here(std::string& why) {
  if (std::system("perf stat -e task-clock true > /dev/null 2>&1") != 0) {
    why =
        "perf stat cannot run here (scripts/install-deps.sh installs linux-perf; perf_event_paranoid may "
        "forbid it)";
    return false;
  }
  return true;
}

TEST(RunPerf, SoftwareEventsCountOnlyInsideTheRegion) {
  std::string why;
  if (!perf_runs_here(why)) GTEST_SKIP() << why;
  // Loading and the cold run take far longer than the recurrent segment: had perf counted them, task-clock
  // would exceed the segment's own time many times over.
  const auto result = run_ntp({"run",          example("deepspeech-v0.1.xml"),
                               "--backend",    "reference",
                               "--set",        "hidden=128",
                               "--set",        "frames=32",
                               "--threads",    "1",
                               "--warmup",     "1",
                               "--iterations", "5",
                               "--tool",       "perf",
                               "--counters",   "software,cycles",
                               "--region",     "recurrent",
                               "--format",     "json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err.find("Events enabled"), std::string::npos) << "perf's control chatter is dropped";
  const auto record = nlohmann::json::parse(result.out);
  ASSERT_TRUE(record.contains("perf"));
  const auto& perf = record["perf"];
  EXPECT_EQ(perf["regions"], nlohmann::json::array({"recurrent"}));
  EXPECT_EQ(perf["iterations"].get<double>(), 5.0);
  for (const char* event : {"task-clock", "page-faults", "context-switches", "cpu-migrations"})
    EXPECT_TRUE(perf["events"].contains(event)) << event;
  const double busy_ms = perf["per_iteration"]["task-clock"].get<double>();
  const auto* segment = find_named(record["segments"], "recurrent");
  ASSERT_NE(segment, nullptr);
  const double segment_ms = (*segment)["time_ms"]["mean"].get<double>();
  // A thread busy through the region, less the time other work preempted it on a shared machine (with the
  // fuzzers' load it measured under half the wall time).
  EXPECT_GT(busy_ms, 0.2 * segment_ms) << "one thread was busy through the region";
  EXPECT_LT(busy_ms, 2.0 * segment_ms) << "perf counted outside the region";
  EXPECT_DOUBLE_EQ((*segment)["perf"]["task-clock"].get<double>(), busy_ms);
  // cycles: counted where the PMU is exposed, explained where not (virtual machines).
  bool cycles_explained = false;
  for (const auto& missing : perf["unsupported"])
    if (missing["event"] == "cycles")
      cycles_explained = missing["reason"].get<std::string>().find("PMU") != std::string::npos;
  EXPECT_TRUE(perf["events"].contains("cycles") || cycles_explained) << perf.dump(2);

  const auto table = run_ntp(small_run("reference", {"--tool", "perf", "--counters", "software"}));
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("perf stat over every layer (3 measured iterations)"), std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("task-clock"), std::string::npos) << table.out;
}

TEST(RunPerf, TheMarkersToolAttributeChoosesToolAndRegion) {
  std::string why;
  if (!perf_runs_here(why)) GTEST_SKIP() << why;
  const auto topology = with_marker_tool("front", "perf");
  const auto result =
      run_ntp(small_run("reference", {"--counters", "software", "--format", "json"}, topology));
  std::filesystem::remove(topology);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("markers ask for perf on front"), std::string::npos) << result.err;
  const auto record = nlohmann::json::parse(result.out);
  EXPECT_EQ(record["perf"]["regions"], nlohmann::json::array({"front"}));
  EXPECT_TRUE(find_named(record["segments"], "front")->contains("perf"));
  EXPECT_FALSE(find_named(record["segments"], "back")->contains("perf"));
}

TEST(RunPerf, BadRegionsToolsAndEventsAreRefusedWithAHint) {
  const auto unknown = run_ntp(small_run("reference", {"--tool", "perf", "--region", "recurent"}));
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("--region 'recurent' is not a segment"), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("segments: front, recurrent, back"), std::string::npos) << unknown.err;
  const auto no_tool = run_ntp(small_run("reference", {"--region", "recurrent"}));
  EXPECT_EQ(no_tool.exit_code, 2);
  EXPECT_NE(no_tool.err.find("add --tool perf"), std::string::npos) << no_tool.err;
  const auto topology = with_marker_tool("recurrent", "likwid");
  const auto unbuilt = run_ntp(small_run("reference", {}, topology.string()));
  EXPECT_EQ(unbuilt.exit_code, 2);
  EXPECT_NE(unbuilt.err.find("cannot drive 'likwid'"), std::string::npos) << unbuilt.err;
  EXPECT_NE(unbuilt.err.find(topology.filename().string()), std::string::npos) << "names the marker's file";
  // --tool on the command line wins over the marker.
  const auto overridden =
      run_ntp(small_run("reference", {"--tool", "perf", "--region", "nowhere"}, topology));
  std::filesystem::remove(topology);
  EXPECT_EQ(overridden.exit_code, 2);
  EXPECT_EQ(overridden.err.find("likwid"), std::string::npos) << overridden.err;
  const auto several = run_ntp(small_run("reference,reference2", {"--tool", "perf"}));
  EXPECT_EQ(several.exit_code, 2);
  std::string why;
  if (!perf_runs_here(why)) GTEST_SKIP() << why;
  const auto event = run_ntp(small_run("reference", {"--tool", "perf", "--counters", "no-such-event"}));
  EXPECT_EQ(event.exit_code, 2) << event.err;
  EXPECT_NE(event.err.find("perf stat refused"), std::string::npos) << event.err;
  EXPECT_NE(event.err.find("perf list"), std::string::npos) << event.err;
}

// ---- --tool papi ----

TEST(RunPapi, CountsPerLayerThroughPapiOrSaysWhyNot) {
  const auto result =
      run_ntp(small_run("reference", {"--tool", "papi", "--counters", "PAPI_TOT_INS", "--format", "json"}));
  if (result.exit_code == 2) {
    // No PAPI in this build, or no counters for PAPI here (a VM without PMU): said clearly, nothing written.
    EXPECT_TRUE(result.err.find("PAPI finds no counters on this machine") != std::string::npos ||
                result.err.find("has no PAPI") != std::string::npos)
        << result.err;
    EXPECT_NE(result.err.find("hint:"), std::string::npos) << result.err;
    EXPECT_TRUE(result.out.empty());
    GTEST_SKIP() << "PAPI cannot count here: " << result.err;
  }
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto record = nlohmann::json::parse(result.out);
  EXPECT_EQ(record["counters"]["source"], "papi");
  for (const auto& node : record["nodes"])
    EXPECT_GT(node["counters"]["PAPI_TOT_INS"].get<double>(), 0.0) << node["name"];
}

// ---- NVTX ----

TEST(RunNvtx, EveryLayerAndSegmentIsARangeInTheMeasuredIterations) {
#ifndef NTP_NVTX_RECORDER
  GTEST_SKIP() << "this build has no NVTX (the CUDA toolkit's nvtx3 headers were not found)";
#else
  const auto log = std::filesystem::temp_directory_path() / (std::to_string(::getpid()) + "-nvtx.log");
  ::setenv("NVTX_INJECTION64_PATH", NTP_NVTX_RECORDER, 1);
  ::setenv("NTP_NVTX_LOG", log.c_str(), 1);
  const auto result = run_ntp(small_run("reference", {"--format", "json"}));
  ::unsetenv("NVTX_INJECTION64_PATH");
  ::unsetenv("NTP_NVTX_LOG");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::map<std::string, int> pushed;
  std::map<std::string, int> started;
  int pops = 0;
  int ends = 0;
  std::istringstream lines(slurp(log));
  std::string kind;
  std::string name;
  while (lines >> kind >> name) {
    if (kind == "push") ++pushed[name];
    if (kind == "start") ++started[name];
    pops += kind == "pop" ? 1 : 0;
    ends += kind == "end" ? 1 : 0;
  }
  std::filesystem::remove(log);
  // 3 measured iterations (warm-up and the cold run are not ranged): 7 layers, 3 segments each.
  for (const char* layer : {"fc1", "fc2", "fc3", "bilstm", "fc5", "fc6", "probs"})
    EXPECT_EQ(pushed[layer], 3) << layer;
  for (const char* segment : {"front", "recurrent", "back"})
    EXPECT_EQ(started[segment], 3) << segment;
  EXPECT_EQ(pops, 21);
  EXPECT_EQ(ends, 9);
#endif
}

// ---- --tool callgrind ----

bool valgrind_runs_here(std::string& why) {
#if defined(__SANITIZE_ADDRESS__)
  why = "valgrind cannot run a program built with AddressSanitizer";
  return false;
#else
  if (std::system("valgrind --version > /dev/null 2>&1") != 0) {
    why = "valgrind is not installed (scripts/install-deps.sh installs it)";
    return false;
  }
  return true;
#endif
}

TEST(RunCallgrind, CountsInstructionsAndSimulatedCacheMissesPerLayer) {
  std::string why;
  if (!valgrind_runs_here(why)) GTEST_SKIP() << why;
  const auto result = run_ntp(small_run("reference", {"--tool", "callgrind", "--format", "json"}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto record = nlohmann::json::parse(result.out);
  ASSERT_TRUE(record.contains("callgrind"));
  const auto events = record["callgrind"]["events"].get<std::vector<std::string>>();
  for (const char* event : {"Ir", "Dr", "Dw", "D1mr", "DLmr"})
    EXPECT_NE(std::find(events.begin(), events.end(), event), events.end()) << event;
  std::map<std::string, nlohmann::json> layers;
  for (const auto& node : record["nodes"]) {
    ASSERT_TRUE(node.contains("callgrind")) << node["name"];
    const auto& counts = node["callgrind"];
    EXPECT_GT(counts["Ir"].get<double>(), 0.0) << node["name"];
    const double d1 = counts.value("D1_miss_rate", -1.0);
    EXPECT_GE(d1, 0.0) << node["name"];
    EXPECT_LE(d1, 1.0) << node["name"];
    layers[node["name"]] = node;
  }
  // The reference fc is a plain loop over multiply-adds: instructions follow the FLOPs. fc1 (494 inputs)
  // does 7.7x the work of fc2 (64 inputs) at the same 64 units.
  const double flop_ratio = layers["fc1"]["flops"].get<double>() / layers["fc2"]["flops"].get<double>();
  const double instruction_ratio =
      layers["fc1"]["callgrind"]["Ir"].get<double>() / layers["fc2"]["callgrind"]["Ir"].get<double>();
  EXPECT_GT(instruction_ratio, 0.6 * flop_ratio);
  EXPECT_LT(instruction_ratio, 1.4 * flop_ratio);
  // A segment's counts are its layers' sums.
  for (const auto& segment : record["segments"]) {
    double sum = 0;
    for (const auto& layer : segment["layers"])
      sum += layers[layer.get<std::string>()]["callgrind"]["Ir"].get<double>();
    EXPECT_DOUBLE_EQ(segment["callgrind"]["Ir"].get<double>(), sum) << segment["name"];
  }
  const auto table = run_ntp(small_run("reference", {"--tool", "callgrind"}));
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("LL miss"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("valgrind hides AVX-512"), std::string::npos) << table.out;
}

TEST(RunCallgrind, OneBackEndAtATimeAndNotByHand) {
  const auto several = run_ntp(small_run("reference,reference2", {"--tool", "callgrind"}));
  EXPECT_EQ(several.exit_code, 2) << several.err;
  EXPECT_NE(several.err.find("one back end at a time"), std::string::npos) << several.err;
  const auto child = run_ntp(small_run("reference", {"--tool", "callgrind", "--tool-child"}));
  EXPECT_EQ(child.exit_code, 2) << child.err;
  EXPECT_NE(child.err.find("--tool callgrind instead"), std::string::npos) << child.err;
}

TEST(RunCallgrind, ARegionLimitsCollectionToItsLayers) {
  std::string why;
  if (!valgrind_runs_here(why)) GTEST_SKIP() << why;
  const auto result =
      run_ntp(small_run("reference", {"--tool", "callgrind", "--region", "back", "--format", "json"}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto record = nlohmann::json::parse(result.out);
  EXPECT_EQ(record["callgrind"]["regions"], nlohmann::json::array({"back"}));
  for (const char* layer : {"fc5", "fc6", "probs"})
    EXPECT_GT((*find_named(record["nodes"], layer))["callgrind"]["Ir"].get<double>(), 0.0) << layer;
  for (const char* layer : {"fc1", "bilstm"})
    EXPECT_FALSE(find_named(record["nodes"], layer)->contains("callgrind")) << layer;
  EXPECT_FALSE(find_named(record["segments"], "front")->contains("callgrind"));
}

}  // namespace
