#include "onnxruntime_backend.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "io/files.h"
#include "io/npy.h"
#include "io/process.h"
#include "layer_map.h"
#include "ntp/run_control.h"
#include "onnx/export.h"
#include "quantize.h"

namespace ntp {

namespace {

namespace fs = std::filesystem;

// Runs as many profiled iterations as measured ones, up to this: ONNX Runtime's profile holds an event per
// node per run, and thousands of runs of a big graph make a profile of hundreds of megabytes.
constexpr int kMaxProfiledIterations = 200;

// The folder of runner.mjs: $NTP_ONNXRUNTIME_DIR; else share/ntp/onnxruntime in the nearest folder above this
// module that has it (an installation, cmake/install.cmake); else this source folder.
fs::path runner_folder() {
  if (const char* folder = std::getenv("NTP_ONNXRUNTIME_DIR"); folder != nullptr && *folder != '\0')
    return folder;
  static const int inside_this_module = 0;
  Dl_info self{};
  if (::dladdr(&inside_this_module, &self) != 0 && self.dli_fname != nullptr) {
    std::error_code error;
    const fs::path module = fs::absolute(self.dli_fname, error);
    for (fs::path above = module.parent_path(); above != above.parent_path(); above = above.parent_path())
      if (fs::exists(above / "share/ntp/onnxruntime/runner.mjs", error))
        return above / "share/ntp/onnxruntime";
  }
  return NTP_ONNXRUNTIME_SOURCE_DIR;
}

// Where onnxruntime-node is installed: beside the runner, else in this source folder (install.sh).
fs::path package_folder() {
  std::error_code error;
  const fs::path runner = runner_folder();
  if (fs::exists(runner / "node_modules/onnxruntime-node/package.json", error)) return runner;
  return NTP_ONNXRUNTIME_SOURCE_DIR;
}

std::string installed_version() {
  const std::optional<std::string> text =
      io::read_file((package_folder() / "node_modules/onnxruntime-node/package.json").string());
  if (!text) return "not installed";
  try {
    return nlohmann::json::parse(*text).value("version", "unknown");
  } catch (const nlohmann::json::exception&) {
    return "unknown";
  }
}

const char* const kInstallHint =
    "install it with src/backends/onnxruntime/install.sh (npm ci of onnxruntime-node, ONNX Runtime's CPU "
    "package), or set NTP_ONNXRUNTIME_DIR to a folder with runner.mjs and node_modules";

// Layers ONNX has no operator for (the inlays) cannot run in ONNX Runtime: refused, naming the first.
void require_standard_ops(const Graph& graph) {
  const std::vector<std::string> standard = onnx_io::standard_ops();
  for (const Node& node : graph.nodes)
    if (node.is_op() && std::find(standard.begin(), standard.end(), node.op) == standard.end())
      throw UserError(
          node.where,
          fmt::format("layer '{}' ({}) has no ONNX operator that NTP's exporter writes, so ONNX Runtime "
                      "cannot run it",
                      node.name, node.op),
          "pipeline stages (inlays) and ops the exporter lacks (`ntp backends` lists onnxruntime's) "
          "run on the node-by-node back ends; profile the network alone on onnxruntime");
}

std::string model_for(const GraphRunRequest& request, const fs::path& folder) {
  if (!request.onnx_file.empty() && !request.every_layer_output) return request.onnx_file;
  require_standard_ops(*request.graph);
  const fs::path path = folder / "model.onnx";
  onnx_io::ExportOptions options;
  options.every_layer_output = request.every_layer_output;
  onnx_io::export_model(*request.graph, *request.weights, path.string(), options);
  return path.string();
}

nlohmann::json runner_request(const GraphRunRequest& request, const fs::path& folder,
                              const std::string& model) {
  nlohmann::json inputs = nlohmann::json::object();
  for (const auto& [name, tensor] : *request.inputs) {
    const fs::path file = folder / fmt::format("input{}.npy", inputs.size());
    io::write_npy(file.string(), tensor);
    inputs[name] = file.string();
  }
  nlohmann::json json = {
      {"model", model},
      {"inputs", inputs},
      {"package_folder", package_folder().string()},
      {"work_folder", folder.string()},
      {"optimization", request.optimization},
      {"execution", request.execution},
      {"threads", request.threads},
      {"warmup", request.warmup},
      {"iterations", request.iterations},
      {"time_seconds", request.time_seconds},
      {"throughput", request.throughput},
      {"streams", request.streams},
      {"profile", request.layer_timing},
      {"max_profiled_iterations", kMaxProfiledIterations},
      {"trace_iterations", request.trace_iterations},
      {"optimized_model", request.layer_timing ? (folder / "optimized.onnx").string() : ""},
      {"outputs_folder", request.want_outputs ? (folder / "outputs").string() : ""}};
  return json;
}

// The runner's outcome as an error a user can act on; returns when it succeeded.
void check_outcome(const io::ProcessOutcome& outcome, const fs::path& node, const fs::path& stderr_file,
                   const GraphRunRequest& request) {
  const std::string said = io::file_tail(stderr_file);
  if (outcome.start_error != 0)
    throw UserError(kCommandLine,
                    fmt::format("the onnxruntime back end cannot start Node.js ({}): {}", node.string(),
                                std::strerror(outcome.start_error)),
                    "install Debian's nodejs (scripts/install-deps.sh), or set NTP_NODE to the node program");
  if (outcome.timed_out)
    throw UserError(kCommandLine,
                    fmt::format("ONNX Runtime's runner did not finish in {:g} s and was stopped",
                                request.timeout_seconds),
                    "give it longer with --engine-timeout SECONDS, or measure fewer iterations");
  if (outcome.status == 4 || (outcome.interrupted && outcome.status != 0))
    throw Interrupted("measuring on onnxruntime");
  if (outcome.status == 0) return;
  if (outcome.status == 3)
    throw UserError(kCommandLine, fmt::format("the onnxruntime back end has no ONNX Runtime: {}", said),
                    kInstallHint);
  if (outcome.status == 2)
    throw UserError(kCommandLine, fmt::format("ONNX Runtime refused the run: {}", said),
                    "run it on another back end, or check the model with `ntp check`");
  throw UserError(kCommandLine,
                  fmt::format("ONNX Runtime's runner failed ({}){}{}",
                              outcome.signal != 0 ? fmt::format("signal {}", outcome.signal)
                                                  : fmt::format("exit status {}", outcome.status),
                              said.empty() ? "" : ": ", said),
                  "the engine crashed: try --ort-opt basic, or another back end");
}

std::vector<double> doubles(const nlohmann::json& array) {
  return array.is_array() ? array.get<std::vector<double>>() : std::vector<double>{};
}

GraphRunResult read_result(const nlohmann::json& json, const GraphRunRequest& request, const fs::path& folder,
                           const std::string& model) {
  GraphRunResult result;
  result.engine_version = json.value("version", "");
  result.settings = json.value("settings", nlohmann::json::object());
  result.session_seconds = json.value("session_ms", 0.0) * 1e-3;
  result.cold_ms = json.value("cold_ms", 0.0);
  result.latency_ms = doubles(json.value("latency_ms", nlohmann::json()));
  result.wall_seconds = json.value("wall_seconds", 0.0);
  result.inferences = json.value("inferences", std::uint64_t{0});
  result.stopped_by = json.value("stopped_by", "iterations");
  const nlohmann::json memory = json.value("memory", nlohmann::json::object());
  result.rss_before = memory.value("rss_before", std::int64_t{0});
  result.rss_after = memory.value("rss_after", std::int64_t{0});
  result.peak_rss = memory.value("peak_rss", std::int64_t{0});
  if (json.contains("profile")) {
    const nlohmann::json& profile = json["profile"];
    result.profiled_latency_ms = doubles(profile.value("latency_ms", nlohmann::json()));
    for (const nlohmann::json& node : profile.value("nodes", nlohmann::json::array()))
      result.nodes.push_back({node.value("name", ""),
                              node.value("op", ""),
                              node.value("provider", ""),
                              {},
                              "",
                              doubles(node.value("ms", nlohmann::json()))});
    std::map<std::string, int> index;
    for (std::size_t n = 0; n < result.nodes.size(); ++n)
      index[result.nodes[n].name] = static_cast<int>(n);
    for (const nlohmann::json& event : profile.value("trace", nlohmann::json::array()))
      if (const auto found = index.find(event.value("node", "")); found != index.end())
        result.trace.push_back({found->second, event.value("iteration", 0), event.value("begin_us", 0.0),
                                event.value("end_us", 0.0)});
    const fs::path optimized = folder / "optimized.onnx";
    std::error_code error;
    // A user's model: its node names, which its imported layers are not named after.
    map_to_layers(*request.graph,
                  fs::exists(optimized, error) ? onnxruntime::read_model_nodes(optimized.string())
                                               : std::vector<onnxruntime::OptimizedNode>{},
                  result.nodes,
                  request.onnx_file.empty() ? std::vector<onnxruntime::OptimizedNode>{}
                                            : onnxruntime::read_model_nodes(model));
  }
  const nlohmann::json outputs = json.value("outputs", nlohmann::json::object());
  for (const auto& [name, file] : outputs.items())
    result.outputs.emplace(name, io::read_npy(file.get<std::string>()));
  return result;
}

class OnnxRuntimeBackend final : public Backend {
 public:
  std::string name() const override { return "onnxruntime"; }
  std::string version() const override { return installed_version(); }
  // int8: dynamic quantisation of the MatMul layers (quantize.h).
  std::vector<DType> precisions() const override { return {DType::f32, DType::s8}; }
  std::vector<std::string> ops() const override { return onnx_io::standard_ops(); }
  bool supports(const Graph&, int, const CompileOptions&) const override { return false; }
  std::unique_ptr<Kernel> compile_node(const Graph& graph, int node_index,
                                       const CompileOptions&) const override {
    throw UserError(graph.nodes[static_cast<std::size_t>(node_index)].where,
                    "the onnxruntime back end runs whole graphs, not single layers",
                    "run the whole graph with --backend onnxruntime; --place takes node-by-node back ends");
  }
  bool runs_whole_graphs() const override { return true; }

