// `ntp sweep` and `ntp merge`: a grid over the DeepSpeech LSTM size run point by point in fresh processes,
// failed and timed-out points recorded with their reason, shards merged, and a sweep killed with SIGKILL
// mid-way keeping every point it finished in the results database.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "html_structure.h"
#include "io/npy.h"
#include "process.h"
#include "report/results_db.h"

namespace {

using ntp::test::example;
using ntp::test::run_ntp;
using ntp::test::temporary;

// The reference back end at small sizes, so every point takes about a second.
std::vector<std::string> small_sweep(std::vector<std::string> extra) {
  std::vector<std::string> arguments = {"sweep",        example("deepspeech-v0.1.xml"),
                                        "--backend",    "reference",
                                        "--set",        "frames=16",
                                        "--warmup",     "1",
                                        "--iterations", "5"};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  return arguments;
}

TEST(SweepCommand, AGridOverTheLstmSizeProducesTheComparison) {
  const auto database = temporary("grid.db");
  std::filesystem::remove(database);
  const auto result =
      run_ntp(small_sweep({"--grid", "hidden=32,64,96", "--format", "json", "--db", database.string()}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto sweep = nlohmann::json::parse(result.out);
  EXPECT_EQ(sweep["schema"], "ntp.sweep/1");
  ASSERT_EQ(sweep["points"].size(), 3u);
  std::vector<double> lstm_ms;
  for (const auto& point : sweep["points"]) {
    ASSERT_EQ(point["status"], "ok") << point.dump();
    const auto& record = point["record"];
    EXPECT_EQ(record["topology"]["params"]["hidden"], point["params"]["hidden"]);
    for (const auto& node : record["nodes"])
      if (node["name"] == "bilstm") lstm_ms.push_back(node["time_ms"]["median"].get<double>());
  }
  ASSERT_EQ(lstm_ms.size(), 3u);
  // The LSTM's work grows with the square of its size: 9x from 32 to 96, far above any timing noise.
  EXPECT_GT(lstm_ms[2], 2 * lstm_ms[0]);
  EXPECT_NE(result.err.find("[3/3] point 2, hidden=96: "), std::string::npos) << result.err;

  // Every point is in the database, linked to its run.
  const ntp::report::ResultsDatabase recorded(database.string());
  const auto points = recorded.sweep_points(sweep["sweep_id"].get<std::int64_t>());
  ASSERT_EQ(points.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(points[i]["run_id"], sweep["points"][i]["run_id"]);
    EXPECT_EQ(recorded.record(points[i]["run_id"].get<std::int64_t>()), sweep["points"][i]["record"]);
  }

  const auto listed = run_ntp({"history", "--db", database.string(), "--sweep", sweep["sweep_id"].dump()});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("3 point(s) recorded"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("hidden=96"), std::string::npos) << listed.out;

  // The run list tells the points' runs apart: each names its parameters and the sweep point it was.
  const auto runs = run_ntp({"history", "--db", database.string(), "--format", "json"});
  ASSERT_EQ(runs.exit_code, 0) << runs.err;
  const auto rows = nlohmann::json::parse(runs.out)["runs"];
  ASSERT_EQ(rows.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& row = rows[2 - i];  // newest first
    EXPECT_EQ(row["id"], sweep["points"][i]["run_id"]);
    EXPECT_EQ(row["sweep"], sweep["sweep_id"]);
    EXPECT_EQ(row["sweep_point"], i);
    EXPECT_EQ(row["parameters"],
              (nlohmann::json{{"frames", "16"}, {"hidden", std::to_string(32 * (i + 1))}}));
    EXPECT_EQ(row["tool"], "");
  }
  const auto table = run_ntp({"history", "--db", database.string()});
  const std::regex point_row("frames=16 hidden=64 +" + sweep["sweep_id"].dump() + R"( \(point 1\))");
  EXPECT_TRUE(std::regex_search(table.out, point_row)) << table.out;

  // The same result as CSV (one row per point and layer) and as HTML with a chart against hidden.
  const auto saved = temporary("grid.json");
  std::ofstream(saved) << result.out;
  const auto csv = run_ntp({"report", saved.string(), "--format", "table"});
  EXPECT_NE(csv.out.find("median ms and share of each layer per point"), std::string::npos) << csv.out;
  const auto html = run_ntp({"report", saved.string()});
  ASSERT_EQ(html.exit_code, 0) << html.err;
  const std::string structure = ntp::test::html_structure(html.out);
  for (const char* part :
       {"section time-hidden\nchart lines", "section shares-hidden\nchart lines", "section runs"})
    EXPECT_NE(structure.find(part), std::string::npos) << part << "\n" << structure;
  ntp::test::expect_self_contained(html.out);
  std::filesystem::remove(saved);
  std::filesystem::remove(database);
}

TEST(SweepCommand, FailedAndTimedOutPointsAreRecordedAndTheSweepGoesOn) {
  const auto database = temporary("failures.db");
  std::filesystem::remove(database);
  // 20000 does not fit in memory (refused before allocating); 1024 over 400 frames on the reference back end
  // takes far longer than the time limit.
  const auto result =
      run_ntp(small_sweep({"--point", "hidden=20000", "--point", "hidden=1024,frames=400", "--point",
                           "hidden=32", "--timeout", "8", "--format", "csv", "--db", database.string()}));
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_NE(result.err.find("2 of 3 points failed"), std::string::npos) << result.err;
  const ntp::report::ResultsDatabase recorded(database.string());
  const auto points = recorded.sweep_points(1);
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[0]["status"], "failed");
  EXPECT_NE(points[0]["reason"].get<std::string>().find("error: running it needs about"), std::string::npos)
      << points[0];
  EXPECT_EQ(points[0]["run_id"], 0);
  EXPECT_EQ(points[1]["status"], "timed out");
  EXPECT_EQ(points[1]["reason"], "timed out after 8 s");
  EXPECT_EQ(points[2]["status"], "ok") << "the sweep went on after two failures";
  EXPECT_GT(points[2]["run_id"].get<std::int64_t>(), 0);
  // CSV: the header names the axes of the points; failed points keep a row with their reason.
  EXPECT_EQ(result.out.substr(0, result.out.find('\n')),
            "point,hidden,frames,status,reason,layer,op,median_ms,share");
  EXPECT_NE(result.out.find("1,1024,400,timed out,timed out after 8 s,end to end"), std::string::npos)
      << result.out;
  std::filesystem::remove(database);
}

// --input, --counters and --tool reach every point's `ntp run` (issue 17), not parsed and dropped: a
// wrong-shaped input is refused before anything runs, a right one is on the point's command line, the
// counters are in its record, and PAPI counts the point or the point says why it could not.
TEST(SweepCommand, PassesInputCountersAndToolToEveryPoint) {
  const auto features = temporary("sweep-features.npy");
  ntp::io::write_npy(features.string(), ntp::Tensor(ntp::Shape{16, 1, 494}, ntp::DType::f32));
  const auto wrong = temporary("sweep-wrong.npy");
  ntp::io::write_npy(wrong.string(), ntp::Tensor(ntp::Shape{16, 1, 7}, ntp::DType::f32));
  const auto refused =
      run_ntp(small_sweep({"--point", "hidden=32", "--input", "features=" + wrong.string(), "--no-db"}));
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("the topology expects [16, 1, 494]"), std::string::npos) << refused.err;
  EXPECT_EQ(refused.err.find("[1/"), std::string::npos) << "nothing ran";

  const auto counted =
      run_ntp(small_sweep({"--point", "hidden=32", "--input", "features=" + features.string(), "--counters",
                           "software", "--format", "json", "--no-db"}));
  ASSERT_EQ(counted.exit_code, 0) << counted.err;
  const auto point = nlohmann::json::parse(counted.out)["points"][0];
  ASSERT_EQ(point["status"], "ok") << point.dump();
  EXPECT_NE(point["record"]["context"]["command_line"].get<std::string>().find("--input features=" +
                                                                               features.string()),
            std::string::npos)
      << point["record"]["context"]["command_line"];
  const auto events = point["record"]["counters"]["events"].get<std::vector<std::string>>();
  EXPECT_NE(std::find(events.begin(), events.end(), "task-clock"), events.end());
  EXPECT_GE(point["record"]["nodes"][0]["counters"]["task-clock"].get<double>(), 0.0);

  const auto papi = run_ntp(small_sweep({"--point", "hidden=32", "--tool", "papi", "--counters",
                                         "PAPI_TOT_INS", "--format", "json", "--no-db"}));
  const auto tooled = nlohmann::json::parse(papi.out)["points"][0];
  if (tooled["status"] == "ok") {
    EXPECT_EQ(tooled["record"]["counters"]["source"], "papi");
  } else {  // no PAPI here: the point's run refused as `ntp run --tool papi` does
    EXPECT_NE(tooled["reason"].get<std::string>().find("PAPI"), std::string::npos) << tooled.dump();
  }
  std::filesystem::remove(features);
  std::filesystem::remove(wrong);
}

TEST(SweepCommand, BadGridsAreRefusedBeforeAnythingRuns) {
  const auto unknown = run_ntp(small_sweep({"--grid", "hiden=32,64", "--no-db"}));
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("the topology has no parameter 'hiden'"), std::string::npos) << unknown.err;
  EXPECT_EQ(unknown.err.find("[1/"), std::string::npos) << "nothing ran";
  const auto backend = run_ntp(small_sweep({"--grid", "backend=reference,nosuch", "--no-db"}));
  EXPECT_EQ(backend.exit_code, 2);
  EXPECT_NE(backend.err.find("no back end 'nosuch'"), std::string::npos) << backend.err;
  const auto batch = run_ntp(small_sweep({"--grid", "batch=1,many", "--no-db"}));
  EXPECT_EQ(batch.exit_code, 2);
  EXPECT_NE(batch.err.find("batch 'many' in the sweep is not a whole number"), std::string::npos)
      << batch.err;
  const auto none = run_ntp(small_sweep({"--grid", "iterations=5,0", "--no-db"}));
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("iterations '0' in the sweep is not a count of 1 or more"), std::string::npos)
      << none.err;
  const auto both = run_ntp(small_sweep({"--grid", "hidden=32", "--point", "hidden=64", "--no-db"}));
  EXPECT_EQ(both.exit_code, 2);
  const auto shard = run_ntp(small_sweep({"--grid", "hidden=32", "--shard", "3/2", "--no-db"}));
  EXPECT_EQ(shard.exit_code, 2);
  EXPECT_NE(shard.err.find("--shard '3/2'"), std::string::npos) << shard.err;
}

