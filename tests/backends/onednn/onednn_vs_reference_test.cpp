// Every op the onednn back end runs natively, in several variants, against the reference back end on the
// same seeded weights and inputs: fp32 within 1e-4 of the output's magnitude, bf16 within 3e-2.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "backends/onednn/onednn_backend.h"
#include "backends/reference/reference_backend.h"
#include "ntp/executable.h"
#include "ntp/topology.h"
#include "runtime/calibration.h"

namespace {

struct Case {
  std::string name;
  std::string inputs;  // <input> elements
  std::string layers;  // <layer> elements; the last layer is the op under test
};

std::string in(const std::string& name, const std::string& shape) {
  return "<input name=\"" + name + "\" shape=\"" + shape + "\" distribution=\"normal\"/>";
}

const std::vector<Case> kCases = {
    {"fc", in("x", "6,3,10"), R"(<layer name="l" type="fc" units="7"/>)"},
    {"fc_relu_clip", in("x", "5,12"),
     R"(<layer name="l" type="fc" units="9" activation="relu" clip="0.5"/>)"},
    {"fc_no_bias_tanh", in("x", "5,12"),
     R"(<layer name="l" type="fc" units="9" bias="0" activation="tanh"/>)"},
    {"fc_sigmoid", in("x", "4,8"), R"(<layer name="l" type="fc" units="3" activation="sigmoid"/>)"},
    {"fc_gelu", in("x", "4,8"), R"(<layer name="l" type="fc" units="3" activation="gelu"/>)"},
    {"fc_leaky", in("x", "4,8"),
     R"(<layer name="l" type="fc" units="3" activation="leaky_relu" alpha="0.2"/>)"},
    {"matmul_batched", in("a", "2,3,4,5") + in("b", "2,3,5,6"),
     R"(<layer name="l" type="matmul" inputs="a,b"/>)"},
    {"matmul_broadcast", in("a", "3,4,5") + in("b", "5,6"),
     R"(<layer name="l" type="matmul" inputs="a,b"/>)"},
    {"matmul_transposed", in("a", "4,5") + in("b", "6,5"),
     R"(<layer name="l" type="matmul" inputs="a,b" transpose_b="1"/>)"},
    {"lstm_forward", in("x", "7,2,5"), R"(<layer name="l" type="lstm" hidden="6"/>)"},
    {"lstm_reverse", in("x", "7,2,5"), R"(<layer name="l" type="lstm" hidden="6" direction="reverse"/>)"},
    {"lstm_bidirectional_concat", in("x", "7,2,5"),
     R"(<layer name="l" type="lstm" hidden="6" direction="bidirectional"/>)"},
    {"lstm_bidirectional_sum", in("x", "7,2,5"),
     R"(<layer name="l" type="lstm" hidden="6" direction="bidirectional" merge="sum"/>)"},
    {"lstm_stacked", in("x", "7,2,5"),
     R"(<layer name="l" type="lstm" hidden="6" layers="3" direction="bidirectional"/>)"},
    {"lstm_forget_bias", in("x", "7,2,5"), R"(<layer name="l" type="lstm" hidden="6" forget_bias="1"/>)"},
    {"gru_forward", in("x", "7,2,5"), R"(<layer name="l" type="gru" hidden="6"/>)"},
    {"gru_bidirectional_stacked", in("x", "7,2,5"),
     R"(<layer name="l" type="gru" hidden="4" layers="2" direction="bidirectional"/>)"},
    {"rnn_tanh", in("x", "7,2,5"), R"(<layer name="l" type="rnn" hidden="6" direction="reverse"/>)"},
    {"rnn_relu_sum", in("x", "7,2,5"),
     R"(<layer name="l" type="rnn" hidden="6" activation="relu" direction="bidirectional" merge="sum"/>)"},
    {"conv1d", in("x", "2,3,20"),
     R"(<layer name="l" type="conv1d" filters="4" kernel="5" stride="2" padding="2"/>)"},
    {"conv1d_depthwise_dilated", in("x", "2,4,20"),
     R"(<layer name="l" type="conv1d" filters="4" kernel="3" dilation="2" groups="4"/>)"},
    {"conv2d", in("x", "2,3,12,10"),
     R"(<layer name="l" type="conv2d" filters="5" kernel="3,5" stride="2,1" padding="1,2" activation="relu"/>)"},
    {"conv2d_grouped", in("x", "1,4,9,9"),
     R"(<layer name="l" type="conv2d" filters="6" kernel="3" groups="2" bias="0"/>)"},
    {"conv2d_dilated_leaky", in("x", "2,5,11,13"),
     R"(<layer name="l" type="conv2d" filters="7" kernel="3" dilation="2" padding="2" activation="leaky_relu" alpha="0.1"/>)"},
    {"maxpool_wide_2x2", in("x", "1,20,8,30"), R"(<layer name="l" type="maxpool" kernel="2"/>)"},
    {"maxpool2d", in("x", "2,3,9,9"),
     R"(<layer name="l" type="maxpool" kernel="3" stride="2" padding="1"/>)"},
    {"avgpool1d", in("x", "2,3,11"), R"(<layer name="l" type="avgpool" kernel="3" stride="2" padding="1"/>)"},
    {"avgpool_include_pad", in("x", "2,3,8,8"),
     R"(<layer name="l" type="avgpool" kernel="2" padding="1" count_include_pad="1"/>)"},
    {"global_avgpool", in("x", "2,5,6,7"), R"(<layer name="l" type="global_avgpool"/>)"},
    {"global_maxpool", in("x", "2,5,7"), R"(<layer name="l" type="global_maxpool"/>)"},
    {"batchnorm", in("x", "2,4,5,5"), R"(<layer name="l" type="batchnorm"/>)"},
    {"batchnorm_1d", in("x", "3,6,7"), R"(<layer name="l" type="batchnorm" epsilon="0.001"/>)"},
    {"batchnorm_2d", in("x", "5,6"), R"(<layer name="l" type="batchnorm"/>)"},
    {"layernorm", in("x", "3,4,16"), R"(<layer name="l" type="layernorm"/>)"},
    {"relu", in("x", "4,9"), R"(<layer name="l" type="relu"/>)"},
    {"relu_clip", in("x", "4,9"), R"(<layer name="l" type="relu" clip="0.7"/>)"},
    {"leaky_relu", in("x", "4,9"), R"(<layer name="l" type="leaky_relu" alpha="0.1"/>)"},
    {"tanh", in("x", "4,9"), R"(<layer name="l" type="tanh"/>)"},
    {"sigmoid", in("x", "4,9"), R"(<layer name="l" type="sigmoid"/>)"},
    {"gelu_erf", in("x", "4,9"), R"(<layer name="l" type="gelu"/>)"},
    {"gelu_tanh", in("x", "4,9"), R"(<layer name="l" type="gelu" approximate="tanh"/>)"},
    {"hardtanh", in("x", "4,9"), R"(<layer name="l" type="hardtanh" min_val="0" max_val="0.5"/>)"},
    {"softmax_last", in("x", "3,4,9"), R"(<layer name="l" type="softmax"/>)"},
    {"softmax_axis0", in("x", "3,4,9"), R"(<layer name="l" type="softmax" axis="0"/>)"},
    {"log_softmax", in("x", "3,4,9"), R"(<layer name="l" type="log_softmax"/>)"},
    {"add_same", in("a", "3,4") + in("b", "3,4"), R"(<layer name="l" type="add" inputs="a,b"/>)"},
    {"add_broadcast", in("a", "2,3,4") + in("b", "4"), R"(<layer name="l" type="add" inputs="a,b"/>)"},
    {"mul_broadcast", in("a", "2,3,4") + in("b", "3,1"), R"(<layer name="l" type="mul" inputs="a,b"/>)"},
    {"add_broadcast_first", in("a", "3,1") + in("b", "2,3,4"),
     R"(<layer name="l" type="add" inputs="a,b"/>)"},
    {"add_three", in("a", "2,3,4") + in("b", "4") + in("c", "2,3,4"),
     R"(<layer name="l" type="add" inputs="a,b,c"/>)"},
    {"mul_three_broadcast_first", in("a", "1,4") + in("b", "2,3,4") + in("c", "3,1"),
     R"(<layer name="l" type="mul" inputs="a,b,c"/>)"},
    {"concat", in("a", "2,3,4") + in("b", "2,5,4"),
     R"(<layer name="l" type="concat" axis="1" inputs="a,b"/>)"},
    {"transpose", in("x", "2,3,4,5"), R"(<layer name="l" type="transpose" perm="3,0,2,1"/>)"},
};

class OnednnVersusReference : public testing::TestWithParam<std::tuple<Case, ntp::DType>> {};

TEST_P(OnednnVersusReference, AgreesWithinTolerance) {
  const auto& [test_case, precision] = GetParam();
  const ntp::Backend& onednn = ntp::onednn_backend();
  const auto precisions = onednn.precisions();
  if (std::find(precisions.begin(), precisions.end(), precision) == precisions.end())
    GTEST_SKIP() << "this CPU has no native " << ntp::dtype_name(precision) << " in oneDNN";
  auto loaded = ntp::parse_topology(
      "<topology name=\"t\">" + test_case.inputs + test_case.layers + "</topology>", "case.xml");
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  const ntp::Graph& graph = loaded.value();
  const int node = static_cast<int>(graph.nodes.size()) - 1;
  ASSERT_TRUE(onednn.supports(graph, node, {precision, 0, nullptr})) << test_case.name;
  const auto weights = ntp::generate_weights(graph, 42);
  const auto inputs = ntp::generate_inputs(graph, 42);
  ntp::Executable reference(graph, ntp::reference_backend(), {ntp::DType::f32, 0, &weights});
  ntp::Executable candidate(graph, onednn, {precision, 0, &weights});
  reference.run(inputs, nullptr);
  candidate.run(inputs, nullptr);
  EXPECT_EQ(candidate.steps().back().backend, "onednn");
  EXPECT_FALSE(candidate.steps().back().implementation.empty());
  const double tolerance = precision == ntp::DType::f32 ? 1e-4 : 3e-2;
  for (const int output : graph.nodes[static_cast<std::size_t>(node)].outputs) {
    const ntp::Tensor expected = reference.value_f32(output);
    const ntp::Tensor actual = candidate.value_f32(output);
    double magnitude = 0;
    double error = 0;
    for (std::int64_t i = 0; i < expected.elements(); ++i) {
      magnitude = std::max(magnitude, static_cast<double>(std::fabs(expected.as<float>()[i])));
      error =
          std::max(error, static_cast<double>(std::fabs(expected.as<float>()[i] - actual.as<float>()[i])));
    }
    EXPECT_GT(magnitude, 0.0) << "a zero output would make the comparison vacuous";
    EXPECT_LE(error, tolerance * std::max(magnitude, 1e-3))
        << test_case.name << " max error " << error << " magnitude " << magnitude;
  }
}

INSTANTIATE_TEST_SUITE_P(EveryOp, OnednnVersusReference,
                         testing::Combine(testing::ValuesIn(kCases),
                                          testing::Values(ntp::DType::f32, ntp::DType::bf16)),
                         [](const testing::TestParamInfo<std::tuple<Case, ntp::DType>>& param) {
                           return std::get<0>(param.param).name + "_" +
                                  std::string(ntp::dtype_name(std::get<1>(param.param)));
                         });

TEST(OnednnBackend, CoversEveryOpItClaims) {
  std::set<std::string> tested;
  for (const Case& test_case : kCases) {
    const auto start = test_case.layers.rfind("type=\"") + 6;
    tested.insert(test_case.layers.substr(start, test_case.layers.find('"', start) - start));
  }
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
  const int output = graph.outputs[0];
  const ntp::Tensor expected = reference.value_f32(output);
  const ntp::Tensor actual = candidate.value_f32(output);
  double magnitude = 0;
  double error = 0;
  for (std::int64_t i = 0; i < expected.elements(); ++i) {
    magnitude = std::max(magnitude, static_cast<double>(std::fabs(expected.as<float>()[i])));
    error = std::max(error, static_cast<double>(std::fabs(expected.as<float>()[i] - actual.as<float>()[i])));
  }
  // 8-bit weights and inputs: a few percent of the output's magnitude.
  EXPECT_LE(error, 0.05 * magnitude) << test_case.name << " error " << error << " magnitude " << magnitude;
  EXPECT_GT(error, 0.0) << "identical to fp32: the layer did not run quantised";
}

INSTANTIATE_TEST_SUITE_P(
    FcAndLstm, OnednnInt8,
    testing::Values(Case{"fc", in("x", "6,3,10"), R"(<layer name="l" type="fc" units="7"/>)"},
                    Case{"fc_relu_clip", in("x", "5,12"),
                         R"(<layer name="l" type="fc" units="9" activation="relu" clip="0.5"/>)"},
                    Case{"lstm_forward", in("x", "7,2,5"), R"(<layer name="l" type="lstm" hidden="6"/>)"},
                    Case{"lstm_reverse", in("x", "7,2,5"),
                         R"(<layer name="l" type="lstm" hidden="6" direction="reverse"/>)"},
                    Case{"lstm_bidirectional", in("x", "7,2,5"),
                         R"(<layer name="l" type="lstm" hidden="6" direction="bidirectional"/>)"}),
    [](const testing::TestParamInfo<Case>& param) { return param.param.name; });

}  // namespace
