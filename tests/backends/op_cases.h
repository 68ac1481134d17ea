// The per-op cases every back end is checked on against the reference back end, and the comparison itself:
// the same seeded weights and inputs, the largest error relative to the output's magnitude.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "backends/reference/reference_backend.h"
#include "ntp/executable.h"
#include "ntp/topology.h"

namespace ntp::testing_support {

struct Case {
  std::string name;
  std::string inputs;  // <input> elements
  std::string layers;  // <layer> elements; the last layer is the op under test
};

inline std::string in(const std::string& name, const std::string& shape) {
  return "<input name=\"" + name + "\" shape=\"" + shape + "\" distribution=\"normal\"/>";
}

inline const std::vector<Case> kOpCases = {
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
    {"conv_transpose1d", in("x", "2,3,9"),
     R"(<layer name="l" type="conv_transpose1d" filters="4" kernel="4" stride="2" padding="1"/>)"},
    {"conv_transpose2d", in("x", "2,4,5,6"),
     R"(<layer name="l" type="conv_transpose2d" filters="6" kernel="3,2" stride="2,3" padding="1,0" output_padding="1,2" groups="2" activation="relu"/>)"},
    {"conv_transpose2d_dilated", in("x", "1,3,6,5"),
     R"(<layer name="l" type="conv_transpose2d" filters="2" kernel="3" dilation="2" bias="0"/>)"},
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
    // Elementwise and reductions with ONNX semantics (fp32 here; other types run on reference everywhere).
    {"sub_broadcast", in("a", "2,3,4") + in("b", "3,1"), R"(<layer name="l" type="sub" inputs="a,b"/>)"},
    {"div_broadcast", in("a", "2,3,4") + in("b", "4"), R"(<layer name="l" type="div" inputs="a,b"/>)"},
    {"max_three", in("a", "2,3,4") + in("b", "4") + in("c", "2,3,4"),
     R"(<layer name="l" type="max" inputs="a,b,c"/>)"},
    {"min_broadcast", in("a", "1,4") + in("b", "2,3,4"), R"(<layer name="l" type="min" inputs="a,b"/>)"},
    {"sum_three", in("a", "2,3,4") + in("b", "3,4") + in("c", "2,3,4"),
     R"(<layer name="l" type="sum" inputs="a,b,c"/>)"},
    {"abs", in("x", "4,9"), R"(<layer name="l" type="abs"/>)"},
    {"neg", in("x", "4,9"), R"(<layer name="l" type="neg"/>)"},
    {"exp", in("x", "4,9"), R"(<layer name="l" type="exp"/>)"},
    {"sqrt_of_abs", in("x", "4,9"), R"(<layer name="a" type="abs"/><layer name="l" type="sqrt"/>)"},
    {"reciprocal_of_exp", in("x", "4,9"),
     R"(<layer name="a" type="exp"/><layer name="l" type="reciprocal"/>)"},
    {"mish", in("x", "4,9"), R"(<layer name="l" type="mish"/>)"},
    {"hard_swish", in("x", "4,9"), R"(<layer name="l" type="hard_swish"/>)"},
    {"hard_sigmoid", in("x", "4,9"), R"(<layer name="l" type="hard_sigmoid" alpha="0.3" beta="0.4"/>)"},
    {"softplus", in("x", "4,9"), R"(<layer name="l" type="softplus"/>)"},
    {"elu", in("x", "4,9"), R"(<layer name="l" type="elu" alpha="0.7"/>)"},
    {"reduce_sum_axes", in("x", "2,3,4,5"), R"(<layer name="l" type="reduce_sum" axes="1,3"/>)"},
    {"reduce_mean_dropped", in("x", "2,3,4"),
     R"(<layer name="l" type="reduce_mean" axes="-1" keepdims="0"/>)"},
    {"reduce_max_all", in("x", "3,4"), R"(<layer name="l" type="reduce_max" axes="0"/>)"},
    {"reduce_min", in("x", "3,4,2"), R"(<layer name="l" type="reduce_min" axes="1"/>)"},
    {"reduce_prod_of_exp", in("x", "3,4"),
     R"(<layer name="e" type="exp"/><layer name="l" type="reduce_prod" axes="1"/>)"},
    {"reduce_l1", in("x", "3,4"), R"(<layer name="l" type="reduce_l1" axes="1"/>)"},
    {"reduce_l2", in("x", "3,4"), R"(<layer name="l" type="reduce_l2" axes="0"/>)"},
    {"reduce_sum_square", in("x", "3,4"), R"(<layer name="l" type="reduce_sum_square" axes="1"/>)"},
};

// The op a case tests: the type of its last layer.
inline std::string case_op(const Case& test_case) {
  const auto start = test_case.layers.rfind("type=\"") + 6;
  return test_case.layers.substr(start, test_case.layers.find('"', start) - start);
}

inline Graph parse_case(const Case& test_case) {
  auto loaded = parse_topology("<topology name=\"t\">" + test_case.inputs + test_case.layers + "</topology>",
                               "case.xml");
  if (!loaded.ok()) throw std::runtime_error(loaded.error().to_string());
  return loaded.value();
}

// The largest |difference| and the largest |expected| over two tensors of the same shape.
inline std::pair<double, double> error_and_magnitude(const Tensor& expected, const Tensor& actual) {
  double error = 0;
  double magnitude = 0;
  for (std::int64_t i = 0; i < expected.elements(); ++i) {
    magnitude = std::max(magnitude, static_cast<double>(std::fabs(expected.as<float>()[i])));
    error = std::max(error, static_cast<double>(std::fabs(expected.as<float>()[i] - actual.as<float>()[i])));
  }
  return {error, magnitude};
}

// The layers the library back ends quantise in int8, plus each back end's own recurrent variant.
inline std::vector<Case> int8_cases(Case own_recurrent) {
  return {Case{"fc", in("x", "6,3,10"), R"(<layer name="l" type="fc" units="7"/>)"},
          Case{"fc_relu_clip", in("x", "5,12"),
               R"(<layer name="l" type="fc" units="9" activation="relu" clip="0.5"/>)"},
          Case{"lstm_forward", in("x", "7,2,5"), R"(<layer name="l" type="lstm" hidden="6"/>)"},
          Case{"lstm_reverse", in("x", "7,2,5"),
               R"(<layer name="l" type="lstm" hidden="6" direction="reverse"/>)"},
          std::move(own_recurrent)};
}

struct Agreement {
  double max_error = 0;
  double magnitude = 0;     // largest |reference output|
  std::vector<Step> steps;  // what the candidate ran, to check which back end and kernel ran the node
};

// Runs `graph` on reference (fp32) and on `candidate` with the same seeded weights and inputs, and returns
// the largest difference over every output of the last node.
inline Agreement compare_last_node(const Graph& graph, const Backend& candidate_backend,
                                   const CompileOptions& options, std::uint64_t seed = 42) {
  const auto weights = generate_weights(graph, seed);
  const auto inputs = generate_inputs(graph, seed);
  CompileOptions candidate_options = options;
  candidate_options.weights = &weights;
  Executable reference(graph, reference_backend(), {DType::f32, 0, &weights});
  Executable candidate(graph, candidate_backend, candidate_options);
  reference.run(inputs, nullptr);
  candidate.run(inputs, nullptr);
  Agreement agreement;
  agreement.steps = candidate.steps();
  for (const int output : graph.nodes.back().outputs) {
    const auto [error, magnitude] =
        error_and_magnitude(reference.value_f32(output), candidate.value_f32(output));
    agreement.max_error = std::max(agreement.max_error, error);
    agreement.magnitude = std::max(agreement.magnitude, magnitude);
  }
  return agreement;
}

}  // namespace ntp::testing_support
