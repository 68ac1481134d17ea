// import_model: reads an ONNX file with ONNX's protobuf classes, checks it, resolves the graph inputs'
// shapes (dim_params from --set, whole shapes from --shape), converts its nodes and initializers into an
// NTP graph with the model's own weights, and restores the markers and parameters an NTP export stored.
#include <fmt/format.h>
#include <onnx/checker.h>
#include <onnx/defs/schema.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "import_context.h"
#include "io/files.h"
#include "ntp/limits.h"
#include "onnx/onnx_model.h"

namespace ntp::onnx_io {

namespace {

onnx::ModelProto parse_model(const std::string& path) {
  const std::optional<std::string> read = io::read_file(path);
  if (!read)
    throw UserError({path, 0, 0}, "cannot open the ONNX model",
                    "check the path and that the file is readable");
  const std::string& bytes = *read;
  if (bytes.empty()) throw UserError({path, 0, 0}, "the ONNX model file is empty", "export the model again");
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes))
    throw UserError({path, 0, 0}, "not an ONNX model: the protobuf data cannot be parsed",
                    "the file is truncated, corrupt, or of another kind");
  if (!model.has_graph() || model.graph().output_size() == 0)
    throw UserError({path, 0, 0}, "not an ONNX model: it has no graph with outputs",
                    "the file is truncated, corrupt, or of another kind");
  return model;
}

// Every ONNX operator writes at least one output; the checker cannot say so for the ops it does not know
// (experimental, other domains), and the converters name a node by its first output.
void check_outputs(const onnx::GraphProto& graph, const std::string& path) {
  for (int n = 0; n < graph.node_size(); ++n)
    if (graph.node(n).output_size() == 0)
      throw UserError(
          {path, 0, 0},
          fmt::format("node {} ('{}', {}) has no outputs", n, graph.node(n).name(), graph.node(n).op_type()),
          "the model is malformed; export it again");
}

// Every name a node or output reads must be defined before; clearer than the checker's message.
void check_names(const onnx::GraphProto& graph, const std::string& path) {
  check_outputs(graph, path);
  std::set<std::string> defined;
  for (const auto& input : graph.input())
    defined.insert(input.name());
  for (const auto& initializer : graph.initializer())
    defined.insert(initializer.name());
  for (const auto& node : graph.node()) {
    for (const auto& name : node.input())
      if (!name.empty() && defined.count(name) == 0)
        throw UserError(
            {path, 0, 0},
            fmt::format("node '{}' ({}) reads '{}', which no graph input, initializer or earlier node "
                        "defines",
                        node.name(), node.op_type(), name),
            "the model is malformed (a missing initializer or a dangling name); export it again");
    for (const auto& name : node.output())
      defined.insert(name);
  }
  for (const auto& output : graph.output())
    if (defined.count(output.name()) == 0)
      throw UserError({path, 0, 0},
                      fmt::format("graph output '{}' is not defined by any node", output.name()),
                      "the model is malformed; export it again");
}

// ONNX's checker looks for external data files relative to the working directory; import reads them
// itself (confined to the model's folder), so the checker sees those tensors as placeholders.
// An opset this build's ONNX library does not know would be read with the semantics of an older one, which
// may differ: refused, as onnxruntime refuses it. Other domains' nodes are judged one by one later.
void check_opsets(const onnx::ModelProto& model, const std::string& path) {
  const auto& known = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  const auto& range = known.at(onnx::ONNX_DOMAIN);
  for (const auto& entry : model.opset_import()) {
    if (!entry.domain().empty() && entry.domain() != "ai.onnx") continue;
    if (entry.version() < range.first || entry.version() > range.second)
      throw UserError(
          {path, 0, 0},
          fmt::format("the model imports ONNX opset {}, which this NTP does not know", entry.version()),
          fmt::format("NTP reads opsets {} to {}; convert the model with "
                      "onnx.version_converter or export it at an older opset",
                      range.first, range.second));
  }
}

