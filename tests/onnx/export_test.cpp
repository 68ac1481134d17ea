// ONNX export: every example topology exports to a model onnx::checker accepts, with its nodes, segments
// and symbolic dimensions; the exported LSTM weights reproduce NTP's numbers under ONNX's LSTM equations
// (checked against ONNX's own node test data); and, once import exists, export -> import gives back the
// same graph and the same outputs.
#include <gtest/gtest.h>
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/process.h"
#include "ntp/executable.h"
#include "ntp/registry.h"
#include "ntp/topology.h"
#include "ntp/weights.h"
#include "onnx/export.h"
#include "onnx/onnx_model.h"

namespace {

namespace fs = std::filesystem;

// Small sizes for the parameters the examples use, applied where a topology has the parameter.
const std::map<std::string, std::string> kSmallSizes = {
    {"hidden", "16"}, {"frames", "12"}, {"samples", "8000"}, {"beam", "4"},   {"channels", "4"},
    {"size", "16"},   {"width", "4"},   {"tokens", "6"},     {"model", "16"}, {"heads", "2"},
    {"ffn", "32"},    {"bins", "41"},   {"batch", "2"}};

ntp::Graph load(const std::string& path, std::vector<std::pair<std::string, std::string>> overrides = {}) {
  ntp::LoadOptions options;
  options.overrides = std::move(overrides);
  auto loaded = ntp::load_topology(path, options);
  if (!loaded) throw std::runtime_error(loaded.error().to_string());
  return std::move(loaded.value());
}

ntp::Graph load_small(const std::string& path) {
  const ntp::Graph full = load(path);
  std::vector<std::pair<std::string, std::string>> overrides;
  for (const auto& [name, value] : kSmallSizes)
    if (full.params.count(name) != 0 || name == "batch") overrides.emplace_back(name, value);
  return load(path, overrides);
}

std::vector<std::string> example_files() {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(std::string(NTP_SOURCE_DIR) + "/examples"))
    if (entry.path().extension() == ".xml") files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

onnx::ModelProto parse_model(const std::string& bytes) {
  onnx::ModelProto model;
  EXPECT_TRUE(model.ParseFromString(bytes));
  return model;
}

std::string metadata(const onnx::ModelProto& model, const std::string& key) {
  for (const auto& entry : model.metadata_props())
    if (entry.key() == key) return entry.value();
  return "";
}

fs::path scratch_folder() {
  const fs::path folder = fs::temp_directory_path() / ("ntp-export-test-" + std::to_string(::getpid()));
  fs::create_directories(folder);
  return folder;
}

std::map<std::string, ntp::Tensor> run_reference(const ntp::Graph& graph, const ntp::WeightStore& weights,
                                                 const std::map<std::string, ntp::Tensor>& inputs) {
  const ntp::Backend* reference = ntp::find_backend("reference");
  ntp::CompileOptions options;
  options.weights = &weights;
  ntp::Executable executable(graph, *reference, options);
  executable.run(inputs, nullptr);
  std::map<std::string, ntp::Tensor> outputs;
  for (const int output : graph.outputs)
    outputs[graph.values[static_cast<std::size_t>(output)].name] = executable.value_f32(output);
  return outputs;
}

// max |a - b| / max |a|: the normalised error the back-end checks use.
double relative_error(const ntp::Tensor& expected, const ntp::Tensor& actual) {
  double largest = 0, difference = 0;
  for (std::int64_t i = 0; i < expected.elements(); ++i) {
    largest = std::max(largest, std::abs(static_cast<double>(expected.as<float>()[i])));
    difference = std::max(difference, std::abs(static_cast<double>(expected.as<float>()[i]) -
                                               static_cast<double>(actual.as<float>()[i])));
  }
  return largest > 0 ? difference / largest : difference;
}

TEST(OnnxExport, EveryExampleExportsToACheckedModelWithItsNodesSegmentsAndSymbols) {
  const auto files = example_files();
  ASSERT_GE(files.size(), 6U);
  for (const std::string& file : files) {
    SCOPED_TRACE(file);
    const ntp::Graph graph = load_small(file);
    const ntp::WeightStore weights = ntp::generate_weights(graph, 1);
    const onnx::ModelProto model = parse_model(ntp::onnx_io::export_model_bytes(graph, weights, {}));
    EXPECT_NO_THROW(onnx::checker::check_model(model));

    // Every NTP op is an ONNX node of its own name, in graph order.
    std::vector<std::string> onnx_names;
    for (const auto& node : model.graph().node())
      onnx_names.push_back(node.name());
    std::size_t position = 0;
    bool has_inlay = false;
    for (const ntp::Node& node : graph.nodes) {
      if (!node.is_op()) continue;
      has_inlay = has_inlay || node.is_inlay();
      const auto found =
          std::find(onnx_names.begin() + static_cast<std::ptrdiff_t>(position), onnx_names.end(), node.name);
      ASSERT_NE(found, onnx_names.end()) << node.name << " missing or out of order";
      position = static_cast<std::size_t>(found - onnx_names.begin()) + 1;
      const auto& onnx_node = model.graph().node(static_cast<int>(position - 1));
      if (node.is_inlay()) {
        EXPECT_EQ(onnx_node.domain(), "ai.ntp");
        EXPECT_EQ(onnx_node.op_type(), node.op);
      }
    }
    bool declares_ntp_domain = false;
    for (const auto& opset : model.opset_import())
      declares_ntp_domain = declares_ntp_domain || opset.domain() == "ai.ntp";
    EXPECT_EQ(declares_ntp_domain, has_inlay);

    // Segments as metadata: name and first and last op of each.
    const auto segments = nlohmann::json::parse(metadata(model, "ntp.segments"));
    const auto expected_segments = graph.segments();
    ASSERT_EQ(segments.size(), expected_segments.size());
    for (std::size_t s = 0; s < expected_segments.size(); ++s) {
      EXPECT_EQ(segments[s]["name"], expected_segments[s].name);
      const auto& ops = expected_segments[s].op_nodes;
      EXPECT_EQ(segments[s]["first"], graph.nodes[static_cast<std::size_t>(ops.front())].name);
      EXPECT_EQ(segments[s]["last"], graph.nodes[static_cast<std::size_t>(ops.back())].name);
    }
    EXPECT_EQ(nlohmann::json::parse(metadata(model, "ntp.params")).at("batch"), graph.params.at("batch"));

    // The batch dimension stays symbolic on every graph input that declares it.
    for (int i = 0; i < model.graph().input_size(); ++i) {
      const ntp::Value& value =
          graph.values[static_cast<std::size_t>(graph.inputs[static_cast<std::size_t>(i)])];
      const auto& shape = model.graph().input(i).type().tensor_type().shape();
      ASSERT_EQ(shape.dim_size(), static_cast<int>(value.shape.size()));
      for (std::size_t d = 0; d < value.dim_params.size(); ++d)
        if (value.dim_params[d] == "batch") {
          EXPECT_EQ(shape.dim(static_cast<int>(d)).dim_param(), "batch");
        }
    }
  }
}

TEST(OnnxExport, DeepSpeechKeepsBatchAndFramesSymbolicAndTheFeatureWidthFixed) {
  const ntp::Graph graph =
      load(std::string(NTP_SOURCE_DIR) + "/examples/deepspeech-v0.1.xml", {{"hidden", "8"}, {"frames", "5"}});
  const onnx::ModelProto model =
      parse_model(ntp::onnx_io::export_model_bytes(graph, ntp::generate_weights(graph, 3), {}));
  ASSERT_EQ(model.graph().input_size(), 1);
  const auto& in = model.graph().input(0).type().tensor_type().shape();
  EXPECT_EQ(in.dim(0).dim_param(), "frames");
  EXPECT_EQ(in.dim(1).dim_param(), "batch");
  EXPECT_EQ(in.dim(2).dim_value(), 26 * 19);
  const auto& out = model.graph().output(0).type().tensor_type().shape();
  EXPECT_EQ(out.dim(0).dim_param(), "frames");
  EXPECT_EQ(out.dim(1).dim_param(), "batch");
  EXPECT_EQ(out.dim(2).dim_value(), 29);
  // DeepSpeech's fc input is [T, N, C]: MatMul + Add, the clipped ReLU as Clip "fc1/act".
  std::map<std::string, std::string> op_types;
  for (const auto& node : model.graph().node())
    op_types[node.name()] = node.op_type();
  EXPECT_EQ(op_types["fc1"], "MatMul");
  EXPECT_EQ(op_types["fc1/act"], "Clip");
  EXPECT_EQ(op_types["bilstm"], "LSTM");
  EXPECT_EQ(op_types["probs"], "Softmax");
}

TEST(OnnxExport, OpsetsBeforeLayerNormalizationDecomposeIt) {
  const ntp::Graph graph = load_small(std::string(NTP_SOURCE_DIR) + "/examples/transformer-encoder.xml");
  const auto weights = ntp::generate_weights(graph, 1);
  for (const int opset : {13, 17}) {
    const onnx::ModelProto model = parse_model(ntp::onnx_io::export_model_bytes(graph, weights, {opset}));
    EXPECT_NO_THROW(onnx::checker::check_model(model));
    bool layer_normalization = false;
    for (const auto& node : model.graph().node())
      layer_normalization = layer_normalization || node.op_type() == "LayerNormalization";
    EXPECT_EQ(layer_normalization, opset >= 17) << opset;
  }
  EXPECT_THROW(ntp::onnx_io::export_model_bytes(graph, weights, {12}), ntp::UserError);
  EXPECT_THROW(ntp::onnx_io::export_model_bytes(graph, weights, {18}), ntp::UserError);
}

// ---- LSTM numerics under ONNX's own equations ----

struct FloatTensor {
  std::vector<std::int64_t> dims;
  std::vector<float> values;
};

FloatTensor to_floats(const onnx::TensorProto& proto) {
  FloatTensor tensor;
  tensor.dims.assign(proto.dims().begin(), proto.dims().end());
  if (proto.has_raw_data()) {
    tensor.values.resize(proto.raw_data().size() / sizeof(float));
    std::memcpy(tensor.values.data(), proto.raw_data().data(), proto.raw_data().size());
  } else {
    tensor.values.assign(proto.float_data().begin(), proto.float_data().end());
  }
  return tensor;
}

FloatTensor read_tensor(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  onnx::TensorProto proto;
  EXPECT_TRUE(proto.ParseFromIstream(&file)) << path;
  return to_floats(proto);
}

float logistic(float x) {
  return 1.0F / (1.0F + std::exp(-x));
}

// ONNX's LSTM (default activations, no peepholes, zero initial state): Y [T, D, N, H] from X [T, N, I],
// W [D, 4H, I], R [D, 4H, H], B [D, 8H], gates i, o, f, c; direction 1 runs backwards in time.
std::vector<float> onnx_lstm(const FloatTensor& x, const FloatTensor& w, const FloatTensor& r,
                             const FloatTensor& b, bool reverse_only) {
  const std::int64_t T = x.dims[0], N = x.dims[1], I = x.dims[2];
  const std::int64_t D = w.dims[0], H = r.dims[2];
  std::vector<float> y(static_cast<std::size_t>(T * D * N * H));
  for (std::int64_t d = 0; d < D; ++d) {
    const bool backwards = reverse_only || d == 1;
    std::vector<float> h(static_cast<std::size_t>(N * H)), c(static_cast<std::size_t>(N * H));
    for (std::int64_t step = 0; step < T; ++step) {
      const std::int64_t t = backwards ? T - 1 - step : step;
      std::vector<float> next_h(h.size());
      for (std::int64_t n = 0; n < N; ++n) {
        for (std::int64_t j = 0; j < H; ++j) {
          float gate[4];
          for (std::int64_t g = 0; g < 4; ++g) {
            const std::int64_t row = g * H + j;
            double sum = b.values[static_cast<std::size_t>(d * 8 * H + row)] +
                         b.values[static_cast<std::size_t>(d * 8 * H + 4 * H + row)];
            for (std::int64_t k = 0; k < I; ++k)
              sum += static_cast<double>(w.values[static_cast<std::size_t>((d * 4 * H + row) * I + k)]) *
                     x.values[static_cast<std::size_t>((t * N + n) * I + k)];
            for (std::int64_t k = 0; k < H; ++k)
              sum += static_cast<double>(r.values[static_cast<std::size_t>((d * 4 * H + row) * H + k)]) *
                     h[static_cast<std::size_t>(n * H + k)];
            gate[g] = static_cast<float>(sum);
          }
          const float i = logistic(gate[0]), o = logistic(gate[1]), f = logistic(gate[2]);
          const float candidate = std::tanh(gate[3]);
          float& cell = c[static_cast<std::size_t>(n * H + j)];
          cell = f * cell + i * candidate;
          next_h[static_cast<std::size_t>(n * H + j)] = o * std::tanh(cell);
        }
      }
      h = next_h;
      for (std::int64_t n = 0; n < N; ++n)
        for (std::int64_t j = 0; j < H; ++j)
          y[static_cast<std::size_t>(((t * D + d) * N + n) * H + j)] = h[static_cast<std::size_t>(n * H + j)];
    }
  }
  return y;
}

TEST(OnnxExport, TheLstmModelAboveMatchesOnnxNodeTestData) {
  // The evaluator the next test relies on, checked against ONNX's reference outputs.
  const fs::path folder = fs::path(NTP_ONNX_TESTDATA_DIR) / "node" / "test_lstm_with_initial_bias";
  if (!fs::exists(folder)) GTEST_SKIP() << "libonnx-testdata is not installed: " << folder;
  const fs::path data = folder / "test_data_set_0";
  const FloatTensor x = read_tensor(data / "input_0.pb");
  const FloatTensor w = read_tensor(data / "input_1.pb");
  const FloatTensor r = read_tensor(data / "input_2.pb");
  const FloatTensor b = read_tensor(data / "input_3.pb");
  const FloatTensor expected = read_tensor(data / "output_0.pb");
  const std::vector<float> y = onnx_lstm(x, w, r, b, false);
  ASSERT_EQ(y.size(), expected.values.size());
  for (std::size_t i = 0; i < y.size(); ++i)
    EXPECT_NEAR(y[i], expected.values[i], 1e-5) << i;
}

TEST(OnnxExport, ExportedLstmWeightsGiveNtpsOutputUnderOnnxEquations) {
  for (const std::string direction : {"forward", "reverse", "bidirectional"}) {
    SCOPED_TRACE(direction);
    const std::string text = R"(<topology name="t"><input name="x" shape="5,2,3"/>
      <layer name="rnn" type="lstm" hidden="4" forget_bias="1" direction=")" +
                             direction + R"(" merge="concat"/></topology>)";
    auto parsed = ntp::parse_topology(text, "lstm.xml");
    ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
    const ntp::Graph& graph = parsed.value();
    const ntp::WeightStore weights = ntp::generate_weights(graph, 7);
    const auto inputs = ntp::generate_inputs(graph, 7);
    const ntp::Tensor expected = run_reference(graph, weights, inputs).at("rnn");

    const onnx::ModelProto model = parse_model(ntp::onnx_io::export_model_bytes(graph, weights, {}));
    std::map<std::string, FloatTensor> initializers;
    for (const auto& initializer : model.graph().initializer())
      initializers[initializer.name()] = to_floats(initializer);
    const onnx::NodeProto* lstm = nullptr;
    for (const auto& node : model.graph().node())
      if (node.op_type() == "LSTM") lstm = &node;
    ASSERT_NE(lstm, nullptr);
    const ntp::Tensor& x_tensor = inputs.at("x");
    const FloatTensor x{{5, 2, 3}, std::vector<float>(x_tensor.as<float>(), x_tensor.as<float>() + 30)};
    const std::vector<float> y =
        onnx_lstm(x, initializers.at(lstm->input(1)), initializers.at(lstm->input(2)),
                  initializers.at(lstm->input(3)), direction == "reverse");
    // NTP's merge: [T, D, N, H] -> [T, N, D*H], forward first.
    const std::int64_t D = direction == "bidirectional" ? 2 : 1;
    ASSERT_EQ(expected.elements(), static_cast<std::int64_t>(y.size()));
    for (std::int64_t t = 0; t < 5; ++t)
      for (std::int64_t n = 0; n < 2; ++n)
        for (std::int64_t d = 0; d < D; ++d)
          for (std::int64_t j = 0; j < 4; ++j)
            EXPECT_NEAR(expected.as<float>()[((t * 2 + n) * D + d) * 4 + j],
                        y[static_cast<std::size_t>(((t * D + d) * 2 + n) * 4 + j)], 1e-5);
  }
}