  GraphRunResult run_graph(const GraphRunRequest& request) const override {
    const io::TemporaryFolder folder("ntp-onnxruntime");
    std::string model = model_for(request, folder.path());
    nlohmann::json quantization;
    if (request.precision == DType::s8) {
      const fs::path quantized = folder.path() / "model-int8.onnx";
      const onnxruntime::DynamicQuantization report =
          onnxruntime::quantize_dynamic(model, quantized.string());
      model = quantized.string();
      quantization = {
          {"method", "dynamic"},
          {"quantized", report.quantized},
          {"kept_fp32", report.kept_fp32},
          {"how",
           "as ONNX Runtime's quantize_dynamic writes it: each MatMul with constant weights reads "
           "them as int8 (symmetric, one scale per tensor) and quantises its input to uint8 on "
           "every run (DynamicQuantizeLinear, MatMulInteger, the scales multiplied back), which "
           "ONNX Runtime fuses into DynamicQuantizeMatMul; other layers stay fp32"}};
    }
    const fs::path request_file = folder.path() / "request.json";
    io::write_file(request_file.string(), runner_request(request, folder.path(), model).dump(),
                   "the runner's request");
    const char* node_override = std::getenv("NTP_NODE");
    const fs::path node = node_override != nullptr && *node_override != '\0' ? node_override : "node";
    const fs::path result_file = folder.path() / "result.json";
    io::ProcessOptions process;
    process.stdout_file = folder.path() / "stdout.txt";
    process.stderr_file = folder.path() / "stderr.txt";
    process.timeout_seconds = request.timeout_seconds;
    process.stop = request.stop;
    process.stop_grace_seconds = 10;  // a run in progress finishes first (seconds, for a big model)
    process.search_path = true;
    const io::ProcessOutcome outcome =
        io::run_process({node.string(), (runner_folder() / "runner.mjs").string(), request_file.string(),
                         result_file.string()},
                        process);
    check_outcome(outcome, node, process.stderr_file, request);
    const std::optional<std::string> text = io::read_file(result_file.string());
    if (!text)
      throw UserError(kCommandLine, "ONNX Runtime's runner ended without a result",
                      fmt::format("what it said: {}", io::file_tail(process.stderr_file)));
    try {
      GraphRunResult result = read_result(nlohmann::json::parse(*text), request, folder.path(), model);
      if (!quantization.is_null()) result.settings["quantization"] = quantization;
      return result;
    } catch (const nlohmann::json::exception& error) {
      throw UserError(kCommandLine,
                      fmt::format("ONNX Runtime's runner wrote a malformed result: {}", error.what()));
    }
  }
};

}  // namespace

const Backend& onnxruntime_backend() {
  static const OnnxRuntimeBackend backend;
  return backend;
}

}  // namespace ntp
