// ONNX's own node tests (libonnx-testdata) as an external oracle: every model NTP imports must reproduce
// ONNX's reference outputs on every back end, within ONNX's backend-test tolerance (rtol 1e-3, atol 1e-7).
// One test per back end loops over all node tests and prints passed / failed / skipped with the reasons.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "ntp/elements.h"
#include "ntp/executable.h"
#include "ntp/registry.h"
#include "onnx/import_tensors.h"
#include "onnx/onnx_model.h"

namespace {

namespace fs = std::filesystem;
using ntp::onnx_io::ConstTensor;

constexpr double kRtol = 1e-3;
constexpr double kAtol = 1e-7;

// The reason an import was refused, without the names of one model's nodes and tensors, so that refusals
// group: "unsupported op Abs", "LSTM: peephole connections (P) are not supported", ...
std::vector<std::string> skip_reasons(const std::string& message) {
  std::vector<std::string> reasons;
  // One message with several problems: "the model has N problems NTP cannot import:\n  - ...\n  - ..."
  if (message.find(" problems NTP cannot import:") != std::string::npos) {
    const std::string separator = "\n  - ";
    for (std::size_t at = message.find(separator); at != std::string::npos;) {
      const std::size_t next = message.find(separator, at + separator.size());
      const std::string part =
          message.substr(at + separator.size(),
                         next == std::string::npos ? std::string::npos : next - at - separator.size());
      for (const std::string& reason : skip_reasons(part))
        reasons.push_back(reason);
      at = next;
    }
    return reasons;
  }
  const std::string marker = "NTP cannot import: ";
  if (const auto at = message.find(marker); at != std::string::npos) {
    static const std::regex op_pattern(R"(([A-Za-z0-9_.]+) \(node '[^']*'\))");
    const std::string list = message.substr(at + marker.size());
    for (auto it = std::sregex_iterator(list.begin(), list.end(), op_pattern); it != std::sregex_iterator();
         ++it)
      reasons.push_back("unsupported op " + (*it)[1].str());
    std::sort(reasons.begin(), reasons.end());
    reasons.erase(std::unique(reasons.begin(), reasons.end()), reasons.end());
    return reasons;
  }
  static const std::regex quoted(R"('[^'\s]*')");
  static const std::regex numbers("[0-9]+");
  std::string reason = std::regex_replace(std::regex_replace(message, quoted, "'…'"), numbers, "#");
  reason = std::regex_replace(reason, std::regex(R"(^node '…' \(([A-Za-z]+)\))"), "$1");
  reason = std::regex_replace(reason, std::regex(R"(^the ([A-Za-z]+) node writing '…')"), "$1");
  reasons.push_back(reason);
  return reasons;
}

std::vector<fs::path> files_like(const fs::path& folder, const std::string& prefix) {
  std::vector<fs::path> files;
  for (int i = 0;; ++i) {
    const fs::path file = folder / (prefix + std::to_string(i) + ".pb");
    if (!fs::exists(file)) break;
    files.push_back(file);
  }
  return files;
}

struct Summary {
  int passed = 0, failed = 0, skipped = 0;
  std::map<std::string, int> skip_reasons;
  std::vector<std::string> failures;
  void skip(const std::string& reason) {
    ++skipped;
    ++skip_reasons[reason];
  }
};

// Runs one node test on `backend`; returns "" when it passes, else why it fails. Adds skips to `summary`.
void run_node_test(const fs::path& folder, const ntp::Backend& backend, Summary& summary) {
  const std::string test = folder.filename().string();
  const fs::path data = folder / "test_data_set_0";
  std::vector<ntp::onnx_io::TensorFile> inputs, outputs;
  for (const auto& [prefix, target] : {std::pair{"input_", &inputs}, std::pair{"output_", &outputs}})
    for (const fs::path& file : files_like(data, prefix)) {
      auto loaded = ntp::onnx_io::load_tensor_file(file.string());
      if (!loaded) {
        summary.skip("test data NTP cannot read (sequences, optionals, strings)");
        return;
      }
      target->push_back(std::move(loaded.value()));
    }
  for (const auto& file : inputs)
    if (!ntp::onnx_io::dtype_of_onnx(file.data.onnx_type)) return summary.skip("element types NTP lacks");
  for (const auto& file : outputs)
    if (!ntp::onnx_io::dtype_of_onnx(file.data.onnx_type)) return summary.skip("element types NTP lacks");

  // ONNX's node tests pass weights and shape arguments as graph inputs: when the model needs them at load
  // time (a Reshape's target, a Slice's bounds), all but the first are given as data then.
  const std::string model = (folder / "model.onnx").string();
  auto imported = ntp::onnx_io::import_model(model);
  std::size_t runtime_inputs = inputs.size();
  const auto needs_known_inputs = [](const std::string& message) {
    return message.find("must be an initializer or a constant") != std::string::npos ||
           message.find("must be known when the model is loaded") != std::string::npos;
  };
  // Then, for ops whose every input sets the output's shape (Range), all of them.
  for (std::size_t first_known : {std::size_t{1}, std::size_t{0}}) {
    if (imported || !needs_known_inputs(imported.error().message) || first_known >= inputs.size()) break;
    ntp::onnx_io::ImportOptions options;
    for (std::size_t i = first_known; i < inputs.size(); ++i)
      options.known_inputs[inputs[i].name] = inputs[i].data.to_tensor();
    imported = ntp::onnx_io::import_model(model, options);
    runtime_inputs = first_known;
  }
  if (!imported) {
    for (const std::string& reason : skip_reasons(imported.error().message))
      ++summary.skip_reasons[reason];
    ++summary.skipped;
    return;
  }
  const ntp::Graph& graph = imported.value().graph;
  auto fail = [&](const std::string& why) {
    ++summary.failed;
    summary.failures.push_back(test + ": " + why);
  };
  if (graph.inputs.size() != runtime_inputs || graph.outputs.size() != outputs.size())
    return fail("the imported graph has other inputs or outputs than the test data");
  std::map<std::string, ntp::Tensor> bindings;
  // ONNX 1.12 stores its bfloat16 test data as other types than its models declare.
  auto bf16_data_quirk = [](ntp::DType a, ntp::DType b) {
    return a != b && (a == ntp::DType::bf16 || b == ntp::DType::bf16);
  };
  for (std::size_t i = 0; i < runtime_inputs; ++i)
    if (bf16_data_quirk(graph.values[static_cast<std::size_t>(graph.inputs[i])].dtype,
                        inputs[i].data.dtype()))
      return summary.skip("bfloat16 test data stored as another type than the model declares");
  for (std::size_t k = 0; k < outputs.size() && k < graph.outputs.size(); ++k)
    if (bf16_data_quirk(graph.values[static_cast<std::size_t>(graph.outputs[k])].dtype,
                        outputs[k].data.dtype()))
      return summary.skip("bfloat16 test data stored as another type than the model declares");
  for (std::size_t i = 0; i < runtime_inputs; ++i) {
    const ntp::Value& value = graph.values[static_cast<std::size_t>(graph.inputs[i])];
    if (value.shape != inputs[i].data.shape) return fail("input " + value.name + " has another shape");
    if (value.dtype != inputs[i].data.dtype())
      return fail("input " + value.name + " has another element type");
    bindings[value.name] = inputs[i].data.to_tensor();
  }
  try {
    ntp::CompileOptions options;
    options.threads = 1;
    options.weights = &imported.value().weights;
    ntp::Executable executable(graph, backend, options);
    executable.run(bindings, nullptr);
    for (std::size_t k = 0; k < outputs.size(); ++k) {
      const ntp::Tensor& actual = executable.value(graph.outputs[k]);
      const ConstTensor& expected = outputs[k].data;
      if (actual.shape() != expected.shape)
        return fail("output " + std::to_string(k) + " has shape " + ntp::shape_to_string(actual.shape()) +
                    ", ONNX's is " + ntp::shape_to_string(expected.shape));
      const ntp::DType declared = graph.values[static_cast<std::size_t>(graph.outputs[k])].dtype;
      if (declared != expected.dtype())
        return fail("output " + std::to_string(k) + " is " + std::string(ntp::dtype_name(declared)) +
                    ", ONNX's is " + std::string(ntp::dtype_name(expected.dtype())));
      for (std::int64_t i = 0; i < actual.elements(); ++i) {
        const double got = ntp::element_as_double(actual, i);
        const double want = expected.real(static_cast<std::size_t>(i));
        const bool both_nan = std::isnan(got) && std::isnan(want);
        const bool same_infinity = std::isinf(got) && got == want;
        const bool close =
            expected.integral ? got == want : std::fabs(got - want) <= kAtol + kRtol * std::fabs(want);
        if (!both_nan && !same_infinity && !close)
          return fail("output " + std::to_string(k) + " element " + std::to_string(i) + ": " +
                      std::to_string(got) + " vs ONNX " + std::to_string(want));
      }
    }
  } catch (const ntp::UserError& error) {
    return fail(error.diagnostic().message);
  }
  ++summary.passed;
}

class NodeSuite : public ::testing::TestWithParam<std::string> {};

TEST_P(NodeSuite, ImportedNodeTestsMatchOnnxReferenceOutputs) {
  const fs::path root = NTP_ONNX_TESTDATA_DIR "/node";
  if (!fs::is_directory(root)) GTEST_SKIP() << "libonnx-testdata is not installed (" << root << ")";
  const ntp::Backend* backend = ntp::find_backend(GetParam());
  ASSERT_NE(backend, nullptr);
  if (backend->runs_whole_graphs())
    GTEST_SKIP() << backend->name() << " runs whole graphs, not the executable's nodes this suite compiles; "
                 << "tests/backends/onnxruntime checks its outputs layer by layer";
  std::vector<fs::path> tests;
  for (const auto& entry : fs::directory_iterator(root))
    if (fs::exists(entry.path() / "model.onnx")) tests.push_back(entry.path());
  std::sort(tests.begin(), tests.end());
  Summary summary;
  for (const fs::path& test : tests)
    run_node_test(test, *backend, summary);

  std::vector<std::pair<int, std::string>> reasons;
  for (const auto& [reason, count] : summary.skip_reasons)
    reasons.emplace_back(count, reason);
  std::sort(reasons.rbegin(), reasons.rend());
  std::cout << "ONNX node tests on " << backend->name() << ": " << tests.size() << " tests, "
            << summary.passed << " passed, " << summary.failed << " failed, " << summary.skipped
            << " skipped\n";
  for (const auto& [count, reason] : reasons)
    std::cout << "  skipped: " << reason << " (" << count << ")\n";
  for (const std::string& failure : summary.failures)
    ADD_FAILURE() << failure;
  EXPECT_EQ(summary.failed, 0);
  // Guards the oracle itself: if nothing imported, the comparison above would prove nothing.
  EXPECT_GT(summary.passed, 100);
}

// By name: a back end is loaded only by the test that runs it.
INSTANTIATE_TEST_SUITE_P(EveryBackend, NodeSuite, ::testing::ValuesIn(ntp::backend_names()),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
