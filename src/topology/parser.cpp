// The topology markup: XML parsed with pugixml into a Graph. See docs/topology-format.md.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <pugixml.hpp>
#include <set>
#include <sstream>
#include <unordered_map>

#include "graph/shape_inference.h"
#include "io/files.h"
#include "ntp/limits.h"
#include "ntp/op_schema.h"
#include "ntp/topology.h"
#include "parameters.h"
#include "source_text.h"

namespace ntp {

namespace {

using topology::Parameters;
using topology::SourceText;

const std::vector<std::string> kElements = {"param", "input", "output", "layer", "start", "end"};
const std::vector<std::string> kLayerCommonAttrs = {"name",      "type",   "inputs",
                                                    "precision", "device", "backend"};
const std::vector<std::string> kInputAttrs = {"name", "shape", "dtype",      "range",
                                              "mean", "std",   "samplerate", "distribution"};
const std::vector<std::string> kTools = {"perf", "callgrind", "likwid", "papi", "nvtx"};
const std::vector<std::string> kDevices = {"cpu", "gpu"};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::string item;
  std::istringstream stream(text);
  while (std::getline(stream, item, ',')) {
    const auto first = item.find_first_not_of(" \t\n");
    const auto last = item.find_last_not_of(" \t\n");
    items.push_back(first == std::string::npos ? std::string() : item.substr(first, last - first + 1));
  }
  return items;
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates,
                         const std::string& otherwise) {
  const std::string suggestion = closest_match(word, candidates);
  return suggestion.empty() ? otherwise : fmt::format("did you mean '{}'?", suggestion);
}

struct PendingLayer {
  Node node;
  std::vector<std::string> input_names;
  SourceLocation inputs_where;
  int document_index = 0;
};

struct PendingMarker {
  Node node;
  int layers_before = 0;  // how many layers precede it in the document
};

class TopologyParser {
 public:
  TopologyParser(const std::string& text, const std::string& source_name, const LoadOptions& options)
      : text_(text), source_(source_name, text_), options_(options) {}

  Graph parse() {
    pugi::xml_document document;
    const pugi::xml_parse_result parsed =
        document.load_buffer(text_.data(), text_.size(), pugi::parse_default);
    if (!parsed)
      throw UserError(source_.at(parsed.offset), fmt::format("malformed XML: {}", parsed.description()),
                      "check that every element is closed and attribute values are quoted");
    const pugi::xml_node root = document.document_element();
    if (std::string(root.name()) != "topology")
      throw UserError(where(root), fmt::format("the root element is <{}>, expected <topology>", root.name()),
                      "a topology file starts with <topology name=\"...\">");
    graph_.name = root.attribute("name").as_string("unnamed");
    graph_.source = source_.file();

    refuse_too_many(root, "param", limits::kMaxParameters, "parameters");
    refuse_too_many(root, "layer", limits::kMaxLayers, "layers");
    read_parameters(root);
    for (const pugi::xml_node element : root.children()) {
      if (element.type() != pugi::node_element) continue;
      const std::string kind = element.name();
      if (kind == "param") continue;
      if (kind == "input")
        read_input(element);
      else if (kind == "layer")
        read_layer(element);
      else if (kind == "start" || kind == "end")
        read_marker(element, kind == "start");
      else if (kind == "output")
        read_output(element);
      else
        throw UserError(
            where(element), fmt::format("unknown element <{}>", kind),
            did_you_mean(kind, kElements, fmt::format("elements are: {}", fmt::join(kElements, ", "))));
    }
    check_markers_balanced();
    if (layers_.empty())
      throw UserError(where(root), "the topology has no layers",
                      "add <layer name=\"...\" type=\"...\"/> elements");
    build_graph();
    return std::move(graph_);
  }

 private:
  SourceLocation where(const pugi::xml_node& element) const { return source_.at(element.offset_debug() - 1); }
  SourceLocation where(const pugi::xml_node& element, const std::string& attribute) const {
    return source_.attribute(element.offset_debug() - 1, attribute);
  }

