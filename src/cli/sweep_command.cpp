// `ntp sweep FILE --grid k=v1,v2 ...`: every point of a parameter grid run by `ntp run` in a fresh process,
// so that a crash, a refusal or a time-out costs that point only; each point is recorded in the results
// database as it finishes, and the sweep writes one comparison.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "commands.h"
#include "interruption.h"
#include "io/files.h"
#include "ntp/limits.h"
#include "ntp/registry.h"
#include "ntp/status.h"
#include "output.h"
#include "relaunch.h"
#include "report/html_report.h"
#include "report/results_db.h"
#include "report/sweep.h"

namespace ntp::cli {

namespace {

// Grid names that are options of `ntp run` rather than topology parameters.
const std::map<std::string, std::string> kRunOptions = {
    {"backend", "--backend"},       {"batch", "--batch"},     {"threads", "--threads"},
    {"precision", "--precision"},   {"streams", "--streams"}, {"mode", "--mode"},
    {"iterations", "--iterations"}, {"warmup", "--warmup"},   {"seed", "--seed"},
    {"chunk_ms", "--chunk-ms"}};

// One point's `ntp run` settings: the sweep's own options, then the point's values over them.
struct PointSettings {
  std::map<std::string, std::string> options;  // "--backend" -> "onednn"
  std::vector<std::pair<std::string, std::string>> sets;

