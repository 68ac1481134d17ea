// Back ends over a library are modules, loaded the first time they are asked for: a process that only lists
// the back ends (ntp --version, ntp inspect, most test programs) maps none of their libraries.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "ntp/registry.h"

namespace {

// This process's memory map (/proc/self/maps), which names every shared object it has loaded.
std::string maps() {
  std::ifstream file("/proc/self/maps");
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

bool mapped(const std::string& file) {
  return maps().find(file) != std::string::npos;
}

std::string module_file(const std::string& name) {
  return "/ntp_backend_" + name + ".so";
}

TEST(BackendModules, ListingTheBackEndsLoadsNoModuleAndNoLibrary) {
  EXPECT_EQ(ntp::backend_names().size(), ntp::backend_module_names().size() + 1);  // and reference
  EXPECT_EQ(ntp::backend_names().back(), "reference");
  const std::string loaded = maps();
  for (const std::string& name : ntp::backend_module_names())
    EXPECT_EQ(loaded.find(module_file(name)), std::string::npos) << name;
  for (const char* library : {"libdnnl", "libtorch", "libc10", "libopencv_", "libgomp"})
    EXPECT_EQ(loaded.find(library), std::string::npos) << library << " is mapped:\n" << loaded;
}

class BackendModule : public ::testing::TestWithParam<std::string> {};

// Asking for one back end loads its module and no other.
TEST_P(BackendModule, IsLoadedTheFirstTimeItIsAskedForAndNoOtherIs) {
  const std::string name = GetParam();
  ASSERT_FALSE(mapped(module_file(name)));
  const ntp::Backend* backend = ntp::find_backend(name);
  ASSERT_NE(backend, nullptr) << ntp::backend_load_error(name);
  EXPECT_EQ(backend->name(), name);
  EXPECT_EQ(ntp::backend_load_error(name), "");
  EXPECT_TRUE(mapped(module_file(name)));
  for (const std::string& other : ntp::backend_module_names()) {
    if (other == name) continue;
    EXPECT_FALSE(mapped(module_file(other))) << other;
  }
  EXPECT_EQ(ntp::find_backend(name), backend);  // once per process
}

INSTANTIATE_TEST_SUITE_P(EveryModule, BackendModule, ::testing::ValuesIn(ntp::backend_module_names()),
                         [](const auto& param_info) { return param_info.param; });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(BackendModule);  // a build without any back-end library

}  // namespace
