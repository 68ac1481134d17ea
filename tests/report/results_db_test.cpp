// The results database: runs recorded whole, listed newest first with filters, read back by id; the
// schema version is checked and migrations run once.
#include "report/results_db.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

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

// history and compare-by-id only read: they open the file read-only (so a database on a read-only medium
// reads; "attempt to write a readonly database" was the answer, issue 16 class 9), create nothing when
// nothing was recorded, and migrate nothing.
TEST(ResultsDatabase, ReadingNeverWrites) {
  using Access = ntp::report::ResultsDatabase::Access;
  const auto folder = std::filesystem::temp_directory_path() / (std::to_string(::getpid()) + "-never-made");
  const ntp::report::ResultsDatabase nothing((folder / "results.db").string(), Access::read_only);
  EXPECT_TRUE(nothing.runs({}).empty());
  EXPECT_FALSE(std::filesystem::exists(folder));

  const auto path = fresh_database("read-only");
  {
    ntp::report::ResultsDatabase database(path.string());
    database.add_run(record("small-cnn", "onednn", 1.0));
  }
  ntp::report::ResultsDatabase reader(path.string(), Access::read_only);
  ASSERT_EQ(reader.runs({}).size(), 1u);
  EXPECT_THROW(reader.add_run(record("small-cnn", "onednn", 2.0)), ntp::UserError) << "opened for writing";

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "PRAGMA user_version=1", nullptr, nullptr, nullptr);
  try {
    ntp::report::ResultsDatabase old(path.string(), Access::read_only);
    FAIL() << "read a database of schema 1 as schema 2";
  } catch (const ntp::UserError& error) {
    EXPECT_NE(error.diagnostic().message.find("schema version 1, this ntp reads version 2"),
              std::string::npos)
        << error.diagnostic().message;
    EXPECT_NE(error.diagnostic().hint.find("upgrades it"), std::string::npos);
  }
  sqlite3_stmt* version = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &version, nullptr);
  ASSERT_EQ(sqlite3_step(version), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(version, 0), 1) << "not migrated";
  sqlite3_finalize(version);
  sqlite3_close(db);
  std::filesystem::remove(path);
}

TEST(ResultsDatabase, AVersionOneDatabaseIsMigratedKeepingItsRuns) {
  const auto path = fresh_database("version1");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  // Version 1 as it shipped: the runs table only.
  ASSERT_EQ(
      sqlite3_exec(db,
                   "CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, recorded_at TEXT NOT NULL, "
                   "topology TEXT NOT NULL, backend TEXT NOT NULL, precision TEXT NOT NULL, batch INTEGER "
                   "NOT NULL, threads INTEGER NOT NULL, host TEXT NOT NULL, latency_median_ms REAL, record "
                   "TEXT NOT NULL); CREATE INDEX runs_by_topology ON runs (topology, recorded_at); "
                   "INSERT INTO runs (recorded_at, topology, backend, precision, batch, threads, host, "
                   "latency_median_ms, record) VALUES ('2026-11-01T00:00:00Z', 'old', 'onednn', 'fp32', 1, "
                   "2, 'h1', 3.5, '{\"schema\": \"ntp.run/1\"}'); PRAGMA user_version=1",
                   nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
  ntp::report::ResultsDatabase database(path.string());
  ASSERT_EQ(database.runs({}).size(), 1u);
  EXPECT_EQ(database.runs({}).front().topology, "old");
  // The sweep tables arrived: a sweep's points are recorded, each with its run, in one transaction.
  const std::int64_t sweep = database.add_sweep({{"topology_file", "ds.xml"}});
  nlohmann::json ran = {{"index", 0}, {"label", "hidden=64"}, {"status", "ok"}, {"seconds", 1.5}};
  ran["record"] = record("deepspeech", "onednn", 2.0);
  const std::int64_t run = database.add_sweep_point(sweep, ran);
  EXPECT_GT(run, 1);
  EXPECT_EQ(database.add_sweep_point(sweep, {{"index", 1},
                                             {"label", "hidden=99999"},
                                             {"status", "failed"},
                                             {"reason", "does not fit"},
                                             {"seconds", 0.2}}),
            0);
  const auto points = database.sweep_points(sweep);
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0]["run_id"], run);
  EXPECT_EQ(points[1]["status"], "failed");
  EXPECT_EQ(points[1]["reason"], "does not fit");
  EXPECT_EQ(points[1]["run_id"], 0);
  EXPECT_EQ(database.runs({}).size(), 2u) << "the failed point adds no run";
  // A point recorded twice is refused and leaves nothing behind: its run is rolled back with it.
  EXPECT_THROW(database.add_sweep_point(sweep, ran), ntp::UserError);
  EXPECT_EQ(database.runs({}).size(), 2u);
  std::filesystem::remove(path);
}

}  // namespace