// ---- Failures: a clear error, and no file ----

TEST(OnnxExport, AModelOnnxRejectsIsAnErrorAndLeavesNoFile) {
  const ntp::Graph graph = load_small(std::string(NTP_SOURCE_DIR) + "/examples/small-cnn.xml");
  ntp::WeightStore weights = ntp::generate_weights(graph, 1);
  // A classifier weight of the wrong width: ONNX's shape inference sees Gemm disagree with the output.
  weights[{"classifier", "weight"}] =
      ntp::Tensor({11, weights.at({"classifier", "weight"}).shape()[1]}, ntp::DType::f32);
  weights[{"classifier", "bias"}] = ntp::Tensor({11}, ntp::DType::f32);
  const fs::path path = scratch_folder() / "rejected.onnx";
  EXPECT_THROW(ntp::onnx_io::export_model(graph, weights, path.string()), ntp::UserError);
  EXPECT_FALSE(fs::exists(path));
  fs::remove_all(path.parent_path());
}

TEST(OnnxExportCli, WritesAModelAndRefusesBadOpsetsAndUnwritablePaths) {
  const fs::path folder = scratch_folder();
  const std::string example = ntp::test::example("deepspeech-v0.1.xml");
  const std::vector<std::string> small = {"--set", "hidden=8", "--set", "frames=4"};
  auto command = [&](std::vector<std::string> extra) {
    std::vector<std::string> arguments = {"export", example};
    arguments.insert(arguments.end(), small.begin(), small.end());
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    return ntp::test::run_ntp(arguments);
  };
  const fs::path good = folder / "ds.onnx";
  const auto written = command({"-o", good.string(), "--seed", "5"});
  ASSERT_EQ(written.exit_code, 0) << written.err;
  std::ifstream file(good, std::ios::binary);
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromIstream(&file));
  EXPECT_NO_THROW(onnx::checker::check_model(model));
  // The CLI writes the weights generate_weights gives for the seed, fc1's in MatMul layout [C, units].
  const ntp::Graph graph = load(example, {{"hidden", "8"}, {"frames", "4"}});
  const ntp::Tensor fc1 = ntp::generate_weights(graph, 5).at({"fc1", "weight"});
  for (const auto& initializer : model.graph().initializer()) {
    if (initializer.name() != "fc1/weight_t") continue;
    const FloatTensor exported = to_floats(initializer);
    ASSERT_EQ(exported.dims, (std::vector<std::int64_t>{fc1.shape()[1], fc1.shape()[0]}));
    EXPECT_EQ(exported.values[1], fc1.as<float>()[fc1.shape()[1]]);  // [0][1] of the transpose is [1][0]
  }

  const fs::path bad_opset = folder / "opset.onnx";
  const auto refused = command({"-o", bad_opset.string(), "--opset", "9"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("opset 9"), std::string::npos) << refused.err;
  EXPECT_FALSE(fs::exists(bad_opset));

  const fs::path unwritable = folder / "missing-folder" / "ds.onnx";
  const auto failed = command({"-o", unwritable.string()});
  EXPECT_EQ(failed.exit_code, 2);
  EXPECT_NE(failed.err.find("cannot write"), std::string::npos) << failed.err;
  EXPECT_FALSE(fs::exists(unwritable));
  EXPECT_FALSE(fs::exists(folder / "missing-folder"));
  fs::remove_all(folder);
}