void check_with_onnx(const onnx::ModelProto& original, const std::string& path) {
  const bool external =
      std::any_of(original.graph().initializer().begin(), original.graph().initializer().end(),
                  [](const auto& tensor) { return tensor.data_location() == onnx::TensorProto::EXTERNAL; });
  onnx::ModelProto placeholders;
  if (external) placeholders = original;
  const onnx::ModelProto& model = external ? placeholders : original;
  for (auto& tensor : *placeholders.mutable_graph()->mutable_initializer()) {
    if (tensor.data_location() != onnx::TensorProto::EXTERNAL) continue;
    tensor.set_data_location(onnx::TensorProto::DEFAULT);
    tensor.clear_external_data();
    tensor.clear_dims();
    tensor.set_raw_data(std::string(8, '\0'));
    tensor.set_data_type(onnx::TensorProto::DOUBLE);
  }
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& error) {
    std::string message = error.what();
    message = message.substr(0, message.find("\n\n==>"));  // the checker appends the whole node dump
    throw UserError({path, 0, 0}, fmt::format("the model is not valid ONNX: {}", message),
                    "check how it was exported; ONNX's checker refuses it");
  }
}

std::optional<std::int64_t> lookup_size(const ImportOptions& options, const std::string& name,
                                        const std::string& path) {
  std::optional<std::int64_t> found;
  for (const auto& [key, text] : options.overrides) {
    if (key != name) continue;
    try {
      std::size_t used = 0;
      const long long value = std::stoll(text, &used);
      if (used != text.size() || value <= 0) throw std::invalid_argument(text);
      found = value;
    } catch (const std::exception&) {
      throw UserError({"<command line>", 0, 0}, fmt::format("--set {}={} is not a positive size", name, text),
                      fmt::format("dimension '{}' of {} needs a positive integer", name, path));
    }
  }
  return found;
}

// NTP's own metadata ("ntp.*" keys, written by `ntp export`) of the wrong JSON type is refused with the key
// and field named: it was edited or damaged, and half-applying it would profile another model. Keys of other
// tools are not ours to judge.
[[noreturn]] void bad_metadata(const std::string& path, const std::string& field, const char* expected) {
  throw UserError({path, 0, 0}, fmt::format("metadata {} must be {}", field, expected),
                  "`ntp export` writes the ntp.* metadata; export the model again, or delete the entry");
}

nlohmann::json ntp_metadata(const onnx::StringStringEntryProto& entry, const std::string& path,
                            nlohmann::json::value_t type) {
  const nlohmann::json json = nlohmann::json::parse(entry.value(), nullptr, false);
  if (json.is_discarded()) bad_metadata(path, "'" + entry.key() + "'", "valid JSON");
  if (json.type() != type)
    bad_metadata(path, "'" + entry.key() + "'",
                 type == nlohmann::json::value_t::array ? "an array" : "an object");
  return json;
}

std::string metadata_string(const nlohmann::json& object, const char* key, const std::string& path,
                            const std::string& field) {
  if (!object.contains(key)) return "";
  if (!object[key].is_string()) bad_metadata(path, field + "." + key, "a string");
  return object[key].get<std::string>();
}

double metadata_number(const nlohmann::json& object, const char* key, double fallback,
                       const std::string& path, const std::string& field) {
  if (!object.contains(key)) return fallback;
  if (!object[key].is_number() || !std::isfinite(object[key].get<double>()))
    bad_metadata(path, field + "." + key, "a finite number");
  return object[key].get<double>();
}

// The topology parameters `ntp export` stored ("ntp.params"): the sizes its symbolic dimensions had.
std::map<std::string, std::string> exported_params(const onnx::ModelProto& model, const std::string& path) {
  std::map<std::string, std::string> params;
  for (const auto& entry : model.metadata_props()) {
    if (entry.key() != "ntp.params") continue;
    const nlohmann::json stored = ntp_metadata(entry, path, nlohmann::json::value_t::object);
    for (const auto& [key, value] : stored.items()) {
      if (!value.is_string()) bad_metadata(path, "'ntp.params'." + key, "a string");
      params[key] = value.get<std::string>();
    }
  }
  return params;
}

