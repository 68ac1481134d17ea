// Every op the opencv back end claims, on the shared per-op cases (and a few of its own), against the
// reference back end on the same seeded weights and inputs: fp32 within 1e-4 of the output's magnitude.
// Cases OpenCV's layers cannot express must fall back to reference and still agree.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "backends/op_cases.h"
#include "backends/opencv/opencv_backend.h"
#include "backends/reference/reference_backend.h"
#include "ntp/analysis.h"
#include "ntp/executable.h"
#include "ntp/topology.h"
#include "report/run_views.h"
#include "runtime/runner.h"
#include "session/record_builder.h"

namespace {

using ntp::testing_support::Case;
using ntp::testing_support::in;

// Ops the shared cases do not cover, and shapes OpenCV handles in its own way (rank-3 batch norm and
// pooling, the last-axis concat, the rank-2 right operand of matmul seen as one matrix).
const std::vector<Case> kOpencvCases = {
    {"reshape", in("x", "2,3,4"), R"(<layer name="l" type="reshape" shape="6,4"/>)"},
    {"flatten", in("x", "2,3,4,5"), R"(<layer name="l" type="flatten"/>)"},
    {"concat_last", in("a", "2,3") + in("b", "2,5"),
     R"(<layer name="l" type="concat" axis="-1" inputs="a,b"/>)"},
    {"mul_same", in("a", "2,3,4") + in("b", "2,3,4"), R"(<layer name="l" type="mul" inputs="a,b"/>)"},
    {"lstm_stacked_sum", in("x", "5,3,4"),
     R"(<layer name="l" type="lstm" hidden="5" layers="2" direction="bidirectional" merge="sum"/>)"},
};

std::vector<Case> claimed_cases() {
  const std::vector<std::string> ops = ntp::opencv_backend().ops();
  std::vector<Case> cases;
  for (const auto* list : {&ntp::testing_support::kOpCases, &kOpencvCases})
    for (const Case& test_case : *list)
      if (std::find(ops.begin(), ops.end(), ntp::testing_support::case_op(test_case)) != ops.end())
        cases.push_back(test_case);
  return cases;
}

const ntp::CompileOptions kFp32{ntp::DType::f32, 0, nullptr};

class OpencvVersusReference : public testing::TestWithParam<Case> {};

TEST_P(OpencvVersusReference, AgreesWithinTolerance) {
  const Case& test_case = GetParam();
  const ntp::Backend& opencv = ntp::opencv_backend();
  const ntp::Graph graph = ntp::testing_support::parse_case(test_case);
  const int node = static_cast<int>(graph.nodes.size()) - 1;
  const bool native = opencv.supports(graph, node, kFp32);
  const auto agreement = ntp::testing_support::compare_last_node(graph, opencv, kFp32);
  const ntp::Step& step = agreement.steps.back();
  if (native) {
    EXPECT_EQ(step.backend, "opencv");
    EXPECT_EQ(step.implementation.rfind("opencv:", 0), 0U) << step.implementation;
  } else {
    // Broadcasting add/mul, gelu after fc, batch-broadcast matmul: OpenCV 4.6 has no layer for them.
    EXPECT_EQ(step.backend, "reference") << test_case.name;
    EXPECT_TRUE(step.fallback);
  }
  EXPECT_GT(agreement.magnitude, 0.0) << "a zero output would make the comparison vacuous";
  EXPECT_LE(agreement.max_error, 1e-4 * std::max(agreement.magnitude, 1e-3))
      << test_case.name << " max error " << agreement.max_error << " magnitude " << agreement.magnitude;
}

INSTANTIATE_TEST_SUITE_P(EveryClaimedOp, OpencvVersusReference, testing::ValuesIn(claimed_cases()),
                         [](const testing::TestParamInfo<Case>& param) { return param.param.name; });

TEST(OpencvBackend, CoversEveryOpItClaims) {
  std::set<std::string> natively_tested;
  for (const Case& test_case : claimed_cases()) {
    const ntp::Graph graph = ntp::testing_support::parse_case(test_case);
    if (ntp::opencv_backend().supports(graph, static_cast<int>(graph.nodes.size()) - 1, kFp32))
      natively_tested.insert(ntp::testing_support::case_op(test_case));
  }
  for (const std::string& op : ntp::opencv_backend().ops())
    EXPECT_EQ(natively_tested.count(op), 1U) << op << " has no case that runs on OpenCV";
}

TEST(OpencvBackend, RunsOnlyFp32) {
  EXPECT_EQ(ntp::opencv_backend().precisions(), std::vector<ntp::DType>{ntp::DType::f32});
  const ntp::Graph graph = ntp::testing_support::parse_case(ntp::testing_support::kOpCases.front());
  EXPECT_FALSE(ntp::opencv_backend().supports(graph, 0, {ntp::DType::bf16, 0, nullptr}));
}

ntp::Graph parse(const std::string& layers) {
  auto loaded = ntp::parse_topology(
      R"(<topology name="t"><input name="x" shape="4,8" distribution="normal"/>)" + layers + "</topology>",
      "t.xml");
  if (!loaded.ok()) throw std::runtime_error(loaded.error().to_string());
  return loaded.value();
}

TEST(OpencvBackend, FallsBackForOpsItLacksAndSaysSo) {
  // OpenCV 4.6 has no GELU layer: neither the op nor the activation fused into fc.
  const ntp::Graph graph = parse(R"(<layer name="a" type="fc" units="6" activation="gelu"/>
      <layer name="b" type="gelu"/><layer name="c" type="fc" units="3"/>)");
  const auto weights = ntp::generate_weights(graph, 3);
  const ntp::Executable executable(graph, ntp::opencv_backend(), {ntp::DType::f32, 0, &weights});
  ASSERT_EQ(executable.steps().size(), 3U);
  for (std::size_t s = 0; s < 2; ++s) {
    EXPECT_EQ(executable.steps()[s].backend, "reference");
    EXPECT_TRUE(executable.steps()[s].fallback);
  }
  EXPECT_EQ(executable.steps()[2].backend, "opencv");
  EXPECT_FALSE(executable.steps()[2].fallback);
}

TEST(OpencvBackend, MissingWeightIsAUserErrorNamingTheLayer) {
  const ntp::Graph graph = parse(R"(<layer name="dense1" type="fc" units="6"/>)");
  const ntp::WeightStore empty;
  try {
    ntp::Executable executable(graph, ntp::opencv_backend(), {ntp::DType::f32, 0, &empty});
    FAIL() << "compiled without weights";
  } catch (const ntp::UserError& error) {
    EXPECT_NE(std::string(error.what()).find("dense1"), std::string::npos) << error.what();
  }
}

// OpenCV's own per-layer timer (Net::getPerfProfile) reaches the run record beside NTP's time, for the
// layers OpenCV ran and for no others.
TEST(OpencvBackend, ReportsTheLibrarysOwnLayerTimes) {
  const ntp::Graph graph = parse(R"(<layer name="dense" type="fc" units="64" activation="relu"/>
      <layer name="g" type="gelu"/><layer name="out" type="fc" units="16"/>)");
  const auto weights = ntp::generate_weights(graph, 5);
  ntp::Executable executable(graph, ntp::opencv_backend(), {ntp::DType::f32, 0, &weights});
  executable.run(ntp::generate_inputs(graph, 5), nullptr);
  ASSERT_TRUE(executable.library_time_ms(0).has_value());
  EXPECT_GT(*executable.library_time_ms(0), 0.0);
  EXPECT_FALSE(executable.library_time_ms(1).has_value()) << "gelu ran on reference";

  ntp::runtime::RunOptions options;
  options.warmup = 1;
  options.stopping.iterations = 3;
  const auto measurements =
      ntp::runtime::measure({&executable}, ntp::opencv_backend(), {ntp::generate_inputs(graph, 5)}, options);
  ntp::session::RunSettings settings;
  settings.backend = "opencv";
  settings.options = options;
  const auto record =
      ntp::session::make_run_record(graph, ntp::analyze(graph), measurements, settings).to_json();
  const auto& nodes = record.at("nodes");
  ASSERT_EQ(nodes.size(), 3U);
  for (const std::size_t opencv_node : {0U, 2U}) {
    const auto& node = nodes[opencv_node];
    ASSERT_TRUE(node.contains("library_ms")) << node.dump();
    EXPECT_EQ(node["library_ms"]["count"], 3);
    EXPECT_GT(node["library_ms"]["median"].get<double>(), 0.0);
    // OpenCV's timer sits inside NTP's step, which also copies the tensors in and out.
    EXPECT_LE(node["library_ms"]["median"].get<double>(), node["time_ms"]["max"].get<double>());
  }
  EXPECT_FALSE(nodes[1].contains("library_ms"));
  EXPECT_NE(ntp::report::run_table(record).find("lib ms"), std::string::npos);
}

}  // namespace
