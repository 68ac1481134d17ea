// `ntp backends` and `ntp version`: the back ends of this build, their library versions, precisions and ops.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "ntp/registry.h"
#include "ntp/session.h"
#include "output.h"

namespace ntp::cli {

namespace {

// Every back end of this build: name, whether it is the default, and its library version, precisions and
// ops, or why it could not be loaded.
nlohmann::json describe_backends() {
  nlohmann::json list = nlohmann::json::array();
  const std::string default_name = default_backend_name();
  for (const std::string& name : backend_names()) {
    const Backend* backend = find_backend(name);
    if (backend == nullptr) {
      list.push_back(
          {{"name", name}, {"default", name == default_name}, {"error", backend_load_error(name)}});
      continue;
    }
    std::vector<std::string> precisions;
    for (const DType precision : backend->precisions())
      precisions.emplace_back(dtype_name(precision));
    list.push_back({{"name", backend->name()},
                    {"version", backend->version()},
                    {"default", backend->name() == default_name},
                    {"precisions", precisions},
                    {"ops", backend->ops()}});
  }
  return list;
}

std::string default_mark(const nlohmann::json& backend) {
  return backend["default"].get<bool>() ? " [default]" : "";
}

}  // namespace

int backends_command(const BackendsArgs& args) {
  const nlohmann::json list = describe_backends();
  std::string text;
  for (const nlohmann::json& backend : list) {
    const std::string name = backend["name"];
    if (backend.contains("error")) {
      text += fmt::format("{}{}: could not be loaded: {}\n\n", name, default_mark(backend),
                          backend["error"].get<std::string>());
      continue;
    }
    const auto precisions = backend["precisions"].get<std::vector<std::string>>();
    const auto ops = backend["ops"].get<std::vector<std::string>>();
    text += fmt::format("{}{} (version {})\n  precisions: {}\n  ops ({}): {}\n\n", name,
                        default_mark(backend), backend["version"].get<std::string>(),
                        fmt::join(precisions, ", "), ops.size(), fmt::join(ops, " "));
  }
  text += "ops a back end does not run natively fall back to the reference back end, and reports mark them\n";
  write_output("", args.format == "json" ? list.dump(2) + "\n" : text);
  return 0;
}

std::string version_text() {
  std::string text = fmt::format("ntp {}\nback ends (library versions):", library_version());
  for (const nlohmann::json& backend : describe_backends())
    text +=
        fmt::format("\n  {}{}: {}", backend["name"].get<std::string>(), default_mark(backend),
                    backend.contains("error") ? "could not be loaded: " + backend["error"].get<std::string>()
                                              : backend["version"].get<std::string>());
  return text;
}

}  // namespace ntp::cli