void add_graph_inputs(ImportContext& ctx, const onnx::ModelProto& model, const ImportOptions& options,
                      const std::set<std::string>& initializers) {
  const onnx::GraphProto& graph = model.graph();
  const std::string& path = ctx.file();
  const std::map<std::string, std::string> defaults = exported_params(model, path);
  std::set<std::string> named_dims;  // the dim_params the inputs without --shape have
  for (const auto& [name, shape] : options.input_shapes) {
    // `name` by an init-capture: clang before 16 cannot capture a structured binding.
    const bool exists =
        std::any_of(graph.input().begin(), graph.input().end(), [&, &name = name](const auto& input) {
          return input.name() == name && initializers.count(name) == 0;
        });
    if (!exists)
      throw UserError({"<command line>", 0, 0},
                      fmt::format("--shape names '{}', which is not an input of {}", name, path));
  }
  for (const auto& input : graph.input()) {
    if (initializers.count(input.name()) != 0) continue;  // older exporters list initializers as inputs too
    if (const auto known = options.known_inputs.find(input.name()); known != options.known_inputs.end()) {
      ctx.define_constant(input.name(), const_tensor_of(known->second));
      continue;
    }
    const auto& type = input.type();
    if (!type.has_tensor_type())
      ctx.fail(fmt::format("graph input '{}' is not a tensor", input.name()),
               "NTP's inputs are float tensors");
    const int elem_type = type.tensor_type().elem_type();
    const std::optional<DType> dtype = dtype_of_onnx(elem_type);
    if (!dtype)
      ctx.fail(fmt::format("graph input '{}' has element type {}, which NTP has no type for", input.name(),
                           onnx_type_name(elem_type)),
               fmt::format("NTP's element types are {}", dtype_names()));
    Shape shape;
    std::vector<std::string> dim_params;
    const auto given = std::find_if(options.input_shapes.begin(), options.input_shapes.end(),
                                    [&](const auto& entry) { return entry.first == input.name(); });
    const bool has_shape = type.tensor_type().has_shape();
    const int rank = has_shape ? type.tensor_type().shape().dim_size() : -1;
    if (given != options.input_shapes.end()) {
      if (rank >= 0 && static_cast<std::size_t>(rank) != given->second.size())
        throw UserError({"<command line>", 0, 0},
                        fmt::format("--shape gives input '{}' {} dimensions, the model declares {}",
                                    input.name(), given->second.size(), rank));
      for (int d = 0; d < rank; ++d) {
        const auto& dim = type.tensor_type().shape().dim(d);
        if (dim.has_dim_value() && dim.dim_value() != given->second[static_cast<std::size_t>(d)])
          throw UserError(
              {"<command line>", 0, 0},
              fmt::format("--shape gives input '{}' dimension {} = {}, the model fixes it at {}",
                          input.name(), d, given->second[static_cast<std::size_t>(d)], dim.dim_value()));
      }
      shape = given->second;
      dim_params.assign(shape.size(), "");
    } else {
      if (rank < 0)
        ctx.fail(fmt::format("graph input '{}' has no shape", input.name()),
                 fmt::format("give it with --shape {}=d0,d1,...", input.name()));
      for (int d = 0; d < rank; ++d) {
        const auto& dim = type.tensor_type().shape().dim(d);
        std::optional<std::int64_t> size;
        std::string param;
        if (dim.has_dim_value() && dim.dim_value() > 0) {
          size = dim.dim_value();
        } else if (dim.has_dim_param() && !dim.dim_param().empty()) {
          param = dim.dim_param();
          size = lookup_size(options, param, path);
          if (const auto exported = defaults.find(param); !size && exported != defaults.end()) {
            // the size the exported topology had, when it is a plain number
            const std::string& text = exported->second;
            if (!text.empty() && text.size() < 19 &&
                std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c) != 0; }) &&
                std::stoll(text) > 0)
              size = std::stoll(text);
          }
          if (!size && param == "batch") size = 1;
        } else if (dim.has_dim_value()) {
          ctx.fail(fmt::format("graph input '{}' dimension {} is {}", input.name(), d, dim.dim_value()),
                   "NTP runs inputs with positive sizes");
        }
        if (!size)
          ctx.fail(fmt::format("graph input '{}' dimension {}{} has no size", input.name(), d,
                               param.empty() ? std::string() : fmt::format(" ('{}')", param)),
                   param.empty() ? fmt::format("give the whole shape with --shape {}=d0,d1,...", input.name())
                                 : fmt::format("give it with --set {}=N, or --shape {}=d0,d1,...", param,
                                               input.name()));
        shape.push_back(*size);
        dim_params.push_back(param);
        if (!param.empty()) named_dims.insert(param);
      }
    }
    ctx.add_input(input.name(), shape, dim_params, *dtype);
  }
  // A --set (or --batch) that names no dimension would be silently ignored: the user would profile a model
  // of another size than the one asked for.
  for (const auto& [name, value] : options.overrides) {
    if (named_dims.count(name) != 0) continue;
    const auto exported = defaults.find(name);
    if (exported != defaults.end() && exported->second == value) continue;  // asks for what the model is
    if (exported != defaults.end())
      throw UserError({"<command line>", 0, 0},
                      fmt::format("--set {}={}: {} was exported with {}={}, fixed in its weights and nodes",
                                  name, value, path, name, exported->second),
                      fmt::format("export the topology again with --set {}={}", name, value));
    throw UserError(
        {"<command line>", 0, 0},
        fmt::format("{} names no dimension of {}", name == "batch" ? "--batch" : "--set " + name, path),
        named_dims.empty() ? fmt::format("its inputs have fixed sizes; give other ones with --shape "
                                         "input=d0,d1,...")
                           : fmt::format("its named dimensions are {}; --shape input=d0,d1,... gives a whole "
                                         "shape",
                                         fmt::join(named_dims, ", ")));
  }
}

