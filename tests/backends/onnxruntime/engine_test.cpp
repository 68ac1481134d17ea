// Runs and checks through ONNX Runtime's runner (Node.js + onnxruntime-node), and its failures: a missing
// Node.js, a missing package, a crashing or hanging runner, each a UserError with what to do.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "../../session/model_specs.h"
#include "ntp/registry.h"
#include "ntp/session.h"

namespace {

namespace fs = std::filesystem;

// Why the engine cannot run here ("" when it can): the tests that need it skip with this reason.
std::string engine_missing() {
  bool node = false;
  const char* path = std::getenv("PATH");
  for (std::string rest = path != nullptr ? path : ""; !node && !rest.empty();) {
    const std::size_t colon = rest.find(':');
    node = ::access((fs::path(rest.substr(0, colon)) / "node").c_str(), X_OK) == 0;
    rest = colon == std::string::npos ? "" : rest.substr(colon + 1);
  }
  if (!node) return "Node.js is not installed (scripts/install-deps.sh installs Debian's nodejs)";
  const ntp::Backend* backend = ntp::find_backend("onnxruntime");
  if (backend == nullptr)
    return "the onnxruntime back end is not built: " + ntp::backend_load_error("onnxruntime");
  if (backend->version() == "not installed")
    return "onnxruntime-node is not installed (src/backends/onnxruntime/install.sh)";
  return "";
}

#define REQUIRE_ENGINE()                                        \
  if (const std::string why = engine_missing(); !why.empty()) { \
    GTEST_SKIP() << why;                                        \
  }

ntp::ProfileOptions engine_options(int iterations = 6) {
  ntp::ProfileOptions options;
  options.backend = "onnxruntime";
  options.threads = 1;
  options.warmup = 1;
  options.iterations = iterations;
  options.classify_bounds = false;
  return options;
}

// Sets an environment variable for one test and restores it after.
class ScopedEnvironment {
 public:
  ScopedEnvironment(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnvironment() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// A folder standing in for the runner's: runner.mjs is `script`.
fs::path fake_runner(const std::string& script) {
  const fs::path folder = fs::temp_directory_path() / ("ntp-fake-runner-" + std::to_string(::getpid()));
  fs::create_directories(folder);
  std::ofstream(folder / "runner.mjs") << script;
  return folder;
}

std::string error_of(const ntp::Model& model, const ntp::ProfileOptions& options) {
  try {
    ntp::run(model, options);
  } catch (const ntp::UserError& error) {
    return error.diagnostic().to_string();
  }
  return "(no error)";
}

TEST(OnnxRuntimeEngine, TimesEveryLayerAndSaysWhatItsProfilerCost) {
  REQUIRE_ENGINE();
  const ntp::Model model = ntp::Model::load(example_spec("small-cnn.xml", {"size=16", "width=4"}));
  const ntp::RunRecord record = ntp::run(model, engine_options()).record;
  EXPECT_EQ(record.options.backend, "onnxruntime");
  EXPECT_EQ(record.latency_samples_ms.size(), 6u);
  EXPECT_GT(record.latency.ms.median, 0);
  double layers_ms = 0;
  for (const ntp::NodeRecord& node : record.nodes) {
    ASSERT_TRUE(node.time.has_value()) << node.name;
    EXPECT_EQ(node.time->samples_ms.size(), 6u) << node.name;
    EXPECT_EQ(node.backend, "onnxruntime");
    EXPECT_FALSE(node.implementation.empty()) << node.name;
    layers_ms += node.time->ms.median;
  }
  EXPECT_GT(layers_ms, 0);
  const nlohmann::json& section = record.sections.at("onnxruntime");
  EXPECT_EQ(section["optimization"], "all");
  EXPECT_EQ(section["profiler"]["iterations"], 6);
  EXPECT_GT(section["profiler"]["latency_median_ms"].get<double>(), 0);
  EXPECT_GT(section["profiler"]["unprofiled_latency_median_ms"].get<double>(), 0);
  for (const auto& node : section["engine_nodes"])
    EXPECT_NE(node["mapped_by"], "none") << node.dump();
  // The segment is the sum of its layers in each profiled run.
  ASSERT_EQ(record.segments.size(), 1u);
  EXPECT_GT(record.segments[0].time_ms->median, 0);
  EXPECT_GT(record.memory.after.peak_rss_bytes, 0);  // the runner's process
}

TEST(OnnxRuntimeEngine, ShowsTheLayersItFusedOnTheFirstOfThem) {
  REQUIRE_ENGINE();
  // conv1, bn1 and act1 (hardtanh) are separate layers; ONNX Runtime folds the batch norm into the
  // convolution and fuses the clip: one node.
  const ntp::Model model =
      ntp::Model::load(example_spec("deepspeech2.xml", {"frames=20", "hidden=8", "channels=4", "bins=17"}));
  const ntp::RunRecord record = ntp::run(model, engine_options(3)).record;
  const ntp::NodeRecord* conv1 = record.find_node("conv1");
  const ntp::NodeRecord* act1 = record.find_node("act1");
  ASSERT_NE(conv1, nullptr);
  ASSERT_NE(act1, nullptr);
  EXPECT_NE(conv1->implementation.find("conv1+bn1+act1"), std::string::npos) << conv1->implementation;
  EXPECT_GT(conv1->time->ms.median, 0);
  EXPECT_EQ(act1->implementation.rfind("fused into conv1", 0), 0u) << act1->implementation;
  EXPECT_EQ(act1->time->ms.median, 0);
  bool listed = false;
  for (const auto& fused : record.sections.at("onnxruntime")["fused"])
    listed = listed || fused["layers"] == nlohmann::json{"conv1", "bn1", "act1"};
  EXPECT_TRUE(listed) << record.sections.at("onnxruntime")["fused"].dump();
  // With optimisations off, nothing is fused and every layer has its own node.
  ntp::ProfileOptions plain = engine_options(3);
  plain.engine.optimization = "disable";
  const ntp::RunRecord unfused = ntp::run(model, plain).record;
  EXPECT_TRUE(unfused.sections.at("onnxruntime")["fused"].empty());
  EXPECT_GT(unfused.find_node("act1")->time->ms.median, 0);
}

TEST(OnnxRuntimeEngine, EveryLayerAgreesWithTheReferenceBackEnd) {
  REQUIRE_ENGINE();
  const std::map<std::string, std::vector<std::string>> examples = {
      {"deepspeech-v0.1.xml", {"hidden=32", "frames=8"}},
      {"transformer-encoder.xml", {"tokens=8", "model=32", "heads=2"}}};
  for (const auto& [example, sets] : examples) {
    const ntp::Model model = ntp::Model::load(example_spec(example, sets));
    ntp::CheckOptions options;
    options.backend = "onnxruntime";
    const ntp::CheckRecord record = ntp::check(model, options);
    EXPECT_EQ(record.backend, "onnxruntime");
    EXPECT_TRUE(record.pass()) << record.to_json().dump(1);
    std::size_t layers = 0;
    for (const ntp::Node& node : model.graph().nodes)
      layers += node.is_op() ? 1 : 0;
    EXPECT_EQ(record.layers.size(), layers) << example;  // every layer's output came back
  }
}

TEST(OnnxRuntimeEngine, Int8QuantisesTheMatMulsDynamicallyAndStaysWithinTolerance) {
  REQUIRE_ENGINE();
  ntp::ModelSpec spec = example_spec("deepspeech-v0.1.xml", {"hidden=32", "frames=8"});
  spec.precision = "int8";
  const ntp::Model model = ntp::Model::load(spec);
  const ntp::RunRecord record = ntp::run(model, engine_options(3)).record;
  const nlohmann::json& quantization = record.sections.at("onnxruntime")["session"]["quantization"];
  EXPECT_EQ(quantization["method"], "dynamic");
  EXPECT_EQ(quantization["quantized"], (nlohmann::json{"fc1", "fc2", "fc3", "fc5", "fc6"}));
  EXPECT_EQ(quantization["kept_fp32"], nlohmann::json{"bilstm"});
  EXPECT_EQ(record.find_node("fc1")->precision, "int8");
  EXPECT_NE(record.find_node("fc1")->implementation.find("Quantize"), std::string::npos);
  EXPECT_EQ(record.find_node("bilstm")->precision, "fp32");
  ntp::CheckOptions options;
  options.backend = "onnxruntime";
  const ntp::CheckRecord check = ntp::check(model, options);
  EXPECT_EQ(check.precision, "int8");
  EXPECT_TRUE(check.pass()) << check.to_json().dump(1);
  EXPECT_GT(check.layers.front().normalised_error, 1e-4);  // it did quantise: more than fp32's error
}

TEST(OnnxRuntimeEngine, ThroughputRunsConcurrentSessions) {
  REQUIRE_ENGINE();
  const ntp::Model model = ntp::Model::load(example_spec("small-cnn.xml", {"size=16", "width=4"}));
  ntp::ProfileOptions options = engine_options(4);
  options.mode = "throughput";
  options.streams = 2;
  options.threads = 2;
  options.layer_timing = false;
  const ntp::RunRecord record = ntp::run(model, options).record;
  EXPECT_EQ(record.throughput.inferences, 8u);
  EXPECT_GT(record.throughput.inferences_per_second, 0);
  EXPECT_EQ(record.sections.at("onnxruntime")["session"]["streams"], 2);
  EXPECT_FALSE(record.nodes.front().time.has_value());
}

TEST(OnnxRuntimeEngine, RefusesWhatItCannotDo) {
  const ntp::Model model = ntp::Model::load(example_spec("small-cnn.xml", {"size=16", "width=4"}));
  ntp::ProfileOptions stream = engine_options();
  stream.precision_target = 0.05;
  EXPECT_NE(error_of(model, stream).find("stopping rules"), std::string::npos);
  ntp::ProfileOptions placed = engine_options();
  placed.places = {"conv1=onednn"};
  EXPECT_NE(error_of(model, placed).find("node-by-node"), std::string::npos);
  ntp::ProfileOptions level = engine_options();
  level.engine.optimization = "max";
  EXPECT_NE(error_of(model, level).find("no such optimisation level"), std::string::npos);
  // An inlay has no ONNX operator.
  REQUIRE_ENGINE();
  const ntp::Model e2e = ntp::Model::load(example_spec("deepspeech-v0.1-e2e.xml", {"hidden=16"}));
  EXPECT_NE(error_of(e2e, engine_options()).find("has no ONNX operator"), std::string::npos);
}

TEST(OnnxRuntimeEngine, AMissingNodeOrPackageOrACrashIsAClearError) {
  if (ntp::find_backend("onnxruntime") == nullptr) GTEST_SKIP() << "the onnxruntime back end is not built";
  const ntp::Model model = ntp::Model::load(example_spec("small-cnn.xml", {"size=16", "width=4"}));
  {
    const ScopedEnvironment node("NTP_NODE", "/nonexistent/node");
    EXPECT_NE(error_of(model, engine_options()).find("cannot start Node.js"), std::string::npos);
  }
  if (const std::string why = engine_missing(); !why.empty()) GTEST_SKIP() << why;
  {
    const ScopedEnvironment folder(
        "NTP_ONNXRUNTIME_DIR", fake_runner("process.stderr.write('no package here\\n'); process.exit(3);\n"));
    const std::string error = error_of(model, engine_options());
    EXPECT_NE(error.find("has no ONNX Runtime: no package here"), std::string::npos) << error;
    EXPECT_NE(error.find("install.sh"), std::string::npos) << error;
  }
  {
    const ScopedEnvironment folder("NTP_ONNXRUNTIME_DIR",
                                   fake_runner("process.kill(process.pid, 'SIGSEGV');\n"));
    const std::string error = error_of(model, engine_options());
    EXPECT_NE(error.find("runner failed (signal 11)"), std::string::npos) << error;
  }
  {
    const ScopedEnvironment folder("NTP_ONNXRUNTIME_DIR", fake_runner("setInterval(() => {}, 1000);\n"));
    ntp::ProfileOptions options = engine_options();
    options.engine.timeout_seconds = 0.5;
    const std::string error = error_of(model, options);
    EXPECT_NE(error.find("did not finish in 0.5 s"), std::string::npos) << error;
  }
  {
    const ScopedEnvironment folder("NTP_ONNXRUNTIME_DIR", fake_runner("process.exit(0);\n"));
    EXPECT_NE(error_of(model, engine_options()).find("ended without a result"), std::string::npos);
  }
  {
    // Stopped (Ctrl-C reaches it as SIGINT) before a measured run: an interruption, not an error.
    const ScopedEnvironment folder("NTP_ONNXRUNTIME_DIR", fake_runner("process.exit(4);\n"));
    EXPECT_THROW(ntp::run(model, engine_options()), ntp::Interrupted);
  }
  std::error_code ignored;
  fs::remove_all(fake_runner(""), ignored);
}

}  // namespace
