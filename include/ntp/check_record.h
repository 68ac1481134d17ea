// The check record: how far each layer's output on a back end is from the reference back end's, on the
// same seeded weights and inputs. Its JSON form is "ntp.check/1" (docs/report-schema.md).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ntp {

inline constexpr const char* kCheckRecordSchema = "ntp.check/1";

struct LayerCheck {
  std::string name, op;
  std::string backend;  // where the layer ran
  bool fallback = false;
  double max_abs_error = 0;
  double max_rel_error = 0;     // |error| / |reference|, over elements whose reference is not tiny
  double normalised_error = 0;  // max |error| / max |reference|
  // Integer outputs (a decoder's labels) are counted, not held to the tolerance: a tie broken the other
  // way is no numeric error.
  std::int64_t labels_differing = 0;
  bool pass = true;
};

struct CheckRecord {
  std::string topology;  // the graph's name
  std::string backend, precision;
  double tolerance = 0;  // on normalised_error
  std::uint64_t seed = 1;
  std::vector<LayerCheck> layers;

  bool pass() const;
  int failures() const;
  nlohmann::json to_json() const;
  static CheckRecord from_json(const nlohmann::json& json);  // throws UserError
};

}  // namespace ntp
