#include "profile/papi_counters.h"

#include <fmt/format.h>

#include "ntp/status.h"

#if NTP_HAVE_PAPI
#include <papi.h>
#endif

namespace ntp::profile {

namespace {

const SourceLocation kTool{"<--tool papi>", 0, 0};

#if NTP_HAVE_PAPI

void check(int status, const char* what) {
  if (status != PAPI_OK) throw UserError(kTool, fmt::format("PAPI {}: {}", what, PAPI_strerror(status)));
}

// Why the CPU component cannot count, in its own words.
std::string cpu_component_reason(const PAPI_component_info_t* cpu) {
  if (cpu == nullptr) return "no CPU component";
  return fmt::format("{}: {}", cpu->name, cpu->disabled != 0 ? cpu->disabled_reason : "no counters");
}

class PapiCounters final : public CounterSource {
 public:
  explicit PapiCounters(const std::vector<std::string>& names) {
    if (PAPI_is_initialized() == PAPI_NOT_INITED && PAPI_library_init(PAPI_VER_CURRENT) != PAPI_VER_CURRENT)
      throw UserError(kTool, "PAPI did not initialise", "check the installation of libpapi");
    const PAPI_component_info_t* cpu = PAPI_get_component_info(0);
    if (cpu == nullptr || cpu->disabled != 0 || cpu->num_cntrs + cpu->num_mpx_cntrs == 0)
      throw UserError(kTool,
                      fmt::format("PAPI finds no counters on this machine ({})", cpu_component_reason(cpu)),
                      "virtual machines often expose no PMU: --counters software reads perf_event's software "
                      "events directly, and --tool callgrind simulates caches");
    check(PAPI_create_eventset(&event_set_), "create_eventset");
    check(PAPI_assign_eventset_component(event_set_, 0), "assign_eventset_component");
    PAPI_option_t inherit{};
    inherit.inherit.eventset = event_set_;
    inherit.inherit.inherit = PAPI_INHERIT_ALL;
    PAPI_set_opt(PAPI_INHERIT, &inherit);  // counts threads started later too, where the kernel allows
    for (const std::string& name : names) {
      int code = 0;
      int status = PAPI_event_name_to_code(name.c_str(), &code);
      if (status == PAPI_OK) status = PAPI_add_event(event_set_, code);
      if (status == PAPI_OK)
        events_.push_back(name);
      else
        unavailable_.push_back({name, fmt::format("PAPI: {}", PAPI_strerror(status))});
    }
  }
  ~PapiCounters() override {
    long long ignored[64];
    if (started_) PAPI_stop(event_set_, ignored);
    PAPI_cleanup_eventset(event_set_);
    PAPI_destroy_eventset(&event_set_);
  }
  const std::vector<std::string>& events() const override { return events_; }
  const std::vector<UnavailableEvent>& unavailable() const override { return unavailable_; }
  int threads() const override { return 1; }
  void enable() override {
    if (events_.empty()) return;
    check(PAPI_start(event_set_), "start");
    started_ = true;
  }
  void disable() override {
    if (!started_) return;
    std::vector<long long> values(events_.size());
    PAPI_stop(event_set_, values.data());
    started_ = false;
  }
  CounterReading read() const override {
    std::vector<long long> values(events_.size(), 0);
    if (started_) PAPI_read(event_set_, values.data());
    CounterReading reading;
    reading.values.assign(values.begin(), values.end());
    return reading;
  }

 private:
  int event_set_ = PAPI_NULL;
  bool started_ = false;
  std::vector<std::string> events_;
  std::vector<UnavailableEvent> unavailable_;
};

#endif

}  // namespace

bool papi_built() {
  return NTP_HAVE_PAPI != 0;
}

std::unique_ptr<CounterSource> make_papi_counters(const std::vector<std::string>& events) {
#if NTP_HAVE_PAPI
  return std::make_unique<PapiCounters>(events);
#else
  (void)events;
  throw UserError(kTool, "this build of ntp has no PAPI",
                  "install libpapi-dev (scripts/install-deps.sh does) and build again, or use --counters");
#endif
}

}  // namespace ntp::profile
