// The results database: every run's full JSON record in SQLite, so past runs can be listed, filtered and
// compared by id. WAL journaling and one transaction per run: parallel writers (sweep workers) wait for each
// other, and a killed process loses nothing already committed. The schema is versioned (PRAGMA
// user_version) and migrated forward on open.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

struct sqlite3;

namespace ntp::report {

// $NTP_DB, else $XDG_DATA_HOME/ntp/results.db, else ~/.local/share/ntp/results.db.
std::string default_database_path();

struct RunRow {
  std::int64_t id = 0;
  std::string recorded_at;  // UTC, ISO 8601
  std::string topology;
  std::string backend;
  std::string precision;
  std::int64_t batch = 0;
  int threads = 0;
  std::string host;
  double latency_median_ms = 0;
  std::optional<int> warnings;  // the record's quality warnings; none in records older than them
  // What tells runs of one topology apart beyond the columns above: the parameters its command line set
  // (--set hidden=1024, resolved as the topology took them), the external tool it ran under ("" = none),
  // and the sweep point it was (0 = not from a sweep).
  std::vector<std::pair<std::string, std::string>> parameters;
  std::string tool;
  std::string label;  // the run's --label ("" = none)
  std::int64_t sweep = 0;
  std::int64_t sweep_point = 0;
};

struct RunFilter {
  std::string topology, backend, host;
  std::string since;  // ISO 8601 date or time; "" = any
  int limit = 50;
};

class ResultsDatabase {
 public:
  // read_write opens (creating the file and its folder) and migrates. read_only (history, compare by id)
  // never writes: a database on a read-only medium still reads, a missing one reads as empty and is not
  // created, and an older schema is not migrated. Both throw UserError naming the file on failure.
  enum class Access { read_write, read_only };
  explicit ResultsDatabase(const std::string& path, Access access = Access::read_write);
  ~ResultsDatabase();
  ResultsDatabase(const ResultsDatabase&) = delete;
  ResultsDatabase& operator=(const ResultsDatabase&) = delete;

  static constexpr int kSchemaVersion = 2;

  std::int64_t add_run(const nlohmann::json& record);
  // A sweep's description (topology file, axes, points, shard, command line); returns its id.
  std::int64_t add_sweep(const nlohmann::json& description);
  // A point of a sweep document (index, label, status, reason, seconds, and its run record when it ran),
  // with its run, in one transaction: a killed sweep keeps every point recorded whole. Returns the run id
  // (0 for a failed point).
  std::int64_t add_sweep_point(std::int64_t sweep, const nlohmann::json& point);
  // The points recorded for a sweep: index, label, status, reason, seconds, run_id (0: none).
  std::vector<nlohmann::json> sweep_points(std::int64_t sweep) const;
  std::vector<RunRow> runs(const RunFilter& filter) const;  // newest first
  std::optional<nlohmann::json> record(std::int64_t id) const;
  const std::string& path() const { return path_; }

 private:
  void migrate();        // WAL, the version check and the migrations, on open
  void check_version();  // read_only: the schema must be this ntp's
  void execute(const std::string& sql) const;
  std::string path_;
  sqlite3* db_ = nullptr;
};

}  // namespace ntp::report
