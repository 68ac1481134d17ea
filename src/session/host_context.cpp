#include "host_context.h"

#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "ntp/session.h"
#include "profile/step_timer.h"

#ifndef NTP_GIT_COMMIT
#define NTP_GIT_COMMIT "unknown"
#endif

namespace ntp::session {

namespace {
// The ISA extensions that decide which kernels inference libraries pick.
const std::set<std::string> kInterestingFlags = {
    "sse4_2",   "avx",         "avx2",        "fma",         "f16c",     "avx512f",  "avx512bw",
    "avx512vl", "avx512_vnni", "avx512_bf16", "avx512_fp16", "avx_vnni", "amx_bf16", "amx_int8",
    "amx_tile", "asimd",       "sve",         "bf16",        "i8mm"};

}  // namespace

RunContext host_context() {
  RunContext context;
  char hostname[256] = {};
  ::gethostname(hostname, sizeof hostname - 1);
  context.host = hostname;
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  std::string model = "unknown";
  std::vector<std::string> flags;
  while (std::getline(cpuinfo, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t'))
      key.pop_back();
    const std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
    if (key == "model name" && model == "unknown") model = value;
    if ((key == "flags" || key == "Features") && flags.empty()) {
      std::istringstream words(value);
      std::string flag;
      while (words >> flag)
        if (kInterestingFlags.count(flag) != 0) flags.push_back(flag);
    }
  }
  context.cpu_model = model;
  context.isa = flags;
  context.cores = std::thread::hardware_concurrency();
  context.memory_bytes =
      static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGESIZE));
  context.ntp_version = library_version();
  context.git_commit = NTP_GIT_COMMIT;
  context.date = profile::utc_now();
  return context;
}

}  // namespace ntp::session
