#include "load.h"

#include <fmt/format.h>

#include <map>

#include "ntp/analysis.h"

#if NTP_HAVE_ONNX
#include "onnx/onnx_model.h"
#endif

namespace ntp::session {

DType parse_precision(const std::string& text) {
  const auto precision = parse_dtype(text);
  if (!precision)
    throw UserError({"<command line>", 0, 0}, fmt::format("unknown precision '{}'", text),
                    fmt::format("precisions are: {}", dtype_names()));
  return *precision;
}

bool is_onnx_file(const std::string& path) {
  return path.size() >= 5 && path.compare(path.size() - 5, 5, ".onnx") == 0;
}

namespace {

// "name=d0,d1,..." from --shape.
std::pair<std::string, Shape> parse_shape_option(const std::string& text) {
  const auto equals = text.find('=');
  const UserError bad({"<command line>", 0, 0},
                      fmt::format("--shape '{}' is not of the form name=d0,d1,...", text),
                      "write --shape input=1,3,224,224");
  if (equals == std::string::npos || equals == 0 || equals + 1 == text.size()) throw bad;
  Shape shape;
  std::size_t start = equals + 1;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    try {
      std::size_t used = 0;
      const std::string part = text.substr(start, comma - start);
      const long long dim = std::stoll(part, &used);
      if (used != part.size() || dim <= 0) throw bad;
      shape.push_back(dim);
    } catch (const std::logic_error&) {
      throw bad;
    }
    start = comma + 1;
  }
  return {text.substr(0, equals), shape};
}

}  // namespace

LoadedModel load_model(const ModelSpec& args) {
  LoadOptions options;
  options.precision = parse_precision(args.precision);
  for (const std::string& set : args.sets) {
    const auto equals = set.find('=');
    if (equals == std::string::npos || equals == 0)
      throw UserError({"<command line>", 0, 0}, fmt::format("--set '{}' is not of the form name=value", set),
                      "write --set hidden=1024");
    options.overrides.emplace_back(set.substr(0, equals), set.substr(equals + 1));
  }
  if (args.batch) {
    if (*args.batch <= 0)
      throw UserError({"<command line>", 0, 0}, fmt::format("--batch {} is not positive", *args.batch));
    options.overrides.emplace_back("batch", std::to_string(*args.batch));
  }
  if (!args.shapes.empty() && !is_onnx_file(args.file))
    throw UserError({"<command line>", 0, 0}, "--shape applies to ONNX models only",
                    "a topology's input shapes are set with its parameters: --set name=value");
  if (is_onnx_file(args.file)) {
#if NTP_HAVE_ONNX
    onnx_io::ImportOptions import_options;
    import_options.overrides = options.overrides;
    import_options.precision = options.precision;
    for (const std::string& shape : args.shapes)
      import_options.input_shapes.push_back(parse_shape_option(shape));
    Result<onnx_io::ImportedModel> imported = onnx_io::import_model(args.file, import_options);
    if (!imported) throw UserError(imported.error());
    return {std::move(imported.value().graph), std::move(imported.value().weights)};
#else
    throw UserError({args.file, 0, 0}, "this build of ntp cannot read ONNX models",
                    "build it with libonnx-dev and libprotobuf-dev installed");
#endif
  }
  Result<Graph> loaded = load_topology(args.file, options);
  if (!loaded) throw UserError(loaded.error());
  return {std::move(loaded.value()), std::nullopt};
}

Graph load_graph(const ModelSpec& spec) {
  return load_model(spec).graph;
}

void require_memory(const Graph& graph, const GraphAnalysis& analysis, MemoryHolders holders) {
  if (const auto available = available_memory_bytes())
    if (const auto message = check_fits(analysis, *available, holders))
      throw UserError(
          {graph.source, 0, 0}, *message,
          "use a smaller --batch or smaller parameters (--set), or fewer --streams; `ntp inspect` "
          "shows where the memory goes");
}

}  // namespace ntp::session
