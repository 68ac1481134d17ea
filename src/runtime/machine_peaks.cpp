#include "machine_peaks.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <vector>

#include "io/files.h"
#include "ntp/executable.h"
#include "ntp/topology.h"
#include "ntp/weights.h"
#include "profile/quality.h"
#include "profile/step_timer.h"

namespace ntp::runtime {

namespace {

constexpr int kCacheVersion = 2;                          // 2: expires_unix and notes
constexpr std::int64_t kCacheSeconds = 30LL * 24 * 3600;  // a month: new firmware, a moved VM
constexpr std::int64_t kCacheSecondsUnderLoad = 3600;     // what another job's load cost it may pass

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int cores() {
  return static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
}

std::string host_name() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

int effective_threads(int threads) {
  return threads > 0 ? std::min(threads, cores()) : cores();
}

std::string cache_path(DType precision, int threads) {
  std::string file = fmt::format("peaks-{}-{}-{}t.json", host_name(), dtype_name(precision), threads);
  for (char& c : file)
    if (c == '/' || c == ' ') c = '_';
  return (std::filesystem::path(peaks_cache_folder()) / file).string();
}

std::size_t triad_array_bytes() {
  const long last_level = std::max(::sysconf(_SC_LEVEL3_CACHE_SIZE), ::sysconf(_SC_LEVEL2_CACHE_SIZE));
  return std::clamp<std::size_t>(2 * static_cast<std::size_t>(std::max(0L, last_level)), 64UL << 20,
                                 512UL << 20);
}

}  // namespace

nlohmann::json MachinePeaks::to_json() const {
  return {
      {"gflops_per_second", gflops_per_second},
      {"gbytes_per_second", gbytes_per_second},
      {"ridge_flops_per_byte", ridge()},
      {"threads", threads},
      {"backend", backend},
      {"precision", precision},
      {"host", host},
      {"measured_at", measured_at},
      {"cache_file", cache_file},
      {"from_cache", from_cache},
      {"expires_unix", expires_unix},
      {"notes", notes},
      {"triad_array_mib", static_cast<double>(triad_array_bytes()) / (1 << 20)},
      {"how",
       "peak: the best of up to 20 runs (at least 2, for about a second) of a 256x1024 by 1024x1024 fc (a "
       "GEMM) on the fastest back end of this build at the run's precision (fp32 where it has no other); "
       "bandwidth: the best of 3 passes of a triad a = b + s*c over three arrays of twice the last-level "
       "cache the OS reports (64 to 512 MiB each), split over the threads, counting 3 arrays' bytes per "
       "pass as STREAM does; both on the run's thread count (at most the cores), cached per host, precision "
       "and threads for a month (an hour when measured under load; ntp run --recalibrate measures again); "
       "more threads measuring below one thread's is taken as disturbance: measured again, and one thread's "
       "figure kept (not cached) if it stays below"}};
}

std::string peaks_cache_folder() {
  if (const char* folder = std::getenv("NTP_CACHE_DIR"); folder != nullptr && *folder != '\0') return folder;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0')
    return (std::filesystem::path(xdg) / "ntp").string();
  const char* home = std::getenv("HOME");
  return (std::filesystem::path(home != nullptr ? home : "/tmp") / ".cache" / "ntp").string();
}

double measure_gemm_gflops(const Backend& backend, DType precision, int threads) {
  const std::string text =
      "<topology name=\"calibration-gemm\">"
      "<input name=\"x\" shape=\"256,1024\" dtype=\"fp32\" range=\"-1,1\"/>"
      "<layer name=\"gemm\" type=\"fc\" units=\"1024\"/>"
      "</topology>";
  Result<Graph> loaded = parse_topology(text, "<calibration>", {{}, precision});
  if (!loaded) throw std::runtime_error("the calibration GEMM did not load: " + loaded.error().to_string());
  const Graph& graph = loaded.value();
  const WeightStore weights = generate_weights(graph, 1);
  const std::map<std::string, Tensor> inputs = generate_inputs(graph, 1);
  Executable executable(graph, backend, {precision, threads, &weights, nullptr});
  const double flops = 2.0 * 256 * 1024 * 1024;
  executable.run(inputs, nullptr);  // warm-up: the library's first call creates its kernels
  // The best of 20 runs, or of what fits in one second (a slow back end such as reference).
  double best = 0;
  const std::int64_t deadline = profile::now_ns() + 1'000'000'000;
  for (int i = 0; i < 20 && (i < 2 || profile::now_ns() < deadline); ++i) {
    const std::int64_t start = profile::now_ns();
    executable.run(inputs, nullptr);
    const double seconds = static_cast<double>(profile::now_ns() - start) * 1e-9;
    best = std::max(best, flops / seconds * 1e-9);
  }
  return best;
}

double measure_triad_gbytes(int threads) {
  const std::size_t bytes = triad_array_bytes();
  const std::size_t count = bytes / sizeof(double);
  std::unique_ptr<double[]> a(new double[count]);
  std::unique_ptr<double[]> b(new double[count]);
  std::unique_ptr<double[]> c(new double[count]);
  const auto in_parallel = [&](auto&& body) {
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
      workers.emplace_back([&, t] {
        const std::size_t begin = count * static_cast<std::size_t>(t) / static_cast<std::size_t>(threads);
        const std::size_t end = count * static_cast<std::size_t>(t + 1) / static_cast<std::size_t>(threads);
        body(begin, end);
      });
    for (auto& worker : workers)
      worker.join();
  };
  // First touch on the threads that use the pages.
  in_parallel([&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      a[i] = 0;
      b[i] = 1;
      c[i] = 2;
    }
  });
  double best = 0;
  for (int pass = 0; pass < 3; ++pass) {
    const double scale = 0.5 + pass;
    const std::int64_t start = profile::now_ns();
    in_parallel([&](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i)
        a[i] = b[i] + scale * c[i];
    });
    const double seconds = static_cast<double>(profile::now_ns() - start) * 1e-9;
    best = std::max(best, 3.0 * static_cast<double>(bytes) / seconds * 1e-9);
  }
  // Keep the stores observable.
  if (a[count / 2] < 0) std::fputs("", stderr);
  return best;
}

