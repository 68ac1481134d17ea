// `ntp inspect|run|check` on .onnx files: a real model (one of ONNX's node tests) runs with its own weights,
// and a bad model is exit code 2 with no output file written.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>

#include "cli/process.h"
#include "io/npy.h"
#include "ntp/tensor.h"

namespace {

namespace fs = std::filesystem;
using ntp::test::run_ntp;

const fs::path kNodeTests = NTP_ONNX_TESTDATA_DIR "/node";

template <class Proto>
Proto read_proto(const fs::path& path) {
  Proto proto;
  std::ifstream file(path, std::ios::binary);
  EXPECT_TRUE(proto.ParseFromIstream(&file)) << path;
  return proto;
}

// A node test's model with its weight inputs (all but the first) turned into initializers, as a real model
// stores them.
fs::path with_initializers(const std::string& test, const fs::path& folder) {
  auto model = read_proto<onnx::ModelProto>(kNodeTests / test / "model.onnx");
  auto* graph = model.mutable_graph();
  for (int i = 1; i < graph->input_size(); ++i)
    *graph->add_initializer() = read_proto<onnx::TensorProto>(kNodeTests / test / "test_data_set_0" /
                                                              ("input_" + std::to_string(i) + ".pb"));
  graph->mutable_input()->DeleteSubrange(1, graph->input_size() - 1);
  const fs::path path = folder / (test + ".onnx");
  std::ofstream file(path, std::ios::binary);
  model.SerializeToOstream(&file);
  return path;
}

TEST(OnnxCli, RunsAndChecksAnImportedLstm) {
  if (!fs::exists(kNodeTests / "test_lstm_with_initial_bias"))
    GTEST_SKIP() << "libonnx-testdata is not installed";
  const fs::path folder = fs::temp_directory_path() / ("ntp-onnx-cli-lstm-" + std::to_string(::getpid()));
  fs::create_directories(folder);
  const fs::path model = with_initializers("test_lstm_with_initial_bias", folder);
  const fs::path conv = with_initializers("test_basic_conv_with_padding", folder);
  const auto run = run_ntp({"run", model.string(), "--warmup", "0", "--iterations", "1", "--format", "json"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("\"lstm\""), std::string::npos) << run.out;
  const auto check = run_ntp({"check", model.string()});
  EXPECT_EQ(check.exit_code, 0) << check.err << check.out;
  const auto inspect = run_ntp({"inspect", conv.string()});
  EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_NE(inspect.out.find("conv2d"), std::string::npos) << inspect.out;
  fs::remove_all(folder);
}

// Dimensions the model leaves unnamed come from the --input file; without one, the error says what to give.
TEST(OnnxCli, UnknownDimensionsTakeTheInputFilesShape) {
  if (!fs::exists(kNodeTests / "test_relu")) GTEST_SKIP() << "libonnx-testdata is not installed";
  const fs::path folder = fs::temp_directory_path() / ("ntp-onnx-cli-dims-" + std::to_string(::getpid()));
  fs::create_directories(folder);
  auto model = read_proto<onnx::ModelProto>(kNodeTests / "test_relu" / "model.onnx");
  for (auto* list : {model.mutable_graph()->mutable_input(), model.mutable_graph()->mutable_output()})
    for (auto& dim : *(*list)[0].mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim())
      dim.clear_dim_value();
  const fs::path path = folder / "relu.onnx";
  {
    std::ofstream file(path, std::ios::binary);
    model.SerializeToOstream(&file);
  }
  ntp::Tensor data({2, 7, 3}, ntp::DType::f32);
  for (std::int64_t i = 0; i < data.elements(); ++i)
    data.as<float>()[i] = static_cast<float>(i) - 6.5F;
  ntp::io::write_npy((folder / "x.npy").string(), data);
  const auto without = run_ntp({"run", path.string(), "--iterations", "1"});
  EXPECT_EQ(without.exit_code, 2);
  EXPECT_NE(without.err.find("--shape x="), std::string::npos) << without.err;
  const auto run = run_ntp({"run", path.string(), "--input", "x=" + (folder / "x.npy").string(), "--warmup",
                            "0", "--iterations", "1", "--format", "json"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("relu:2x7x3,fp32"), std::string::npos) << run.out.substr(0, 2000);
  ntp::io::write_npy((folder / "flat.npy").string(), ntp::Tensor({42}, ntp::DType::f32));
  const auto misfit = run_ntp({"run", path.string(), "--input", "x=" + (folder / "flat.npy").string()});
  EXPECT_EQ(misfit.exit_code, 2);
  EXPECT_NE(misfit.err.find("the --input files' shapes do not fit the model"), std::string::npos)
      << misfit.err;
  fs::remove_all(folder);
}

TEST(OnnxCli, BadModelIsExitCodeTwoWithoutOutput) {
  const fs::path folder = fs::temp_directory_path() / ("ntp-onnx-cli-" + std::to_string(::getpid()));
  fs::create_directories(folder);
  { std::ofstream(folder / "bad.onnx") << "not a model"; }
  const fs::path output = folder / "record.json";
  const auto run =
      run_ntp({"run", (folder / "bad.onnx").string(), "--format", "json", "-o", output.string()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("bad.onnx"), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(output));
  const auto shape = run_ntp({"inspect", (folder / "bad.onnx").string(), "--shape", "x=1,oops"});
  EXPECT_EQ(shape.exit_code, 2);
  EXPECT_NE(shape.err.find("--shape 'x=1,oops'"), std::string::npos) << shape.err;
  fs::remove_all(folder);
}

}  // namespace