void apply_metadata(ImportContext& ctx, const onnx::ModelProto& model) {
  Graph& graph = ctx.graph();
  const std::string& path = ctx.file();
  using Type = nlohmann::json::value_t;
  for (const auto& [key, value] : exported_params(model, path))
    graph.params[key] = value;
  for (const auto& entry : model.metadata_props()) {
    if (entry.key() == "ntp.inputs") {
      const nlohmann::json inputs = ntp_metadata(entry, path, Type::object);
      for (const auto& [key, value] : inputs.items()) {
        const std::string field = "'ntp.inputs'." + key;
        if (!value.is_object()) bad_metadata(path, field, "an object");
        const int index = graph.find_value(key);
        if (index < 0) continue;
        Value& input = graph.values[static_cast<std::size_t>(index)];
        if (metadata_string(value, "distribution", path, field) == "normal")
          input.distribution.kind = Distribution::Kind::normal;
        input.distribution.a = metadata_number(value, "a", input.distribution.a, path, field);
        input.distribution.b = metadata_number(value, "b", input.distribution.b, path, field);
        input.samplerate = metadata_number(value, "samplerate", 0.0, path, field);
        if (input.samplerate < 0) bad_metadata(path, field + ".samplerate", "a positive number");
      }
    } else if (entry.key() == "ntp.segments") {
      const nlohmann::json segments = ntp_metadata(entry, path, Type::array);
      for (std::size_t s = 0; s < segments.size(); ++s) {
        const nlohmann::json& segment = segments[s];
        const std::string field = fmt::format("'ntp.segments'[{}]", s);
        if (!segment.is_object()) bad_metadata(path, field, "an object");
        const int first = graph.find_node(metadata_string(segment, "first", path, field));
        const int last = graph.find_node(metadata_string(segment, "last", path, field));
        Node begin;
        begin.kind = NodeKind::segment_begin;
        begin.name = metadata_string(segment, "name", path, field);
        begin.tool = metadata_string(segment, "tool", path, field);
        begin.where = {path, 0, 0};
        if (first < 0 || last < 0 || last < first) continue;  // the marked layers did not survive as nodes
        Node end = begin;
        end.kind = NodeKind::segment_end;
        end.tool.clear();
        graph.nodes.insert(graph.nodes.begin() + last + 1, end);
        graph.nodes.insert(graph.nodes.begin() + first, begin);
      }
      for (Value& value : graph.values)
        value.producer = -1;
      for (std::size_t n = 0; n < graph.nodes.size(); ++n)
        for (const int output : graph.nodes[n].outputs)
          graph.values[static_cast<std::size_t>(output)].producer = static_cast<int>(n);
    }
  }
}

