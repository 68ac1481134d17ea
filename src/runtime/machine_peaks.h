// This machine's ceilings for the roofline and the bound classification: the peak FLOP/s a back end's
// GEMM reaches and the memory bandwidth of a STREAM-style triad, measured by a short calibration run and
// cached per host, precision and thread count.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "ntp/backend.h"

namespace ntp::runtime {

struct MachinePeaks {
  double gflops_per_second = 0;  // the back end's best GEMM at this precision
  double gbytes_per_second = 0;  // triad over arrays larger than the last-level cache
  int threads = 0;               // threads both ran on (no more than the cores: more take turns)
  std::string backend;           // the back end whose GEMM set the peak
  std::string precision;         // the GEMM's (fp32 for int8 runs, and where the back end has no other)
  std::string host;
  std::string measured_at;  // UTC, ISO 8601
  std::string cache_file;   // where it is cached ("" when not cached)
  bool from_cache = false;
  std::int64_t expires_unix = 0;  // when the cache entry is measured again (a month; an hour under load)
  std::vector<std::string>
      notes;  // what the sanity checks found (fewer threads faster, load, capped threads)

  // FLOP per byte where the two ceilings meet: layers below it are limited by memory.
  double ridge() const { return gbytes_per_second > 0 ? gflops_per_second / gbytes_per_second : 0; }
  nlohmann::json to_json() const;
};

// The folder of cached calibrations: $NTP_CACHE_DIR, else $XDG_CACHE_HOME/ntp, else ~/.cache/ntp.
std::string peaks_cache_folder();

// Reads the cached calibration for this host, precision and thread count, or measures it (a few seconds)
// with `backend`'s GEMM and caches it. Pass the build's default (fastest) back end: the ceiling is the
// machine's, not a slow back end's. threads 0 means all cores; more than the cores calibrate the cores.
// Before caching, a multi-thread calibration is checked against one thread's (measured too): a ceiling
// below one thread's was disturbed, so it is measured again, and if it stays below, one thread's figure
// is kept and nothing is cached. A calibration under load is cached for an hour only. `recalibrate`
// ignores the cache (and renews it).
MachinePeaks machine_peaks(const Backend& backend, DType precision, int threads, bool recalibrate = false);

struct Ceilings {
  double gflops_per_second = 0;
  double gbytes_per_second = 0;
};
// `many` threads' ceilings against one thread's: each that is below one thread's is replaced by it (the
// machine reached that much), with a note; `trusted` is false when any was.
struct CheckedCeilings {
  Ceilings ceilings;
  bool trusted = true;
  std::vector<std::string> notes;
};
CheckedCeilings check_against_one_thread(const Ceilings& many, int threads, const Ceilings& one);

// The measurements alone, without the cache.
double measure_gemm_gflops(const Backend& backend, DType precision, int threads);
double measure_triad_gbytes(int threads);

}  // namespace ntp::runtime
