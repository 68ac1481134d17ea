// Every op the torch back end runs natively, in several variants, against the reference back end on the
// same seeded weights and inputs: fp32 within 1e-4 of the output's magnitude, bf16 within 3e-2; int8
// (dynamic quantisation) within 5%; threads, streaming and errors.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "backends/op_cases.h"
#include "backends/reference/reference_backend.h"
#include "backends/torch/torch_backend.h"
#include "ntp/executable.h"
#include "ntp/topology.h"

namespace {

using ntp::testing_support::Case;
using ntp::testing_support::error_and_magnitude;
using ntp::testing_support::in;
using ntp::testing_support::kOpCases;

bool runs(ntp::DType precision) {
  const auto precisions = ntp::torch_backend().precisions();
  return std::find(precisions.begin(), precisions.end(), precision) != precisions.end();
}

ntp::Graph parse(const std::string& body) {
  auto loaded = ntp::parse_topology("<topology name=\"t\">" + body + "</topology>", "t.xml");
  if (!loaded.ok()) throw std::runtime_error(loaded.error().to_string());
  return loaded.value();
}

class TorchVersusReference : public testing::TestWithParam<std::tuple<Case, ntp::DType>> {};

TEST_P(TorchVersusReference, AgreesWithinTolerance) {
  const auto& [test_case, precision] = GetParam();
  if (!runs(precision))
    GTEST_SKIP() << "LibTorch has no fast " << ntp::dtype_name(precision) << " on this CPU";
  const ntp::Backend& torch = ntp::torch_backend();
  const ntp::Graph graph = ntp::testing_support::parse_case(test_case);
  const int node = static_cast<int>(graph.nodes.size()) - 1;
  ASSERT_TRUE(torch.supports(graph, node, {ntp::DType::f32, 0, nullptr})) << test_case.name;
  if (!torch.supports(graph, node, {precision, 0, nullptr}))
    GTEST_SKIP() << "the torch back end runs " << ntp::testing_support::case_op(test_case) << " at fp32 only";
  const auto agreement = ntp::testing_support::compare_last_node(graph, torch, {precision, 0, nullptr});
  EXPECT_EQ(agreement.steps.back().backend, "torch");
  EXPECT_FALSE(agreement.steps.back().implementation.empty());
  const double tolerance = precision == ntp::DType::f32 ? 1e-4 : 3e-2;
  EXPECT_GT(agreement.magnitude, 0.0) << "a zero output would make the comparison vacuous";
  EXPECT_LE(agreement.max_error, tolerance * std::max(agreement.magnitude, 1e-3))
      << test_case.name << " max error " << agreement.max_error << " magnitude " << agreement.magnitude;
}

// Cases for the ops torch runs beyond the shared list.
const std::vector<Case> kTorchOnlyCases = {
    {"ceil", in("x", "4,9"), R"(<layer name="l" type="ceil"/>)"},
    {"sign", in("x", "4,9"), R"(<layer name="l" type="sign"/>)"},
    {"sin", in("x", "4,9"), R"(<layer name="l" type="sin"/>)"},
    {"softsign", in("x", "4,9"), R"(<layer name="l" type="softsign"/>)"},
    {"floor", in("x", "4,9"), R"(<layer name="l" type="floor"/>)"},
    {"cos", in("x", "4,9"), R"(<layer name="l" type="cos"/>)"},
    {"erf", in("x", "4,9"), R"(<layer name="l" type="erf"/>)"},
    {"log_of_exp", in("x", "4,9"), R"(<layer name="a" type="exp"/><layer name="l" type="log"/>)"},
    {"mean_three", in("a", "2,3,4") + in("b", "4") + in("c", "3,1"),
     R"(<layer name="l" type="mean" inputs="a,b,c"/>)"},
    {"pow_broadcast", in("a", "2,3") + in("b", "3"),
     R"(<layer name="e" type="exp" inputs="a"/><layer name="l" type="pow" inputs="e,b"/>)"},
    {"prelu", in("x", "2,3,4") + in("s", "3,1"), R"(<layer name="l" type="prelu" inputs="x,s"/>)"},
    {"reduce_log_sum_of_exp", in("x", "3,4"),
     R"(<layer name="e" type="exp"/><layer name="l" type="reduce_log_sum" axes="1"/>)"},
    {"reduce_log_sum_exp", in("x", "3,4,5"), R"(<layer name="l" type="reduce_log_sum_exp" axes="0,2"/>)"},
    {"attention_self", in("x", "2,5,8"), R"(<layer name="l" type="attention" heads="2"/>)"},
    {"attention_causal_qkv", in("q", "2,4,6") + in("k", "2,4,6") + in("v", "2,4,6"),
     R"(<layer name="l" type="attention" heads="3" causal="1" inputs="q,k,v"/>)"},
    {"reshape", in("x", "2,3,4"), R"(<layer name="l" type="reshape" shape="4,6"/>)"},
    {"flatten", in("x", "2,3,4,5"), R"(<layer name="l" type="flatten" axis="2"/>)"},
    {"lstm_reverse_stacked", in("x", "6,3,4"),
     R"(<layer name="l" type="lstm" hidden="5" layers="2" direction="reverse"/>)"},
    {"gru_bidirectional_sum_stacked", in("x", "6,2,4"),
     R"(<layer name="l" type="gru" hidden="5" layers="2" direction="bidirectional" merge="sum"/>)"},
};

std::vector<Case> all_cases() {
  std::vector<Case> cases = kOpCases;
  cases.insert(cases.end(), kTorchOnlyCases.begin(), kTorchOnlyCases.end());
  return cases;
}

INSTANTIATE_TEST_SUITE_P(EveryOp, TorchVersusReference,
                         testing::Combine(testing::ValuesIn(all_cases()),
                                          testing::Values(ntp::DType::f32, ntp::DType::bf16)),
                         [](const testing::TestParamInfo<std::tuple<Case, ntp::DType>>& param) {
                           return std::get<0>(param.param).name + "_" +
                                  std::string(ntp::dtype_name(std::get<1>(param.param)));
                         });

TEST(TorchBackend, CoversEveryOpItClaims) {
  std::set<std::string> tested;
  for (const Case& test_case : all_cases())
    tested.insert(ntp::testing_support::case_op(test_case));
  for (const std::string& op : ntp::torch_backend().ops())
    EXPECT_EQ(tested.count(op), 1U) << op << " has no case";
}

TEST(TorchBackend, SetsLibTorchThreadCount) {
  const int before = at::get_num_threads();
  ntp::torch_backend().set_threads(1);
  EXPECT_EQ(at::get_num_threads(), 1);
  ntp::torch_backend().set_threads(3);
  EXPECT_EQ(at::get_num_threads(), 3);
  ntp::torch_backend().set_threads(0);  // 0: leave the library's choice alone
  EXPECT_EQ(at::get_num_threads(), 3);
  ntp::torch_backend().set_threads(before);
}

TEST(TorchBackend, ExecutableSetsThreadsFromOptions) {
  const ntp::Graph graph = parse(in("x", "2,8") + R"(<layer name="a" type="fc" units="4"/>)");
  const auto weights = ntp::generate_weights(graph, 1);
  const int before = at::get_num_threads();
  ntp::Executable executable(graph, ntp::torch_backend(), {ntp::DType::f32, 2, &weights});
  EXPECT_EQ(at::get_num_threads(), 2);
  ntp::torch_backend().set_threads(before);
}

TEST(TorchBackend, FallsBackForOpsItLacksAndSaysSo) {
  const ntp::Graph graph = parse(in("x", "2,4,3") +
                                 R"(<layer name="s" type="split" parts="2" axis="1"/>
                                    <layer name="l" type="fc" units="2" inputs="s:1"/>)");
  const auto weights = ntp::generate_weights(graph, 1);
  ntp::Executable executable(graph, ntp::torch_backend(), {ntp::DType::f32, 0, &weights});
  ASSERT_EQ(executable.steps().size(), 2U);
  EXPECT_TRUE(executable.steps()[0].fallback);
  EXPECT_EQ(executable.steps()[0].backend, "reference");
  EXPECT_EQ(executable.steps()[1].backend, "torch");
}

TEST(TorchBackend, Bf16RunsConvertAtTheBoundariesAsTimedSteps) {
  if (!runs(ntp::DType::bf16)) GTEST_SKIP() << "no native bf16 on this CPU";
  const ntp::Graph graph =
      parse(in("x", "2,8") + R"(<layer name="a" type="fc" units="4"/><layer name="b" type="fc" units="4"/>)");
  const auto weights = ntp::generate_weights(graph, 1);
  ntp::Executable executable(graph, ntp::torch_backend(), {ntp::DType::bf16, 0, &weights});
  std::vector<std::string> names;
  for (const auto& step : executable.steps())
    names.push_back(step.name);
  // One conversion of the fp32 input; the two bf16 layers then feed each other directly.
  EXPECT_EQ(names, (std::vector<std::string>{"a.in0:fp32->bf16", "a", "b"}));
}

TEST(TorchBackend, MissingWeightsAreAUserErrorNamingTheLayer) {
  const ntp::Graph graph = parse(in("x", "2,8") + R"(<layer name="dense1" type="fc" units="4"/>)");
  const ntp::WeightStore empty;
  try {
    ntp::Executable executable(graph, ntp::torch_backend(), {ntp::DType::f32, 0, &empty});
    FAIL() << "expected a UserError";
  } catch (const ntp::UserError& error) {
    EXPECT_NE(std::string(error.what()).find("dense1"), std::string::npos) << error.what();
  }
}

// Streaming: a forward lstm run on two chunks in a row gives what it gives on the whole sequence; reset
// starts over.
TEST(TorchBackend, StreamingForwardLstmCarriesStateAcrossChunks) {
  const std::string layers = R"(<layer name="l" type="lstm" hidden="6" layers="2" forget_bias="1"/>)";
  const ntp::Graph whole = parse(in("x", "8,2,5") + layers);
  const ntp::Graph chunk = parse(in("x", "4,2,5") + layers);
  const auto weights = ntp::generate_weights(whole, 3);
  const ntp::Tensor sequence = ntp::generate_inputs(whole, 3).at("x");
  ntp::CompileOptions streaming{ntp::DType::f32, 0, &weights};
  streaming.streaming = true;
  ASSERT_TRUE(ntp::torch_backend().supports(chunk, 0, streaming));
  ntp::Executable whole_run(whole, ntp::torch_backend(), {ntp::DType::f32, 0, &weights});
  ntp::Executable chunked(chunk, ntp::torch_backend(), streaming);
  EXPECT_EQ(chunked.steps().back().backend, "torch");
  whole_run.run({{"x", sequence}}, nullptr);
  const ntp::Tensor expected = whole_run.value_f32(whole.outputs[0]);
  const std::int64_t half = sequence.elements() / 2;
  auto run_chunk = [&](std::int64_t offset) {
    ntp::Tensor part({4, 2, 5}, ntp::DType::f32);
    std::copy(sequence.as<float>() + offset, sequence.as<float>() + offset + half, part.as<float>());
    chunked.run({{"x", part}}, nullptr);
    return chunked.value_f32(chunk.outputs[0]);
  };
  const ntp::Tensor first = run_chunk(0);
  const ntp::Tensor second = run_chunk(half);
  const std::int64_t out_half = expected.elements() / 2;
  double error = 0;
  double magnitude = 0;
  for (std::int64_t i = 0; i < out_half; ++i) {
    error = std::max(error, static_cast<double>(std::fabs(first.as<float>()[i] - expected.as<float>()[i])));
    error = std::max(
        error, static_cast<double>(std::fabs(second.as<float>()[i] - expected.as<float>()[out_half + i])));
    magnitude = std::max(magnitude, static_cast<double>(std::fabs(expected.as<float>()[out_half + i])));
  }
  EXPECT_GT(magnitude, 0.0);
  EXPECT_LE(error, 1e-5 * std::max(magnitude, 1e-3));
  // After a reset the first chunk is computed from zero states again; without one it is not.
  const ntp::Tensor continued = run_chunk(0);
  chunked.reset_stream();
  const ntp::Tensor restarted = run_chunk(0);
  EXPECT_LE(error_and_magnitude(first, restarted).first, 1e-6);
  EXPECT_GT(error_and_magnitude(first, continued).first, 1e-4);
}

TEST(TorchBackend, StreamingRefusesLayersThatNeedTheWholeSequence) {
  ntp::CompileOptions streaming{ntp::DType::f32, 0, nullptr};
  streaming.streaming = true;
  const ntp::Graph bidirectional =
      parse(in("x", "4,1,3") + R"(<layer name="l" type="lstm" hidden="2" direction="bidirectional"/>)");
  EXPECT_FALSE(ntp::torch_backend().supports(bidirectional, 0, streaming));
  const ntp::Graph reverse =
      parse(in("x", "4,1,3") + R"(<layer name="l" type="gru" hidden="2" direction="reverse"/>)");
  EXPECT_FALSE(ntp::torch_backend().supports(reverse, 0, streaming));
}

class TorchInt8 : public testing::TestWithParam<Case> {};

TEST_P(TorchInt8, DynamicQuantisationStaysCloseToReference) {
  if (!runs(ntp::DType::s8)) GTEST_SKIP() << "this LibTorch build has no quantised engine";
  const Case& test_case = GetParam();
  const ntp::Graph graph = ntp::testing_support::parse_case(test_case);
  const auto weights = ntp::generate_weights(graph, 7);
  const auto inputs = ntp::generate_inputs(graph, 7);
  ntp::Executable reference(graph, ntp::reference_backend(), {ntp::DType::f32, 0, &weights});
  ntp::Executable candidate(graph, ntp::torch_backend(), {ntp::DType::s8, 0, &weights});
  reference.run(inputs, nullptr);
  candidate.run(inputs, nullptr);
  const ntp::Step& step = candidate.steps().back();
  EXPECT_EQ(step.backend, "torch");
  EXPECT_NE(step.implementation.find("engine"), std::string::npos) << step.implementation;
  const auto [error, magnitude] =
      error_and_magnitude(reference.value_f32(graph.outputs[0]), candidate.value_f32(graph.outputs[0]));
  // 8-bit weights and activations: a few percent of the output's magnitude.
  EXPECT_LE(error, 0.05 * magnitude) << test_case.name << " error " << error << " magnitude " << magnitude;
  EXPECT_GT(error, 0.0) << "identical to fp32: the layer did not run quantised";
}

INSTANTIATE_TEST_SUITE_P(
    FcAndLstm, TorchInt8,
    testing::ValuesIn(ntp::testing_support::int8_cases(
        {"lstm_bidirectional_stacked", in("x", "7,2,5"),
         R"(<layer name="l" type="lstm" hidden="6" layers="2" direction="bidirectional"/>)"})),
    [](const testing::TestParamInfo<Case>& param) { return param.param.name; });

}  // namespace
