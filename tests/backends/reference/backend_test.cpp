#include "backends/reference/kernels.h"
#include "ntp/op_schema.h"
#include "ref_test_util.h"

namespace ntp::testing {
namespace {

TEST(ReferenceBackend, Identity) {
  const Backend& backend = reference_backend();
  EXPECT_EQ(backend.name(), "reference");
  EXPECT_EQ(backend.version(), "1");
  EXPECT_EQ(backend.precisions(), std::vector<DType>{DType::f32});
}

TEST(ReferenceBackend, HasAKernelForEveryLayerOpAndTheConversions) {
  const std::vector<std::string> ops = reference_backend().ops();
  for (const OpSchema& schema : all_ops()) {
    const bool needed =
        schema.category == OpCategory::layer || schema.name == "memcpy" || schema.name == "convert";
    if (needed) {
      EXPECT_NE(reference::find_kernel(schema.name), nullptr) << schema.name;
    }
  }
  for (const std::string& op : ops)
    EXPECT_NE(find_op(op), nullptr) << "kernel without a schema: " << op;
}

TEST(ReferenceBackend, SupportsWhatItHasAndRefusesTheRest) {
  const Graph graph = parse(R"(<topology name="t"><input name="audio" shape="1,16000"/>
    <layer name="features" type="mfcc"/><layer name="l" type="fc" units="3"/></topology>)");
  const Backend& backend = reference_backend();
  const WeightStore weights = generate_weights(graph, 1);
  CompileOptions options;
  options.weights = &weights;
  const int mfcc = graph.find_node("features");
  const int fc = graph.find_node("l");
  EXPECT_TRUE(backend.supports(graph, mfcc, options));
  EXPECT_TRUE(backend.supports(graph, fc, options));
  EXPECT_EQ(backend.compile_node(graph, mfcc, options)->implementation(), "fftw3 (float64)");
  auto kernel = backend.compile_node(graph, fc, options);
  EXPECT_EQ(kernel->implementation(), "reference");
  EXPECT_EQ(kernel->input_dtype(0), DType::f32);
  EXPECT_EQ(kernel->output_dtype(0), DType::f32);
  // Markers are not ops: there is nothing to compile.
  const Graph marked = parse(R"(<topology name="t"><input name="x" shape="2,4"/><start marker="m"/>
    <layer name="l" type="relu"/><end marker="m"/></topology>)");
  EXPECT_FALSE(backend.supports(marked, 0, options));
  EXPECT_THROW(backend.compile_node(marked, 0, options), UserError);
}

TEST(ReferenceBackend, RunsEveryOpOfTheSchemaTable) {
  const std::vector<std::string> kernels = reference_backend().ops();
  for (const std::string& op : op_names())
    EXPECT_NE(std::find(kernels.begin(), kernels.end(), op), kernels.end())
        << op << " has no reference kernel";
}

TEST(ReferenceBackend, DecodersKeepTheirIntegerLabels) {
  const Graph graph = parse(R"(<topology name="t"><input name="p" shape="5,2,4"/>
    <layer name="d" type="ctc_beam" beam_width="4" top_paths="2"/></topology>)");
  CompileOptions options;
  auto kernel = reference_backend().compile_node(graph, graph.find_node("d"), options);
  EXPECT_EQ(kernel->output_dtype(0), DType::s32);  // labels
  EXPECT_EQ(kernel->output_dtype(1), DType::f32);  // scores
}

TEST(ReferenceBackend, MissingOrMisshapenWeightsAreUserErrorsNamingTheNode) {
  const Graph graph = parse(R"(<topology name="t"><input name="x" shape="2,4"/>
    <layer name="dense1" type="fc" units="3"/></topology>)");
  const Backend& backend = reference_backend();
  CompileOptions options;
  try {
    backend.compile_node(graph, 0, options);
    ADD_FAILURE() << "compiled without weights";
  } catch (const UserError& error) {
    EXPECT_NE(std::string(error.what()).find("dense1"), std::string::npos) << error.what();
  }
  WeightStore weights = generate_weights(graph, 1);
  weights.at({"dense1", "weight"}) = Tensor({4, 3}, DType::f32);
  options.weights = &weights;
  try {
    backend.compile_node(graph, 0, options);
    ADD_FAILURE() << "compiled with a misshapen weight";
  } catch (const UserError& error) {
    EXPECT_NE(std::string(error.what()).find("[3, 4]"), std::string::npos) << error.what();
  }
  weights.erase({"dense1", "bias"});
  weights.at({"dense1", "weight"}) = Tensor({3, 4}, DType::f32);
  EXPECT_THROW(backend.compile_node(graph, 0, options), UserError);
}

TEST(ReferenceBackend, ChainedGraphRunsEndToEnd) {
  // DeepSpeech-like: fc with clipped relu, bidirectional lstm summed, fc, softmax.
  Model m = model(R"(<topology name="t"><input name="x" shape="6,2,8"/>
    <layer name="h1" type="fc" units="8" activation="relu" clip="20"/>
    <layer name="rnn" type="lstm" hidden="4" direction="bidirectional" merge="sum"/>
    <layer name="out" type="fc" units="5"/><layer name="p" type="softmax"/></topology>)");
  const Tensor y = m.run(random_tensor({6, 2, 8}, 1));
  ASSERT_EQ(y.shape(), (Shape{6, 2, 5}));
  for (int row = 0; row < 12; ++row) {
    double sum = 0;
    for (int k = 0; k < 5; ++k)
      sum += y.as<float>()[row * 5 + k];
    EXPECT_NEAR(sum, 1.0, 1e-5);
  }
}

}  // namespace
}  // namespace ntp::testing
