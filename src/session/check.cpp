// `check`: the reference back end and another on the same seeded weights and inputs, every layer's output
// compared.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "backends/reference/reference_backend.h"
#include "check_outputs.h"
#include "engine_run.h"
#include "ntp/session.h"
#include "placement.h"
#include "runtime/calibration.h"

namespace ntp {

namespace session {

// Largest |error| allowed, relative to the largest |reference value| of the layer. Errors accumulate from
// layer to layer because each back end feeds its own outputs forward.
double check_tolerance(DType precision) {
  switch (precision) {
    case DType::f32:
      return 1e-4;
    case DType::bf16:
    case DType::f16:
      return 5e-2;
    default:
      return 1.5e-1;
  }
}

OutputDifference compare_outputs(const Tensor& reference, const Tensor& other) {
  OutputDifference difference;
  const float* expected = reference.as<float>();
  const float* actual = other.as<float>();
  for (std::int64_t i = 0; i < reference.elements(); ++i)
    difference.magnitude = std::max(difference.magnitude, static_cast<double>(std::fabs(expected[i])));
  const double tiny = std::max(difference.magnitude * 1e-3, 1e-30);
  for (std::int64_t i = 0; i < reference.elements(); ++i) {
    const double error = std::fabs(static_cast<double>(expected[i]) - static_cast<double>(actual[i]));
    if (std::isnan(error)) {
      difference.max_abs = difference.max_rel = INFINITY;
      break;
    }
    difference.max_abs = std::max(difference.max_abs, error);
    if (std::fabs(expected[i]) > tiny)
      difference.max_rel = std::max(difference.max_rel, error / std::fabs(expected[i]));
  }
  return difference;
}

std::unique_ptr<PlacedExecutable> compile_placed(const Graph& graph, const Backend& backend, DType precision,
                                                 const WeightStore& weights,
                                                 const std::map<std::string, Tensor>& inputs, int threads) {
  const std::vector<const Backend*> placement = placement_of(graph, backend, precision);
  auto placed = std::make_unique<PlacedExecutable>();
  if (coarsest_precision(graph, precision) == DType::s8)
    placed->ranges = runtime::calibrate_ranges(graph, backend, weights, inputs, threads);
  placed->executable = std::make_unique<Executable>(
      graph, backend, CompileOptions{precision, threads, &weights, &placed->ranges}, placement);
  return placed;
}

std::optional<LayerCheck> check_layer(const Executable& reference, const Node& node,
                                      const std::string& backend, bool fallback, double tolerance,
                                      const std::function<std::optional<Tensor>(int value)>& actual) {
  const Graph& graph = reference.graph();
  OutputDifference worst;
  std::int64_t labels_differing = 0;
  bool compared = false;
  for (const int output : node.outputs) {
    const std::optional<Tensor> checked = actual(output);
    if (!checked) continue;
    compared = true;
    const Tensor expected = reference.value_f32(output);
    // Integer outputs (a decoder's labels) are discrete: a tie broken the other way is no numeric error,
    // so they are counted, not held to the tolerance; the decoder's input is checked at its producer.
    if (graph.values[static_cast<std::size_t>(output)].dtype == DType::s32) {
      for (std::int64_t i = 0; i < expected.elements(); ++i)
        labels_differing += expected.as<float>()[i] != checked->as<float>()[i] ? 1 : 0;
      continue;
    }
    const OutputDifference difference = compare_outputs(expected, *checked);
    if (difference.normalised() >= worst.normalised()) worst = difference;
  }
  if (!compared) return std::nullopt;
  return LayerCheck{node.name,          node.op,          backend,
                    fallback,           worst.max_abs,    worst.max_rel,
                    worst.normalised(), labels_differing, worst.normalised() <= tolerance};
}

double outputs_error(const Executable& reference, const Executable& candidate) {
  const Graph& graph = reference.graph();
  double worst = 0;
  for (const int output : graph.outputs) {
    if (graph.values[static_cast<std::size_t>(output)].dtype == DType::s32) continue;  // labels
    worst = std::max(worst,
                     compare_outputs(reference.value_f32(output), candidate.value_f32(output)).normalised());
  }
  return worst;
}

}  // namespace session

CheckRecord check(const Model& model, const CheckOptions& options) {
  Graph graph = model.graph();
  session::apply_placement_file(graph, options.placement_file);
  session::apply_places(graph, options.places);
  const DType precision = model.precision();
  const Backend& backend = require_backend(options.backend);
  if (backend.runs_whole_graphs()) return session::check_on_engine(model, options, backend);
  // The reference's executable and the checked back end's.
  model.require_memory_for(
      {2, 1 + session::weight_copies(backend, session::placement_of(graph, backend, precision))});
  const WeightStore weights = model.weights(options.seed);
  const std::map<std::string, Tensor> inputs = model.inputs(options.seed);
  Executable reference(graph, reference_backend(), {DType::f32, options.threads, &weights});
  const DType coarsest = session::coarsest_precision(graph, precision);
  const auto placed = session::compile_placed(graph, backend, precision, weights, inputs, options.threads);
  Executable& candidate = *placed->executable;
  reference.run(inputs, nullptr);
  candidate.run(inputs, nullptr);

  CheckRecord record;
  record.topology = graph.name;
  record.backend = backend.name();
  record.precision = coarsest == precision
                         ? std::string(dtype_name(precision))
                         : fmt::format("{}, with {} layers", dtype_name(precision), dtype_name(coarsest));
  record.tolerance = options.tolerance > 0 ? options.tolerance : session::check_tolerance(coarsest);
  record.seed = options.seed;
  for (const Step& step : candidate.steps()) {
    if (step.kind != Step::Kind::node) continue;
    record.layers.push_back(*session::check_layer(reference, graph.nodes[static_cast<std::size_t>(step.node)],
                                                  step.backend, step.fallback, record.tolerance,
                                                  [&](int value) { return candidate.value_f32(value); }));
  }
  return record;
}

}  // namespace ntp
