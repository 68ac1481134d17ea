// Every op the onednn back end runs natively, in several variants, against the reference back end on the
// same seeded weights and inputs: fp32 within 1e-4 of the output's magnitude, bf16 within 3e-2.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "backends/onednn/onednn_backend.h"
#include "backends/op_cases.h"
#include "backends/reference/reference_backend.h"
#include "ntp/executable.h"
#include "ntp/topology.h"
#include "runtime/calibration.h"

namespace {

using ntp::testing_support::Case;
using ntp::testing_support::in;
using ntp::testing_support::kOpCases;

class OnednnVersusReference : public testing::TestWithParam<std::tuple<Case, ntp::DType>> {};

TEST_P(OnednnVersusReference, AgreesWithinTolerance) {
  const auto& [test_case, precision] = GetParam();
  const ntp::Backend& onednn = ntp::onednn_backend();
  const auto precisions = onednn.precisions();
  if (std::find(precisions.begin(), precisions.end(), precision) == precisions.end())
    GTEST_SKIP() << "this CPU has no native " << ntp::dtype_name(precision) << " in oneDNN";
  const ntp::Graph graph = ntp::testing_support::parse_case(test_case);
  const int node = static_cast<int>(graph.nodes.size()) - 1;
  ASSERT_TRUE(onednn.supports(graph, node, {precision, 0, nullptr})) << test_case.name;
  const auto agreement = ntp::testing_support::compare_last_node(graph, onednn, {precision, 0, nullptr});
  EXPECT_EQ(agreement.steps.back().backend, "onednn");
  EXPECT_FALSE(agreement.steps.back().implementation.empty());
  const double tolerance = precision == ntp::DType::f32 ? 1e-4 : 3e-2;
  EXPECT_GT(agreement.magnitude, 0.0) << "a zero output would make the comparison vacuous";
  EXPECT_LE(agreement.max_error, tolerance * std::max(agreement.magnitude, 1e-3))
      << test_case.name << " max error " << agreement.max_error << " magnitude " << agreement.magnitude;
}

INSTANTIATE_TEST_SUITE_P(EveryOp, OnednnVersusReference,
                         testing::Combine(testing::ValuesIn(kOpCases),
                                          testing::Values(ntp::DType::f32, ntp::DType::bf16)),
                         [](const testing::TestParamInfo<std::tuple<Case, ntp::DType>>& param) {
                           return std::get<0>(param.param).name + "_" +
                                  std::string(ntp::dtype_name(std::get<1>(param.param)));
                         });

TEST(OnednnBackend, CoversEveryOpItClaims) {
  std::set<std::string> tested;
  for (const Case& test_case : kOpCases)
    tested.insert(ntp::testing_support::case_op(test_case));
  for (const std::string& op : ntp::onednn_backend().ops())
    EXPECT_EQ(tested.count(op), 1U) << op << " has no case";
}

TEST(OnednnBackend, LeavesBinaryOpsWithEveryInputBroadcastToReference) {
  auto loaded =
      ntp::parse_topology(R"(<topology name="t"><input name="a" shape="3,1"/><input name="b" shape="1,4"/>
      <layer name="l" type="add" inputs="a,b"/></topology>)",
                          "t.xml");
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_FALSE(ntp::onednn_backend().supports(loaded.value(), 0, {ntp::DType::f32, 0, nullptr}));
}

TEST(OnednnBackend, FallsBackForOpsItLacksAndSaysSo) {
  auto loaded = ntp::parse_topology(R"(<topology name="t"><input name="x" shape="2,3,4"/>
      <layer name="f" type="flatten"/><layer name="l" type="fc" units="2"/></topology>)",
                                    "t.xml");
  ASSERT_TRUE(loaded.ok());
  const auto weights = ntp::generate_weights(loaded.value(), 1);
  ntp::Executable executable(loaded.value(), ntp::onednn_backend(), {ntp::DType::f32, 0, &weights});
  ASSERT_EQ(executable.steps().size(), 2U);
  EXPECT_TRUE(executable.steps()[0].fallback);
  EXPECT_EQ(executable.steps()[0].backend, "reference");
  EXPECT_FALSE(executable.steps()[1].fallback);
}

