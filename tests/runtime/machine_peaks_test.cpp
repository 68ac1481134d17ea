// The roofline ceilings: measured once, then read back from the per-host cache.
#include "runtime/machine_peaks.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "ntp/registry.h"

namespace {

TEST(MachinePeaks, MeasuredOnceThenReadFromTheCache) {
  const auto folder = std::filesystem::temp_directory_path() / ("ntp-peaks-" + std::to_string(::getpid()));
  ::setenv("NTP_CACHE_DIR", folder.c_str(), 1);
  const ntp::Backend& fastest = *ntp::find_backend(ntp::default_backend_name());
  const auto measured = ntp::runtime::machine_peaks(fastest, ntp::DType::f32, 1);
  EXPECT_FALSE(measured.from_cache);
  EXPECT_GT(measured.gflops_per_second, 0.01);
  EXPECT_GT(measured.gbytes_per_second, 0.1);
  EXPECT_LT(measured.gbytes_per_second, 10000.0);
  EXPECT_EQ(measured.threads, 1);
  EXPECT_EQ(measured.backend, ntp::default_backend_name());
  EXPECT_TRUE(std::filesystem::exists(measured.cache_file)) << measured.cache_file;
  EXPECT_EQ(std::filesystem::path(measured.cache_file).parent_path(), folder);
  const auto cached = ntp::runtime::machine_peaks(fastest, ntp::DType::f32, 1);
  EXPECT_TRUE(cached.from_cache);
  EXPECT_DOUBLE_EQ(cached.gflops_per_second, measured.gflops_per_second);
  EXPECT_DOUBLE_EQ(cached.ridge(), measured.gflops_per_second / measured.gbytes_per_second);
  ::unsetenv("NTP_CACHE_DIR");
  std::filesystem::remove_all(folder);
}

}  // namespace
