#include "inspect_report.h"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "csv.h"
#include "text_table.h"

namespace ntp::report {

namespace {

// Byte and operation counts are whole numbers: written as integers, not 9568256.0 (issue 17).
nlohmann::json whole(double count) {
  return count >= 0 && count < 9.2e18 ? nlohmann::json(static_cast<std::int64_t>(std::llround(count)))
                                      : nlohmann::json(count);
}

}  // namespace

nlohmann::json inspect_json(const Graph& graph, const GraphAnalysis& analysis,
                            std::optional<double> available_bytes) {
  nlohmann::json document;
  document["schema"] = "ntp.inspect/1";
  document["topology"] = {{"name", graph.name}, {"source", graph.source}, {"params", graph.params}};
  document["precision"] = std::string(dtype_name(analysis.precision));
  document["conventions"] = {{"flops", "a multiply-add counts as 2 FLOPs"},
                             {"bytes",
                              "inputs and weights read plus outputs written, once per inference; "
                              "recurrent weights counted once per time step"},
                             {"origin", "predicted by the cost model, not measured"}};
  nlohmann::json layers = nlohmann::json::array();
  for (const NodeAnalysis& part : analysis.nodes) {
    const Node& node = graph.nodes[static_cast<std::size_t>(part.node)];
    nlohmann::json inputs = nlohmann::json::array();
    for (const int input : node.inputs)
      inputs.push_back(graph.values[static_cast<std::size_t>(input)].name);
    nlohmann::json outputs = nlohmann::json::array();
    for (const int output : node.outputs)
      outputs.push_back(graph.values[static_cast<std::size_t>(output)].shape);
    nlohmann::json layer = {{"name", node.name},
                            {"op", node.op},
                            {"descriptor", graph.descriptor(part.node)},
                            {"inputs", inputs},
                            {"output_shapes", outputs},
                            {"params", part.params},
                            {"flops", whole(part.cost.flops)},
                            {"weight_bytes", whole(part.weight_bytes)},
                            {"activation_bytes", whole(part.activation_bytes)},
                            {"bytes_read", whole(part.cost.bytes_read)},
                            {"bytes_written", whole(part.cost.bytes_written)},
                            {"intensity", part.cost.intensity()}};
    if (node.precision) layer["precision"] = std::string(dtype_name(*node.precision));
    if (!node.device.empty()) layer["device"] = node.device;
    layers.push_back(std::move(layer));
  }
  document["layers"] = std::move(layers);
  nlohmann::json segments = nlohmann::json::array();
  for (const SegmentAnalysis& segment : analysis.segments) {
    nlohmann::json members = nlohmann::json::array();
    for (const int node : segment.nodes)
      members.push_back(graph.nodes[static_cast<std::size_t>(node)].name);
    segments.push_back({{"name", segment.name},
                        {"tool", segment.tool},
                        {"layers", members},
                        {"params", segment.params},
                        {"flops", whole(segment.cost.flops)},
                        {"weight_bytes", whole(segment.weight_bytes)},
                        {"bytes_moved", whole(segment.cost.bytes_moved())},
                        {"intensity", segment.cost.intensity()}});
  }
  document["segments"] = std::move(segments);
  document["totals"] = {{"params", analysis.params},
                        {"flops", whole(analysis.total.flops)},
                        {"weight_bytes", whole(analysis.weight_bytes)},
                        {"bytes_moved", whole(analysis.total.bytes_moved())},
                        {"intensity", analysis.total.intensity()}};
  nlohmann::json memory = {{"weight_bytes", whole(analysis.weight_bytes)},
                           {"input_bytes", whole(analysis.input_bytes)},
                           {"peak_activation_bytes", whole(analysis.peak_activation_bytes)},
                           {"peak_bytes", whole(analysis.peak_bytes())}};
  if (available_bytes) {
    memory["available_bytes"] = whole(*available_bytes);
    memory["run_bytes"] = whole(run_memory_bytes(analysis));
    memory["fits"] = !check_fits(analysis, *available_bytes).has_value();
  }
  document["memory"] = std::move(memory);
  return document;
}

std::string inspect_table(const nlohmann::json& inspection) {
  TextTable table;
  using Align = TextTable::Align;
  for (const auto& [title, align] : std::vector<std::pair<std::string, Align>>{{"layer", Align::left},
                                                                               {"op", Align::left},
                                                                               {"output shape", Align::left},
                                                                               {"params", Align::right},
                                                                               {"FLOPs", Align::right},
                                                                               {"weights", Align::right},
                                                                               {"activations", Align::right},
                                                                               {"FLOP/B", Align::right}})
    table.add_column(title, align);
  for (const auto& layer : inspection["layers"]) {
    std::vector<std::string> shapes;
    for (const auto& shape : layer["output_shapes"])
      shapes.push_back(shape_to_string(shape.get<Shape>()));
    table.add_row({layer["name"], layer["op"], fmt::format("{}", fmt::join(shapes, " ")),
                   human_count(layer["params"].get<double>()), human_count(layer["flops"].get<double>()),
                   human_bytes(layer["weight_bytes"].get<double>()),
                   human_bytes(layer["activation_bytes"].get<double>()),
                   fmt::format("{:.1f}", layer["intensity"].get<double>())});
  }
  const auto& totals = inspection["totals"];
  table.add_rule();
  table.add_row({"total", "", "", human_count(totals["params"].get<double>()),
                 human_count(totals["flops"].get<double>()),
                 human_bytes(totals["weight_bytes"].get<double>()), "",
                 fmt::format("{:.1f}", totals["intensity"].get<double>())});

  std::string text = fmt::format(
      "topology {} ({}), weights in {}\n\n", inspection["topology"]["name"].get<std::string>(),
      inspection["topology"]["source"].get<std::string>(), inspection["precision"].get<std::string>());
  text += table.render();
  if (!inspection["segments"].empty()) {
    TextTable segments;
    for (const auto& [title, align] : std::vector<std::pair<std::string, Align>>{{"segment", Align::left},
                                                                                 {"layers", Align::right},
                                                                                 {"params", Align::right},
                                                                                 {"FLOPs", Align::right},
                                                                                 {"weights", Align::right},
                                                                                 {"FLOP/B", Align::right},
                                                                                 {"tool", Align::left}})
      segments.add_column(title, align);
    for (const auto& segment : inspection["segments"])
      segments.add_row({segment["name"], std::to_string(segment["layers"].size()),
                        human_count(segment["params"].get<double>()),
                        human_count(segment["flops"].get<double>()),
                        human_bytes(segment["weight_bytes"].get<double>()),
                        fmt::format("{:.1f}", segment["intensity"].get<double>()), segment["tool"]});
    text += "\n" + segments.render();
  }
  const auto& memory = inspection["memory"];
  text += fmt::format("\npeak memory estimate: {} ({} weights + {} activations at the peak)\n",
                      human_bytes(memory["peak_bytes"].get<double>()),
                      human_bytes(memory["weight_bytes"].get<double>()),
                      human_bytes(memory["peak_activation_bytes"].get<double>()));
  if (memory.contains("available_bytes") && !memory["fits"].get<bool>())
    text += fmt::format(
        "warning: running it needs about {} but only {} of memory is available here; `ntp run` will "
        "refuse it\n",
        human_bytes(memory["run_bytes"].get<double>()), human_bytes(memory["available_bytes"].get<double>()));
  text +=
      "FLOPs count a multiply-add as 2; FLOP/B is arithmetic intensity (FLOPs per byte moved); all figures "
      "are "
      "predicted by the cost model.\n";
  return text;
}

std::string inspect_csv(const nlohmann::json& inspection) {
  CsvWriter csv({"layer", "op", "descriptor", "output_shapes", "params", "flops", "weight_bytes",
                 "activation_bytes", "bytes_read", "bytes_written", "intensity"});
  for (const auto& layer : inspection["layers"]) {
    std::vector<std::string> shapes;
    for (const auto& shape : layer["output_shapes"])
      shapes.push_back(shape_to_string(shape.get<Shape>()));
    csv.add_row({layer["name"], layer["op"], layer["descriptor"], fmt::format("{}", fmt::join(shapes, " ")),
                 std::to_string(layer["params"].get<std::int64_t>()),
                 fmt::format("{:.0f}", layer["flops"].get<double>()),
                 fmt::format("{:.0f}", layer["weight_bytes"].get<double>()),
                 fmt::format("{:.0f}", layer["activation_bytes"].get<double>()),
                 fmt::format("{:.0f}", layer["bytes_read"].get<double>()),
                 fmt::format("{:.0f}", layer["bytes_written"].get<double>()),
                 fmt::format("{:.4g}", layer["intensity"].get<double>())});
  }
  return csv.text();
}

}  // namespace ntp::report
