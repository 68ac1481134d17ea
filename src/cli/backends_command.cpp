#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "ntp/registry.h"
#include "output.h"

namespace ntp::cli {

int backends_command(const BackendsArgs& args) {
  nlohmann::json list = nlohmann::json::array();
  std::string text;
  const std::string default_name = default_backend_name();
  for (const std::string& name : backend_names()) {
    const Backend* backend = find_backend(name);
    if (backend == nullptr) {
      const std::string why = backend_load_error(name);
      list.push_back({{"name", name}, {"default", name == default_name}, {"error", why}});
      text += fmt::format("{}{}: could not be loaded: {}\n\n", name, name == default_name ? " [default]" : "",
                          why);
      continue;
    }
    std::vector<std::string> precisions;
    for (const DType precision : backend->precisions())
      precisions.emplace_back(dtype_name(precision));
    const std::vector<std::string> ops = backend->ops();
    list.push_back({{"name", backend->name()},
                    {"version", backend->version()},
                    {"default", backend->name() == default_name},
                    {"precisions", precisions},
                    {"ops", ops}});
    text += fmt::format("{}{} (version {})\n  precisions: {}\n  ops ({}): {}\n\n", backend->name(),
                        backend->name() == default_name ? " [default]" : "", backend->version(),
                        fmt::join(precisions, ", "), ops.size(), fmt::join(ops, " "));
  }
  text += "ops a back end does not run natively fall back to the reference back end, and reports mark them\n";
  write_output("", args.format == "json" ? list.dump(2) + "\n" : text);
  return 0;
}

}  // namespace ntp::cli
