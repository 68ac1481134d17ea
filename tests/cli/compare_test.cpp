// `ntp compare`: saved run records lined up layer by layer, with significance; bad files refused clearly.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "process.h"

namespace {

using ntp::test::example;
using ntp::test::run_ntp;
using ntp::test::temporary;

TEST(CompareCommand, LinesUpTopologyVariantsWithSignificance) {
  const auto small = ntp::test::saved_small_run("64");
  const auto large = ntp::test::saved_small_run("96");
  const auto result = run_ntp({"compare", small.string(), large.string(), "--format", "json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto comparison = nlohmann::json::parse(result.out);
  EXPECT_EQ(comparison["schema"], "ntp.compare/1");
  EXPECT_EQ(comparison["runs"][0]["label"], "hidden=64");
  EXPECT_EQ(comparison["runs"][1]["label"], "hidden=96");
  ASSERT_EQ(comparison["layers"].size(), 7u);
  for (const auto& layer : comparison["layers"]) {
    const auto& cell = layer["runs"][1];
    EXPECT_GT(cell["ratio"].get<double>(), 0.0) << layer["name"];
    ASSERT_TRUE(cell["significance"]["enough"].get<bool>()) << "6 samples a side";
    const double p = cell["significance"]["p_value"].get<double>();
    EXPECT_GE(p, 0.0);
    EXPECT_LE(p, 1.0);
  }
  const auto table = run_ntp({"compare", small.string(), large.string()});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  for (const char* text : {"hidden=64 ms", "hidden=96 ms", "differs", "end to end", "geometric mean"})
    EXPECT_NE(table.out.find(text), std::string::npos) << text << "\n" << table.out;
  const auto csv = run_ntp({"compare", small.string(), large.string(), "--format", "csv"});
  EXPECT_EQ(csv.out.substr(0, csv.out.find('\n')),
            "layer,op,kind,descriptor,run,backend,implementation,fallback,median_ms,share,ratio,p_value");
  std::filesystem::remove(small);
  std::filesystem::remove(large);
}

TEST(CompareCommand, BadFilesAreRefusedWithWhereAndAHint) {
  const auto broken = temporary("broken.json");
  std::ofstream(broken) << "{\n  \"schema\": \"ntp.run/1\",\n  \"nodes\": [1, 2,\n";
  const auto bad = run_ntp({"compare", broken.string(), broken.string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find(broken.string() + ":4:1: error: not valid JSON"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("hint: give run records"), std::string::npos) << bad.err;
  EXPECT_TRUE(bad.out.empty());
  const auto other = temporary("other.json");
  std::ofstream(other) << R"({"schema": "something/2"})";
  const auto foreign = run_ntp({"compare", other.string(), other.string()});
  EXPECT_EQ(foreign.exit_code, 2);
  EXPECT_NE(foreign.err.find("not an NTP result this command reads (schema 'something/2')"),
            std::string::npos)
      << foreign.err;
  const auto missing = run_ntp({"compare", temporary("nowhere.json").string(), other.string()});
  EXPECT_EQ(missing.exit_code, 2);
  std::filesystem::remove(broken);
  std::filesystem::remove(other);
}

TEST(ResultsDatabase, RunsAreRecordedListedAndComparedById) {
  const auto database = temporary("history.db");
  std::filesystem::remove(database);
  std::vector<std::string> ids;
  for (const char* hidden : {"64", "96"}) {
    std::vector<std::string> arguments = {"run",          example("deepspeech-v0.1.xml"),
                                          "--backend",    "reference",
                                          "--set",        std::string("hidden=") + hidden,
                                          "--set",        "frames=16",
                                          "--iterations", "5",
                                          "--db",         database.string()};
    if (std::string(hidden) == "96") arguments.insert(arguments.end(), {"--label", "wider"});
    const auto result = run_ntp(arguments);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const auto at = result.err.find("recorded as run ");
    ASSERT_NE(at, std::string::npos) << result.err;
    ids.push_back(result.err.substr(at + 16, result.err.find(' ', at + 16) - at - 16));
  }
  const auto skipped =
      run_ntp({"run", example("deepspeech-v0.1.xml"), "--backend", "reference", "--set", "hidden=64", "--set",
               "frames=16", "--iterations", "3", "--db", database.string(), "--no-db"});
  EXPECT_EQ(skipped.err.find("recorded as run"), std::string::npos) << skipped.err;

  // A database that cannot be written costs the record, not the run.
  const auto unwritable =
      run_ntp({"run", example("deepspeech-v0.1.xml"), "--backend", "reference", "--set", "hidden=64", "--set",
               "frames=16", "--iterations", "3", "--db", "/proc/no-such-folder/results.db"});
  EXPECT_EQ(unwritable.exit_code, 0) << unwritable.err;
  EXPECT_NE(unwritable.err.find("warning: the run was not recorded"), std::string::npos) << unwritable.err;
  EXPECT_NE(unwritable.out.find("bilstm"), std::string::npos);

  const auto history = run_ntp({"history", "--db", database.string(), "--format", "json"});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  const auto listed = nlohmann::json::parse(history.out);
  ASSERT_EQ(listed["runs"].size(), 2u);
  EXPECT_EQ(listed["runs"][0]["id"].dump(), ids[1]) << "newest first";
  EXPECT_EQ(listed["runs"][0]["topology"], "deepspeech-v0.1");
  // What tells the two apart: the parameters their command lines set (issue 17); neither ran under a tool
  // or in a sweep.
  EXPECT_EQ(listed["runs"][0]["parameters"], (nlohmann::json{{"frames", "16"}, {"hidden", "96"}}));
  EXPECT_EQ(listed["runs"][1]["parameters"], (nlohmann::json{{"frames", "16"}, {"hidden", "64"}}));
  EXPECT_EQ(listed["runs"][0]["tool"], "");
  EXPECT_EQ(listed["runs"][0]["label"], "wider");
  EXPECT_EQ(listed["runs"][1]["label"], "");
  EXPECT_TRUE(listed["runs"][0]["sweep"].is_null());
  const auto table = run_ntp({"history", "--db", database.string()});
  EXPECT_NE(table.out.find("hidden=64 frames=16"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find(" wider "), std::string::npos) << table.out;
  EXPECT_EQ(run_ntp({"history", "--db", database.string(), "--backend", "onednn", "--format", "json"})
                .out.find("\"id\""),
            std::string::npos);

  const auto by_id = run_ntp({"compare", ids[0], ids[1], "--db", database.string(), "--format", "json"});
  ASSERT_EQ(by_id.exit_code, 0) << by_id.err;
  const auto comparison = nlohmann::json::parse(by_id.out);
  EXPECT_EQ(comparison["runs"][0]["label"], "hidden=64");
  EXPECT_EQ(comparison["runs"][1]["label"], "hidden=96");
  const auto unknown = run_ntp({"compare", ids[0], "4242", "--db", database.string()});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("no run 4242 in the results database"), std::string::npos) << unknown.err;
  std::filesystem::remove(database);
  std::filesystem::remove(database.string() + "-wal");
  std::filesystem::remove(database.string() + "-shm");
}

}  // namespace