  void check_attributes(const pugi::xml_node& element, const std::vector<std::string>& allowed) const {
    for (const pugi::xml_attribute attribute : element.attributes()) {
      const std::string name = attribute.name();
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
        throw UserError(
            where(element, name), fmt::format("<{}> has no attribute '{}'", element.name(), name),
            did_you_mean(name, allowed, fmt::format("its attributes are: {}", fmt::join(allowed, ", "))));
    }
  }

  std::string required(const pugi::xml_node& element, const std::string& attribute) const {
    const pugi::xml_attribute found = element.attribute(attribute.c_str());
    if (!found || std::string(found.value()).empty())
      throw UserError(where(element), fmt::format("<{}> needs a '{}' attribute", element.name(), attribute));
    return found.value();
  }

  // Counted before any is read, so the error comes at once and names the first element over the limit.
  void refuse_too_many(const pugi::xml_node& root, const char* kind, std::size_t most, const char* what) {
    std::size_t count = 0;
    for (const pugi::xml_node element : root.children(kind))
      if (++count > most)
        throw UserError(where(element), fmt::format("more than {} {}", most, what),
                        "docs/limits.md lists NTP's limits");
  }

  void claim_name(const std::string& name, const SourceLocation& at) {
    // Names are read back in lists ("a,b") and output references ("split1:1"): a name holding one of those
    // characters would be found as another one, with a misleading "did you mean".
    if (name.empty())
      throw UserError(at, "the name is empty", "every input and layer needs a name, such as name=\"conv1\"");
    if (const auto bad = name.find_first_of(":, \t\r\n"); bad != std::string::npos)
      throw UserError(at,
                      fmt::format("the name '{}' holds {}", name,
                                  name[bad] == ':'   ? "':', which selects one output of a layer (split1:1)"
                                  : name[bad] == ',' ? "',', which separates the names in a list"
                                                     : "white space, which lists ignore"),
                      "use letters, digits, '_', '-' or '.'");
    if (const auto previous = names_.find(name); previous != names_.end())
      throw UserError(at, fmt::format("the name '{}' is used twice", name),
                      fmt::format("it is first defined at line {}; names of inputs and layers must be unique",
                                  previous->second.line));
    names_[name] = at;
  }

  void read_parameters(const pugi::xml_node& root) {
    params_.define("batch", "1", {source_.file(), 0, 0});
    std::set<std::string> seen;
    for (const pugi::xml_node element : root.children("param")) {
      check_attributes(element, {"name", "value"});
      const std::string name = required(element, "name");
      if (!seen.insert(name).second)
        throw UserError(where(element, "name"), fmt::format("parameter '{}' is defined twice", name));
      params_.define(name, required(element, "value"), where(element, "value"));
    }
    for (const auto& [name, value] : options_.overrides)
      params_.override_value(name, value);
  }

