#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "ntp/registry.h"
#include "output.h"

namespace ntp::cli {

const Backend& require_backend(const std::string& name) {
  const std::string wanted = name.empty() ? default_backend_name() : name;
  if (const Backend* backend = find_backend(wanted)) return *backend;
  if (const std::string why = backend_load_error(wanted); !why.empty())
    throw UserError(kCommandLine,
                    fmt::format("the {} back end of this build could not be loaded: {}", wanted, why),
                    "rebuild NTP (scripts/build.sh), or choose another back end (`ntp backends`)");
  throw UserError(kCommandLine, fmt::format("this build has no back end '{}'", wanted),
                  fmt::format("back ends: {} (`ntp backends` lists them)", fmt::join(backend_names(), ", ")));
}

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
