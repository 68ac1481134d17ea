// Model specs of the examples, for the session tests.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ntp/session.h"

inline ntp::ModelSpec example_spec(const std::string& name, std::vector<std::string> sets = {},
                                   std::optional<long long> batch = std::nullopt) {
  ntp::ModelSpec spec;
  spec.file = std::string(NTP_SOURCE_DIR) + "/examples/" + name;
  spec.sets = std::move(sets);
  spec.batch = batch;
  return spec;
}