  void set(const std::string& name, const std::string& value) {
    for (auto& [existing, old] : sets)
      if (existing == name) {
        old = value;
        return;
      }
    sets.emplace_back(name, value);
  }
};

PointSettings fixed_settings(const SweepArgs& args) {
  PointSettings settings;
  if (!args.backend.empty()) settings.options["--backend"] = args.backend;
  if (args.threads > 0) settings.options["--threads"] = std::to_string(args.threads);
  if (args.topology.batch) settings.options["--batch"] = std::to_string(*args.topology.batch);
  settings.options["--precision"] = args.topology.precision;
  settings.options["--seed"] = std::to_string(args.seed);
  settings.options["--warmup"] = std::to_string(args.measuring.warmup);
  if (args.measuring.time_seconds > 0)
    settings.options["--time"] = fmt::format("{}", args.measuring.time_seconds);
  else
    settings.options["--iterations"] = std::to_string(args.measuring.iterations);
  for (const auto& [option, value] : {std::pair{"--min-time", args.measuring.min_time_seconds},
                                      std::pair{"--max-time", args.measuring.max_time_seconds},
                                      std::pair{"--precision-target", args.measuring.precision_target}})
    if (value > 0) settings.options[option] = fmt::format("{}", value);
  settings.options["--mode"] = args.mode;
  settings.options["--streams"] = std::to_string(args.streams);
  for (const std::string& set : args.topology.sets) {
    const auto equals = set.find('=');
    settings.set(set.substr(0, equals), equals == std::string::npos ? "" : set.substr(equals + 1));
  }
  return settings;
}

PointSettings point_settings(const SweepArgs& args, const report::SweepParams& params) {
  PointSettings settings = fixed_settings(args);
  for (const auto& [name, value] : params) {
    if (const auto option = kRunOptions.find(name); option != kRunOptions.end()) {
      if (option->second == "--iterations") settings.options.erase("--time");
      settings.options[option->second] = value;
    } else {
      settings.set(name, value);
    }
  }
  return settings;
}

// A run option's value from a grid or point that `ntp run` would refuse: refused here, before anything runs.
void check_option_value(const std::string& option, const std::string& value) {
  static const std::set<std::string> whole_numbers = {"--batch",      "--threads", "--streams",
                                                      "--iterations", "--warmup",  "--seed"};
  const bool digits = !value.empty() && std::all_of(value.begin(), value.end(), ::isdigit);
  char* end = nullptr;
  const double number = std::strtod(value.c_str(), &end);
  std::string wanted;
  if (whole_numbers.contains(option) && !digits) wanted = "a whole number";
  static const std::set<std::string> counts = {"--batch", "--streams", "--iterations"};
  if (counts.contains(option) && digits && value.find_first_not_of('0') == std::string::npos)
    wanted = "a count of 1 or more";
  if (option == "--chunk-ms" && (*end != '\0' || !(number > 0))) wanted = "a positive number of milliseconds";
  if (option == "--mode" && value != "latency" && value != "throughput" && value != "stream")
    wanted = "latency, throughput or stream";
  if (!wanted.empty())
    throw UserError(kCommandLine,
                    fmt::format("{} '{}' in the sweep is not {}", option.substr(2), value, wanted),
                    "correct the --grid or --point value");
}

// Refuses a point whose topology parameters the topology does not have or cannot take, before any runs.
void check_point(const SweepArgs& args, const PointSettings& settings) {
  for (const auto& [option, value] : settings.options)
    check_option_value(option, value);
  ModelSpec topology = args.topology;
  topology.sets.clear();
  for (const auto& [name, value] : settings.sets)
    topology.sets.push_back(name + "=" + value);
  if (const auto batch = settings.options.find("--batch"); batch != settings.options.end())
    topology.batch = std::stoll(batch->second);
  topology.precision = settings.options.at("--precision");
  Model::load(topology, input_files(args.inputs));  // refuses what the topology (or an input) cannot take
  if (const auto backend = settings.options.find("--backend"); backend != settings.options.end()) {
    if (backend->second.find(',') != std::string::npos)
      throw UserError(kCommandLine, "a sweep point runs one back end",
                      "sweep back ends as an axis: --grid backend=onednn,torch");
    const std::vector<std::string> names = backend_names();  // each point loads its own
    if (std::find(names.begin(), names.end(), backend->second) == names.end())
      throw UserError(kCommandLine, fmt::format("this build has no back end '{}'", backend->second),
                      "`ntp backends` lists the back ends of this build");
  }
}

std::vector<std::string> run_arguments(const SweepArgs& args, const PointSettings& settings,
                                       const std::filesystem::path& output) {
  std::vector<std::string> argv = {this_program().string(), "run", args.topology.file};
  for (const std::string& shape : args.topology.shapes)
    argv.insert(argv.end(), {"--shape", shape});
  for (const auto& [name, value] : settings.sets)
    argv.insert(argv.end(), {"--set", name + "=" + value});
  for (const auto& [option, value] : settings.options)
    argv.insert(argv.end(), {option, value});
  for (const std::string& input : args.inputs)  // what every point's run takes as run would
    argv.insert(argv.end(), {"--input", input});
  if (!args.counters.empty()) argv.insert(argv.end(), {"--counters", args.counters});
  if (!args.tool.empty()) argv.insert(argv.end(), {"--tool", args.tool});
  if (!args.placement.empty()) argv.insert(argv.end(), {"--placement", args.placement});
  argv.insert(argv.end(), {"--format", "json", "-o", output.string(), "--no-db"});
  return argv;
}

// Why a point failed: the child's diagnostic (its "error:" line and hint), else how it ended.
std::string failure_reason(const ChildOutcome& outcome, const std::string& log, double timeout_seconds) {
  if (outcome.timed_out) return fmt::format("timed out after {:.0f} s", timeout_seconds);
  const auto error = log.rfind("error: ");
  if (error != std::string::npos) {  // the diagnostic's first line, without its hint
    const auto line_start = log.rfind('\n', error);
    const auto begin = line_start == std::string::npos ? 0 : line_start + 1;
    return log.substr(begin, log.find('\n', error) - begin);
  }
  if (outcome.status > 128) return fmt::format("crashed: killed by signal {}", outcome.status - 128);
  return fmt::format("exited with status {}", outcome.status);
}

std::string format_sweep(const nlohmann::json& sweep, const std::string& format) {
  if (format == "json") return sweep.dump(2) + "\n";
  if (format == "csv") return report::sweep_csv(sweep);
  if (format == "html") return report::sweep_html(sweep);
  return report::sweep_table(sweep);
}

}  // namespace

void write_sweep_output(const nlohmann::json& sweep, const std::string& format, const std::string& output) {
  write_output(output, format_sweep(sweep, format));
}

int sweep_command(const SweepArgs& args) {
  if (!args.grid.empty() && !args.points.empty())
    throw UserError(kCommandLine, "--grid and --point do not mix",
                    "sweep a grid (its cross product), or list the points one by one");
  if (args.grid.empty() && args.points.empty())
    throw UserError(kCommandLine, "a sweep needs --grid or --point",
                    "ntp sweep FILE --grid hidden=1024,2048 --grid batch=1,16");
  std::vector<report::SweepAxis> axes;
  std::vector<report::SweepParams> points;
  if (!args.grid.empty()) {
    for (const std::string& text : args.grid)
      axes.push_back(report::parse_axis(text));
    points = report::cross_product(axes);
  } else {
    if (args.points.size() > static_cast<std::size_t>(limits::kMaxSweepPoints))
      throw UserError({"<command line>", 0, 0}, fmt::format("more than {} points", limits::kMaxSweepPoints),
                      "split the sweep into several; docs/limits.md lists NTP's limits");
    for (const std::string& text : args.points)
      points.push_back(report::parse_point(text));
    for (const auto& params : points)  // the axes: every name the points set, each value in first-seen order
      for (const auto& [name, value] : params) {
        auto axis = std::find_if(axes.begin(), axes.end(), [&](const auto& a) { return a.name == name; });
        if (axis == axes.end()) axis = axes.insert(axes.end(), {name, {}});
        if (std::find(axis->values.begin(), axis->values.end(), value) == axis->values.end())
          axis->values.push_back(value);
      }
  }
  const report::Shard shard = args.shard.empty() ? report::Shard{} : report::parse_shard(args.shard);
  std::vector<std::size_t> mine;
  for (std::size_t i = 0; i < points.size(); ++i)
    if (report::in_shard(i, shard)) mine.push_back(i);
  ProfileOptions shared;  // the options every point shares, checked as `ntp run` would
  args.measuring.apply_to(shared);
  check_profile_options(shared);
  for (const std::size_t i : mine)  // bad parameters are the command line's fault: refuse before running
    check_point(args, point_settings(args, points[i]));

  nlohmann::json axes_json = nlohmann::json::array();
  for (const auto& axis : axes)
    axes_json.push_back({{"name", axis.name}, {"values", axis.values}});
  nlohmann::json sweep = {{"schema", "ntp.sweep/1"},
                          {"topology_file", args.topology.file},
                          {"axes", axes_json},
                          {"points_total", points.size()},
                          {"shard", {{"index", shard.index}, {"count", shard.count}}},
                          {"command_line", args.command_line},
                          {"points", nlohmann::json::array()}};
  std::optional<report::ResultsDatabase> database;
  std::int64_t sweep_id = 0;
  if (!args.no_db) {
    try {  // as with run: a database that cannot be written costs the records, not the sweep
      database.emplace(args.db.empty() ? report::default_database_path() : args.db);
      nlohmann::json description = sweep;
      description.erase("points");
      sweep_id = database->add_sweep(description);
      sweep["sweep_id"] = sweep_id;
      std::fprintf(stderr, "ntp sweep: recording as sweep %lld in %s (ntp history --sweep %lld)\n",
                   static_cast<long long>(sweep_id), database->path().c_str(),
                   static_cast<long long>(sweep_id));
    } catch (const UserError& error) {
      database.reset();
      std::fprintf(stderr, "ntp sweep: warning: the points will not be recorded: %s\n",
                   error.diagnostic().to_string().c_str());
    }
  }

  // Ctrl-C or SIGTERM stops the running point (its child is told too), skips the rest, and still writes
  // the points finished; the temporary folder goes with this scope.
  const InterruptionCatcher interruption;
  const io::TemporaryFolder folder("ntp-sweep");
  int failed = 0;
  for (std::size_t k = 0; k < mine.size() && !interruption.caught(); ++k) {
    const std::size_t index = mine[k];
    const std::string label = report::point_label(points[index]);
    std::fprintf(stderr, "ntp sweep: [%zu/%zu] point %zu, %s ...\n", k + 1, mine.size(), index,
                 label.c_str());
    const auto output = folder.path() / fmt::format("point-{}.json", index);
    const auto log = folder.path() / fmt::format("point-{}.log", index);
    const auto start = std::chrono::steady_clock::now();
    const ChildOutcome outcome = run_logged(run_arguments(args, point_settings(args, points[index]), output),
                                            log, args.timeout_seconds, &interruption.flag());
    if (outcome.interrupted) break;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    nlohmann::json point = {
        {"index", index}, {"label", label}, {"seconds", seconds}, {"params", nlohmann::json::object()}};
    for (const auto& [name, value] : points[index])
      point["params"][name] = value;
    std::optional<std::string> written = outcome.status == 0 ? io::read_file(output.string()) : std::nullopt;
    if (written) {
      point["status"] = "ok";
      point["record"] = nlohmann::json::parse(*written);
    } else {
      point["status"] = outcome.timed_out ? "timed out" : "failed";
      point["reason"] =
          failure_reason(outcome, io::read_file(log.string()).value_or(""), args.timeout_seconds);
      ++failed;
    }
    std::string recorded;
    if (database) {
      try {
        const std::int64_t run = database->add_sweep_point(sweep_id, point);
        if (run > 0) {
          point["run_id"] = run;
          recorded = fmt::format(", run {}", run);
        }
      } catch (const UserError& error) {
        std::fprintf(stderr, "ntp sweep: warning: point %zu was not recorded: %s\n", index,
                     error.diagnostic().to_string().c_str());
      }
    }
    if (point["status"] == "ok")
      std::fprintf(stderr, "ntp sweep: [%zu/%zu] point %zu, %s: %.3f ms median (%.1f s%s)\n", k + 1,
                   mine.size(), index, label.c_str(), point["record"]["latency"]["median"].get<double>(),
                   seconds, recorded.c_str());
    else
      std::fprintf(stderr, "ntp sweep: [%zu/%zu] point %zu, %s: %s: %s\n", k + 1, mine.size(), index,
                   label.c_str(), point["status"].get<std::string>().c_str(),
                   point["reason"].get<std::string>().c_str());
    sweep["points"].push_back(std::move(point));
  }
  if (interruption.caught()) {
    sweep["interrupted"] = {{"signal", caught_signal()}, {"points_finished", sweep["points"].size()}};
    std::fprintf(stderr,
                 "ntp sweep: interrupted (signal %d): %zu of %zu points finished; the output holds them\n",
                 caught_signal(), sweep["points"].size(), mine.size());
  }
  write_sweep_output(sweep, args.format, args.output);
  if (failed > 0)
    std::fprintf(stderr, "ntp sweep: %d of %zu points failed; the output lists why\n", failed, mine.size());
  if (interruption.caught()) return interrupted_exit_status();
  return failed > 0 ? 3 : 0;
}

}  // namespace ntp::cli