  void read_input(const pugi::xml_node& element) {
    check_attributes(element, kInputAttrs);
    Value value;
    value.name = required(element, "name");
    claim_name(value.name, where(element, "name"));
    const SourceLocation shape_at = where(element, "shape");
    for (const std::string& written : split_list(required(element, "shape"))) {
      // A dimension written as one parameter ("samples" or "${samples}") can be bound from a data file.
      value.dim_params.push_back(bare_parameter(written));
      const std::string item = params_.substitute(written, shape_at);
      const std::int64_t dim = params_.integer(item, shape_at, fmt::format("input '{}' shape", value.name));
      if (dim <= 0)
        throw UserError(shape_at, fmt::format("input '{}' has dimension {} in its shape", value.name, dim),
                        "every dimension must be a positive integer");
      value.shape.push_back(dim);
    }
    try {
      element_count(value.shape);  // refuses shapes whose size overflows
    } catch (const UserError& error) {
      throw UserError(shape_at, fmt::format("input '{}': {}", value.name, error.diagnostic().message),
                      error.diagnostic().hint);
    }
    const std::string dtype = element.attribute("dtype").as_string("fp32");
    const auto parsed_dtype = parse_dtype(dtype);
    if (!parsed_dtype)
      throw UserError(where(element, "dtype"), fmt::format("unknown dtype '{}'", dtype),
                      fmt::format("dtypes are: {}", dtype_names()));
    value.dtype = *parsed_dtype;
    if (element.attribute("samplerate")) {
      value.samplerate = real(element, "samplerate", element.attribute("samplerate").value());
      if (!(value.samplerate > 0) || value.shape.size() != 2)
        throw UserError(
            where(element, "samplerate"),
            fmt::format("audio input '{}' needs a positive samplerate and a shape [batch, samples]",
                        value.name),
            "write shape=\"batch,samples\" samplerate=\"16000\"");
    }
    read_distribution(element, value);
    graph_.values.push_back(value);
    graph_.inputs.push_back(static_cast<int>(graph_.values.size() - 1));
    previous_value_ = value.name;
  }

  // The parameter a shape item names on its own ("samples", "${samples}"); "" for anything else.
  std::string bare_parameter(std::string item) const {
    if (item.size() > 3 && item.starts_with("${") && item.ends_with("}"))
      item = item.substr(2, item.size() - 3);
    const bool is_name = !item.empty() && std::all_of(item.begin(), item.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
    });
    return is_name && params_.defined(item) ? item : std::string();
  }

  double real(const pugi::xml_node& element, const std::string& attribute, const std::string& text) {
    const SourceLocation at = where(element, attribute);
    const std::string substituted = params_.substitute(text, at);
    try {
      std::size_t used = 0;
      const double value = std::stod(substituted, &used);
      if (used == substituted.size() && std::isfinite(value)) return value;
    } catch (const std::exception&) {
    }
    // NaN and infinity parse, but would run and fill every output with NaN.
    throw UserError(at, fmt::format("'{}' is not a finite number", substituted),
                    "write a number such as 0.5 or 20");
  }

  void read_distribution(const pugi::xml_node& element, Value& value) {
    const std::string kind = element.attribute("distribution").as_string("uniform");
    if (kind == "normal") {
      value.distribution = {Distribution::Kind::normal, 0.0, 1.0};
      if (element.attribute("mean"))
        value.distribution.a = real(element, "mean", element.attribute("mean").value());
      if (element.attribute("std"))
        value.distribution.b = real(element, "std", element.attribute("std").value());
    } else if (kind == "uniform") {
      if (element.attribute("range")) {
        const auto bounds = split_list(element.attribute("range").value());
        if (bounds.size() != 2)
          throw UserError(where(element, "range"), "range takes two numbers", "write range=\"low,high\"");
        value.distribution.a = real(element, "range", bounds[0]);
        value.distribution.b = real(element, "range", bounds[1]);
        if (value.distribution.a > value.distribution.b)
          throw UserError(where(element, "range"), "range's low bound is above its high bound");
      }
    } else {
      throw UserError(where(element, "distribution"), fmt::format("unknown distribution '{}'", kind),
                      "distributions are: uniform (with range=\"low,high\"), normal (with mean, std)");
    }
  }

  void read_output(const pugi::xml_node& element) {
    check_attributes(element, {"name"});
    output_names_.emplace_back(required(element, "name"), where(element, "name"));
  }

