// ONNX import: ops mapped onto NTP's (with fusion, gate orders and opset semantics) checked against values
// computed here by hand, and bad models refused with a clear error instead of a crash.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "backends/reference/reference_backend.h"
#include "ntp/executable.h"
#include "ntp/limits.h"
#include "onnx/onnx_model.h"

namespace {

namespace fs = std::filesystem;
using ntp::onnx_io::import_model;
using ntp::onnx_io::ImportOptions;

class Folder {
 public:
  Folder()
      : path_(fs::temp_directory_path() /
              ("ntp-import-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++))) {
    fs::create_directories(path_);
  }
  ~Folder() { fs::remove_all(path_); }
  Folder(const Folder&) = delete;
  Folder& operator=(const Folder&) = delete;
  fs::path operator/(const std::string& name) const { return path_ / name; }
  const fs::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

onnx::ModelProto new_model(int opset = 17) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  auto* entry = model.add_opset_import();
  entry->set_domain("");
  entry->set_version(opset);
  model.mutable_graph()->set_name("test");
  return model;
}

// A float tensor value; a dim of -1 is the symbolic dimension "N".
void declare(google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>* list, const std::string& name,
             const std::vector<std::int64_t>& dims) {
  auto* info = list->Add();
  info->set_name(name);
  auto* tensor = info->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(onnx::TensorProto::FLOAT);
  auto* shape = tensor->mutable_shape();
  for (const std::int64_t dim : dims) {
    if (dim < 0)
      shape->add_dim()->set_dim_param("N");
    else
      shape->add_dim()->set_dim_value(dim);
  }
}

onnx::TensorProto& initializer(onnx::ModelProto& model, const std::string& name,
                               const std::vector<std::int64_t>& dims, const std::vector<float>& values) {
  auto* tensor = model.mutable_graph()->add_initializer();
  tensor->set_name(name);
  tensor->set_data_type(onnx::TensorProto::FLOAT);
  for (const std::int64_t dim : dims)
    tensor->add_dims(dim);
  for (const float value : values)
    tensor->add_float_data(value);
  return *tensor;
}

onnx::NodeProto& node(onnx::ModelProto& model, const std::string& op, const std::vector<std::string>& inputs,
                      const std::vector<std::string>& outputs, const std::string& name = "") {
  auto* added = model.mutable_graph()->add_node();
  added->set_op_type(op);
  added->set_name(name);
  for (const auto& input : inputs)
    added->add_input(input);
  for (const auto& output : outputs)
    added->add_output(output);
  return *added;
}

void set_int(onnx::NodeProto& target, const std::string& name, std::int64_t value) {
  auto* attr = target.add_attribute();
  attr->set_name(name);
  attr->set_type(onnx::AttributeProto::INT);
  attr->set_i(value);
}

std::string save(const onnx::ModelProto& model, const fs::path& path) {
  std::ofstream file(path, std::ios::binary);
  model.SerializeToOstream(&file);
  return path.string();
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream file(path, std::ios::binary);
  file << bytes;
}

std::vector<float> run_reference(const ntp::onnx_io::ImportedModel& imported, const std::string& input,
                                 const std::vector<float>& data) {
  ntp::Tensor tensor(imported.graph.values[static_cast<std::size_t>(imported.graph.find_value(input))].shape,
                     ntp::DType::f32);
  std::copy(data.begin(), data.end(), tensor.as<float>());
  ntp::CompileOptions options;
  options.weights = &imported.weights;
  ntp::Executable executable(imported.graph, ntp::reference_backend(), options);
  executable.run({{input, tensor}}, nullptr);
  const ntp::Tensor out = executable.value_f32(imported.graph.outputs.at(0));
  return {out.as<float>(), out.as<float>() + out.elements()};
}

std::string error_of(const std::string& path, const ImportOptions& options = {}) {
  auto result = import_model(path, options);
  EXPECT_FALSE(result.ok()) << path << " imported";
  return result.ok() ? "" : result.error().to_string();
}

// y = relu(x) over a float tensor of `dims` (-1: the symbolic "N"), its node named "relu".
onnx::ModelProto relu_model(const std::vector<std::int64_t>& dims) {
  onnx::ModelProto model = new_model();
  declare(model.mutable_graph()->mutable_input(), "x", dims);
  declare(model.mutable_graph()->mutable_output(), "y", dims);
  node(model, "Relu", {"x"}, {"y"}, "relu");
  return model;
}

// y = relu(x B + C) with B [3, 2] as MatMul + Add + Relu: one fc node with the transposed weight.
TEST(OnnxImport, MatMulAddReluBecomesOneFcWithTheModelsWeights) {
  Folder folder;
  onnx::ModelProto model = new_model();
  declare(model.mutable_graph()->mutable_input(), "x", {2, 3});
  declare(model.mutable_graph()->mutable_output(), "y", {2, 2});
  const std::vector<float> b = {1, -2, 0.5F, 3, -1, 0.25F};  // [3, 2]
  const std::vector<float> c = {0.5F, -4};
  initializer(model, "B", {3, 2}, b);
  initializer(model, "C", {2}, c);
  node(model, "MatMul", {"x", "B"}, {"fc1/matmul"}, "fc1");
  node(model, "Add", {"fc1/matmul", "C"}, {"fc1/linear"}, "fc1/add_bias");
  node(model, "Relu", {"fc1/linear"}, {"y"}, "fc1/act");
  auto imported = import_model(save(model, folder / "fc.onnx"));
  ASSERT_TRUE(imported.ok()) << imported.error().to_string();
  const ntp::Graph& graph = imported.value().graph;
  ASSERT_EQ(graph.nodes.size(), 1U);
  EXPECT_EQ(graph.nodes[0].op, "fc");
  EXPECT_EQ(graph.nodes[0].name, "y");
  EXPECT_EQ(graph.nodes[0].attrs.text("activation"), "relu");
  const ntp::Tensor& weight = imported.value().weights.at({"y", "weight"});
  ASSERT_EQ(weight.shape(), (ntp::Shape{2, 3}));
  EXPECT_EQ(weight.as<float>()[1], b[2]);  // W[0][1] = B[1][0]

  const std::vector<float> x = {1, 2, 3, -1, 0.5F, 2};
  const std::vector<float> y = run_reference(imported.value(), "x", x);
  for (int row = 0; row < 2; ++row)
    for (int col = 0; col < 2; ++col) {
      float sum = c[static_cast<std::size_t>(col)];
      for (int k = 0; k < 3; ++k)
        sum += x[static_cast<std::size_t>(row * 3 + k)] * b[static_cast<std::size_t>(k * 2 + col)];
      EXPECT_FLOAT_EQ(y[static_cast<std::size_t>(row * 2 + col)], std::max(sum, 0.0F));
    }
}

// y = (x - mean) / sqrt(var + eps) * w + b over the last axis of each row, by hand.
std::vector<float> layer_norm(const std::vector<float>& x, std::size_t width, const std::vector<float>& w,
                              const std::vector<float>& b, float epsilon) {
  std::vector<float> y(x.size());
  for (std::size_t row = 0; row < x.size() / width; ++row) {
    double mean = 0, variance = 0;
    for (std::size_t i = 0; i < width; ++i)
      mean += x[row * width + i] / static_cast<double>(width);
    for (std::size_t i = 0; i < width; ++i)
      variance += (x[row * width + i] - mean) * (x[row * width + i] - mean) / static_cast<double>(width);
    for (std::size_t i = 0; i < width; ++i)
      y[row * width + i] = static_cast<float>((x[row * width + i] - mean) / std::sqrt(variance + epsilon) *
                                                  (w.empty() ? 1.0 : w[i]) +
                                              (b.empty() ? 0.0 : b[i]));
  }
  return y;
}

// LayerNorm written out as PyTorch exports nn.LayerNorm below opset 17 (Pow(c, 2), then scale and shift),
// and as c * c without scale or shift: one layernorm layer each, named after its output as every imported
// layer is, with the model's epsilon, scale and shift.
TEST(OnnxImport, WrittenOutLayerNormBecomesOneLayer) {
  Folder folder;
  const std::vector<float> x = {1, 2, 4, 8, -3, 0.5F, 0, 2};  // [2, 4]
  const std::vector<float> w = {1, -2, 0.5F, 3};
  const std::vector<float> b = {0.25F, 0, -1, 2};
  for (const bool affine : {true, false}) {
    SCOPED_TRACE(affine ? "Pow, scale and shift" : "Mul, neither");
    onnx::ModelProto model = new_model(13);
    declare(model.mutable_graph()->mutable_input(), "x", {2, 4});
    declare(model.mutable_graph()->mutable_output(), "y", {2, 4});
    initializer(model, "two", {}, {2});
    initializer(model, "eps", {}, {1e-3F});
    auto mean_of = [&](const std::string& in, const std::string& out) {
      auto* attr = node(model, "ReduceMean", {in}, {out}, out).add_attribute();
      attr->set_name("axes");
      attr->set_type(onnx::AttributeProto::INTS);
      attr->add_ints(-1);
    };
    mean_of("x", "ln/mean");
    node(model, "Sub", {"x", "ln/mean"}, {"ln/centered"}, "ln/sub");
    if (affine)
      node(model, "Pow", {"ln/centered", "two"}, {"ln/squared"}, "ln/pow");
    else
      node(model, "Mul", {"ln/centered", "ln/centered"}, {"ln/squared"}, "ln/square");
    mean_of("ln/squared", "ln/variance");
    node(model, "Add", {"ln/variance", "eps"}, {"ln/variance_eps"}, "ln/add_eps");
    node(model, "Sqrt", {"ln/variance_eps"}, {"ln/std"}, "ln/sqrt");
    node(model, "Div", {"ln/centered", "ln/std"}, {affine ? "ln/normalized" : "y"}, affine ? "ln/div" : "ln");
    if (affine) {
      initializer(model, "w", {4}, w);
      initializer(model, "b", {4}, b);
      node(model, "Mul", {"ln/normalized", "w"}, {"ln/scaled"}, "ln/mul");
      node(model, "Add", {"ln/scaled", "b"}, {"y"}, "ln");
    }
    auto imported = import_model(save(model, folder / "layernorm.onnx"));
    ASSERT_TRUE(imported.ok()) << imported.error().to_string();
    const ntp::Graph& graph = imported.value().graph;
    ASSERT_EQ(graph.nodes.size(), 1U);
    EXPECT_EQ(graph.nodes[0].op, "layernorm");
    EXPECT_EQ(graph.nodes[0].name, "y");
    EXPECT_FLOAT_EQ(static_cast<float>(graph.nodes[0].attrs.real("epsilon")), 1e-3F);
    const std::vector<float> expected =
        layer_norm(x, 4, affine ? w : std::vector<float>{}, affine ? b : std::vector<float>{}, 1e-3F);
    const std::vector<float> y = run_reference(imported.value(), "x", x);
    ASSERT_EQ(y.size(), expected.size());
    for (std::size_t i = 0; i < y.size(); ++i)
      EXPECT_NEAR(y[i], expected[i], 1e-5) << i;
  }
}

// A ReduceMean that is not part of such a LayerNorm is refused by name, saying where it is supported.
// Outside a written-out LayerNorm, ReduceMean is a reduction of its own with ONNX's axes and keepdims.
TEST(OnnxImport, ReduceMeanOutsideALayerNormIsAReduction) {
  Folder folder;
  onnx::ModelProto model = new_model(13);
  declare(model.mutable_graph()->mutable_input(), "x", {2, 4});
  declare(model.mutable_graph()->mutable_output(), "y", {1, 4});
  auto* attr = node(model, "ReduceMean", {"x"}, {"y"}, "pool_rows").add_attribute();
  attr->set_name("axes");
  attr->set_type(onnx::AttributeProto::INTS);
  attr->add_ints(0);
  auto imported = import_model(save(model, folder / "reduce.onnx"));
  ASSERT_TRUE(imported.ok()) << imported.error().to_string();
  const ntp::Graph& graph = imported.value().graph;
  ASSERT_GE(graph.find_node("y"), 0);
  EXPECT_EQ(graph.nodes[static_cast<std::size_t>(graph.find_node("y"))].op, "reduce_mean");
  const std::vector<float> y = run_reference(imported.value(), "x", {1, 2, 3, 4, 5, 7, 9, 11});
  EXPECT_EQ(y, (std::vector<float>{3, 4.5F, 6, 7.5F}));
}

// Softmax before opset 13 normalises over every axis from `axis` on, not over `axis` alone.
TEST(OnnxImport, OldSoftmaxNormalisesTheCoercedTwoDimensionalInput) {
  Folder folder;
  onnx::ModelProto model = new_model(11);
  declare(model.mutable_graph()->mutable_input(), "x", {2, 2, 3});
  declare(model.mutable_graph()->mutable_output(), "y", {2, 2, 3});
  set_int(node(model, "Softmax", {"x"}, {"y"}), "axis", 1);
  auto imported = import_model(save(model, folder / "softmax.onnx"));
  ASSERT_TRUE(imported.ok()) << imported.error().to_string();
  std::vector<float> x(12);
  for (std::size_t i = 0; i < x.size(); ++i)
    x[i] = 0.3F * static_cast<float>(i) - 1.0F;
  const std::vector<float> y = run_reference(imported.value(), "x", x);
  for (std::size_t batch = 0; batch < 2; ++batch) {
    double total = 0;
    for (std::size_t i = 0; i < 6; ++i)
      total += std::exp(x[batch * 6 + i]);
    for (std::size_t i = 0; i < 6; ++i)
      EXPECT_NEAR(y[batch * 6 + i], std::exp(x[batch * 6 + i]) / total, 1e-6);
  }
}

// Found by fuzzing (tests/fuzz/corpus/onnx/crash-reshape-overflow.onnx): a target shape whose element
// count overflows 64 bits was multiplied unchecked (undefined behaviour; a wrapped product could pass).
TEST(OnnxImport, AReshapeTargetTooLargeForSixtyFourBitsIsRefused) {
  Folder folder;
  onnx::ModelProto model = new_model();
  declare(model.mutable_graph()->mutable_input(), "x", {2, 3, 4});
  declare(model.mutable_graph()->mutable_output(), "y", {24});
  auto& target = *model.mutable_graph()->add_initializer();
  target.set_name("target");
  target.set_data_type(onnx::TensorProto::INT64);
  target.add_dims(3);
  for (const std::int64_t dim : {std::int64_t{1} << 40, std::int64_t{1} << 40, std::int64_t{0} + 24})
    target.add_int64_data(dim);
  node(model, "Reshape", {"x", "target"}, {"y"});
  const std::string error = error_of(save(model, folder / "m.onnx"));
  EXPECT_NE(error.find("more elements than fit in 64 bits"), std::string::npos) << error;
  EXPECT_NE(error.find("m.onnx"), std::string::npos) << error;
}

// Reshape's target computed from Shape -> Gather -> Unsqueeze -> Concat folds at load time.
TEST(OnnxImport, ShapeArithmeticFoldsIntoAStaticReshape) {
  Folder folder;
  onnx::ModelProto model = new_model();
  declare(model.mutable_graph()->mutable_input(), "x", {4, 3, 2});
  declare(model.mutable_graph()->mutable_output(), "y", {4, 6});
  auto* index = model.mutable_graph()->add_initializer();
  index->set_name("zero");
  index->set_data_type(onnx::TensorProto::INT64);
  index->add_int64_data(0);
  auto* minus_one = model.mutable_graph()->add_initializer();
  minus_one->set_name("rest");
  minus_one->set_data_type(onnx::TensorProto::INT64);
  minus_one->add_dims(1);
  minus_one->add_int64_data(-1);
  auto* axes = model.mutable_graph()->add_initializer();
  axes->set_name("axes");
  axes->set_data_type(onnx::TensorProto::INT64);
  axes->add_dims(1);
  axes->add_int64_data(0);
  node(model, "Shape", {"x"}, {"shape"});
  node(model, "Gather", {"shape", "zero"}, {"batch"});
  node(model, "Unsqueeze", {"batch", "axes"}, {"batch1"});
  node(model, "Concat", {"batch1", "rest"}, {"target"}).add_attribute()->set_name("axis");
  model.mutable_graph()->mutable_node(3)->mutable_attribute(0)->set_type(onnx::AttributeProto::INT);
  node(model, "Reshape", {"x", "target"}, {"y"});
  auto imported = import_model(save(model, folder / "reshape.onnx"));
  ASSERT_TRUE(imported.ok()) << imported.error().to_string();
  const ntp::Graph& graph = imported.value().graph;
  ASSERT_EQ(graph.nodes.size(), 1U);
  EXPECT_EQ(graph.nodes[0].op, "reshape");
  EXPECT_EQ(graph.values[static_cast<std::size_t>(graph.outputs[0])].shape, (ntp::Shape{4, 6}));
}

TEST(OnnxImport, DynamicDimensionsTakeSetAndShapeOrNameWhatIsMissing) {
  Folder folder;
  onnx::ModelProto model = new_model();
  declare(model.mutable_graph()->mutable_input(), "x", {-1, 3});
  declare(model.mutable_graph()->mutable_output(), "y", {-1, 3});
  node(model, "Relu", {"x"}, {"y"});
  const std::string path = save(model, folder / "dynamic.onnx");
  const std::string error = error_of(path);
  EXPECT_NE(error.find("'x' dimension 0 ('N')"), std::string::npos) << error;
  EXPECT_NE(error.find("--set N="), std::string::npos) << error;

  ImportOptions set;
  set.overrides = {{"N", "5"}};
  auto by_set = import_model(path, set);
  ASSERT_TRUE(by_set.ok()) << by_set.error().to_string();
  EXPECT_EQ(by_set.value().graph.values[0].shape, (ntp::Shape{5, 3}));
  EXPECT_EQ(by_set.value().graph.values[0].dim_params[0], "N");

  ImportOptions shape;
  shape.input_shapes = {{"x", {7, 3}}};
  auto by_shape = import_model(path, shape);
  ASSERT_TRUE(by_shape.ok()) << by_shape.error().to_string();
  EXPECT_EQ(by_shape.value().graph.values[0].shape, (ntp::Shape{7, 3}));
  shape.input_shapes = {{"x", {7, 4}}};
  EXPECT_NE(error_of(path, shape).find("fixes it at 3"), std::string::npos);
}

// What would be silently ignored is refused (issue 16, class 7): a --set or --batch naming no dimension of
// the model, and an opset newer than the ONNX library NTP reads it with.
TEST(OnnxImport, ASetNamingNoDimensionAndAnUnknownOpsetAreRefused) {
  Folder folder;
  const onnx::ModelProto model = relu_model({-1, 3});
  const std::string path = save(model, folder / "dynamic.onnx");
  ImportOptions typo;
  typo.overrides = {{"N", "2"}, {"hiden", "5"}};
  const std::string error = error_of(path, typo);
  EXPECT_NE(error.find("--set hiden names no dimension of"), std::string::npos) << error;
  EXPECT_NE(error.find("its named dimensions are N"), std::string::npos) << error;
  ImportOptions batch;
  batch.overrides = {{"N", "2"}, {"batch", "8"}};
  EXPECT_NE(error_of(path, batch).find("--batch names no dimension"), std::string::npos);
  // An exported topology's parameters are fixed in its weights: asking for the same value is no change.
  onnx::ModelProto exported = model;
  auto* params = exported.add_metadata_props();
  params->set_key("ntp.params");
  params->set_value(R"({"hidden": "5"})");
  const std::string exported_path = save(exported, folder / "exported.onnx");
  ImportOptions same;
  same.overrides = {{"N", "2"}, {"hidden", "5"}};
  EXPECT_TRUE(import_model(exported_path, same).ok());
  same.overrides.back().second = "6";
  const std::string changed = error_of(exported_path, same);
  EXPECT_NE(changed.find("was exported with hidden=5"), std::string::npos) << changed;
  EXPECT_NE(changed.find("export the topology again with --set hidden=6"), std::string::npos) << changed;

  onnx::ModelProto future = model;
  future.mutable_opset_import(0)->set_version(999);
  ImportOptions sized;
  sized.overrides = {{"N", "2"}};
  const std::string opset = error_of(save(future, folder / "future.onnx"), sized);
  EXPECT_NE(opset.find("imports ONNX opset 999, which this NTP does not know"), std::string::npos) << opset;
  EXPECT_NE(opset.find("onnx.version_converter"), std::string::npos) << opset;
}

// Found by fuzzing (tests/fuzz/corpus/onnx/crash-node-without-outputs.onnx): a nameless node of an op the
// checker does not know (experimental GRUUnit, another domain) with no outputs aborted in protobuf, where
// the list of unsupported nodes named it by its first output.
TEST(OnnxImport, ANodeWithoutOutputsIsMalformedNotACrash) {
  Folder folder;
  onnx::ModelProto model = relu_model({2, 3});
  node(model, "GRUUnit", {"x"}, {}).set_domain("com.example");
  const std::string error = error_of(save(model, folder / "no-outputs.onnx"));
  EXPECT_NE(error.find("node 1 ('', GRUUnit) has no outputs"), std::string::npos) << error;
}

// A graph of more nodes than NTP's limit is refused before any is checked or converted (docs/limits.md).
TEST(OnnxImport, AGraphOverTheNodeLimitIsRefusedAtOnce) {
  Folder folder;
  onnx::ModelProto model = relu_model({2, 3});
  auto* nodes = model.mutable_graph()->mutable_node();
  nodes->Reserve(static_cast<int>(ntp::limits::kMaxLayers) + 1);
  for (std::size_t i = 1; i <= ntp::limits::kMaxLayers; ++i)
    nodes->Add();  // empty: the count is refused before any node is looked at
  const std::string error = error_of(save(model, folder / "many.onnx"));
  EXPECT_NE(error.find("the graph has 1000001 nodes, more than NTP's limit of 1000000"), std::string::npos)
      << error;
}

// The ntp.* metadata an export writes, edited to the wrong JSON type, is refused with the field named
// instead of a JSON exception (issue 16, class 2); other tools' metadata is left alone.
TEST(OnnxImport, MistypedNtpMetadataNamesTheField) {
  Folder folder;
  const onnx::ModelProto model = relu_model({2, 3});
  const auto with = [&](const std::string& key, const std::string& value) {
    onnx::ModelProto copy = model;
    auto* entry = copy.add_metadata_props();
    entry->set_key(key);
    entry->set_value(value);
    return save(copy, folder / "meta.onnx");
  };
  EXPECT_TRUE(import_model(with("author", "{not json")).ok());
  const std::vector<std::pair<std::pair<std::string, std::string>, std::string>> cases = {
      {{"ntp.inputs", R"({"x": {"a": "low"}})"}, "metadata 'ntp.inputs'.x.a must be a finite number"},
      {{"ntp.inputs", R"({"x": 3})"}, "metadata 'ntp.inputs'.x must be an object"},
      {{"ntp.inputs", R"([1])"}, "metadata 'ntp.inputs' must be an object"},
      {{"ntp.params", R"({"hidden": 5})"}, "metadata 'ntp.params'.hidden must be a string"},
      {{"ntp.segments", R"([{"name": 7, "first": "relu", "last": "relu"}])"},
       "metadata 'ntp.segments'[0].name must be a string"},
      {{"ntp.segments", "{broken"}, "metadata 'ntp.segments' must be valid JSON"},
  };
  for (const auto& [entry, expected] : cases) {
    const std::string error = error_of(with(entry.first, entry.second));
    EXPECT_NE(error.find(expected), std::string::npos) << error;
    EXPECT_NE(error.find("meta.onnx"), std::string::npos) << error;
  }
}

// TensorFlow's SAME padding at stride 2 pads only the end: a pad node before the conv, then no padding.
TEST(OnnxImport, AsymmetricConvPaddingBecomesAPadNodeBeforeTheConv) {
  Folder folder;
  onnx::ModelProto model = new_model(13);
  declare(model.mutable_graph()->mutable_input(), "x", {1, 1, 4, 4});
  declare(model.mutable_graph()->mutable_output(), "y", {1, 1, 2, 2});
  initializer(model, "W", {1, 1, 3, 3}, std::vector<float>(9, 1.0F));
  auto& conv = node(model, "Conv", {"x", "W"}, {"y"}, "conv");
  auto* pads = conv.add_attribute();
  pads->set_name("pads");
  pads->set_type(onnx::AttributeProto::INTS);
  for (const std::int64_t pad : {0, 0, 1, 1})
    pads->add_ints(pad);
  auto* strides = conv.add_attribute();
  strides->set_name("strides");
  strides->set_type(onnx::AttributeProto::INTS);
  strides->add_ints(2);
  strides->add_ints(2);
  auto imported = import_model(save(model, folder / "same.onnx"));
  ASSERT_TRUE(imported.ok()) << imported.error().to_string();
  const ntp::Graph& graph = imported.value().graph;
  ASSERT_GE(graph.find_node("conv/pad"), 0);
  EXPECT_EQ(graph.nodes[static_cast<std::size_t>(graph.find_node("conv/pad"))].op, "pad");
  std::vector<float> x(16);
  for (std::size_t i = 0; i < x.size(); ++i)
    x[i] = static_cast<float>(i);
  // Windows at rows/columns 0..2 and 2..4 (row/column 4 is padding): sums of the 3x3 blocks that fit.
  const std::vector<float> y = run_reference(imported.value(), "x", x);
  EXPECT_EQ(y, (std::vector<float>{45, 39, 66, 50}));
}

// A branch of an If that applies `op` to the outer value x.
void add_branch(onnx::NodeProto& branching, const std::string& name, const std::string& op,
                const std::vector<std::int64_t>& shape) {
  auto* attr = branching.add_attribute();
  attr->set_name(name);
  attr->set_type(onnx::AttributeProto::GRAPH);
  onnx::GraphProto* branch = attr->mutable_g();
  branch->set_name(name);
  auto* inner = branch->add_node();
  inner->set_op_type(op);
  inner->add_input("x");
  inner->add_output(name + "_out");
  declare(branch->mutable_output(), name + "_out", shape);
}

// An If on a shape comparison is decided at load time: its chosen branch becomes part of the graph.
TEST(OnnxImport, IfOnAShapeComparisonImportsTheChosenBranch) {
  Folder folder;
  onnx::ModelProto model = new_model(13);
  declare(model.mutable_graph()->mutable_input(), "x", {2, 3});
  declare(model.mutable_graph()->mutable_output(), "y", {2, 3});
  node(model, "Shape", {"x"}, {"shape"});
  node(model, "ReduceProd", {"shape"}, {"size"});
  initializer(model, "limit", {}, {4.0F});
  node(model, "Cast", {"limit"}, {"limit64"}).add_attribute()->CopyFrom([] {
    onnx::AttributeProto to;
    to.set_name("to");
    to.set_type(onnx::AttributeProto::INT);
    to.set_i(onnx::TensorProto::INT64);
    return to;
  }());
  node(model, "Greater", {"size", "limit64"}, {"big"});
  auto& branching = node(model, "If", {"big"}, {"y"}, "branch");
  add_branch(branching, "then_branch", "Neg", {2, 3});
  add_branch(branching, "else_branch", "Abs", {2, 3});
  auto imported = import_model(save(model, folder / "if.onnx"));
  ASSERT_TRUE(imported.ok()) << imported.error().to_string();
  EXPECT_EQ(run_reference(imported.value(), "x", {1, -2, 3, -4, 5, -6}),
            (std::vector<float>{-1, 2, -3, 4, -5, 6}));  // 6 elements > 4: the then branch, Neg
  for (const ntp::Node& added : imported.value().graph.nodes)
    EXPECT_NE(added.op, "greater") << "the condition should be computed at load time";
}

TEST(OnnxImport, IfOnARunTimeConditionIsRefusedClearly) {
  Folder folder;
  onnx::ModelProto model = new_model(13);
  declare(model.mutable_graph()->mutable_input(), "x", {2});
  declare(model.mutable_graph()->mutable_output(), "y", {2});
  node(model, "ReduceSum", {"x"}, {"total"});
  initializer(model, "zero", {}, {0.0F});
  node(model, "Greater", {"total", "zero"}, {"positive"});
  auto& branching = node(model, "If", {"positive"}, {"y"}, "branch");
  add_branch(branching, "then_branch", "Identity", {2});
  add_branch(branching, "else_branch", "Identity", {2});
  const std::string error = error_of(save(model, folder / "if.onnx"));
  EXPECT_NE(error.find("node 'branch' (If): an If whose condition is computed at run time is not supported"),
            std::string::npos)
      << error;
}

// Unknown ops and nodes a converter refuses come in one message; what reads a refused node is not reported.
TEST(OnnxImport, OneErrorListsEveryProblem) {
  Folder folder;
  onnx::ModelProto model = new_model(13);
  declare(model.mutable_graph()->mutable_input(), "x", {2, 3});
  declare(model.mutable_graph()->mutable_output(), "z", {2, 3});
  declare(model.mutable_graph()->mutable_output(), "w", {2, 3});
  node(model, "Det", {"x"}, {"d"}, "the_det");
  node(model, "ReduceSum", {"x", "x"}, {"s"}, "runtime_axes");
  node(model, "Relu", {"s"}, {"z"}, "after_refused");
  node(model, "Identity", {"d"}, {"w"}, "after_unknown");
  const std::string error = error_of(save(model, folder / "problems.onnx"));
  EXPECT_NE(error.find("the model has 2 problems NTP cannot import:"), std::string::npos) << error;
  EXPECT_NE(error.find("1 node NTP cannot import: Det (node 'the_det')"), std::string::npos) << error;
  EXPECT_NE(
      error.find("node 'runtime_axes' (ReduceSum): the axes ('x') must be an initializer or a constant"),
      std::string::npos)
      << error;
  EXPECT_EQ(error.find("after_refused"), std::string::npos) << error;
  EXPECT_EQ(error.find("after_unknown"), std::string::npos) << error;
}

TEST(OnnxImport, OneErrorListsEveryUnsupportedNode) {
  Folder folder;
  onnx::ModelProto model = new_model();
  declare(model.mutable_graph()->mutable_input(), "x", {2, 3});
  declare(model.mutable_graph()->mutable_output(), "z", {2, 3});
  node(model, "Det", {"x"}, {"a"}, "first_det");
  node(model, "Relu", {"a"}, {"r"});
  node(model, "Det", {"r"}, {"z"}, "second_det");
  const std::string error = error_of(save(model, folder / "unsupported.onnx"));
  EXPECT_NE(error.find("2 nodes NTP cannot import: Det (node 'first_det'), Det (node 'second_det')"),
            std::string::npos)
      << error;
}

TEST(OnnxImport, RefusesWhatNtpsCellsCannotCompute) {
  Folder folder;
  onnx::ModelProto model = new_model();
  declare(model.mutable_graph()->mutable_input(), "x", {3, 1, 2});
  declare(model.mutable_graph()->mutable_output(), "y", {3, 1, 1, 2});
  initializer(model, "W", {1, 6, 2}, std::vector<float>(12, 0.1F));
  initializer(model, "R", {1, 6, 2}, std::vector<float>(12, 0.1F));
  set_int(node(model, "GRU", {"x", "W", "R"}, {"y"}, "gru1"), "hidden_size", 2);
  const std::string path = save(model, folder / "gru.onnx");
  const std::string error = error_of(path);
  EXPECT_NE(error.find("node 'gru1' (GRU): linear_before_reset=0 is not supported"), std::string::npos)
      << error;
  set_int(*model.mutable_graph()->mutable_node(0), "linear_before_reset", 1);
  auto imported = import_model(save(model, path));
  ASSERT_TRUE(imported.ok()) << imported.error().to_string();
  EXPECT_EQ(imported.value().graph.nodes.front().op, "gru");
}

// A nameless node is named by the first output it writes; a recurrent layer's Y is often omitted.
TEST(OnnxImport, ANamelessNodeIsNamedByTheOutputItWrites) {
  Folder folder;
  onnx::ModelProto model = new_model();
  declare(model.mutable_graph()->mutable_input(), "x", {3, 1, 2});
  declare(model.mutable_graph()->mutable_input(), "W", {1, 8, 2});  // computed weights: not supported
  declare(model.mutable_graph()->mutable_output(), "h", {1, 1, 2});
  initializer(model, "R", {1, 8, 2}, std::vector<float>(16, 0.1F));
  set_int(node(model, "LSTM", {"x", "W", "R"}, {"", "h"}), "hidden_size", 2);
  const std::string error = error_of(save(model, folder / "lstm.onnx"));
  EXPECT_NE(error.find("the LSTM node writing 'h'"), std::string::npos) << error;
  EXPECT_NE(error.find("must be an initializer or a constant"), std::string::npos) << error;
}

TEST(OnnxImport, MalformedFilesAreClearErrors) {
  Folder folder;
  write_bytes(folder / "empty.onnx", "");
  EXPECT_NE(error_of((folder / "empty.onnx").string()).find("the ONNX model file is empty"),
            std::string::npos);

  std::mt19937 random(7);
  std::string noise(4096, '\0');
  for (char& byte : noise)
    byte = static_cast<char>(random() & 0xFFU);
  write_bytes(folder / "noise.onnx", noise);
  EXPECT_NE(error_of((folder / "noise.onnx").string()).find("not an ONNX model"), std::string::npos);

  onnx::ModelProto model = new_model();
  declare(model.mutable_graph()->mutable_input(), "x", {2, 3});
  declare(model.mutable_graph()->mutable_output(), "y", {2, 4});
  initializer(model, "B", {3, 4}, std::vector<float>(12, 0.5F));
  node(model, "MatMul", {"x", "B"}, {"y"}, "mm");
  std::string bytes;
  model.SerializeToString(&bytes);
  for (const std::size_t keep : {bytes.size() / 2, bytes.size() - 3, std::size_t{5}}) {
    write_bytes(folder / "cut.onnx", bytes.substr(0, keep));
    const std::string error = error_of((folder / "cut.onnx").string());
    EXPECT_NE(error.find("cut.onnx"), std::string::npos) << keep << ": " << error;
  }

  model.mutable_graph()->mutable_initializer()->Clear();  // MatMul now reads a missing initializer
  const std::string missing = error_of(save(model, folder / "missing.onnx"));
  EXPECT_NE(missing.find("node 'mm' (MatMul) reads 'B'"), std::string::npos) << missing;

  model.mutable_graph()->mutable_node(0)->set_input(0, "nowhere");
  const std::string dangling = error_of(save(model, folder / "dangling.onnx"));
  EXPECT_NE(dangling.find("reads 'nowhere'"), std::string::npos) << dangling;
}

TEST(OnnxImport, ExternalDataLoadsOnlyFromTheModelsFolder) {
  Folder folder;
  Folder outside;
  const std::vector<float> bias = {1.5F, -2.0F};
  {
    std::ofstream data(folder / "bias.bin", std::ios::binary);
    data.write(reinterpret_cast<const char*>(bias.data()), 8);
    std::ofstream far(outside / "bias.bin", std::ios::binary);
    far.write(reinterpret_cast<const char*>(bias.data()), 8);
  }
  fs::create_symlink(outside / "bias.bin", folder / "link.bin");
  auto model_with = [&](const std::string& location) {
    onnx::ModelProto model = new_model();
    declare(model.mutable_graph()->mutable_input(), "x", {2});
    declare(model.mutable_graph()->mutable_output(), "y", {2});
    auto& tensor = initializer(model, "C", {2}, {});
    tensor.set_data_location(onnx::TensorProto::EXTERNAL);
    auto* entry = tensor.add_external_data();
    entry->set_key("location");
    entry->set_value(location);
    node(model, "Add", {"x", "C"}, {"y"});
    return save(model, folder / "external.onnx");
  };
  auto imported = import_model(model_with("bias.bin"));
  ASSERT_TRUE(imported.ok()) << imported.error().to_string();
  const std::vector<float> y = run_reference(imported.value(), "x", {1, 1});
  EXPECT_FLOAT_EQ(y[0], 2.5F);
  EXPECT_FLOAT_EQ(y[1], -1.0F);
  for (const std::string& escape : {std::string("../") + outside.path().filename().string() + "/bias.bin",
                                    (outside / "bias.bin").string(), std::string("link.bin")}) {
    const std::string error = error_of(model_with(escape));
    EXPECT_TRUE(error.find("outside the model's folder") != std::string::npos ||
                error.find("leaves the model's folder") != std::string::npos)
        << escape << ": " << error;
  }
}

}  // namespace
