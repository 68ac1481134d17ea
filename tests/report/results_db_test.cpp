// The results database: runs recorded whole, listed newest first with filters, read back by id; the
// schema version is checked and migrations run once.
#include "report/results_db.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "ntp/status.h"

namespace {

std::filesystem::path fresh_database(const std::string& name) {
  const auto path =
      std::filesystem::temp_directory_path() / (std::to_string(::getpid()) + "-" + name + ".db");
  std::filesystem::remove(path);
  return path;
}

nlohmann::json record(const std::string& topology, const std::string& backend, double latency_ms) {
  return {{"schema", "ntp.run/1"},
          {"topology", {{"name", topology}}},
          {"options", {{"backend", backend}, {"precision", "fp32"}, {"batch", 1}, {"threads", 2}}},
          {"context", {{"host", "h1"}}},
          {"latency", {{"median", latency_ms}}},
          {"nodes", nlohmann::json::array({{{"name", "fc1"}}})}};
}

TEST(ResultsDatabase, RecordsListsFiltersAndReadsBackWholeRecords) {
  const auto path = fresh_database("runs");
  std::int64_t first = 0;
  {
    ntp::report::ResultsDatabase database(path.string());
    first = database.add_run(record("deepspeech", "onednn", 12.5));
    database.add_run(record("deepspeech", "torch", 30.0));
    database.add_run(record("small-cnn", "onednn", 1.0));
  }
  // A second open (a later process) sees everything committed and does not migrate again.
  const ntp::report::ResultsDatabase database(path.string());
  const auto all = database.runs({});
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all.front().topology, "small-cnn") << "newest first";
  const auto onednn = database.runs({"deepspeech", "onednn", "", "", 50});
  ASSERT_EQ(onednn.size(), 1u);
  EXPECT_EQ(onednn.front().id, first);
  EXPECT_DOUBLE_EQ(onednn.front().latency_median_ms, 12.5);
  EXPECT_EQ(database.runs({"", "", "", "", 2}).size(), 2u);
  EXPECT_TRUE(database.runs({"", "", "", "2999-01-01", 50}).empty());
  const auto read = database.record(first);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(*read, record("deepspeech", "onednn", 12.5));
  EXPECT_FALSE(database.record(999).has_value());
  std::filesystem::remove(path);
}

TEST(ResultsDatabase, ANewerSchemaIsRefusedWithTheFileNamed) {
  const auto path = fresh_database("newer");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  try {
    ntp::report::ResultsDatabase database(path.string());
    FAIL() << "opened a database of schema 99";
  } catch (const ntp::UserError& error) {
    EXPECT_EQ(error.diagnostic().where.file, path.string());
    EXPECT_NE(error.diagnostic().message.find("schema version 99"), std::string::npos);
  }
  std::filesystem::remove(path);
}

}  // namespace