TEST(OnednnBackend, Bf16RunsConvertAtTheBoundariesAsTimedSteps) {
  if (ntp::onednn_backend().precisions().size() < 2) GTEST_SKIP() << "no native bf16 on this CPU";
  auto loaded = ntp::parse_topology(R"(<topology name="t"><input name="x" shape="2,8"/>
      <layer name="a" type="fc" units="4"/><layer name="b" type="fc" units="4"/></topology>)",
                                    "t.xml");
  ASSERT_TRUE(loaded.ok());
  const auto weights = ntp::generate_weights(loaded.value(), 1);
  ntp::Executable executable(loaded.value(), ntp::onednn_backend(), {ntp::DType::bf16, 0, &weights});
  std::vector<std::string> names;
  for (const auto& step : executable.steps())
    names.push_back(step.name);
  // One conversion of the fp32 input; the two bf16 layers then feed each other directly.
  EXPECT_EQ(names, (std::vector<std::string>{"a.in0:fp32->bf16", "a", "b"}));
}

}  // namespace

namespace {

class OnednnInt8 : public testing::TestWithParam<Case> {};

TEST_P(OnednnInt8, QuantisedLayersStayCloseToReference) {
  const ntp::Backend& onednn = ntp::onednn_backend();
  const auto precisions = onednn.precisions();
  if (std::find(precisions.begin(), precisions.end(), ntp::DType::s8) == precisions.end())
    GTEST_SKIP() << "this CPU has no native int8 in oneDNN";
  const Case& test_case = GetParam();
  auto loaded = ntp::parse_topology(
      "<topology name=\"t\">" + test_case.inputs + test_case.layers + "</topology>", "case.xml");
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  const ntp::Graph& graph = loaded.value();
  const auto weights = ntp::generate_weights(graph, 7);
  const auto inputs = ntp::generate_inputs(graph, 7);
  const std::vector<float> ranges = ntp::runtime::calibrate_ranges(graph, onednn, weights, inputs, 0);
  ntp::Executable reference(graph, ntp::reference_backend(), {ntp::DType::f32, 0, &weights, nullptr});
  ntp::Executable candidate(graph, onednn, {ntp::DType::s8, 0, &weights, &ranges});
  reference.run(inputs, nullptr);
  candidate.run(inputs, nullptr);
  // The fp32 input is quantised by an explicit step, then the int8 layer runs.
  ASSERT_EQ(candidate.steps().size(), 2U);
  EXPECT_EQ(candidate.steps()[0].op, "convert");
  EXPECT_NE(candidate.steps()[0].name.find("int8"), std::string::npos);  // int8 for fc, uint8 for lstm
  EXPECT_NE(candidate.steps()[0].name.find(":fp32->"), std::string::npos);
  const auto [error, magnitude] = ntp::testing_support::error_and_magnitude(
      reference.value_f32(graph.outputs[0]), candidate.value_f32(graph.outputs[0]));
  // 8-bit weights and inputs: a few percent of the output's magnitude.
  EXPECT_LE(error, 0.05 * magnitude) << test_case.name << " error " << error << " magnitude " << magnitude;
  EXPECT_GT(error, 0.0) << "identical to fp32: the layer did not run quantised";
}

INSTANTIATE_TEST_SUITE_P(FcAndLstm, OnednnInt8,
                         testing::ValuesIn(ntp::testing_support::int8_cases(
                             {"lstm_bidirectional", in("x", "7,2,5"),
                              R"(<layer name="l" type="lstm" hidden="6" direction="bidirectional"/>)"})),
                         [](const testing::TestParamInfo<Case>& param) { return param.param.name; });

}  // namespace
