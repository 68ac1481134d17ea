// The typed records: their JSON forms round-trip, keep what newer writers add, and refuse what is not one.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ntp/check_record.h"
#include "ntp/registry.h"
#include "ntp/run_record.h"
#include "ntp/session.h"
#include "ntp/tune_record.h"
#include "session/model_specs.h"

namespace {

// A real record: DeepSpeech's end-to-end pipeline (audio, inlays, decoders, segments), briefly.
const ntp::RunRecord& measured_record() {
  static const ntp::RunRecord record = [] {
    const ntp::Model model =
        ntp::Model::load(example_spec("deepspeech-v0.1-e2e.xml", {"hidden=64", "samples=8000"}));
    ntp::ProfileOptions options;
    options.backend = "reference";
    options.warmup = 1;
    options.iterations = 3;
    options.counters = "software";
    options.classify_bounds = false;
    return ntp::run(model, options).record;
  }();
  return record;
}

TEST(RunRecord, JsonRoundTripsExactly) {
  const nlohmann::json json = measured_record().to_json();
  EXPECT_EQ(json["schema"], "ntp.run/1");
  const ntp::RunRecord again = ntp::RunRecord::from_json(json);
  EXPECT_EQ(again.to_json().dump(), json.dump());
}

TEST(RunRecord, TypedFieldsHoldTheMeasurement) {
  const ntp::RunRecord& record = measured_record();
  EXPECT_EQ(record.options.backend, "reference");
  EXPECT_EQ(record.options.iterations, 3);
  EXPECT_EQ(record.latency.ms.count, 3U);
  EXPECT_EQ(record.latency_samples_ms.size(), 3U);
  EXPECT_GT(record.latency.ms.median, 0.0);
  EXPECT_LE(record.latency.ms.min, record.latency.ms.median);
  ASSERT_FALSE(record.nodes.empty());
  double shares = 0;
  for (const ntp::NodeRecord& node : record.nodes) {
    ASSERT_TRUE(node.time.has_value()) << node.name;
    EXPECT_EQ(node.time->samples_ms.size(), 3U) << node.name;
    shares += node.time->share;
  }
  // The steps' medians roughly add up to the end-to-end median (the residual is the rest).
  EXPECT_GT(shares, 0.5);
  EXPECT_LT(shares, 1.5);
  const ntp::NodeRecord* lstm = nullptr;
  for (const ntp::NodeRecord& node : record.nodes)
    if (node.op == "lstm") lstm = &node;
  ASSERT_NE(lstm, nullptr);
  ASSERT_TRUE(lstm->cost.has_value());
  EXPECT_GT(lstm->cost->flops, 0.0);
  EXPECT_EQ(record.find_node(lstm->name), lstm);
  EXPECT_EQ(record.find_node("no such layer"), nullptr);
  ASSERT_TRUE(record.counters.has_value());
  EXPECT_EQ(record.counters->source, "perf_event");
  // Sections other writers add stay JSON, by key: the decoders' transcripts, the audio, the aggregates.
  EXPECT_TRUE(record.sections.count("transcripts"));
  EXPECT_TRUE(record.sections.count("audio"));
  EXPECT_TRUE(record.sections.count("aggregates"));
}

TEST(RunRecord, KeepsWhatANewerWriterAdded) {
  nlohmann::json json = measured_record().to_json();
  json["nodes"][0]["future_metric"] = 42;
  json["future_section"] = {{"value", 1}};
  json["segments"][0]["bound"] = {{"class", "memory"}};
  const ntp::RunRecord record = ntp::RunRecord::from_json(json);
  EXPECT_EQ(record.nodes[0].extra["future_metric"], 42);
  EXPECT_EQ(record.sections.at("future_section")["value"], 1);
  EXPECT_EQ(record.to_json().dump(), json.dump());
}

TEST(RunRecord, RefusesWhatIsNotOne) {
  EXPECT_THROW(ntp::RunRecord::from_json(nlohmann::json::array()), ntp::UserError);
  EXPECT_THROW(ntp::RunRecord::from_json({{"schema", "ntp.sweep/1"}}), ntp::UserError);
  nlohmann::json json = measured_record().to_json();
  json["nodes"][0]["time_ms"] = "fast";
  try {
    ntp::RunRecord::from_json(json);
    FAIL() << "a node time that is text was read";
  } catch (const ntp::UserError& error) {
    EXPECT_NE(error.diagnostic().message.find("malformed run record"), std::string::npos);
  }
  json = measured_record().to_json();
  json.erase("nodes");
  EXPECT_THROW(ntp::RunRecord::from_json(json), ntp::UserError);
}

TEST(CheckRecord, JsonRoundTripsAndCountsFailures) {
  ntp::CheckRecord record;
  record.topology = "t";
  record.backend = "onednn";
  record.precision = "bf16";
  record.tolerance = 0.05;
  record.seed = 7;
  record.layers.push_back({"a", "fc", "onednn", false, 0.01, 0.02, 0.001, 0, true});
  record.layers.push_back({"b", "ctc_greedy", "reference", true, 0.5, 0.5, 0.2, 3, false});
  EXPECT_FALSE(record.pass());
  EXPECT_EQ(record.failures(), 1);
  const nlohmann::json json = record.to_json();
  EXPECT_EQ(json["schema"], "ntp.check/1");
  EXPECT_EQ(json["pass"], false);
  EXPECT_EQ(ntp::CheckRecord::from_json(json).to_json().dump(), json.dump());
  EXPECT_THROW(ntp::CheckRecord::from_json({{"schema", "ntp.run/1"}}), ntp::UserError);
}

// A tune through the library, small: its record round-trips, keeps a run per candidate, and a winner it does
// not have is a malformed record.
TEST(TuneRecord, ALibraryTuneRoundTripsAndRefusesAWinnerItLacks) {
  ntp::TuneOptions options;
  options.backends = {"reference"};
  if (ntp::default_backend_name() != "reference") options.backends.push_back(ntp::default_backend_name());
  options.rounds = 1;
  options.profile.iterations = 2;
  options.profile.warmup = 0;
  const ntp::TuneResult result =
      ntp::tune(example_spec("small-cnn.xml", {"size=16", "width=4"}), {}, options);
  EXPECT_EQ(result.runs.size(), result.record.candidates.size());
  EXPECT_EQ(result.record.configs.size(), options.backends.size());
  const nlohmann::json json = result.record.to_json();
  EXPECT_EQ(ntp::TuneRecord::from_json(json).to_json().dump(), json.dump());
  nlohmann::json wrong = json;
  wrong["winner"] = static_cast<int>(result.record.candidates.size());
  EXPECT_THROW(ntp::TuneRecord::from_json(wrong), ntp::UserError);
  EXPECT_THROW(ntp::TuneRecord::from_json({{"schema", "ntp.run/1"}}), ntp::UserError);
  // A placement file of its winner names every layer.
  const std::string text = ntp::placement_file_text(result.record, std::max(result.record.winner, 0));
  for (const ntp::TuneLayer& layer : result.record.layers)
    EXPECT_NE(text.find("\n" + layer.name + "="), std::string::npos) << text;
}

// Found by fuzzing (tests/fuzz/corpus/records/): a schema of the wrong JSON type was read outside the
// reader's error handling, and integer fields took floats out of their range (undefined behaviour) and
// negative values into unsigned fields. Each is a malformed record naming the key.
TEST(RunRecord, FieldsOfTheWrongTypeOrRangeAreMalformedRecords) {
  EXPECT_THROW(ntp::RunRecord::from_json({{"schema", {{"dian", "x"}}}}), ntp::UserError);
  EXPECT_THROW(ntp::CheckRecord::from_json({{"schema", 3}}), ntp::UserError);
  const auto message_of = [](const nlohmann::json& json) {
    try {
      ntp::RunRecord::from_json(json);
    } catch (const ntp::UserError& error) {
      EXPECT_FALSE(error.diagnostic().hint.empty());
      return error.diagnostic().message;
    }
    ADD_FAILURE() << "read: " << json.dump().substr(0, 200);
    return std::string();
  };
  nlohmann::json json = measured_record().to_json();
  json["options"]["threads"] = 1e300;
  EXPECT_NE(message_of(json).find("'threads' must be an integer"), std::string::npos);
  json = measured_record().to_json();
  json["latency"]["count"] = -1;
  EXPECT_NE(message_of(json).find("'count' must be an integer from 0"), std::string::npos);
  json = measured_record().to_json();
  json["nodes"][0]["step"] = 2.5;
  EXPECT_NE(message_of(json).find("'step'"), std::string::npos);
  nlohmann::json check = {{"schema", "ntp.check/1"}, {"backend", "b"}, {"precision", "fp32"},
                          {"tolerance", 0.1},        {"seed", -7},     {"layers", nlohmann::json::array()}};
  EXPECT_THROW(ntp::CheckRecord::from_json(check), ntp::UserError);
}

}  // namespace
