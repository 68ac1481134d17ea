#include "load.h"

#include <fmt/format.h>

namespace ntp::cli {

DType parse_precision(const std::string& text) {
  const auto precision = parse_dtype(text);
  if (!precision)
    throw UserError({"<command line>", 0, 0}, fmt::format("unknown precision '{}'", text),
                    fmt::format("precisions are: {}", dtype_names()));
  return *precision;
}

Graph load_graph(const TopologyArgs& args) {
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
  Result<Graph> loaded = load_topology(args.file, options);
  if (!loaded) throw UserError(loaded.error());
  return std::move(loaded.value());
}

}  // namespace ntp::cli
