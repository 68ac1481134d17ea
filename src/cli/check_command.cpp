// `ntp check`: runs the reference back end and another on the same seeded weights and inputs and compares
// every layer's output.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "backends/reference/reference_backend.h"
#include "commands.h"
#include "load.h"
#include "ntp/executable.h"
#include "ntp/registry.h"
#include "output.h"
#include "report/text_table.h"
#include "runtime/calibration.h"

namespace ntp::cli {

namespace {

// Largest |error| allowed, relative to the largest |reference value| of the layer. Errors accumulate from
// layer to layer because each back end feeds its own outputs forward.
double default_tolerance(DType precision) {
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

struct Difference {
  double max_abs = 0;
  double max_rel = 0;    // |error| / |reference|, over elements whose reference is not tiny
  double magnitude = 0;  // max |reference|
  double normalised() const { return magnitude > 0 ? max_abs / magnitude : max_abs; }
};

Difference compare(const Tensor& reference, const Tensor& other) {
  Difference difference;
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

}  // namespace

int check_command(const CheckArgs& args) {
  const Graph graph = load_graph(args.topology);
  const DType precision = parse_precision(args.topology.precision);
  const Backend* backend = &require_backend(args.backend);
  const double tolerance = args.tolerance > 0 ? args.tolerance : default_tolerance(precision);
  const WeightStore weights = model_weights(args.topology, graph, args.seed);  // an ONNX model's own
  const std::map<std::string, Tensor> inputs = generate_inputs(graph, args.seed);
  Executable reference(graph, reference_backend(), {DType::f32, args.threads, &weights});
  const std::vector<float> ranges =
      precision == DType::s8 ? runtime::calibrate_ranges(graph, *backend, weights, inputs, args.threads)
                             : std::vector<float>{};
  Executable candidate(graph, *backend, {precision, args.threads, &weights, &ranges});
  reference.run(inputs, nullptr);
  candidate.run(inputs, nullptr);

  report::TextTable table;
  using Align = report::TextTable::Align;
  for (const auto& [title, align] :
       std::vector<std::pair<std::string, Align>>{{"layer", Align::left},
                                                  {"op", Align::left},
                                                  {"ran on", Align::left},
                                                  {"max abs err", Align::right},
                                                  {"max rel err", Align::right},
                                                  {"err / max|ref|", Align::right},
                                                  {"result", Align::left}})
    table.add_column(title, align);
  nlohmann::json layers = nlohmann::json::array();
  int failures = 0;
  for (const Step& step : candidate.steps()) {
    if (step.kind != Step::Kind::node) continue;
    const Node& node = graph.nodes[static_cast<std::size_t>(step.node)];
    Difference worst;
    std::int64_t labels_differing = 0;
    for (const int output : node.outputs) {
      const Tensor expected = reference.value_f32(output);
      const Tensor actual = candidate.value_f32(output);
      // Integer outputs (a decoder's labels) are discrete: a tie broken the other way is no numeric error,
      // so they are counted, not held to the tolerance; the decoder's input is checked at its producer.
      if (graph.values[static_cast<std::size_t>(output)].dtype == DType::s32) {
        for (std::int64_t i = 0; i < expected.elements(); ++i)
          labels_differing += expected.as<float>()[i] != actual.as<float>()[i] ? 1 : 0;
        continue;
      }
      const Difference difference = compare(expected, actual);
      if (difference.normalised() >= worst.normalised()) worst = difference;
    }
    const bool pass = worst.normalised() <= tolerance;
    failures += pass ? 0 : 1;
    table.add_row({node.name, node.op, step.fallback ? "reference (fallback)" : step.backend,
                   fmt::format("{:.3g}", worst.max_abs), fmt::format("{:.3g}", worst.max_rel),
                   fmt::format("{:.3g}", worst.normalised()),
                   std::string(pass ? "ok" : "FAIL") +
                       (labels_differing > 0 ? fmt::format(" ({} labels differ)", labels_differing) : "")});
    layers.push_back({{"name", node.name},
                      {"op", node.op},
                      {"backend", step.backend},
                      {"fallback", step.fallback},
                      {"max_abs_error", worst.max_abs},
                      {"max_rel_error", worst.max_rel},
                      {"normalised_error", worst.normalised()},
                      {"labels_differing", labels_differing},
                      {"pass", pass}});
  }
  const std::string verdict =
      failures == 0
          ? fmt::format("all {} layers agree with reference within {:.3g} (error / max|reference|, {})",
                        layers.size(), tolerance, dtype_name(precision))
          : fmt::format("{} of {} layers differ from reference by more than {:.3g}", failures, layers.size(),
                        tolerance);
  if (args.format == "json") {
    const nlohmann::json document = {
        {"schema", "ntp.check/1"}, {"backend", backend->name()}, {"precision", dtype_name(precision)},
        {"tolerance", tolerance},  {"seed", args.seed},          {"layers", layers},
        {"pass", failures == 0}};
    write_output(args.output, document.dump(2) + "\n");
  } else {
    write_output(args.output, fmt::format("{} on {} vs reference, seed {}\n\n{}\n{}\n", graph.name,
                                          backend->name(), args.seed, table.render(), verdict));
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace ntp::cli