  void read_marker(const pugi::xml_node& element, bool begin) {
    check_attributes(element,
                     begin ? std::vector<std::string>{"marker", "tool"} : std::vector<std::string>{"marker"});
    PendingMarker marker;
    marker.node.kind = begin ? NodeKind::segment_begin : NodeKind::segment_end;
    marker.node.name = required(element, "marker");
    marker.node.where = where(element);
    marker.layers_before = static_cast<int>(layers_.size());
    if (begin && element.attribute("tool")) {
      marker.node.tool = element.attribute("tool").value();
      if (std::find(kTools.begin(), kTools.end(), marker.node.tool) == kTools.end())
        throw UserError(
            where(element, "tool"), fmt::format("unknown profiling tool '{}'", marker.node.tool),
            did_you_mean(marker.node.tool, kTools, fmt::format("tools are: {}", fmt::join(kTools, ", "))));
    }
    if (begin) {
      if (open_markers_.count(marker.node.name) != 0)
        throw UserError(marker.node.where,
                        fmt::format("segment '{}' is started again before it ends", marker.node.name),
                        "end it with <end marker=\"" + marker.node.name + "\"/> first, or use another name");
      open_markers_[marker.node.name] = marker.node.where;
    } else {
      if (open_markers_.erase(marker.node.name) == 0) {
        std::vector<std::string> open;
        for (const auto& [name, at] : open_markers_)
          open.push_back(name);
        throw UserError(
            marker.node.where, fmt::format("<end marker=\"{}\"/> has no matching start", marker.node.name),
            did_you_mean(marker.node.name, open,
                         "add <start marker=\"" + marker.node.name + "\"/> before the layers it covers"));
      }
    }
    markers_.push_back(std::move(marker));
  }

  void check_markers_balanced() const {
    if (open_markers_.empty()) return;
    const auto& [name, at] = *open_markers_.begin();
    throw UserError(at, fmt::format("segment '{}' is started but never ended", name),
                    "add <end marker=\"" + name + "\"/> after its last layer");
  }

  void read_layer(const pugi::xml_node& element) {
    PendingLayer layer;
    layer.document_index = static_cast<int>(layers_.size());
    Node& node = layer.node;
    node.where = where(element);
    node.op = required(element, "type");
    node.schema = find_op(node.op);
    if (node.schema == nullptr)
      throw UserError(where(element, "type"), fmt::format("unknown op '{}'", node.op),
                      did_you_mean(node.op, op_names(), "`ntp ops` lists the ops"));
    node.name = element.attribute("name") ? element.attribute("name").value()
                                          : fmt::format("{}_{}", node.op, layers_.size() + 1);
    claim_name(node.name, where(element, "name"));

    std::vector<std::string> allowed = kLayerCommonAttrs;
    for (const AttrSpec& spec : node.schema->attrs)
      allowed.push_back(spec.name);
    check_attributes(element, allowed);
    for (const AttrSpec& spec : node.schema->attrs) {
      const pugi::xml_attribute attribute = element.attribute(spec.name.c_str());
      if (attribute) {
        node.attrs.set(spec.name, convert_attribute(element, node, spec, attribute.value()));
      } else if (!spec.default_value) {
        throw UserError(
            node.where,
            fmt::format("layer '{}' ({}) needs the attribute '{}'", node.name, node.op, spec.name),
            fmt::format("{}: {}", spec.name, spec.doc));
      }
    }
    apply_defaults(*node.schema, node.attrs);

    if (element.attribute("precision")) {
      const std::string text =
          params_.substitute(element.attribute("precision").value(), where(element, "precision"));
      node.precision = parse_dtype(text);
      if (!node.precision)
        throw UserError(where(element, "precision"), fmt::format("unknown precision '{}'", text),
                        fmt::format("precisions are: {}", dtype_names()));
    }
    if (element.attribute("device")) {
      node.device = params_.substitute(element.attribute("device").value(), where(element, "device"));
      if (std::find(kDevices.begin(), kDevices.end(), node.device) == kDevices.end())
        throw UserError(where(element, "device"), fmt::format("unknown device '{}'", node.device),
                        "devices are: cpu, gpu");
    }
    if (element.attribute("backend"))
      node.backend = params_.substitute(element.attribute("backend").value(), where(element, "backend"));
    if (element.attribute("inputs")) {
      layer.inputs_where = where(element, "inputs");
      layer.input_names =
          split_list(params_.substitute(element.attribute("inputs").value(), layer.inputs_where));
      for (const auto& name : layer.input_names)
        if (name.empty()) throw UserError(layer.inputs_where, "empty name in inputs", "write inputs=\"a,b\"");
    } else {
      layer.inputs_where = node.where;
      if (previous_value_.empty())
        throw UserError(node.where, fmt::format("layer '{}' has no input", node.name),
                        "declare an <input> before the first layer, or name its inputs with inputs=\"...\"");
      layer.input_names = {previous_value_};
    }
    previous_value_ = node.name;
    layers_.push_back(std::move(layer));
  }

