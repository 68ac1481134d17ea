#include "callgrind_dumps.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ntp/status.h"

namespace ntp::profile {

namespace {

std::vector<double> numbers_after(const std::string& line, std::size_t prefix) {
  std::istringstream stream(line.substr(prefix));
  std::vector<double> values;
  double value = 0;
  while (stream >> value)
    values.push_back(value);
  return values;
}

}  // namespace

CallgrindCounts parse_callgrind_dumps(const std::string& folder) {
  CallgrindCounts counts;
  const std::string trigger = "desc: Trigger: Client Request: ntp-step:";
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.path().filename().string().rfind("callgrind.out", 0) != 0) continue;
    std::ifstream file(entry.path());
    std::string line;
    int step = -1;
    std::vector<std::string> events;
    while (std::getline(file, line)) {
      if (line.rfind(trigger, 0) == 0) {
        step = std::stoi(line.substr(trigger.size()));
      } else if (line.rfind("events: ", 0) == 0) {
        std::istringstream names(line.substr(8));
        events.clear();
        for (std::string name; names >> name;)
          events.push_back(name);
      } else if (line.rfind("desc: ", 0) == 0 && line.find(" cache: ") != std::string::npos &&
                 counts.cache_description.find(line.substr(6)) == std::string::npos) {
        counts.cache_description += (counts.cache_description.empty() ? "" : "; ") + line.substr(6);
      } else if (line.rfind("summary: ", 0) == 0 && step >= 0) {
        std::vector<double> values = numbers_after(line, 9);
        values.resize(events.size(), 0.0);  // trailing zero counts are left out of the line
        counts.events = events;
        counts.steps[step] = std::move(values);
      }
    }
  }
  if (counts.steps.empty())
    throw UserError({folder, 0, 0}, "callgrind wrote no per-layer dumps",
                    "check that valgrind runs here (`valgrind --tool=callgrind true`)");
  return counts;
}

}  // namespace ntp::profile