TEST(SweepCommand, ShardsRunTheirShareAndMergeJoinsThem) {
  std::vector<std::string> files;
  for (const char* shard : {"1/2", "2/2"}) {
    files.push_back(temporary(std::string("shard") + shard[0] + ".json").string());
    const auto result = run_ntp(small_sweep(
        {"--grid", "hidden=32,48,64", "--shard", shard, "--format", "json", "-o", files.back(), "--no-db"}));
    ASSERT_EQ(result.exit_code, 0) << result.err;
  }
  const auto first = nlohmann::json::parse(ntp::test::slurp(files[0]));
  ASSERT_EQ(first["points"].size(), 2u);
  EXPECT_EQ(first["points"][1]["label"], "hidden=64");
  const auto merged = run_ntp({"merge", files[1], files[0], "--format", "json"});
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  const auto joined = nlohmann::json::parse(merged.out);
  ASSERT_EQ(joined["points"].size(), 3u);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(joined["points"][i]["index"], i);
  const auto partial = run_ntp({"merge", files[0]});  // a table by default, as sweep writes
  EXPECT_EQ(partial.exit_code, 0);
  EXPECT_NE(partial.out.find("2 of 3 points; missing points: [1]"), std::string::npos) << partial.out;
  EXPECT_EQ(partial.out.find('{'), std::string::npos) << partial.out;
  EXPECT_NE(partial.err.find("no shard ran points [1]"), std::string::npos) << partial.err;
  const auto twice = run_ntp({"merge", files[0], files[0]});
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_NE(twice.err.find("is in " + files[0] + " too"), std::string::npos) << twice.err;
  for (const auto& file : files)
    std::filesystem::remove(file);
}