  AttrValue convert_attribute(const pugi::xml_node& element, const Node& node, const AttrSpec& spec,
                              const std::string& raw) {
    const SourceLocation at = where(element, spec.name);
    const std::string what = fmt::format("attribute '{}' of layer '{}'", spec.name, node.name);
    switch (spec.type) {
      case AttrType::integer:
        return params_.integer(raw, at, what);
      case AttrType::real:
        return real(element, spec.name, raw);
      case AttrType::integers: {
        std::vector<std::int64_t> values;
        for (const auto& item : split_list(params_.substitute(raw, at)))
          values.push_back(params_.integer(item, at, what));
        return values;
      }
      case AttrType::reals: {
        std::vector<double> values;
        for (const auto& item : split_list(params_.substitute(raw, at)))
          values.push_back(real(element, spec.name, item));
        return values;
      }
      case AttrType::text: {
        std::string value = params_.substitute(raw, at);
        if (!spec.choices.empty() &&
            std::find(spec.choices.begin(), spec.choices.end(), value) == spec.choices.end())
          throw UserError(at, fmt::format("'{}' is not a valid {} for {}", value, spec.name, node.op),
                          did_you_mean(value, spec.choices,
                                       fmt::format("choices are: {}", fmt::join(spec.choices, ", "))));
        return value;
      }
    }
    return raw;
  }

  // The node that produces a value name ("fc1" or "split1:1"); -1 for a graph input. `layer_of_name`:
  // each layer's index by name (a lookup per input, so 100k layers stay linear).
  int producer_layer(const std::string& value_name, const PendingLayer& consumer,
                     const std::unordered_map<std::string, int>& layer_of_name) const {
    const std::string node_name = value_name.substr(0, value_name.find(':'));
    for (const int input : graph_.inputs)
      if (graph_.values[static_cast<std::size_t>(input)].name == value_name) return -1;
    if (const auto found = layer_of_name.find(node_name); found != layer_of_name.end()) return found->second;
    std::vector<std::string> candidates;
    for (const auto& [name, at] : names_)
      candidates.push_back(name);
    throw UserError(
        consumer.inputs_where,
        fmt::format("layer '{}' takes input '{}', which no input or layer defines", consumer.node.name,
                    value_name),
        did_you_mean(node_name, candidates, "inputs name an <input> or a layer defined in this file"));
  }