// ---- Round trip through import ----

#if NTP_ONNX_IMPORT
// hardtanh(0, c) and relu with clip c are one function and one ONNX Clip(0, c); import may pick either.
bool same_function(const ntp::Node& original, const ntp::Node& imported) {
  return original.op == "hardtanh" && imported.op == "relu" && original.attrs.real("min_val") == 0 &&
         imported.attrs.real("clip") == original.attrs.real("max_val");
}

// At opset 13 layernorm is written out (ReduceMean, Sub, Mul, ReduceMean, Add, Sqrt, Div, Mul, Add), as
// PyTorch exports nn.LayerNorm below 17: import must find the layer again.
TEST(OnnxExport, ImportGivesBackTheGraphAndItsOutputs) {
  const fs::path folder = scratch_folder();
  for (const std::string& file : example_files())
    for (const int opset : {13, 17}) {
      SCOPED_TRACE(file + " at opset " + std::to_string(opset));
      const ntp::Graph graph = load_small(file);
      const ntp::WeightStore weights = ntp::generate_weights(graph, 1);
      const fs::path path = folder / (fs::path(file).stem().string() + ".onnx");
      ntp::onnx_io::export_model(graph, weights, path.string(), {opset});

      ntp::onnx_io::ImportOptions options;
      for (const auto& [name, value] : graph.params)
        options.overrides.emplace_back(name, value);
      auto imported = ntp::onnx_io::import_model(path.string(), options);
      ASSERT_TRUE(imported.ok()) << imported.error().to_string();
      const ntp::Graph& back = imported.value().graph;

      std::vector<const ntp::Node*> original_ops, imported_ops;
      for (const auto& node : graph.nodes)
        if (node.is_op()) original_ops.push_back(&node);
      for (const auto& node : back.nodes)
        if (node.is_op()) imported_ops.push_back(&node);
      ASSERT_EQ(imported_ops.size(), original_ops.size());
      for (std::size_t i = 0; i < original_ops.size(); ++i) {
        EXPECT_EQ(imported_ops[i]->name, original_ops[i]->name);
        if (!same_function(*original_ops[i], *imported_ops[i])) {
          EXPECT_EQ(imported_ops[i]->op, original_ops[i]->op) << original_ops[i]->name;
        }
        ASSERT_EQ(imported_ops[i]->outputs.size(), original_ops[i]->outputs.size());
        for (std::size_t k = 0; k < original_ops[i]->outputs.size(); ++k)
          EXPECT_EQ(back.values[static_cast<std::size_t>(imported_ops[i]->outputs[k])].shape,
                    graph.values[static_cast<std::size_t>(original_ops[i]->outputs[k])].shape)
              << original_ops[i]->name;
      }
      const auto segments = graph.segments();
      const auto back_segments = back.segments();
      ASSERT_EQ(back_segments.size(), segments.size());
      for (std::size_t s = 0; s < segments.size(); ++s) {
        EXPECT_EQ(back_segments[s].name, segments[s].name);
        ASSERT_EQ(back_segments[s].op_nodes.size(), segments[s].op_nodes.size()) << segments[s].name;
      }

      const auto inputs = ntp::generate_inputs(graph, 2);
      const auto expected = run_reference(graph, weights, inputs);
      const auto actual = run_reference(back, imported.value().weights, inputs);
      for (const auto& [name, tensor] : expected) {
        ASSERT_EQ(actual.count(name), 1U) << name;
        ASSERT_EQ(actual.at(name).shape(), tensor.shape()) << name;
        EXPECT_LE(relative_error(tensor, actual.at(name)), 1e-5) << name;
      }
    }
  fs::remove_all(folder);
}
// A decoder's language model is a file the model names: like external data, it must lie in the model's folder
// (issue 16, class 5: lm="/etc/passwd" was read).
TEST(OnnxExport, ADecodersLanguageModelIsConfinedToTheModelsFolder) {
  const fs::path folder = scratch_folder();
  std::ofstream(folder / "words.arpa") << "\\data\\\nngram 1=1\n\n\\1-grams:\n-1.0 a\n\n\\end\\\n";
  for (const auto& [lm, allowed] : std::vector<std::pair<std::string, bool>>{
           {"/etc/passwd", false}, {"../words.arpa", false}, {"missing.arpa", false}, {"words.arpa", true}}) {
    SCOPED_TRACE(lm);
    ntp::Graph graph = load_small(std::string(NTP_SOURCE_DIR) + "/examples/deepspeech-v0.1-e2e.xml");
    for (ntp::Node& node : graph.nodes)
      if (node.op == "ctc_beam") node.attrs.set("lm", lm);
    const fs::path path = folder / "decoder.onnx";
    ntp::onnx_io::export_model(graph, ntp::generate_weights(graph, 1), path.string());
    auto imported = ntp::onnx_io::import_model(path.string());
    EXPECT_EQ(imported.ok(), allowed) << (imported.ok() ? "imported" : imported.error().to_string());
    if (!imported.ok() && lm != "missing.arpa") {
      EXPECT_NE(imported.error().message.find("leaves the model's folder"), std::string::npos)
          << imported.error().to_string();
    }
  }
  fs::remove_all(folder);
}