// Starts `ntp sweep` in a process group of its own, stderr to a file, and returns its pid.
pid_t start_in_own_group(const std::vector<std::string>& arguments, const std::filesystem::path& err,
                         const std::filesystem::path& temporary_folder) {
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> strings = {NTP_BINARY};
  strings.insert(strings.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (auto& text : strings)
    argv.push_back(text.data());
  argv.push_back(nullptr);
  // The sweep's scratch folder goes under the test's own, which the test removes after the kill.
  std::vector<std::string> variables = {"TMPDIR=" + temporary_folder.string()};
  for (char** entry = environ; *entry != nullptr; ++entry)
    if (std::string(*entry).rfind("TMPDIR=", 0) != 0) variables.emplace_back(*entry);
  std::vector<char*> environment;
  for (auto& text : variables)
    environment.push_back(text.data());
  environment.push_back(nullptr);
  pid_t pid = 0;
  const int error = posix_spawn(&pid, NTP_BINARY, &actions, &attributes, argv.data(), environment.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  return error == 0 ? pid : -1;
}

TEST(SweepCommand, KilledMidWayItKeepsEveryFinishedPointInTheDatabase) {
  const auto database = temporary("killed.db");
  const auto err = temporary("killed.err");
  const auto scratch = temporary("scratch");
  std::filesystem::remove(database);
  std::filesystem::create_directories(scratch);
  const pid_t sweep = start_in_own_group(
      small_sweep({"--grid", "hidden=32,40,48,56,64,72,80,88", "--db", database.string()}), err, scratch);
  ASSERT_GT(sweep, 0);
  // Wait for two finished points, then SIGKILL the sweep and the point it is running.
  static const std::regex finished(R"(\] point (\d+), [^:\n]*: [0-9.]+ ms median \([0-9.]+ s, run (\d+)\))");
  std::map<std::int64_t, std::int64_t> finished_runs;  // point -> run, as the sweep reported them
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(300);
  while (finished_runs.size() < 2 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const std::string text = ntp::test::slurp(err);
    finished_runs.clear();
    for (auto it = std::sregex_iterator(text.begin(), text.end(), finished); it != std::sregex_iterator();
         ++it)
      finished_runs[std::stoll((*it)[1])] = std::stoll((*it)[2]);
  }
  ::kill(-sweep, SIGKILL);
  int status = 0;
  ::waitpid(sweep, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << ntp::test::slurp(err);
  ASSERT_GE(finished_runs.size(), 2u) << ntp::test::slurp(err);

  const ntp::report::ResultsDatabase recorded(database.string());
  const auto points = recorded.sweep_points(1);
  EXPECT_LT(points.size(), 8u) << "killed mid-way";
  std::map<std::int64_t, std::int64_t> recorded_runs;
  for (const auto& point : points)
    recorded_runs[point["index"].get<std::int64_t>()] = point["run_id"].get<std::int64_t>();
  for (const auto& [point, run] : finished_runs) {
    EXPECT_EQ(recorded_runs[point], run) << "point " << point << " finished before the kill";
    const auto record = recorded.record(run);
    ASSERT_TRUE(record.has_value()) << "run " << run;
    EXPECT_EQ((*record)["schema"], "ntp.run/1");
  }
  std::filesystem::remove(database);
  std::filesystem::remove(err);
  std::filesystem::remove_all(scratch);
}

// The processes whose command line mentions `text` (a sweep's children name their output under its folder).
std::vector<pid_t> processes_mentioning(const std::string& text) {
  std::vector<pid_t> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string command_line = ntp::test::slurp(entry.path() / "cmdline");
    std::replace(command_line.begin(), command_line.end(), '\0', ' ');
    if (command_line.find(text) != std::string::npos) found.push_back(std::stoi(name));
  }
  return found;
}

// SIGTERM to the sweep alone (as a job scheduler sends it): the running point is stopped too, not left as an
// orphan; the temporary folder is removed; the finished points are written; the status says SIGTERM.
TEST(SweepCommand, TerminatedItStopsItsPointCleansUpAndWritesTheFinishedPoints) {
  const auto err = temporary("terminated.err");
  const auto out = temporary("terminated.json");
  const auto scratch = temporary("terminated-scratch");
  std::filesystem::remove(out);
  std::filesystem::remove_all(scratch);
  std::filesystem::create_directories(scratch);
  const pid_t sweep = start_in_own_group(small_sweep({"--set", "hidden=32", "--grid", "iterations=5,1000000",
                                                      "--no-db", "--format", "json", "-o", out.string()}),
                                         err, scratch);
  ASSERT_GT(sweep, 0);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(300);
  while (ntp::test::slurp(err).find("[2/2] point 1") == std::string::npos &&
         std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::seconds(2));  // into the second point's measured iterations
  ASSERT_FALSE(processes_mentioning(scratch.string()).empty()) << "the second point runs";
  ::kill(sweep, SIGTERM);
  int status = 0;
  ::waitpid(sweep, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << ntp::test::slurp(err);
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM) << ntp::test::slurp(err);
  EXPECT_TRUE(processes_mentioning(scratch.string()).empty()) << "an orphaned point";
  EXPECT_TRUE(std::filesystem::is_empty(scratch)) << "the sweep's temporary folder is left";
  const auto written = nlohmann::json::parse(ntp::test::slurp(out));
  ASSERT_EQ(written["points"].size(), 1u);
  EXPECT_EQ(written["points"][0]["status"], "ok");
  EXPECT_EQ(written["interrupted"]["signal"], SIGTERM);
  EXPECT_EQ(written["interrupted"]["points_finished"], 1);
  EXPECT_NE(ntp::test::slurp(err).find("interrupted (signal 15): 1 of 2 points finished"), std::string::npos);
  std::filesystem::remove(err);
  std::filesystem::remove(out);
  std::filesystem::remove_all(scratch);
}

}  // namespace