  // Kahn's algorithm, taking the earliest layer in the document first, so a file already in order keeps it.
  std::vector<int> topological_order() const {
    const std::size_t count = layers_.size();
    std::unordered_map<std::string, int> layer_of_name;
    for (std::size_t i = count; i-- > 0;)  // the first layer of a name wins, as a scan from the front did
      layer_of_name[layers_[i].node.name] = static_cast<int>(i);
    std::vector<std::vector<int>> consumers(count);
    std::vector<int> pending_inputs(count, 0);
    for (std::size_t i = 0; i < count; ++i) {
      for (const auto& name : layers_[i].input_names) {
        const int producer = producer_layer(name, layers_[i], layer_of_name);
        if (producer == static_cast<int>(i))
          throw UserError(layers_[i].inputs_where,
                          fmt::format("layer '{}' takes its own output as input", name),
                          "a topology must not have cycles");
        if (producer >= 0) {
          consumers[static_cast<std::size_t>(producer)].push_back(static_cast<int>(i));
          ++pending_inputs[i];
        }
      }
    }
    std::set<int> ready;
    for (std::size_t i = 0; i < count; ++i)
      if (pending_inputs[i] == 0) ready.insert(static_cast<int>(i));
    std::vector<int> order;
    while (!ready.empty()) {
      const int next = *ready.begin();
      ready.erase(ready.begin());
      order.push_back(next);
      for (const int consumer : consumers[static_cast<std::size_t>(next)])
        if (--pending_inputs[static_cast<std::size_t>(consumer)] == 0) ready.insert(consumer);
    }
    if (order.size() != count) {
      std::vector<std::string> cycle;
      for (std::size_t i = 0; i < count; ++i)
        if (pending_inputs[i] > 0) cycle.push_back(layers_[i].node.name);
      const auto first = std::find_if(layers_.begin(), layers_.end(), [&](const PendingLayer& layer) {
        return layer.node.name == cycle.front();
      });
      throw UserError(first->inputs_where, fmt::format("the layers {} form a cycle", fmt::join(cycle, ", ")),
                      "a topology must be acyclic: check their inputs=\"...\"");
    }
    return order;
  }

  void build_graph() {
    const std::vector<int> order = topological_order();
    std::size_t next_marker = 0;
    auto emit_markers_before = [&](int document_index) {
      while (next_marker < markers_.size() && markers_[next_marker].layers_before <= document_index)
        graph_.nodes.push_back(markers_[next_marker++].node);
    };
    for (const int index : order) {
      PendingLayer& layer = layers_[static_cast<std::size_t>(index)];
      emit_markers_before(layer.document_index);
      graph_.nodes.push_back(layer.node);
      pending_inputs_.push_back({layer.input_names, layer.inputs_where});
    }
    emit_markers_before(static_cast<int>(layers_.size()));

    const std::vector<PendingInputs> op_inputs = std::move(pending_inputs_);
    graph::InputResolver resolve =
        [&](std::size_t op_position) -> std::vector<std::pair<std::string, SourceLocation>> {
      std::vector<std::pair<std::string, SourceLocation>> names;
      for (const auto& name : op_inputs[op_position].names)
        names.emplace_back(name, op_inputs[op_position].where);
      return names;
    };
    graph::infer_shapes(graph_, resolve, options_.precision);

    for (const auto& [name, at] : output_names_) {
      const int value = graph_.find_value(name);
      if (value < 0)
        throw UserError(at, fmt::format("<output> names '{}', which no input or layer defines", name));
      graph_.outputs.push_back(value);
    }
    if (graph_.outputs.empty()) graph::mark_unconsumed_outputs(graph_);
    graph_.params = params_.resolved_all();
  }

  struct PendingInputs {
    std::vector<std::string> names;
    SourceLocation where;
  };

  const std::string& text_;
  SourceText source_;
  const LoadOptions& options_;
  Parameters params_;
  Graph graph_;
  std::vector<PendingLayer> layers_;
  std::vector<PendingMarker> markers_;
  std::vector<PendingInputs> pending_inputs_;
  std::vector<std::pair<std::string, SourceLocation>> output_names_;
  std::map<std::string, SourceLocation> names_;
  std::map<std::string, SourceLocation> open_markers_;
  std::string previous_value_;
};

}  // namespace

Result<Graph> parse_topology(const std::string& text, const std::string& source_name,
                             const LoadOptions& options) {
  try {
    return TopologyParser(text, source_name, options).parse();
  } catch (const UserError& error) {
    Diagnostic diagnostic = error.diagnostic();
    if (diagnostic.where.file.empty()) diagnostic.where.file = source_name;
    return diagnostic;
  }
}

Result<Graph> load_topology(const std::string& path, const LoadOptions& options) {
  const std::optional<std::string> contents = io::read_file(path);
  if (!contents)
    return Diagnostic{
        {path, 0, 0}, "cannot open the topology file", "check the path and that the file is readable"};
  return parse_topology(*contents, path, options);
}

}  // namespace ntp
