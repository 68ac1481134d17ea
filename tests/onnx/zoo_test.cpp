// The model zoo as an oracle for real ONNX models: torchvision and hand-written PyTorch models exported at
// opsets 11, 13 and 17, and models in the forms TensorFlow converters write, each with a seeded input and
// ONNX Runtime's outputs (scripts/make-zoo.sh writes them to build/zoo; docs/model-zoo.md). Every model NTP
// imports must reproduce ONNX Runtime's outputs on every back end at rtol 1e-3, atol 1e-4. The models NTP
// refuses today are listed below with the reason it gives, so that the test notices both a model that stops
// importing and one that starts to (then the list must shrink).
#include <gtest/gtest.h>

#include <array>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "io/npy.h"
#include "ntp/executable.h"
#include "ntp/registry.h"
#include "onnx/onnx_model.h"

// A named namespace around the anonymous one: the test program is built in unity batches, and the node
// suite's file has its own kRtol, kAtol, ...
namespace zoo_test {
namespace {

namespace fs = std::filesystem;

constexpr double kRtol = 1e-3;
constexpr double kAtol = 1e-4;

// The zoo's models NTP refuses at import today, with a part of its message that names the reason. When an
// op lands and a model imports, ModelZooImport.ImportsExactlyTheModelsNotListedAsRefused fails until its line
// here is removed; from then on the model must match ONNX Runtime on every back end.
struct Refusal {
  const char* model;
  const char* reason;
};
// Every zoo model imports today; a model added that NTP refuses goes here with the reason.
constexpr std::array<Refusal, 0> kRefused{};

const Refusal* refusal_of(const std::string& model) {
  for (const Refusal& refusal : kRefused)
    if (model == refusal.model) return &refusal;
  return nullptr;
}

struct Port {
  std::string name;
  ntp::Shape shape;
  std::string file;
};

struct ZooModel {
  std::string name, file;
  int opset = 0;
  bool small = false;
  std::vector<Port> inputs, outputs;
};

// $NTP_ZOO_DIR, else the build's default (scripts/test.sh and the CMake option NTP_ZOO_DIR).
fs::path zoo_dir() {
  const char* env = std::getenv("NTP_ZOO_DIR");
  return env != nullptr && *env != '\0' ? fs::path(env) : fs::path(NTP_ZOO_DIR);
}

std::string not_generated() {
  return "the model zoo is not generated in " + zoo_dir().string() +
         " (no manifest.json): run scripts/make-zoo.sh " + zoo_dir().string() +
         " or set NTP_ZOO_DIR (docs/model-zoo.md)";
}

std::optional<std::vector<ZooModel>> read_manifest() {
  std::ifstream file(zoo_dir() / "manifest.json");
  if (!file) return std::nullopt;
  const nlohmann::json manifest = nlohmann::json::parse(file);
  auto ports = [](const nlohmann::json& list) {
    std::vector<Port> result;
    for (const auto& port : list)
      result.push_back({port.at("name").get<std::string>(), port.at("shape").get<ntp::Shape>(),
                        port.at("file").get<std::string>()});
    return result;
  };
  std::vector<ZooModel> models;
  for (const auto& model : manifest.at("models"))
    models.push_back({model.at("name").get<std::string>(), model.at("file").get<std::string>(),
                      model.at("opset").get<int>(), model.at("small").get<bool>(), ports(model.at("inputs")),
                      ports(model.at("outputs"))});
  return models;
}

// A refusal without one model's node names, so that the summary reads as reasons: "unsupported ops Equal,
// Expand, Where", "Slice: its inputs must be known when the model is loaded", ...
std::string short_reason(const std::string& message) {
  const std::string marker = "NTP cannot import: ";
  if (const auto at = message.find(marker); at != std::string::npos) {
    static const std::regex op_pattern(R"(([A-Za-z0-9_.]+) \(node '[^']*'\))");
    const std::string list = message.substr(at + marker.size());
    std::set<std::string> ops;
    for (auto it = std::sregex_iterator(list.begin(), list.end(), op_pattern); it != std::sregex_iterator();
         ++it)
      ops.insert((*it)[1].str());
    std::string reason = "unsupported ops";
    for (const std::string& op : ops)
      reason += (op == *ops.begin() ? " " : ", ") + op;
    return reason;
  }
  std::string reason = message.substr(0, message.find('\n'));
  reason = std::regex_replace(reason, std::regex(R"(^node '[^']*' \(([A-Za-z]+)\))"), "$1");
  return std::regex_replace(reason, std::regex(R"('[^'\s]*')"), "'…'");
}

TEST(ModelZooImport, ImportsExactlyTheModelsNotListedAsRefused) {
  const auto models = read_manifest();
  if (!models) GTEST_SKIP() << not_generated();
  for (const Refusal& refusal : kRefused)
    EXPECT_TRUE(std::any_of(models->begin(), models->end(),
                            [&](const ZooModel& model) { return model.name == refusal.model; }))
        << refusal.model << " is listed as refused but is not in the zoo: update the list in " << __FILE__;
  for (const ZooModel& model : *models) {
    const auto imported = ntp::onnx_io::import_model((zoo_dir() / model.file).string());
    const Refusal* refusal = refusal_of(model.name);
    if (imported.ok()) {
      if (refusal != nullptr)
        ADD_FAILURE() << model.name << " imports now (it was refused: " << refusal->reason
                      << "): remove it from kRefused (update the list) in " << __FILE__;
    } else if (refusal == nullptr) {
      ADD_FAILURE() << model.name
                    << " is refused at import and not listed in kRefused: " << imported.error().message;
    } else {
      EXPECT_NE(imported.error().message.find(refusal->reason), std::string::npos)
          << model.name << " is refused for another reason than the list says (\"" << refusal->reason
          << "\"): " << imported.error().message << "\nupdate the list in " << __FILE__;
    }
  }
}

// "" when every output matches ONNX Runtime's, else the first difference.
std::string compare_outputs(const ZooModel& model, const ntp::onnx_io::ImportedModel& imported,
                            const ntp::Backend& backend) {
  const ntp::Graph& graph = imported.graph;
  if (graph.inputs.size() != model.inputs.size() || graph.outputs.size() != model.outputs.size())
    return "the imported graph has other inputs or outputs than the manifest";
  std::map<std::string, ntp::Tensor> bindings;
  for (std::size_t i = 0; i < model.inputs.size(); ++i) {
    const ntp::Value& value = graph.values[static_cast<std::size_t>(graph.inputs[i])];
    ntp::Tensor data = ntp::io::read_npy((zoo_dir() / model.inputs[i].file).string());
    if (value.shape != data.shape())
      return "input " + value.name + " is " + ntp::shape_to_string(value.shape) + ", the .npy " +
             ntp::shape_to_string(data.shape());
    bindings.emplace(value.name, std::move(data));
  }
  ntp::CompileOptions options;
  options.threads = 1;
  options.weights = &imported.weights;
  ntp::Executable executable(graph, backend, options);
  executable.run(bindings, nullptr);
  for (std::size_t k = 0; k < model.outputs.size(); ++k) {
    const Port& port = model.outputs[k];
    const ntp::Tensor actual = executable.value_f32(graph.outputs[k]);
    const ntp::Tensor expected = ntp::io::read_npy((zoo_dir() / port.file).string());
    if (actual.shape() != expected.shape())
      return "output " + port.name + " is " + ntp::shape_to_string(actual.shape()) + ", ONNX Runtime's " +
             ntp::shape_to_string(expected.shape());
    double worst = 0;
    std::int64_t worst_at = -1;
    for (std::int64_t i = 0; i < actual.elements(); ++i) {
      const double got = actual.as<float>()[i];
      const double want = expected.as<float>()[i];
      const double excess = std::fabs(got - want) - (kAtol + kRtol * std::fabs(want));
      if (!(excess <= worst)) {  // NaN counts as a difference
        worst = std::isnan(excess) ? INFINITY : excess;
        worst_at = i;
      }
    }
    if (worst_at >= 0)
      return "output " + port.name + " element " + std::to_string(worst_at) + ": " +
             std::to_string(actual.as<float>()[worst_at]) + " vs ONNX Runtime's " +
             std::to_string(expected.as<float>()[worst_at]) + " (the largest excess over atol + rtol*|x|)";
  }
  return "";
}

class ModelZoo : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelZoo, ImportedModelsMatchOnnxRuntime) {
  const auto models = read_manifest();
  if (!models) GTEST_SKIP() << not_generated();
  const ntp::Backend* backend = ntp::find_backend(GetParam());
  ASSERT_NE(backend, nullptr) << ntp::backend_load_error(GetParam());
  if (backend->runs_whole_graphs())
    GTEST_SKIP() << backend->name() << " runs whole graphs, not the executable's nodes this test compiles; "
                 << "ONNX Runtime's outputs are this zoo's oracle itself";
  // Models not marked small run on the reference back end (the oracle), the default back end and torch (every
  // model must match ONNX Runtime on those three); the others take the small ones.
  const bool every_model =
      GetParam() == "reference" || GetParam() == ntp::default_backend_name() || GetParam() == "torch";
  std::vector<std::string> matched, failed, not_small;
  std::map<std::string, std::vector<std::string>> refused;  // reason -> models
  for (const ZooModel& model : *models) {
    if (!model.small && !every_model) {
      not_small.push_back(model.name);
      continue;
    }
    const auto imported = ntp::onnx_io::import_model((zoo_dir() / model.file).string());
    if (!imported.ok()) {
      refused[short_reason(imported.error().message)].push_back(model.name);
      if (refusal_of(model.name) == nullptr)
        ADD_FAILURE() << model.name
                      << " is refused at import and not listed in kRefused: " << imported.error().message;
      continue;
    }
    std::string difference;
    try {
      difference = compare_outputs(model, imported.value(), *backend);
    } catch (const ntp::UserError& error) {
      difference = error.diagnostic().message;
    }
    if (difference.empty()) {
      matched.push_back(model.name);
    } else {
      failed.push_back(model.name);
      ADD_FAILURE() << model.name << " (opset " << model.opset << ") on " << backend->name() << ": "
                    << difference;
    }
  }

  auto join = [](const std::vector<std::string>& names) {
    std::string text;
    for (const std::string& name : names)
      text += (text.empty() ? "" : ", ") + name;
    return text;
  };
  std::size_t refused_count = 0;
  for (const auto& [reason, names] : refused)
    refused_count += names.size();
  std::cout << "model zoo on " << backend->name() << ": " << models->size() << " models, " << matched.size()
            << " matched ONNX Runtime (" << join(matched) << "), " << failed.size() << " failed"
            << (failed.empty() ? "" : " (" + join(failed) + ")") << ", " << refused_count
            << " refused at import";
  if (!not_small.empty())
    std::cout << ", " << not_small.size() << " not run (not small: " << join(not_small) << ")";
  std::cout << "\n";
  for (const auto& [reason, names] : refused)
    std::cout << "  refused: " << reason << ": " << join(names) << "\n";
  // Guards the oracle itself: if nothing ran, the comparisons above proved nothing.
  EXPECT_FALSE(matched.empty());
}

// By name: a back end is loaded only by the test that runs it.
INSTANTIATE_TEST_SUITE_P(EveryBackend, ModelZoo, ::testing::ValuesIn(ntp::backend_names()),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace zoo_test
