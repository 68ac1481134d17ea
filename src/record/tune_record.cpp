#include "ntp/tune_record.h"

#include <fmt/format.h>

#include "json_fields.h"
#include "ntp/status.h"

namespace ntp {

namespace {

using record_detail::integer_at;
using record_detail::integer_or;
using record_detail::optional_number;

template <class T>
nlohmann::json optional_json(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json();
}

nlohmann::json measurement_json(const TuneMeasurement& measured) {
  return {{"median_ms", measured.median_ms},
          {"p99_ms", measured.p99_ms},
          {"items_per_second", measured.items_per_second},
          {"objective", measured.objective},
          {"samples", measured.samples}};
}

TuneMeasurement measurement_from(const nlohmann::json& object) {
  return {object.at("median_ms").get<double>(), object.at("p99_ms").get<double>(),
          object.at("items_per_second").get<double>(), object.at("objective").get<double>(),
          integer_at<std::int64_t>(object, "samples")};
}

}  // namespace

nlohmann::json TuneRecord::to_json() const {
  nlohmann::json configs_json = nlohmann::json::array();
  for (const TuneConfig& config : configs)
    configs_json.push_back({{"name", config.name},
                            {"backend", config.backend},
                            {"precision", config.precision},
                            {"measured", measurement_json(config.measured)},
                            {"predicted_ms", config.predicted_ms}});
  nlohmann::json layers_json = nlohmann::json::array();
  for (const TuneLayer& layer : layers) {
    nlohmann::json times = nlohmann::json::array();
    for (const auto& time : layer.time_ms)
      times.push_back(optional_json(time));
    layers_json.push_back({{"name", layer.name}, {"op", layer.op}, {"time_ms", times}});
  }
  nlohmann::json conversions_json = nlohmann::json::array();
  for (const TuneConversion& conversion : conversions)
    conversions_json.push_back({{"from", conversion.from},
                                {"to", conversion.to},
                                {"elements", conversion.elements},
                                {"ms", conversion.ms}});
  nlohmann::json candidates_json = nlohmann::json::array();
  for (const TuneCandidate& candidate : candidates) {
    nlohmann::json placement = nlohmann::json::array();
    for (const auto& [layer, config] : candidate.placement)
      placement.push_back({{"layer", layer}, {"config", config}});
    candidates_json.push_back(
        {{"name", candidate.name},
         {"placement", placement},
         {"predicted_ms", candidate.predicted_ms},
         {"measured", candidate.measured ? measurement_json(*candidate.measured) : nlohmann::json()},
         {"prediction_error", optional_json(candidate.prediction_error)},
         {"p_value", optional_json(candidate.p_value)},
         {"output_error", optional_json(candidate.output_error)},
         {"baseline", candidate.baseline},
         {"rejected", candidate.rejected}});
  }
  return {{"schema", kTuneRecordSchema},
          {"topology", topology},
          {"file", file},
          {"host", host},
          {"settings",
           {{"backends", settings.backends},
            {"precisions", settings.precisions},
            {"objective", settings.objective},
            {"max_latency_ms", optional_json(settings.max_latency_ms)},
            {"max_error", optional_json(settings.max_error)},
            {"rounds", settings.rounds},
            {"iterations", settings.iterations},
            {"warmup", settings.warmup},
            {"threads", settings.threads},
            {"streams", settings.streams},
            {"mode", settings.mode},
            {"seed", settings.seed}}},
          {"configs", configs_json},
          {"layers", layers_json},
          {"conversions", conversions_json},
          {"search", search},
          {"candidates", candidates_json},
          {"winner", winner},
          {"verdict", verdict}};
}

TuneRecord TuneRecord::from_json(const nlohmann::json& document) {
  const SourceLocation where{"<tune record>", 0, 0};
  if (record_detail::schema_of(document) != kTuneRecordSchema)
    throw UserError(where, fmt::format("not a tune record: its schema is not \"{}\"", kTuneRecordSchema),
                    "give a file written by `ntp tune --format json`");
  try {
    TuneRecord record;
    record.topology = document.at("topology").get<std::string>();
    record.file = document.value("file", "");
    record.host = document.value("host", "");
    const nlohmann::json& settings = document.at("settings");
    record.settings.backends = settings.at("backends").get<std::vector<std::string>>();
    record.settings.precisions = settings.at("precisions").get<std::vector<std::string>>();
    record.settings.objective = settings.at("objective").get<std::string>();
    record.settings.max_latency_ms = optional_number(settings, "max_latency_ms");
    record.settings.max_error = optional_number(settings, "max_error");
    record.settings.rounds = integer_at<int>(settings, "rounds");
    record.settings.iterations = integer_at<int>(settings, "iterations");
    record.settings.warmup = integer_at<int>(settings, "warmup");
    record.settings.threads = integer_at<int>(settings, "threads");
    record.settings.streams = integer_or(settings, "streams", 1);
    record.settings.mode = settings.value("mode", "latency");
    record.settings.seed = integer_or(settings, "seed", std::uint64_t{1});
    for (const nlohmann::json& config : document.at("configs"))
      record.configs.push_back({config.at("name").get<std::string>(), config.at("backend").get<std::string>(),
                                config.at("precision").get<std::string>(),
                                measurement_from(config.at("measured")),
                                config.at("predicted_ms").get<double>()});
    for (const nlohmann::json& layer : document.at("layers")) {
      TuneLayer parsed{layer.at("name").get<std::string>(), layer.at("op").get<std::string>(), {}};
      for (const nlohmann::json& time : layer.at("time_ms"))
        parsed.time_ms.push_back(time.is_null() ? std::nullopt : std::optional<double>(time.get<double>()));
      if (parsed.time_ms.size() != record.configs.size())
        throw record_detail::FieldError(fmt::format("layer '{}' has {} times for {} configurations",
                                                    parsed.name, parsed.time_ms.size(),
                                                    record.configs.size()));
      record.layers.push_back(std::move(parsed));
    }
    for (const nlohmann::json& conversion : document.at("conversions"))
      record.conversions.push_back(
          {conversion.at("from").get<std::string>(), conversion.at("to").get<std::string>(),
           integer_at<std::int64_t>(conversion, "elements"), conversion.at("ms").get<double>()});
    record.search = document.at("search").get<std::string>();
    for (const nlohmann::json& candidate : document.at("candidates")) {
      TuneCandidate parsed;
      parsed.name = candidate.at("name").get<std::string>();
      for (const nlohmann::json& place : candidate.at("placement"))
        parsed.placement.emplace_back(place.at("layer").get<std::string>(),
                                      place.at("config").get<std::string>());
      parsed.predicted_ms = candidate.at("predicted_ms").get<double>();
      if (!candidate.at("measured").is_null()) parsed.measured = measurement_from(candidate.at("measured"));
      parsed.prediction_error = optional_number(candidate, "prediction_error");
      parsed.p_value = optional_number(candidate, "p_value");
      parsed.output_error = optional_number(candidate, "output_error");
      parsed.baseline = candidate.value("baseline", false);
      parsed.rejected = candidate.value("rejected", "");
      record.candidates.push_back(std::move(parsed));
    }
    record.winner = integer_at<int>(document, "winner");
    if (record.winner < -1 || record.winner >= static_cast<int>(record.candidates.size()))
      throw record_detail::FieldError(fmt::format("'winner' {} names no candidate", record.winner));
    record.verdict = document.value("verdict", "");
    return record;
  } catch (const std::exception& error) {  // nlohmann::json::exception or record_detail::FieldError
    throw UserError(where, fmt::format("malformed tune record: {}", error.what()),
                    "write it again with `ntp tune --format json`");
  }
}

}  // namespace ntp
