#include "ntp/session.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "inlays/audio.h"
#include "io/npy.h"
#include "load.h"
#include "ntp/weights.h"
#include "report/inspect_report.h"

namespace ntp {

using session::parse_precision;

namespace {

struct Binding {
  std::string name;
  std::string path;
  Tensor data;              // as read: an .npy's shape, or [1, samples] for audio
  bool audio = false;       // audio data is copied to every batch item
  std::string description;  // for the record: the file, and a resampling if there was one
};

const Value& graph_input(const Graph& graph, const std::string& name) {
  const int index = graph.find_value(name);
  if (index < 0 || graph.values[static_cast<std::size_t>(index)].producer >= 0) {
    std::vector<std::string> names;
    for (const int input : graph.inputs)
      names.push_back(graph.values[static_cast<std::size_t>(input)].name);
    throw UserError(kCommandLine, fmt::format("--input {}: the topology has no input '{}'", name, name),
                    fmt::format("its inputs are: {}", fmt::join(names, ", ")));
  }
  return graph.values[static_cast<std::size_t>(index)];
}

bool is_npy(const std::string& path) {
  std::string extension = std::filesystem::path(path).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension == ".npy";
}

Binding read_binding(const Graph& graph, const InputData& input) {
  Binding binding;
  binding.name = input.name;
  binding.path = input.file;
  binding.description = input.array ? "an array from the caller" : binding.path;
  const Value& value = graph_input(graph, binding.name);
  if (input.array) {
    binding.data = *input.array;
    return binding;
  }
  if (is_npy(binding.path)) {
    binding.data = io::read_npy(binding.path);
    return binding;
  }
  if (value.samplerate <= 0)
    throw UserError(
        {binding.path, 0, 0},
        fmt::format("input '{}' is not an audio input, so '{}' must be an .npy file", binding.name,
                    binding.path),
        "audio files bind to inputs declared with samplerate=\"...\" and shape=\"batch,samples\"");
  inlays::Audio audio = inlays::read_audio(binding.path);
  if (audio.samplerate != value.samplerate) {
    binding.description +=
        fmt::format(" (resampled from {} Hz to {} Hz)", audio.samplerate, value.samplerate);
    try {
      audio.samples = inlays::resample(audio.samples, audio.samplerate, value.samplerate);
    } catch (const UserError& error) {  // resample knows rates, not files: the message names the file here
      throw UserError({binding.path, 0, 0}, error.diagnostic().message, error.diagnostic().hint);
    }
    // read_audio refuses empty files; a file of a few samples can still resample to none.
    if (audio.samples.empty())
      throw UserError({binding.path, 0, 0}, "the audio file has no samples left after resampling");
  }
  binding.data = Tensor({1, static_cast<std::int64_t>(audio.samples.size())}, DType::f32);
  std::copy(audio.samples.begin(), audio.samples.end(), binding.data.as<float>());
  binding.audio = true;
  return binding;
}

// The dimensions of the data that must equal the topology's (audio: all but the batch).
std::size_t first_compared_dimension(const Binding& binding) {
  return binding.audio ? 1 : 0;
}

bool set_by_user(const ModelSpec& topology, const std::string& param) {
  if (param == "batch" && topology.batch) return true;
  return std::any_of(topology.sets.begin(), topology.sets.end(),
                     [&](const std::string& set) { return set.starts_with(param + "="); });
}

[[noreturn]] void shape_mismatch(const Binding& binding, const Shape& expected) {
  // An array from the caller (the Python module's inputs) has no file to name.
  const bool array = binding.path.empty();
  throw UserError(
      array ? kCommandLine : SourceLocation{binding.path, 0, 0},
      fmt::format("input '{}' has shape {} in the {}, the topology expects {}", binding.name,
                  shape_to_string(binding.data.shape()), array ? "array" : "file", shape_to_string(expected)),
      "set the topology's parameters to match the data (--set), or declare the input's shape with "
      "parameters the data can set (shape=\"frames,batch,494\")");
}

// The parameters the data sets: each differing dimension written as a parameter the user did not set.
std::vector<std::string> parameters_from_data(const Graph& graph, const ModelSpec& topology,
                                              const std::vector<Binding>& bindings) {
  std::vector<std::string> sets;
  for (const Binding& binding : bindings) {
    const Value& value = graph_input(graph, binding.name);
    const Shape& have = binding.data.shape();
    if (have.size() != value.shape.size()) shape_mismatch(binding, value.shape);
    for (std::size_t d = first_compared_dimension(binding); d < have.size(); ++d) {
      if (have[d] == value.shape[d]) continue;
      const std::string& param = d < value.dim_params.size() ? value.dim_params[d] : std::string();
      if (param.empty() || set_by_user(topology, param)) shape_mismatch(binding, value.shape);
      sets.push_back(fmt::format("{}={}", param, have[d]));
    }
  }
  return sets;
}

// The data as the graph input's tensor: audio repeated for every batch item.
Tensor input_tensor(const Binding& binding, const Value& value) {
  if (!binding.audio) {
    if (binding.data.shape() != value.shape) shape_mismatch(binding, value.shape);
    return binding.data;
  }
  if (binding.data.shape()[1] != value.shape[1]) shape_mismatch(binding, value.shape);
  Tensor tensor(value.shape, DType::f32);
  for (std::int64_t n = 0; n < value.shape[0]; ++n)
    std::memcpy(tensor.as<float>() + n * value.shape[1], binding.data.as<float>(), binding.data.bytes());
  return tensor;
}

// An ONNX model whose input dimensions the model, --shape and --set leave open takes them from the .npy
// files bound to those inputs: each bound input not given by --shape gets the file's shape.
ModelSpec with_shapes_from_files(const ModelSpec& topology, const std::vector<InputData>& bindings) {
  ModelSpec derived = topology;
  for (const InputData& input : bindings) {
    if (!input.array && !is_npy(input.file)) continue;
    const std::string& name = input.name;
    const bool given = std::any_of(topology.shapes.begin(), topology.shapes.end(),
                                   [&](const std::string& shape) { return shape.starts_with(name + "="); });
    if (given) continue;
    const Shape shape = input.array ? input.array->shape() : io::read_npy(input.file).shape();
    derived.shapes.push_back(fmt::format("{}={}", name, fmt::join(shape, ",")));
  }
  return derived;
}

session::LoadedModel load_graph_or_shape_from_files(ModelSpec& topology,
                                                    const std::vector<InputData>& bindings) {
  try {
    return session::load_model(topology);
  } catch (const UserError&) {
    const bool onnx = topology.file.ends_with(".onnx");
    ModelSpec derived = onnx ? with_shapes_from_files(topology, bindings) : topology;
    if (derived.shapes.size() == topology.shapes.size()) throw;
    session::LoadedModel loaded;
    try {
      loaded = session::load_model(derived);
    } catch (const UserError& error) {
      throw UserError(
          kCommandLine,
          fmt::format("the --input files' shapes do not fit the model: {}", error.diagnostic().message),
          "give the input's shape with --shape NAME=d0,d1,... or data of the model's rank");
    }
    topology = derived;
    return loaded;
  }
}

}  // namespace

Model Model::load(const ModelSpec& spec, const std::vector<InputData>& inputs) {
  for (const InputData& input : inputs)
    if (input.name.empty() || (input.file.empty() && !input.array))
      throw UserError(kCommandLine, fmt::format("input data '{}' names no input or has no data", input.name),
                      "give each input's name and a file (name=file) or an array");
  Model model;
  model.spec_ = spec;
  session::LoadedModel loaded = load_graph_or_shape_from_files(model.spec_, inputs);
  std::vector<Binding> read;
  for (const InputData& input : inputs)
    read.push_back(read_binding(loaded.graph, input));
  const std::vector<std::string> sets = parameters_from_data(loaded.graph, spec, read);
  if (!sets.empty()) {
    model.spec_.sets.insert(model.spec_.sets.end(), sets.begin(), sets.end());
    loaded = session::load_model(model.spec_);
  }
  model.graph_ = std::move(loaded.graph);
  if (loaded.weights) model.own_weights_ = std::make_shared<const WeightStore>(std::move(*loaded.weights));
  for (const Binding& binding : read) {
    model.data_[binding.name] = input_tensor(binding, graph_input(model.graph_, binding.name));
    model.sources_[binding.name] = binding.description;
  }
  return model;
}

DType Model::precision() const {
  return parse_precision(spec_.precision);
}

GraphAnalysis Model::analysis() const {
  return analyze(graph_, precision());
}

void Model::require_memory_for(MemoryHolders holders) const {
  session::require_memory(graph_, analysis(), holders);
}

nlohmann::json Model::inspect() const {
  return report::inspect_json(graph_, analysis(), available_memory_bytes());
}

WeightStore Model::weights(std::uint64_t seed) const {
  return own_weights_ ? *own_weights_ : generate_weights(graph_, seed);
}

std::map<std::string, Tensor> Model::inputs(std::uint64_t seed) const {
  std::map<std::string, Tensor> inputs = generate_inputs(graph_, seed);
  for (const auto& [name, tensor] : data_)
    inputs[name] = tensor;
  return inputs;
}

}  // namespace ntp