TEST(OnnxExport, ImportSizesSymbolicDimensionsAsTheExportedTopologyHadThem) {
  const fs::path folder = scratch_folder();
  const ntp::Graph graph = load_small(std::string(NTP_SOURCE_DIR) + "/examples/transformer-encoder.xml");
  const fs::path path = folder / "transformer.onnx";
  ntp::onnx_io::export_model(graph, ntp::generate_weights(graph, 1), path.string());
  auto exported_sizes = ntp::onnx_io::import_model(path.string());  // batch=2, tokens=6 from ntp.params
  ASSERT_TRUE(exported_sizes.ok()) << exported_sizes.error().to_string();
  const ntp::Graph& back = exported_sizes.value().graph;
  EXPECT_EQ(back.values[static_cast<std::size_t>(back.inputs.at(0))].shape, (ntp::Shape{2, 6, 16}));
  ntp::onnx_io::ImportOptions options;
  options.overrides = {{"tokens", "9"}};  // --set still wins
  auto overridden = ntp::onnx_io::import_model(path.string(), options);
  ASSERT_TRUE(overridden.ok()) << overridden.error().to_string();
  const ntp::Graph& longer = overridden.value().graph;
  EXPECT_EQ(longer.values[static_cast<std::size_t>(longer.inputs.at(0))].shape, (ntp::Shape{2, 9, 16}));
  fs::remove_all(folder);
}
#else
TEST(OnnxExport, ImportGivesBackTheGraphAndItsOutputs) {
  GTEST_SKIP() << "this build has no ONNX import (src/onnx/import*.cpp) to round-trip through";
}
#endif

}  // namespace
