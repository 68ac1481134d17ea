#include "results_db.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ntp/status.h"
#include "profile/step_timer.h"

namespace ntp::report {

namespace {

// Each entry moves the schema from version i to i + 1; never edit one that has shipped, append.
const std::vector<const char*> kMigrations = {
    "CREATE TABLE runs ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  recorded_at TEXT NOT NULL,"
    "  topology TEXT NOT NULL,"
    "  backend TEXT NOT NULL,"
    "  precision TEXT NOT NULL,"
    "  batch INTEGER NOT NULL,"
    "  threads INTEGER NOT NULL,"
    "  host TEXT NOT NULL,"
    "  latency_median_ms REAL,"
    "  record TEXT NOT NULL);"
    "CREATE INDEX runs_by_topology ON runs (topology, recorded_at);",
    // 2: sweeps and their points, each point linked to its run (none where it failed).
    "CREATE TABLE sweeps ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  started_at TEXT NOT NULL,"
    "  description TEXT NOT NULL);"
    "CREATE TABLE sweep_points ("
    "  sweep_id INTEGER NOT NULL REFERENCES sweeps (id),"
    "  point INTEGER NOT NULL,"
    "  label TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  seconds REAL,"
    "  run_id INTEGER REFERENCES runs (id),"
    "  PRIMARY KEY (sweep_id, point));"};

// A prepared statement, finalised when it goes out of scope.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql, const std::string& path) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement_, nullptr) != SQLITE_OK)
      throw UserError({path, 0, 0},
                      fmt::format("the results database refused a query: {}", sqlite3_errmsg(db)));
  }
  ~Statement() { sqlite3_finalize(statement_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  sqlite3_stmt* get() const { return statement_; }
  void bind(int index, const std::string& text) {
    sqlite3_bind_text(statement_, index, text.c_str(), -1, SQLITE_TRANSIENT);
  }
  void bind(int index, std::int64_t value) { sqlite3_bind_int64(statement_, index, value); }
  void bind(int index, double value) { sqlite3_bind_double(statement_, index, value); }
  std::string text(int column) const {
    const unsigned char* value = sqlite3_column_text(statement_, column);
    return value != nullptr ? reinterpret_cast<const char*>(value) : "";
  }

 private:
  sqlite3_stmt* statement_ = nullptr;
};

// The parameters a run's command line set (--set name=value, as `ntp run` and each sweep point's run write
// them), with the values the topology resolved; the command line is the record's, split where it was
// joined, at spaces.
std::vector<std::pair<std::string, std::string>> parameters_set(const std::string& command_line,
                                                                const std::string& params_json) {
  const nlohmann::json params = nlohmann::json::parse(params_json, nullptr, false);
  std::vector<std::pair<std::string, std::string>> set;
  std::istringstream words(command_line);
  for (std::string word, previous; words >> word; previous = word) {
    std::string assignment;
    if (previous == "--set") assignment = word;
    if (word.rfind("--set=", 0) == 0) assignment = word.substr(6);
    const auto equals = assignment.find('=');
    if (equals == std::string::npos || equals == 0) continue;
    const std::string name = assignment.substr(0, equals);
    const bool resolved = params.is_object() && params.contains(name) && params[name].is_string();
    const std::string value = resolved ? params[name].get<std::string>() : assignment.substr(equals + 1);
    const auto same =
        std::find_if(set.begin(), set.end(), [&](const auto& entry) { return entry.first == name; });
    if (same != set.end())
      same->second = value;  // the last --set wins, as in the run
    else
      set.emplace_back(name, value);
  }
  return set;
}

}  // namespace

std::string default_database_path() {
  if (const char* path = std::getenv("NTP_DB"); path != nullptr && *path != '\0') return path;
  if (const char* data = std::getenv("XDG_DATA_HOME"); data != nullptr && *data != '\0')
    return (std::filesystem::path(data) / "ntp" / "results.db").string();
  const char* home = std::getenv("HOME");
  return (std::filesystem::path(home != nullptr ? home : "/tmp") / ".local" / "share" / "ntp" / "results.db")
      .string();
}

ResultsDatabase::ResultsDatabase(const std::string& path, Access access) : path_(path) {
  const bool read_only = access == Access::read_only;
  std::error_code ignored;
  const auto folder = std::filesystem::path(path).parent_path();
  if (!read_only && !folder.empty()) std::filesystem::create_directories(folder, ignored);
  // Nothing recorded yet reads as an empty database held in memory, leaving no file behind.
  const bool empty = read_only && !std::filesystem::exists(path, ignored);
  const int flags = read_only && !empty ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(empty ? ":memory:" : path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw UserError({path, 0, 0}, "cannot open the results database: " + message,
                    "choose another file with --db, or skip recording with --no-db");
  }
  try {
    if (read_only && !empty)
      check_version();
    else
      migrate();
  } catch (...) {
    sqlite3_close(db_);  // the destructor does not run for a constructor that throws
    db_ = nullptr;
    throw;
  }
}

void ResultsDatabase::migrate() {
  sqlite3_busy_timeout(db_, 10000);  // parallel writers wait for each other
  execute("PRAGMA journal_mode=WAL");
  Statement version(db_, "PRAGMA user_version", path_);
  int current = 0;
  if (sqlite3_step(version.get()) == SQLITE_ROW) current = sqlite3_column_int(version.get(), 0);
  if (current > kSchemaVersion)
    throw UserError({path_, 0, 0},
                    fmt::format("the results database has schema version {}, newer than this ntp's {}",
                                current, kSchemaVersion),
                    "use a newer ntp, or another file with --db");
  for (int step = current; step < kSchemaVersion; ++step) {
    execute("BEGIN IMMEDIATE");
    // Another process may have migrated while this one waited for the lock.
    Statement again(db_, "PRAGMA user_version", path_);
    const int now = sqlite3_step(again.get()) == SQLITE_ROW ? sqlite3_column_int(again.get(), 0) : 0;
    if (now == step) {
      execute(kMigrations[static_cast<std::size_t>(step)]);
      execute(fmt::format("PRAGMA user_version={}", step + 1));
    }
    execute("COMMIT");
  }
}

void ResultsDatabase::check_version() {
  sqlite3_busy_timeout(db_, 10000);
  Statement version(db_, "PRAGMA user_version", path_);
  const int current = sqlite3_step(version.get()) == SQLITE_ROW ? sqlite3_column_int(version.get(), 0) : 0;
  if (current != kSchemaVersion)
    throw UserError({path_, 0, 0},
                    fmt::format("the results database has schema version {}, this ntp reads version {}",
                                current, kSchemaVersion),
                    current < kSchemaVersion ? "a run recorded into it (ntp run --db FILE) upgrades it"
                                             : "use a newer ntp, or another file with --db");
}

ResultsDatabase::~ResultsDatabase() {
  sqlite3_close(db_);
}

void ResultsDatabase::execute(const std::string& sql) const {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error != nullptr ? error : sqlite3_errmsg(db_);
    sqlite3_free(error);
    throw UserError({path_, 0, 0}, "the results database: " + message,
                    "choose another file with --db, or skip recording with --no-db");
  }
}

