#include "ntp/registry.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <string_view>

#include "backends/reference/reference_backend.h"

namespace ntp {

namespace {

// A back end linked into the program (the reference back end), or (builtin == nullptr) one in a module.
struct Entry {
  std::string name;
  const Backend& (*builtin)() = nullptr;
};

// The modules of this build in order of preference, then the reference back end. NTP_BACKEND_MODULES names
// the modules, comma-separated (src/backends/CMakeLists.txt: every back end over a library is one).
const std::vector<Entry>& entries() {
  static const std::vector<Entry> table = [] {
    std::vector<Entry> modules;
    for (std::string_view names = NTP_BACKEND_MODULES; !names.empty();) {
      const std::size_t comma = std::min(names.find(','), names.size());
      modules.push_back({std::string(names.substr(0, comma)), nullptr});
      names.remove_prefix(std::min(comma + 1, names.size()));
    }
    modules.push_back({"reference", &reference_backend});
    return modules;
  }();
  return table;
}

// ntp_backend_NAME.so in $NTP_BACKEND_DIR when it is set; else the first folder that has it of: the running
// program's (`ntp` in the build); LIBDIR/ntp (cmake/install.cmake) under the nearest folder above the program
// or the object holding this code (PREFIX, from PREFIX/bin/ntp, PREFIX/LIBDIR/libntp.so or the Python
// extension in PREFIX/lib/python3/dist-packages/ntp); the build's module folder (test programs live elsewhere
// in the build), which the loader's message names when none has it.
std::filesystem::path module_path(const std::string& name) {
  namespace fs = std::filesystem;
  const std::string file = "ntp_backend_" + name + ".so";
  if (const char* folder = std::getenv("NTP_BACKEND_DIR"); folder != nullptr && *folder != '\0')
    return fs::path(folder) / file;
  std::error_code error;
  const fs::path program = fs::read_symlink("/proc/self/exe", error);
  if (!error && fs::exists(program.parent_path() / file, error)) return program.parent_path() / file;
  static const int inside_this_object = 0;  // the program, libntp.so or the Python extension
  Dl_info self{};
  const fs::path object = ::dladdr(&inside_this_object, &self) != 0 && self.dli_fname != nullptr
                              ? fs::path(self.dli_fname)
                              : fs::path();
  for (const fs::path& start : {program, object}) {
    if (!start.is_absolute()) continue;
    for (fs::path above = start.parent_path(); above != above.parent_path(); above = above.parent_path())
      if (fs::exists(above / NTP_INSTALL_MODULE_DIR / file, error))
        return above / NTP_INSTALL_MODULE_DIR / file;
  }
  return fs::path(NTP_BACKEND_MODULE_DIR) / file;
}

struct Module {
  const Backend* backend = nullptr;
  std::string error;
};

// Loaded once per process and never unloaded: its back end lives as long as the program.
const Module& load_module(const std::string& name) {
  static std::mutex mutex;
  static std::map<std::string, Module> modules;
  const std::lock_guard lock(mutex);
  auto [found, inserted] = modules.try_emplace(name);
  Module& module = found->second;
  if (!inserted) return module;
  const std::filesystem::path path = module_path(name);
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    module.error = ::dlerror();
    return module;
  }
  using EntryPoint = const Backend* (*)();
  const auto entry = reinterpret_cast<EntryPoint>(::dlsym(handle, "ntp_backend_module_entry"));
  if (entry == nullptr)
    module.error = path.string() + " has no ntp_backend_module_entry: not a back end module of this build";
  else
    module.backend = entry();
  return module;
}

const Backend* get(const Entry& entry) {
  return entry.builtin != nullptr ? &entry.builtin() : load_module(entry.name).backend;
}

}  // namespace

std::vector<std::string> backend_names() {
  std::vector<std::string> names;
  for (const Entry& entry : entries())
    names.push_back(entry.name);
  return names;
}

std::vector<std::string> backend_module_names() {
  std::vector<std::string> names;
  for (const Entry& entry : entries())
    if (entry.builtin == nullptr) names.push_back(entry.name);
  return names;
}

const Backend* find_backend(const std::string& name) {
  for (const Entry& entry : entries())
    if (entry.name == name) return get(entry);
  return nullptr;
}

std::string backend_load_error(const std::string& name) {
  for (const Entry& entry : entries())
    if (entry.name == name && entry.builtin == nullptr) return load_module(name).error;
  return "";
}

std::string default_backend_name() {
  for (const Entry& entry : entries())
    if (const Backend* backend = get(entry); backend != nullptr && !backend->runs_whole_graphs())
      return entry.name;
  return entries().back().name;  // the reference back end, which is built in
}

}  // namespace ntp
