#include "perf_counters.h"

#include <fmt/format.h>
#include <linux/perf_event.h>
#include <perfmon/pfmlib_perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "ntp/status.h"

namespace ntp::profile {

namespace {

const std::map<std::string, std::vector<std::string>>& named_sets() {
  static const std::map<std::string, std::vector<std::string>> sets = {
      {"basic", {"cycles", "instructions", "branch-misses", "task-clock"}},
      {"cache", {"L1-dcache-loads", "L1-dcache-load-misses", "LLC-loads", "LLC-load-misses"}},
      {"memory", {"cache-references", "cache-misses", "dTLB-load-misses", "page-faults"}},
      // Level-1 top-down needs the PMU's slots events; these generic stall counters are what every x86 PMU
      // behind perf offers and give the front-end / back-end split.
      {"topdown", {"cycles", "instructions", "stalled-cycles-frontend", "stalled-cycles-backend"}},
      {"software", {"task-clock", "page-faults", "context-switches", "cpu-migrations"}},
  };
  return sets;
}

void initialize_pfm() {
  static const int status = pfm_initialize();
  if (status != PFM_SUCCESS)
    throw UserError({"<counters>", 0, 0},
                    fmt::format("libpfm4 did not initialise: {}", pfm_strerror(status)));
}

perf_event_attr encode(const std::string& name) {
  initialize_pfm();
  perf_event_attr attr{};
  pfm_perf_encode_arg_t arg{};
  arg.attr = &attr;
  arg.size = sizeof(arg);
  const int status = pfm_get_os_event_encoding(name.c_str(), PFM_PLM3, PFM_OS_PERF_EVENT, &arg);
  if (status != PFM_SUCCESS)
    throw UserError({"<command line>", 0, 0},
                    fmt::format("unknown counter '{}': {}", name, pfm_strerror(status)),
                    fmt::format("use perf's names (cycles, instructions, LLC-load-misses, task-clock), a raw "
                                "PMU event (`showevtinfo` from libpfm4 lists them) or a set: {}",
                                fmt::join(counter_set_names(), ", ")));
  attr.size = sizeof(attr);
  return attr;
}

int open_event(perf_event_attr attr, pid_t thread, int group_fd) {
  attr.disabled = group_fd < 0 ? 1 : 0;  // the leader starts the whole group
  attr.read_format = PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
  // Software events such as context switches happen in the kernel: count there where permitted.
  if (attr.type == PERF_TYPE_SOFTWARE) {
    attr.exclude_kernel = 0;
    const long fd = syscall(SYS_perf_event_open, &attr, thread, -1, group_fd, 0UL);
    if (fd >= 0) return static_cast<int>(fd);
    attr.exclude_kernel = 1;
  }
  return static_cast<int>(syscall(SYS_perf_event_open, &attr, thread, -1, group_fd, 0UL));
}

std::string open_failure(int error) {
  if (error == ENOENT || error == EOPNOTSUPP || error == ENODEV)
    return "this machine exposes no hardware PMU for it (virtual machines often do not); software events "
           "(task-clock, page-faults, context-switches) work everywhere";
  if (error == EACCES || error == EPERM) {
    std::ifstream paranoid("/proc/sys/kernel/perf_event_paranoid");
    int level = 0;
    paranoid >> level;
    return fmt::format(
        "not permitted (kernel.perf_event_paranoid is {}): run as root, give CAP_PERFMON, or "
        "lower it with sysctl",
        level);
  }
  return std::strerror(error);
}

std::vector<pid_t> threads_of_this_process() {
  std::vector<pid_t> threads;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task"))
    threads.push_back(static_cast<pid_t>(std::stol(entry.path().filename().string())));
  std::sort(threads.begin(), threads.end());
  return threads;
}

}  // namespace

std::vector<std::string> counter_set(const std::string& name) {
  const auto found = named_sets().find(name);
  return found == named_sets().end() ? std::vector<std::string>{} : found->second;
}

std::vector<std::string> counter_set_names() {
  std::vector<std::string> names;
  for (const auto& [name, events] : named_sets())
    names.push_back(name);
  return names;
}

std::vector<std::string> expand_counter_list(const std::string& list) {
  std::vector<std::string> events;
  std::size_t start = 0;
  while (start < list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    const std::string name = list.substr(start, comma - start);
    start = comma + 1;
    if (name.empty()) continue;
    std::vector<std::string> expanded = counter_set(name);
    if (expanded.empty()) expanded = {name};
    for (const std::string& event : expanded)
      if (std::find(events.begin(), events.end(), event) == events.end()) events.push_back(event);
  }
  return events;
}

PerfCounters::PerfCounters(const std::vector<std::string>& events) {
  std::vector<perf_event_attr> attributes;
  for (const std::string& name : events)
    attributes.push_back(encode(name));
  // Which events open at all is decided on this thread; each opened alone so one failure names its event.
  std::vector<perf_event_attr> usable;
  for (std::size_t e = 0; e < events.size(); ++e) {
    const int fd = open_event(attributes[e], 0, -1);
    if (fd < 0) {
      unavailable_.push_back({events[e], open_failure(errno)});
      continue;
    }
    close(fd);
    events_.push_back(events[e]);
    usable.push_back(attributes[e]);
  }
  if (usable.empty()) return;
  for (const pid_t thread : threads_of_this_process()) {
    ThreadGroup group;
    for (const perf_event_attr& attr : usable) {
      const int leader = group.fds.empty() ? -1 : group.fds.front();
      const int fd = open_event(attr, thread, leader);
      if (fd < 0 && leader < 0) break;  // the thread is gone
      group.fds.push_back(fd);
    }
    if (!group.fds.empty() && group.fds.front() >= 0) groups_.push_back(std::move(group));
  }
}

PerfCounters::~PerfCounters() {
  for (const ThreadGroup& group : groups_)
    for (const int fd : group.fds)
      if (fd >= 0) close(fd);
}

void PerfCounters::enable() {
  for (const ThreadGroup& group : groups_) {
    ioctl(group.fds.front(), PERF_EVENT_IOC_RESET, PERF_IOC_FLAG_GROUP);
    ioctl(group.fds.front(), PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP);
  }
}

void PerfCounters::disable() {
  for (const ThreadGroup& group : groups_)
    ioctl(group.fds.front(), PERF_EVENT_IOC_DISABLE, PERF_IOC_FLAG_GROUP);
}

CounterReading PerfCounters::read() const {
  CounterReading reading;
  reading.values.assign(events_.size(), 0.0);
  // PERF_FORMAT_GROUP: nr, time enabled, time running, then one value per member in opening order.
  std::vector<std::uint64_t> buffer(3 + events_.size());
  for (const ThreadGroup& group : groups_) {
    const ssize_t bytes = ::read(group.fds.front(), buffer.data(), buffer.size() * sizeof(std::uint64_t));
    if (bytes < static_cast<ssize_t>(3 * sizeof(std::uint64_t))) continue;
    const std::uint64_t members = buffer[0];
    const double enabled = static_cast<double>(buffer[1]);
    const double running = static_cast<double>(buffer[2]);
    const double scale = running > 0 ? enabled / running : 0;
    if (enabled > 0) reading.running_fraction = std::min(reading.running_fraction, running / enabled);
    std::size_t member = 0;
    for (std::size_t e = 0; e < events_.size() && member < members; ++e) {
      if (group.fds[e] < 0) continue;  // not open on this thread: not among the members
      reading.values[e] += static_cast<double>(buffer[3 + member]) * scale;
      ++member;
    }
  }
  return reading;
}

bool is_software_event(const std::string& name) {
  return encode(name).type == PERF_TYPE_SOFTWARE;
}

bool hardware_counters_available() {
  perf_event_attr attr{};
  attr.size = sizeof(attr);
  attr.type = PERF_TYPE_HARDWARE;
  attr.config = PERF_COUNT_HW_INSTRUCTIONS;
  attr.exclude_kernel = 1;
  attr.disabled = 1;
  const long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0UL);
  if (fd < 0) return false;
  close(static_cast<int>(fd));
  return true;
}

}  // namespace ntp::profile