std::int64_t ResultsDatabase::add_sweep(const nlohmann::json& description) {
  Statement insert(db_, "INSERT INTO sweeps (started_at, description) VALUES (?, ?)", path_);
  insert.bind(1, profile::utc_now());
  insert.bind(2, description.dump());
  if (sqlite3_step(insert.get()) != SQLITE_DONE)
    throw UserError({path_, 0, 0}, fmt::format("cannot record the sweep: {}", sqlite3_errmsg(db_)),
                    "choose another file with --db, or skip recording with --no-db");
  return sqlite3_last_insert_rowid(db_);
}

std::int64_t ResultsDatabase::add_sweep_point(std::int64_t sweep, const nlohmann::json& point) {
  execute("BEGIN IMMEDIATE");
  try {
    const std::int64_t run = point.contains("record") ? add_run(point["record"]) : 0;
    Statement insert(db_,
                     "INSERT INTO sweep_points (sweep_id, point, label, status, reason, seconds, run_id) "
                     "VALUES (?, ?, ?, ?, ?, ?, NULLIF(?, 0))",
                     path_);
    insert.bind(1, sweep);
    insert.bind(2, point["index"].get<std::int64_t>());
    insert.bind(3, point["label"].get<std::string>());
    insert.bind(4, point["status"].get<std::string>());
    insert.bind(5, point.value("reason", std::string()));
    insert.bind(6, point.value("seconds", 0.0));
    insert.bind(7, run);
    if (sqlite3_step(insert.get()) != SQLITE_DONE)
      throw UserError({path_, 0, 0}, fmt::format("cannot record the sweep point: {}", sqlite3_errmsg(db_)),
                      "choose another file with --db, or skip recording with --no-db");
    execute("COMMIT");
    return run;
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::vector<nlohmann::json> ResultsDatabase::sweep_points(std::int64_t sweep) const {
  Statement query(db_,
                  "SELECT point, label, status, reason, seconds, run_id FROM sweep_points WHERE sweep_id = ? "
                  "ORDER BY point",
                  path_);
  query.bind(1, sweep);
  std::vector<nlohmann::json> points;
  while (sqlite3_step(query.get()) == SQLITE_ROW)
    points.push_back({{"index", sqlite3_column_int64(query.get(), 0)},
                      {"label", query.text(1)},
                      {"status", query.text(2)},
                      {"reason", query.text(3)},
                      {"seconds", sqlite3_column_double(query.get(), 4)},
                      {"run_id", sqlite3_column_int64(query.get(), 5)}});
  return points;
}

std::int64_t ResultsDatabase::add_run(const nlohmann::json& record) {
  Statement insert(db_,
                   "INSERT INTO runs (recorded_at, topology, backend, precision, batch, threads, host, "
                   "latency_median_ms, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   path_);
  const auto& options = record["options"];
  insert.bind(1, profile::utc_now());
  insert.bind(2, record["topology"]["name"].get<std::string>());
  insert.bind(3, options["backend"].get<std::string>());
  insert.bind(4, options["precision"].get<std::string>());
  insert.bind(5, options["batch"].get<std::int64_t>());
  insert.bind(6, static_cast<std::int64_t>(options["threads"].get<int>()));
  insert.bind(7, record["context"].value("host", std::string()));
  insert.bind(8, record["latency"].value("median", 0.0));
  insert.bind(9, record.dump());
  if (sqlite3_step(insert.get()) != SQLITE_DONE)  // one statement: its own transaction
    throw UserError({path_, 0, 0}, fmt::format("cannot record the run: {}", sqlite3_errmsg(db_)),
                    "choose another file with --db, or skip recording with --no-db");
  return sqlite3_last_insert_rowid(db_);
}

std::vector<RunRow> ResultsDatabase::runs(const RunFilter& filter) const {
  Statement query(
      db_,
      "SELECT id, recorded_at, topology, backend, precision, batch, threads, host, latency_median_ms, "
      "CASE WHEN json_valid(record) THEN json_array_length(record, '$.quality.warnings') END, "
      "CASE WHEN json_valid(record) THEN json_extract(record, '$.context.command_line') END, "
      "CASE WHEN json_valid(record) THEN json_extract(record, '$.topology.params') END, "
      "CASE WHEN NOT json_valid(record) THEN '' WHEN json_type(record, '$.callgrind') IS NOT NULL THEN "
      "'callgrind' WHEN json_type(record, '$.perf') IS NOT NULL THEN 'perf' WHEN json_extract(record, "
      "'$.counters.source') = 'papi' THEN 'papi' ELSE '' END, "
      "(SELECT sweep_id FROM sweep_points WHERE run_id = runs.id), "
      "(SELECT point FROM sweep_points WHERE run_id = runs.id), "
      "CASE WHEN json_valid(record) THEN json_extract(record, '$.context.label') END FROM runs WHERE "
      "(?1 = '' OR topology = ?1) AND (?2 = '' OR backend = ?2) AND (?3 = '' OR host "
      "= ?3) AND (?4 = '' OR recorded_at >= ?4) ORDER BY id DESC LIMIT ?5",
      path_);
  query.bind(1, filter.topology);
  query.bind(2, filter.backend);
  query.bind(3, filter.host);
  query.bind(4, filter.since);
  query.bind(5, static_cast<std::int64_t>(filter.limit));
  std::vector<RunRow> rows;
  while (sqlite3_step(query.get()) == SQLITE_ROW) {
    RunRow row;
    row.id = sqlite3_column_int64(query.get(), 0);
    row.recorded_at = query.text(1);
    row.topology = query.text(2);
    row.backend = query.text(3);
    row.precision = query.text(4);
    row.batch = sqlite3_column_int64(query.get(), 5);
    row.threads = sqlite3_column_int(query.get(), 6);
    row.host = query.text(7);
    row.latency_median_ms = sqlite3_column_double(query.get(), 8);
    if (sqlite3_column_type(query.get(), 9) != SQLITE_NULL) row.warnings = sqlite3_column_int(query.get(), 9);
    row.parameters = parameters_set(query.text(10), query.text(11));
    row.tool = query.text(12);
    row.sweep = sqlite3_column_int64(query.get(), 13);
    row.sweep_point = sqlite3_column_int64(query.get(), 14);
    row.label = query.text(15);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::optional<nlohmann::json> ResultsDatabase::record(std::int64_t id) const {
  Statement query(db_, "SELECT record FROM runs WHERE id = ?", path_);
  query.bind(1, id);
  if (sqlite3_step(query.get()) != SQLITE_ROW) return std::nullopt;
  return nlohmann::json::parse(query.text(0));
}

}  // namespace ntp::report
