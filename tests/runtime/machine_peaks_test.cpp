// The roofline ceilings: measured once, then read back from the per-host cache until it expires or a
// recalibration; checked against one thread's before they are cached.
#include "runtime/machine_peaks.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "ntp/registry.h"

namespace {

// One cache folder for every step, so that each calibration the test needs is measured once.
TEST(MachinePeaks, MeasuredOnceReadFromTheCacheAndMeasuredAgainWhenExpiredOrAsked) {
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
  EXPECT_GT(measured.expires_unix, std::time(nullptr) + 3000);  // an hour at least

  // --recalibrate measures a fresh entry again; an expired one is measured again, then read.
  EXPECT_FALSE(ntp::runtime::machine_peaks(fastest, ntp::DType::f32, 1, true).from_cache);
  auto entry = nlohmann::json::parse(std::ifstream(measured.cache_file));
  entry["expires_unix"] = std::time(nullptr) - 1;
  std::ofstream(measured.cache_file) << entry.dump();
  EXPECT_FALSE(ntp::runtime::machine_peaks(fastest, ntp::DType::f32, 1).from_cache);
  EXPECT_TRUE(ntp::runtime::machine_peaks(fastest, ntp::DType::f32, 1).from_cache);

  // More threads than cores calibrate the cores, and say so.
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  const auto many = ntp::runtime::machine_peaks(fastest, ntp::DType::f32, cores + 97);
  EXPECT_EQ(many.threads, cores);
  ASSERT_FALSE(many.notes.empty());
  EXPECT_NE(
      many.notes[0].find(std::to_string(cores + 97) + " threads on " + std::to_string(cores) + " cores"),
      std::string::npos)
      << many.notes[0];
  ::unsetenv("NTP_CACHE_DIR");
  std::filesystem::remove_all(folder);
}

// Two threads below one thread is a disturbed calibration: one thread's figure stands, and it is said.
TEST(MachinePeaks, MoreThreadsBelowOneThreadAreNotTrusted) {
  const auto checked = ntp::runtime::check_against_one_thread({93, 20}, 2, {207, 12});
  EXPECT_FALSE(checked.trusted);
  EXPECT_DOUBLE_EQ(checked.ceilings.gflops_per_second, 207);
  EXPECT_DOUBLE_EQ(checked.ceilings.gbytes_per_second, 20);
  ASSERT_EQ(checked.notes.size(), 1u);
  EXPECT_NE(checked.notes[0].find("2 threads' GEMM measured 93 GFLOP/s, below one thread's 207"),
            std::string::npos)
      << checked.notes[0];
  const auto sane = ntp::runtime::check_against_one_thread({300, 20}, 2, {207, 12});
  EXPECT_TRUE(sane.trusted);
  EXPECT_TRUE(sane.notes.empty());
}

}  // namespace