ImportedModel import_graph(const std::string& path, const ImportOptions& options) {
  onnx::ModelProto model = parse_model(path);
  if (static_cast<std::size_t>(model.graph().node_size()) > limits::kMaxLayers)
    throw UserError({path, 0, 0},
                    fmt::format("the graph has {} nodes, more than NTP's limit of {}",
                                model.graph().node_size(), limits::kMaxLayers),
                    "docs/limits.md lists NTP's limits");
  check_names(model.graph(), path);
  check_opsets(model, path);
  check_with_onnx(model, path);
  expand_functions(model);
  check_outputs(model.graph(), path);  // the nodes function bodies brought in
  const onnx::GraphProto& onnx_graph = model.graph();

  std::vector<std::string> unsupported;
  for (const auto& node : onnx_graph.node())
    if (!is_importable(node))
      unsupported.push_back(fmt::format("{}{} (node '{}')", node.domain().empty() ? "" : node.domain() + ".",
                                        node.op_type(), node.name().empty() ? node.output(0) : node.name()));
  const std::string unsupported_message =
      fmt::format("the model uses {} node{} NTP cannot import: {}", unsupported.size(),
                  unsupported.size() == 1 ? "" : "s", fmt::join(unsupported, ", "));
  const std::string unsupported_hint =
      "`ntp ops` lists what NTP runs; docs/onnx.md lists the ONNX operators it maps";
  ImportContext ctx(model, path, options.precision);
  std::set<std::string> initializer_names;
  for (const auto& initializer : onnx_graph.initializer())
    initializer_names.insert(initializer.name());
  try {
    add_graph_inputs(ctx, model, options, initializer_names);
  } catch (const UserError& error) {
    if (unsupported.empty()) throw;
    throw UserError({path, 0, 0},
                    fmt::format("the model has 2 problems NTP cannot import:\n  - {}\n  - {}",
                                unsupported_message, error.diagnostic().message),
                    error.diagnostic().hint);
  }
  for (const auto& initializer : onnx_graph.initializer())
    ctx.define_constant(initializer.name(), ctx.decode(initializer));
  // Every problem in one message: nodes of unknown types, and each node a converter refuses. A node reading
  // what a refused node writes is skipped without a message of its own (its problem may be only that).
  std::vector<Diagnostic> refusals;
  std::set<std::string> unavailable;
  for (const auto& node : onnx_graph.node()) {
    const bool blocked =
        !is_importable(node) || std::any_of(node.input().begin(), node.input().end(),
                                            [&](const auto& in) { return unavailable.count(in); });
    if (!blocked) {
      try {
        convert_node(ctx, node);
        continue;
      } catch (const UserError& error) {
        refusals.push_back(error.diagnostic());
      }
    }
    for (const auto& output : node.output())
      unavailable.insert(output);
  }
  if (!unsupported.empty() && refusals.empty())
    throw UserError({path, 0, 0}, unsupported_message, unsupported_hint);
  if (unsupported.empty() && refusals.size() == 1) throw UserError(refusals.front());
  if (!refusals.empty()) {
    std::vector<std::string> problems;
    if (!unsupported.empty()) problems.push_back(unsupported_message);
    for (const Diagnostic& refusal : refusals)
      problems.push_back(refusal.message);
    throw UserError({path, 0, 0},
                    fmt::format("the model has {} problems NTP cannot import:\n  - {}", problems.size(),
                                fmt::join(problems, "\n  - ")),
                    refusals.front().hint.empty() ? unsupported_hint : refusals.front().hint);
  }

  Graph& graph = ctx.graph();
  for (const auto& output : onnx_graph.output()) {
    int value = ctx.value_of(output.name());
    if (graph.values[static_cast<std::size_t>(value)].producer < 0) {  // a graph input passed straight out
      onnx::NodeProto copy;
      copy.set_op_type("Identity");
      copy.add_output(output.name());
      value = ctx.add_op(copy, output.name(), "dropout", {}, {value});
    }
    graph.outputs.push_back(value);
  }
  if (std::none_of(graph.nodes.begin(), graph.nodes.end(), [](const Node& node) { return node.is_op(); }))
    throw UserError({path, 0, 0}, "the model has no operations", "there is nothing to run");
  graph.name = onnx_graph.name().empty() ? std::string("onnx") : onnx_graph.name();
  apply_metadata(ctx, model);
  return ImportedModel{std::move(graph), std::move(ctx.weights())};
}

}  // namespace

Result<ImportedModel> import_model(const std::string& path, const ImportOptions& options) {
  try {
    return import_graph(path, options);
  } catch (const UserError& error) {
    Diagnostic diagnostic = error.diagnostic();
    if (diagnostic.where.file.empty()) diagnostic.where.file = path;
    return diagnostic;
  }
}

}  // namespace ntp::onnx_io