CheckedCeilings check_against_one_thread(const Ceilings& many, int threads, const Ceilings& one) {
  CheckedCeilings checked{many, true, {}};
  const auto check = [&](double& value, double single, const char* what, const char* unit) {
    if (value >= single) return;
    checked.notes.push_back(fmt::format(
        "{} threads' {} measured {:.3g} {}, below one thread's {:.3g}: disturbed (other work ran?); one "
        "thread's figure is the ceiling, and it is not cached",
        threads, what, value, unit, single));
    value = single;
    checked.trusted = false;
  };
  check(checked.ceilings.gflops_per_second, one.gflops_per_second, "GEMM", "GFLOP/s");
  check(checked.ceilings.gbytes_per_second, one.gbytes_per_second, "triad", "GB/s");
  return checked;
}

MachinePeaks machine_peaks(const Backend& backend, DType wanted, int threads, bool recalibrate) {
  const auto& precisions = backend.precisions();
  const DType precision =
      std::find(precisions.begin(), precisions.end(), wanted) != precisions.end() && wanted != DType::s8
          ? wanted
          : DType::f32;
  const int used_threads = effective_threads(threads);
  MachinePeaks peaks;
  peaks.threads = used_threads;
  peaks.backend = backend.name();
  peaks.precision = std::string(dtype_name(precision));
  peaks.host = host_name();
  peaks.cache_file = cache_path(precision, used_threads);
  // Said on every return, and never cached: the cache is the cores' figure, whatever was asked.
  const auto with_thread_note = [&](MachinePeaks& result) -> MachinePeaks& {
    if (threads > cores())
      result.notes.insert(result.notes.begin(),
                          fmt::format("{} threads on {} cores: the ceilings are the cores' (threads beyond "
                                      "them take turns)",
                                      threads, cores()));
    return result;
  };
  if (!recalibrate) {
    std::ifstream cached(peaks.cache_file);
    const nlohmann::json json = cached ? nlohmann::json::parse(cached, nullptr, false) : nlohmann::json();
    if (json.is_object() && json.value("version", 0) == kCacheVersion &&
        json.value("expires_unix", std::int64_t{0}) > unix_now()) {
      peaks.gflops_per_second = json.value("gflops_per_second", 0.0);
      peaks.gbytes_per_second = json.value("gbytes_per_second", 0.0);
      peaks.measured_at = json.value("measured_at", std::string());
      peaks.backend = json.value("backend", peaks.backend);
      peaks.expires_unix = json.value("expires_unix", std::int64_t{0});
      const auto notes = json.value("notes", std::vector<std::string>{});
      peaks.notes.insert(peaks.notes.end(), notes.begin(), notes.end());
      peaks.from_cache = peaks.gflops_per_second > 0 && peaks.gbytes_per_second > 0;
      if (peaks.from_cache) return with_thread_note(peaks);
    }
  }
  std::fprintf(stderr, "ntp: measuring this machine's peak FLOP/s and memory bandwidth (cached in %s)\n",
               peaks.cache_file.c_str());
  Ceilings measured{measure_gemm_gflops(backend, precision, used_threads),
                    measure_triad_gbytes(used_threads)};
  bool trusted = true;
  if (used_threads > 1) {
    const MachinePeaks one = machine_peaks(backend, precision, 1, recalibrate);
    const Ceilings single{one.gflops_per_second, one.gbytes_per_second};
    // Below one thread is what a competing job does to a calibration: measure again, keep the best.
    for (int again = 0; again < 2 && (measured.gflops_per_second < single.gflops_per_second ||
                                      measured.gbytes_per_second < single.gbytes_per_second);
         ++again) {
      if (measured.gflops_per_second < single.gflops_per_second)
        measured.gflops_per_second =
            std::max(measured.gflops_per_second, measure_gemm_gflops(backend, precision, used_threads));
      if (measured.gbytes_per_second < single.gbytes_per_second)
        measured.gbytes_per_second = std::max(measured.gbytes_per_second, measure_triad_gbytes(used_threads));
    }
    CheckedCeilings checked = check_against_one_thread(measured, used_threads, single);
    measured = checked.ceilings;
    trusted = checked.trusted;
    peaks.notes.insert(peaks.notes.end(), checked.notes.begin(), checked.notes.end());
  }
  peaks.gflops_per_second = measured.gflops_per_second;
  peaks.gbytes_per_second = measured.gbytes_per_second;
  peaks.measured_at = profile::utc_now();
  // The load average counts the calibration's own threads; one more busy task is other work.
  const std::optional<double> load = profile::load_average();
  const bool under_load = load && *load - used_threads >= 1;
  if (under_load)
    peaks.notes.push_back(
        fmt::format("measured under a load of {:.1f} on {} cores: cached for an hour only", *load, cores()));
  peaks.expires_unix = unix_now() + (under_load ? kCacheSecondsUnderLoad : kCacheSeconds);
  if (!trusted) {
    peaks.cache_file.clear();
    return with_thread_note(peaks);
  }
  // Written whole to a temporary file and renamed, so a parallel run never reads half of it.
  std::error_code error;
  std::filesystem::create_directories(peaks_cache_folder(), error);
  try {
    io::write_file(peaks.cache_file,
                   nlohmann::json{{"version", kCacheVersion},
                                  {"gflops_per_second", peaks.gflops_per_second},
                                  {"gbytes_per_second", peaks.gbytes_per_second},
                                  {"measured_at", peaks.measured_at},
                                  {"expires_unix", peaks.expires_unix},
                                  {"notes", peaks.notes},
                                  {"host", peaks.host},
                                  {"backend", peaks.backend},
                                  {"precision", peaks.precision},
                                  {"threads", peaks.threads}}
                           .dump(2) +
                       "\n",
                   "the machine's ceilings cache");
  } catch (const UserError&) {
    peaks.cache_file.clear();  // measured, not cached: the next run measures again
  }
  return with_thread_note(peaks);
}

}  // namespace ntp::runtime
