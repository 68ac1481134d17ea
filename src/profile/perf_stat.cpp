#include "profile/perf_stat.h"

#include <sstream>

namespace ntp::profile {

namespace {

std::vector<std::string> fields_of(const std::string& line, char separator) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream stream(line);
  while (std::getline(stream, field, separator))
    fields.push_back(field);
  return fields;
}

double number_or(const std::string& text, double fallback) {
  try {
    std::size_t used = 0;
    const double value = std::stod(text, &used);
    return used > 0 ? value : fallback;
  } catch (const std::exception&) {
    return fallback;
  }
}

}  // namespace

std::vector<PerfStatCount> parse_perf_stat(const std::string& text, char separator) {
  std::vector<PerfStatCount> counts;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::vector<std::string> fields = fields_of(line, separator);
    if (fields.size() < 3 || fields[2].empty()) continue;
    PerfStatCount count;
    count.event = fields[2];
    count.unit = fields[1];
    if (!fields[0].empty() && fields[0][0] == '<') {
      count.status = fields[0].substr(1, fields[0].find('>') - 1);
    } else {
      count.counted = true;
      count.value = number_or(fields[0], 0);
    }
    if (fields.size() > 4) count.running_fraction = number_or(fields[4], 100) / 100;
    counts.push_back(std::move(count));
  }
  return counts;
}

}  // namespace ntp::profile
