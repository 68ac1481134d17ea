#include "ntp/check_record.h"

#include <fmt/format.h>

#include <algorithm>

#include "json_fields.h"
#include "ntp/status.h"

namespace ntp {

bool CheckRecord::pass() const {
  return failures() == 0;
}

int CheckRecord::failures() const {
  return static_cast<int>(
      std::count_if(layers.begin(), layers.end(), [](const LayerCheck& layer) { return !layer.pass; }));
}

nlohmann::json CheckRecord::to_json() const {
  nlohmann::json layers_json = nlohmann::json::array();
  for (const LayerCheck& layer : layers)
    layers_json.push_back({{"name", layer.name},
                           {"op", layer.op},
                           {"backend", layer.backend},
                           {"fallback", layer.fallback},
                           {"max_abs_error", layer.max_abs_error},
                           {"max_rel_error", layer.max_rel_error},
                           {"normalised_error", layer.normalised_error},
                           {"labels_differing", layer.labels_differing},
                           {"pass", layer.pass}});
  return {{"schema", kCheckRecordSchema}, {"topology", topology},   {"backend", backend},
          {"precision", precision},       {"tolerance", tolerance}, {"seed", seed},
          {"layers", layers_json},        {"pass", pass()}};
}

CheckRecord CheckRecord::from_json(const nlohmann::json& json) {
  const SourceLocation where{"<check record>", 0, 0};
  if (record_detail::schema_of(json) != kCheckRecordSchema)
    throw UserError(where, fmt::format("not a check record: its schema is not \"{}\"", kCheckRecordSchema),
                    "give a file written by `ntp check --format json`");
  try {
    CheckRecord record;
    record.topology = json.value("topology", "");
    record.backend = json.at("backend").get<std::string>();
    record.precision = json.at("precision").get<std::string>();
    record.tolerance = json.at("tolerance").get<double>();
    record.seed = record_detail::integer_or(json, "seed", std::uint64_t{1});
    for (const nlohmann::json& layer : json.at("layers"))
      record.layers.push_back(
          {layer.at("name").get<std::string>(), layer.at("op").get<std::string>(), layer.value("backend", ""),
           layer.value("fallback", false), layer.at("max_abs_error").get<double>(),
           layer.at("max_rel_error").get<double>(), layer.at("normalised_error").get<double>(),
           record_detail::integer_or(layer, "labels_differing", std::int64_t{0}),
           layer.at("pass").get<bool>()});
    return record;
  } catch (const std::exception& error) {  // nlohmann::json::exception or record_detail::FieldError
    throw UserError(where, fmt::format("malformed check record: {}", error.what()),
                    "write it again with `ntp check --format json`");
  }
}

}  // namespace ntp
