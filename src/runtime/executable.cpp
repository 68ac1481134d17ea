#include "ntp/executable.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "backends/reference/reference_backend.h"
#include "conversion.h"
#include "ntp/elements.h"

namespace ntp {

namespace {
// Library back ends take graphs of fp32 values (and compute at the run's precision): a node writing
// integers, booleans (shape arithmetic, comparisons, indices) or another float type runs on the reference
// back end, which keeps every element type exact.
bool writes_only_f32(const Graph& graph, const Node& node) {
  return std::all_of(node.outputs.begin(), node.outputs.end(), [&](int output) {
    return graph.values[static_cast<std::size_t>(output)].dtype == DType::f32;
  });
}
}  // namespace

struct Executable::State {
  struct Planned {
    Kernel* kernel = nullptr;              // node steps
    std::vector<const Tensor*> inputs;     // node steps
    std::vector<Tensor*> outputs;          // node steps
    const Tensor* convert_from = nullptr;  // convert steps
    Tensor* convert_to = nullptr;          // convert steps
    Quantization quantization;             // convert steps to int8 / uint8
  };
  const Graph* graph = nullptr;
  std::vector<Tensor> tensors;                   // one per value
  std::vector<std::unique_ptr<Tensor>> scratch;  // converted copies feeding kernels of another type
  std::vector<std::unique_ptr<Kernel>> kernels;
  std::vector<Step> steps;
  std::vector<Planned> plan;
};

Executable::Executable(const Graph& graph, const Backend& backend, const CompileOptions& options,
                       const std::vector<const Backend*>& placement)
    : state_(std::make_unique<State>()) {
  State& state = *state_;
  state.graph = &graph;
  state.tensors.resize(graph.values.size());
  for (const int input : graph.inputs) {
    const Value& value = graph.values[static_cast<std::size_t>(input)];
    state.tensors[static_cast<std::size_t>(input)] = Tensor(value.shape, value.dtype);
  }
  backend.set_threads(options.threads);
  for (const Backend* placed : placement)
    if (placed != nullptr) placed->set_threads(options.threads);
  const Backend& reference = reference_backend();
  for (std::size_t index = 0; index < graph.nodes.size(); ++index) {
    const Node& node = graph.nodes[index];
    const int node_index = static_cast<int>(index);
    if (!node.is_op()) {
      Step step;
      step.kind = node.kind == NodeKind::segment_begin ? Step::Kind::segment_begin : Step::Kind::segment_end;
      step.node = node_index;
      step.name = node.name;
      step.op = "marker";
      state.steps.push_back(step);
      state.plan.emplace_back();
      continue;
    }
    const Backend& placed =
        index < placement.size() && placement[index] != nullptr ? *placement[index] : backend;
    CompileOptions node_options = options;
    node_options.precision = node.precision.value_or(options.precision);
    const bool native = placed.supports(graph, node_index, node_options) &&
                        (&placed == &reference || writes_only_f32(graph, node));
    const Backend& chosen = native ? placed : reference;
    if (!native) node_options.precision = DType::f32;  // the reference back end computes in f32
    std::unique_ptr<Kernel> kernel = chosen.compile_node(graph, node_index, node_options);

    State::Planned planned;
    planned.kernel = kernel.get();
    for (std::size_t k = 0; k < node.inputs.size(); ++k) {
      Tensor& source = state.tensors[static_cast<std::size_t>(node.inputs[k])];
      const DType wanted = kernel->input_dtype(k);
      if (source.dtype() == wanted) {
        planned.inputs.push_back(&source);
        continue;
      }
      auto converted = std::make_unique<Tensor>(source.shape(), wanted);
      Step step;
      step.kind = Step::Kind::convert;
      step.node = node_index;
      step.input = static_cast<int>(k);
      step.name = fmt::format("{}.in{}:{}->{}", node.name, k, dtype_name(source.dtype()), dtype_name(wanted));
      step.op = "convert";
      step.backend = "reference";
      step.precision = dtype_name(wanted);
      step.implementation = "reference";
      state.steps.push_back(step);
      State::Planned conversion;
      conversion.convert_from = &source;
      conversion.convert_to = converted.get();
      conversion.quantization = kernel->input_quantization(k);
      state.plan.push_back(conversion);
      planned.inputs.push_back(converted.get());
      state.scratch.push_back(std::move(converted));
    }
    for (std::size_t k = 0; k < node.outputs.size(); ++k) {
      const Value& value = graph.values[static_cast<std::size_t>(node.outputs[k])];
      Tensor& output = state.tensors[static_cast<std::size_t>(node.outputs[k])];
      output = Tensor(value.shape, kernel->output_dtype(k));
      planned.outputs.push_back(&output);
    }
    Step step;
    step.node = node_index;
    step.name = node.name;
    step.op = node.op;
    step.backend = chosen.name();
    step.precision = dtype_name(node_options.precision);
    step.implementation = kernel->implementation();
    // Inlays are plain C++ by design on every back end; only layers a library lacks count as fallbacks.
    step.fallback = !native && !node.is_inlay();
    state.steps.push_back(step);
    state.plan.push_back(std::move(planned));
    state.kernels.push_back(std::move(kernel));
  }
}

Executable::~Executable() = default;
Executable::Executable(Executable&&) noexcept = default;

void Executable::run(const std::map<std::string, Tensor>& inputs, Observer* observer) {
  State& state = *state_;
  for (const int input : state.graph->inputs) {
    const Value& value = state.graph->values[static_cast<std::size_t>(input)];
    const auto found = inputs.find(value.name);
    if (found == inputs.end())
      throw UserError({}, fmt::format("no data for input '{}'", value.name),
                      "every graph input needs a tensor");
    if (found->second.shape() != value.shape)
      throw UserError({},
                      fmt::format("input '{}' is {} {}, the topology expects {} {}", value.name,
                                  dtype_name(found->second.dtype()), shape_to_string(found->second.shape()),
                                  dtype_name(value.dtype), shape_to_string(value.shape)));
    // Data of another element type (float token ids from an .npy) converts as ONNX's Cast would.
    Tensor& target = state.tensors[static_cast<std::size_t>(input)];
    if (found->second.data() != target.data()) convert_elements(found->second, target);
  }
  for (std::size_t i = 0; i < state.plan.size(); ++i) {
    const int step = static_cast<int>(i);
    if (observer != nullptr) observer->begin(step);
    State::Planned& planned = state.plan[i];
    if (planned.kernel != nullptr) {
      planned.kernel->run(planned.inputs, planned.outputs);
    } else if (planned.convert_to != nullptr) {
      runtime::convert_tensor(*planned.convert_from, *planned.convert_to, planned.quantization);
    }
    if (observer != nullptr) observer->end(step);
  }
}

void Executable::reset_stream() {
  for (auto& kernel : state_->kernels)
    kernel->reset_stream();
}

const std::vector<Step>& Executable::steps() const {
  return state_->steps;
}

std::optional<double> Executable::library_time_ms(int step) const {
  const Kernel* kernel = state_->plan.at(static_cast<std::size_t>(step)).kernel;
  return kernel != nullptr ? kernel->library_time_ms() : std::nullopt;
}

const Graph& Executable::graph() const {
  return *state_->graph;
}

const Tensor& Executable::value(int value_index) const {
  return state_->tensors.at(static_cast<std::size_t>(value_index));
}

Tensor Executable::value_f32(int value_index) const {
  const Tensor& tensor = state_->tensors.at(static_cast<std::size_t>(value_index));
  if (tensor.dtype() == DType::f32) return tensor.clone();
  return converted(tensor, DType::f32);
}

}  // namespace ntp
