// `ntp`: the command line. Parsing lives here (CLI11 is slow to compile: one translation unit only).
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "interruption.h"
#include "ntp/limits.h"
#include "ntp/status.h"

namespace {

// A number of seconds (or milliseconds, or a tolerance): finite and above zero (or at least zero). CLI11's
// PositiveNumber lets NaN through (NaN <= 0 is false) and prints whatever was typed back.
CLI::Validator finite_number(bool zero_allowed) {
  return CLI::Validator(
      [zero_allowed](const std::string& text) -> std::string {
        double value = 0;
        std::size_t used = 0;
        try {
          value = std::stod(text, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used == text.size() && std::isfinite(value) && (value > 0 || (zero_allowed && value == 0)))
          return "";
        return "'" + text.substr(0, 32) + (text.size() > 32 ? "...'" : "'") + " is not a finite number " +
               (zero_allowed ? "of 0 or more" : "above 0");
      },
      zero_allowed ? "X>=0" : "X>0");
}

// A seed: a whole number from 0 to 2^64-1, written in digits (no sign: -1 would wrap to 2^64-1).
const CLI::Validator kSeed(
    [](const std::string& text) -> std::string {
      const bool digits =
          !text.empty() && text.size() <= 20 && std::all_of(text.begin(), text.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c)) != 0;
          });
      if (digits && (text.size() < 20 || text <= "18446744073709551615")) return "";
      return "'" + text.substr(0, 32) + "' is not a seed: give a whole number from 0 to 18446744073709551615";
    },
    "SEED");

// A whole number from `minimum` to `maximum` (by default the largest int), checked on the text so that 0,
// -1, 1.5 and "ten" get a sentence with the bound: CLI11's ranges print "Value 0 not in range 0.000000 to
// 1797693134862315708..." for an open end. An end the option's type sets is named only when passed.
CLI::Validator whole_number(std::int64_t minimum, std::int64_t maximum = std::numeric_limits<int>::max()) {
  const bool open_ended =
      maximum == std::numeric_limits<int>::max() || maximum == std::numeric_limits<std::int64_t>::max();
  const std::string bounds =
      open_ended ? fmt::format("at least {}", minimum) : fmt::format("from {} to {}", minimum, maximum);
  return CLI::Validator(
      [minimum, maximum, open_ended, bounds](const std::string& text) -> std::string {
        const std::string shown = text.size() > 32 ? text.substr(0, 32) + "..." : text;
        std::int64_t value = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        const bool whole = end == text.data() + text.size();
        if (!whole || (error != std::errc() && error != std::errc::result_out_of_range))
          return fmt::format("must be a whole number ({}), got '{}'", bounds, shown);
        const bool below = error == std::errc() ? value < minimum : text.front() == '-';
        const bool above = error == std::errc() ? value > maximum : text.front() != '-';
        if (!below && !above) return "";
        if (open_ended && above) return fmt::format("must be at most {}, got {}", maximum, shown);
        return fmt::format("must be {}, got {}", bounds, shown);
      },
      open_ended ? fmt::format("N>={}", minimum) : fmt::format("{}..{}", minimum, maximum));
}

// Threads: 0 (the library's choice) up to a bound far above any machine's cores; libgomp crashes on more.
const CLI::Validator kThreads(
    [](const std::string& text) -> std::string {
      const bool digits =
          !text.empty() && text.size() <= 4 && std::all_of(text.begin(), text.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c)) != 0;
          });
      if (digits && std::stoi(text) <= ntp::limits::kMaxThreads) return "";
      return fmt::format("'{}' is not a thread count: give 0 (the library's choice) to {}",
                         text.substr(0, 32), ntp::limits::kMaxThreads);
    },
    fmt::format("0..{}", ntp::limits::kMaxThreads));

// A UTC date, 2026-11-24, optionally with a time, 2026-11-24T09:30:00Z: what the database's dates compare to.
const CLI::Validator kDate(
    [](const std::string& text) -> std::string {
      int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
      char tail = 0;
      const int fields = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &year, &month, &day, &hour,
                                     &minute, &second, &tail);
      const bool date_only = text.size() == 10 && fields == 3;
      const bool with_time =
          fields >= 6 && (fields == 6 || (fields == 7 && tail == 'Z' && text.back() == 'Z'));
      if ((date_only || with_time) && year >= 1970 && month >= 1 && month <= 12 && day >= 1 && day <= 31 &&
          hour < 24 && minute < 60 && second < 61)
        return "";
      return "'" + text.substr(0, 32) + "' is not a UTC date: write 2026-11-24 or 2026-11-24T09:30:00Z";
    },
    "DATE");

void add_topology_options(CLI::App& command, ntp::ModelSpec& args) {
  command.add_option("file", args.file, "topology file (.xml) or ONNX model (.onnx)")->required();
  command.add_option("--shape", args.shapes,
                     "ONNX models: an input's shape where its dimensions are dynamic, --shape x=1,3,224,224 "
                     "(repeatable); named dimensions also take --set name=value");
  command.add_option("--set", args.sets, "override a topology parameter: --set hidden=1024 (repeatable)");
  command.add_option("-b,--batch", args.batch, "the built-in batch parameter (default: the topology's)")
      ->check(whole_number(1, std::numeric_limits<std::int64_t>::max()));
  command.add_option("-p,--precision", args.precision,
                     "element type of the weights and layers: fp32, bf16 or int8 (`ntp backends` lists each "
                     "back end's)");
}

// --backend (described for the subcommand: run takes a list, check and sweep one), --threads and --seed.
void add_execution_options(CLI::App& command, const std::string& backend_help, std::string& backend,
                           int& threads, std::uint64_t& seed) {
  command.add_option("-d,--backend", backend, backend_help + " (default: the first of `ntp backends`)");
  command.add_option("-t,--threads", threads, "threads (0: the library's choice)")->check(kThreads);
  command.add_option("--seed", seed, "seed of the random weights and inputs")->check(kSeed);
}

// The settings of back ends that run whole graphs in their own engine (onnxruntime).
void add_engine_options(CLI::App& command, ntp::EngineOptions& engine) {
  command
      .add_option("--ort-opt", engine.optimization,
                  "onnxruntime: ONNX Runtime's graph optimisation level, as users deploy it (all) or less")
      ->check(CLI::IsMember({"disable", "basic", "extended", "all"}));
  command
      .add_option("--ort-execution", engine.execution,
                  "onnxruntime: ONNX Runtime's execution mode (parallel runs independent nodes at once)")
      ->check(CLI::IsMember({"sequential", "parallel"}));
  command
      .add_option("--engine-timeout", engine.timeout_seconds,
                  "onnxruntime: seconds its runner may take before it is stopped")
      ->check(CLI::Range(0.001, 1e6));
}

// CLI11 shows an empty list's default as "=[]", which says nothing a repeatable option's help does not.
// (Defaults known only at run time are in the help text instead: "(default: ...)".)
void hide_empty_list_defaults(CLI::App& app) {
  for (CLI::Option* option : app.get_options())
    if (option->get_default_str() == "[]") option->default_str("");
  for (CLI::App* command : app.get_subcommands({}))
    hide_empty_list_defaults(*command);
}

// --format (one of `formats`, described by `description`) and -o/--output.
void add_format_and_output(CLI::App& command, std::string& format, std::string& output,
                           const std::vector<std::string>& formats, const std::string& description) {
  command.add_option("--format", format, description)->check(CLI::IsMember(formats));
  command.add_option("-o,--output", output, "write to this file instead of stdout");
}

// When measuring stops besides --iterations and --time (ntp/run_control.h's StoppingRule).
void add_stopping_options(CLI::App& command, ntp::cli::Measuring& measuring) {
  command
      .add_option("--min-time", measuring.min_time_seconds,
                  "measure at least this many seconds (default: off)")
      ->check(finite_number(true))
      ->default_str("");
  command
      .add_option("--max-time", measuring.max_time_seconds,
                  "stop measuring after this many seconds (default: off; 60 with a --precision-target)")
      ->check(finite_number(true))
      ->default_str("");
  command
      .add_option(
          "--precision-target", measuring.precision_target,
          "go on past --iterations until the median's 95% confidence interval is within this fraction "
          "of it (0.02: +-2%), or --max-time has passed (default: off)")
      ->check(CLI::Validator(
          [](const std::string& text) -> std::string {
            char* end = nullptr;
            const double value = std::strtod(text.c_str(), &end);
            if (!text.empty() && *end == '\0' && value > 0 && value < 1) return "";
            return "'" + text.substr(0, 32) + "' is not a fraction between 0 and 1 (0.02 asks for +-2%)";
          },
          "FRACTION"))
      ->default_str("");
}

// --db: a results database other than the default, which the help line names.
void add_database_option(CLI::App& command, std::string& db, const std::string& description) {
  command.add_option("--db", db, description + " (default: $NTP_DB, else ~/.local/share/ntp/results.db)");
}

// --depth N: the module levels a run's views (`views`: "the table, CSV and HTML table") show. Checked on the
// text, so that 0, -1 and "two" all get the same message (and exit code 2, as every bad command line does).
void add_depth_option(CLI::App& command, int& depth, const std::string& views) {
  const CLI::Validator positive_whole_number(
      [](const std::string& text) -> std::string {
        const bool digits = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c)) != 0;
        });
        if (digits && text.size() <= 6 && std::stoi(text) >= 1) return "";
        return "'" + text +
               "' is not a number of levels: give a whole number from 1 (top-level modules only) up, "
               "such as --depth 3";
      },
      "N>=1");
  command
      .add_option("--depth", depth,
                  "levels of the module view (node names split on '/' or '.') " + views + " show")
      ->check(positive_whole_number);
}

std::string joined_command_line(int argc, char** argv) {
  std::string line;
  for (int i = 0; i < argc; ++i)
    line += (i > 0 ? " " : "") + std::string(argv[i]);
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ntp: the Neural network Topology Profiler. Where does a topology spend its time and memory?"};
  app.require_subcommand(1);
  app.option_defaults()->always_capture_default();  // every help line shows its default
  app.set_version_flag("--version", ntp::cli::version_text);

  ntp::cli::InspectArgs inspect;
  auto* inspect_command =
      app.add_subcommand("inspect", "static analysis: shapes, parameters, FLOPs, bytes, memory");
  add_topology_options(*inspect_command, inspect.topology);
  add_format_and_output(*inspect_command, inspect.format, inspect.output, {"table", "json", "csv"},
                        "table, json or csv");

  ntp::cli::RunArgs run;
  auto* run_command =
      app.add_subcommand("run", "build the topology on a back end, run it and profile every layer");
  add_topology_options(*run_command, run.topology);
  add_execution_options(*run_command,
                        "back end; a list, onednn,torch, runs each and compares them layer by layer",
                        run.backend, run.threads, run.seed);
  run_command->add_option("--warmup", run.measuring.warmup, "untimed iterations before measuring")
      ->check(whole_number(0));
  auto* iterations =
      run_command->add_option("-n,--iterations", run.measuring.iterations, "measured iterations")
          ->check(whole_number(1));
  run_command
      ->add_option("--time", run.measuring.time_seconds,
                   "measure for this many seconds instead of --iterations (at least 3 iterations; default: "
                   "off)")
      ->check(finite_number(false))
      ->default_str("")
      ->excludes(iterations);
  add_stopping_options(*run_command, run.measuring);
  run_command
      ->add_option("--mode", run.mode,
                   "latency (one stream), throughput (--streams concurrent streams) or stream (the audio "
                   "input fed in --chunk-ms chunks, recurrent state carried)")
      ->check(CLI::IsMember({"latency", "throughput", "stream"}));
  run_command->add_option("--chunk-ms", run.chunk_ms, "stream mode: milliseconds of audio per chunk")
      ->check(finite_number(false));
  run_command->add_option("--streams", run.streams, "concurrent streams in throughput mode")
      ->check(whole_number(1, 64));
  run_command->add_option("--input", run.inputs,
                          "real input data: NAME=FILE.npy, or NAME=FILE.wav (FLAC, ...) for an audio input "
                          "(repeatable); a dimension written as a parameter follows the file");
  run_command->add_option("--save-outputs", run.save_outputs,
                          "write every graph output as .npy into this folder");
  run_command->add_flag("--save-all", run.save_all,
                        "with --save-outputs: every node's output, named after the node");
  run_command->add_option("--counters", run.counters,
                          "perf_event counters per layer: a set (basic, cache, memory, topdown, software) or "
                          "event names as perf and libpfm4 know them, comma-separated");
  run_command
      ->add_option("--counter-group", run.counter_group,
                   "hardware events per counter group (4: what every x86 PMU can count at once; 0: all in "
                   "one group); more groups take turns over the measured iterations")
      ->check(whole_number(0));
  run_command
      ->add_option("--tool", run.tool,
                   "relaunch under an external profiler that sees only the layers of the --region segments "
                   "(default: every layer) in the measured iterations: perf (perf stat; --counters names its "
                   "events) or callgrind (instructions and simulated cache misses per layer, in any VM); a "
                   "start marker's tool attribute chooses it too. papi reads --counters through PAPI per "
                   "layer, in this process")
      ->check(CLI::IsMember({"callgrind", "perf", "papi"}));
  run_command->add_option("--region", run.regions,
                          "a segment (start/end markers) the --tool sees; repeatable");
  run_command->add_flag("--tool-child", run.tool_child, "set by --tool on the relaunched process")->group("");
  run_command->add_option("--tool-control", run.tool_control, "set by --tool perf")->group("");
  add_database_option(*run_command, run.db, "record the run in this results database");
  run_command->add_flag("--no-db", run.no_db, "do not record the run in the results database");
  run_command
      ->add_option("--trace-iterations", run.trace_iterations,
                   "measured iterations the run's timeline (--format trace) keeps: a count, or all")
      ->check(CLI::Validator(
          [](const std::string& text) -> std::string {
            const bool digits =
                !text.empty() && text.size() <= 9 &&
                std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
            if (text == "all" || digits) return "";
            return "'" + text.substr(0, 32) + "' is not a count of iterations or 'all'";
          },
          "N|all"));
  const std::string place_help =
      "NAME=BACKEND[:PRECISION]: the layer NAME, or every layer of the segment NAME, runs on that back end "
      "(at "
      "that precision), the rest on --backend; conversions between element types are timed steps "
      "(repeatable)";
  run_command->add_option("--place", run.places, place_help);
  const std::string placement_help =
      "a placement file (what `ntp tune --write-placement` writes): NAME=BACKEND[:PRECISION] a line; "
      "--place overrides it";
  run_command->add_option("--placement", run.placement, placement_help);
  add_engine_options(*run_command, run.engine);
  run_command->add_option(
      "--label", run.label,
      "a name for the run, kept in its record and shown by `ntp history` and `ntp compare`");
  run_command->add_flag(
      "--trace-warmup", run.trace_warmup,
      "the timeline keeps the cold run and the warm-up iterations too, each timed step by step");
  run_command->add_flag(
      "--recalibrate", run.recalibrate,
      "measure this machine's roofline ceilings again instead of reading them from the cache "
      "(they expire after a month, or an hour when measured under load)");
  run_command->add_flag("--no-layer-timing", run.no_layer_timing,
                        "end-to-end time only, without instrumentation");
  add_format_and_output(
      *run_command, run.format, run.output, {"table", "json", "csv", "trace", "html"},
      "table, json, csv, trace (Chrome trace) or html (a self-contained report with charts)");
  add_depth_option(*run_command, run.depth, "the table, CSV and HTML table (JSON carries every level)");

  ntp::cli::CheckArgs check;
  auto* check_command =
      app.add_subcommand("check", "compare a back end's per-layer outputs with the reference back end");
  add_topology_options(*check_command, check.topology);
  add_execution_options(
      *check_command,
      "the back end whose outputs are checked; a list, onednn,torch, checks each (JSON: an array of records)",
      check.backend, check.threads, check.seed);
  check_command->add_option("--place", check.places, place_help);
  check_command->add_option("--placement", check.placement, placement_help);
  add_engine_options(*check_command, check.engine);
  check_command
      ->add_option("--tolerance", check.tolerance,
                   "largest error / max|reference| a layer may have and pass (default: the precision's)")
      ->check(finite_number(false))
      ->default_str("");
  add_format_and_output(*check_command, check.format, check.output, {"table", "json"}, "table or json");

  ntp::cli::CompareArgs compare;
  auto* compare_command = app.add_subcommand(
      "compare",
      "line up saved run records layer by layer: times, shares, ratios to the first, significance");
  compare_command
      ->add_option("records", compare.files,
                   "run records: files (ntp run --format json -o FILE) or run ids from `ntp history`")
      ->required();
  add_database_option(*compare_command, compare.db, "results database for run ids");
  add_format_and_output(*compare_command, compare.format, compare.output, {"table", "json", "csv", "html"},
                        "table, json, csv or html (with charts)");

  ntp::cli::SweepArgs sweep;
  auto* sweep_command = app.add_subcommand(
      "sweep", "run a topology over a grid of parameters, each point in a fresh process, and compare them");
  add_topology_options(*sweep_command, sweep.topology);
  add_execution_options(*sweep_command,
                        "the back end of every point (one; sweep several as an axis: --grid "
                        "backend=onednn,torch)",
                        sweep.backend, sweep.threads, sweep.seed);
  sweep_command->add_option(
      "--grid", sweep.grid,
      "an axis: name=v1,v2,... (a topology parameter, or backend, batch, threads, precision, "
      "streams, mode, iterations, warmup, seed); the sweep runs every combination");
  sweep_command->add_option("--point", sweep.points,
                            "one point, name=v,name=v (repeatable), instead of a grid");
  sweep_command->add_option("--shard", sweep.shard,
                            "i/N: run only points i-1, i-1+N, ... (for a job array); `ntp merge` joins the "
                            "shards");
  sweep_command
      ->add_option("--warmup", sweep.measuring.warmup, "untimed iterations before measuring, per point")
      ->check(whole_number(0));
  sweep_command->add_option("-n,--iterations", sweep.measuring.iterations, "measured iterations per point")
      ->check(whole_number(1));
  sweep_command
      ->add_option("--time", sweep.measuring.time_seconds,
                   "measure each point for this many seconds instead of --iterations (default: off)")
      ->check(finite_number(false))
      ->default_str("");
  add_stopping_options(*sweep_command, sweep.measuring);
  sweep_command->add_option("--mode", sweep.mode, "latency, throughput or stream, as in run")
      ->check(CLI::IsMember({"latency", "throughput", "stream"}));
  sweep_command->add_option("--streams", sweep.streams, "concurrent streams in throughput mode")
      ->check(whole_number(1, 64));
  sweep_command->add_option("--input", sweep.inputs,
                            "real input data for every point, as in run: NAME=FILE.npy or NAME=FILE.wav "
                            "(repeatable)");
  sweep_command->add_option(
      "--placement", sweep.placement,
      "every point places its layers as this file says (ntp tune --write-placement), as "
      "in run");
  sweep_command->add_option("--counters", sweep.counters,
                            "perf_event counters per layer at every point, as in run: a set (basic, cache, "
                            "memory, topdown, software) or event names, comma-separated");
  sweep_command
      ->add_option("--tool", sweep.tool,
                   "run every point under an external profiler, as in run: perf, callgrind or papi")
      ->check(CLI::IsMember({"callgrind", "perf", "papi"}));
  sweep_command
      ->add_option("--timeout", sweep.timeout_seconds,
                   "seconds a point may run before it is killed and recorded as timed out (0: no limit)")
      ->check(finite_number(true));
  add_database_option(*sweep_command, sweep.db, "record every point in this results database");
  sweep_command->add_flag("--no-db", sweep.no_db, "do not record the points");
  add_format_and_output(*sweep_command, sweep.format, sweep.output, {"table", "json", "csv", "html"},
                        "table, json, csv or html (charts against each axis)");

  ntp::cli::TuneArgs tune;
  auto* tune_command = app.add_subcommand(
      "tune",
      "find the fastest placement of layers on back ends and precisions: every configuration run whole, "
      "the best placement searched from its layer times and conversion costs, the best few run end to end "
      "against the best single configuration");
  add_topology_options(*tune_command, tune.topology);
  tune_command->get_option("--precision")
      ->description("the precisions searched, a list: fp32,bf16,int8 (`ntp backends` lists each back end's)");
  tune_command->add_option("-d,--backend", tune.backends,
                           "the back ends searched, a list: onednn,torch (default: every back end of this "
                           "build but the reference)");
  tune_command->add_option("-t,--threads", tune.threads, "threads of every run (0: the library's choice)")
      ->check(kThreads);
  tune_command->add_option("--seed", tune.seed, "seed of the random weights and inputs")->check(kSeed);
  tune_command
      ->add_option("--objective", tune.objective,
                   "what the winner is best at: latency (the median), latency-p99, or throughput (items/s "
                   "over --streams concurrent streams)")
      ->check(CLI::IsMember({"latency", "latency-p99", "throughput"}));
  tune_command
      ->add_option("--max-latency-ms", tune.max_latency_ms,
                   "rule out candidates whose latency (median, or p99 for latency-p99) is over this "
                   "(default: off)")
      ->check(finite_number(false))
      ->default_str("");
  tune_command
      ->add_option("--max-error", tune.max_error,
                   "rule out candidates whose outputs differ from the reference back end's fp32 ones by more "
                   "than this fraction of their largest magnitude (default: off; the error is shown whenever "
                   "a precision below fp32 is searched)")
      ->check(finite_number(false))
      ->default_str("");
  tune_command->add_option("--rounds", tune.rounds, "interleaved rounds of the candidates' end-to-end runs")
      ->check(whole_number(1, 100));
  tune_command
      ->add_option("--warmup", tune.measuring.warmup, "untimed iterations before measuring, every run")
      ->check(whole_number(0));
  tune_command->add_option("-n,--iterations", tune.measuring.iterations, "measured iterations of every run")
      ->check(whole_number(1));
  add_stopping_options(*tune_command, tune.measuring);
  tune_command->add_option("--streams", tune.streams, "concurrent streams for the throughput objective")
      ->check(whole_number(1, 64));
  tune_command->add_option("--input", tune.inputs, "real input data, as in run (repeatable)");
  tune_command->add_option("--write-placement", tune.write_placement,
                           "write the winner's placement to this file, for ntp run --placement FILE");
  add_database_option(*tune_command, tune.db, "record the tune and its candidates' runs in this database");
  tune_command->add_flag("--no-db", tune.no_db, "do not record the tune");
  add_format_and_output(*tune_command, tune.format, tune.output, {"table", "json", "html"},
                        "table, json (ntp.tune/1) or html (charts of the search)");

  ntp::cli::MergeArgs merge;
  auto* merge_command = app.add_subcommand("merge", "join the shards of a sweep (ntp sweep --shard i/N)");
  merge_command->add_option("shards", merge.files, "the shards' results (ntp sweep --format json -o FILE)")
      ->required();
  add_format_and_output(*merge_command, merge.format, merge.output, {"table", "json", "csv", "html"},
                        "table, json (a sweep result, as ntp sweep --format json writes), csv or html");

  ntp::cli::ReportArgs report;
  auto* report_command = app.add_subcommand("report",
                                            "show a saved run record, comparison or sweep as a "
                                            "self-contained HTML report with charts, or as a table");
  report_command
      ->add_option("result", report.input,
                   "a run record, comparison, sweep or tune (ntp run/compare/sweep/tune --format json -o "
                   "FILE), or a run "
                   "id from `ntp history`")
      ->required();
  add_database_option(*report_command, report.db, "results database for run ids");
  add_format_and_output(*report_command, report.format, report.output, {"html", "table"}, "html or table");
  add_depth_option(*report_command, report.depth, "a run's table and HTML table");

  ntp::cli::HistoryArgs history;
  auto* history_command = app.add_subcommand("history", "list past runs from the results database");
  add_database_option(*history_command, history.db, "results database");
  history_command->add_option("--topology", history.topology, "only runs of this topology (its name)");
  history_command->add_option("-d,--backend", history.backend, "only runs on this back end");
  history_command->add_option("--host", history.host, "only runs on this host");
  history_command->add_option("--since", history.since, "only runs recorded since this UTC date, 2026-11-24")
      ->check(kDate);
  history_command
      ->add_option("--sweep", history.sweep,
                   "list this sweep's points (ntp sweep prints its id) with their status and run ids")
      ->check(whole_number(1, std::numeric_limits<std::int64_t>::max()))
      ->default_str("");
  history_command->add_option("--limit", history.limit, "at most this many, newest first")
      ->check(whole_number(1));
  history_command->add_option("--format", history.format, "table or json")
      ->check(CLI::IsMember({"table", "json"}));

  ntp::cli::BackendsArgs backends;
  auto* backends_command =
      app.add_subcommand("backends", "the back ends of this build: versions, precisions, ops");
  backends_command->add_option("--format", backends.format, "table or json")
      ->check(CLI::IsMember({"table", "json"}));

  ntp::cli::OpsArgs ops;
  auto* ops_command = app.add_subcommand("ops", "list the ops a topology can use, with their attributes");
  add_format_and_output(*ops_command, ops.format, ops.output, {"table", "markdown"}, "table or markdown");

  auto* version_command =
      app.add_subcommand("version", "the version of ntp and of the back-end libraries built in");

#if NTP_HAVE_ONNX
  ntp::cli::ExportArgs export_args;
  auto* export_command =
      app.add_subcommand("export", "write the topology with its seeded weights as an ONNX model");
  add_topology_options(*export_command, export_args.topology);
  export_command->add_option("-o,--output", export_args.output, "the .onnx file to write")->required();
  export_command->add_option("--seed", export_args.seed, "seed of the random weights (as in run)")
      ->check(kSeed);
  export_command->add_option("--opset", export_args.opset, "ONNX opset, 13 to 17");
#endif
  hide_empty_list_defaults(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : 2;  // bad command lines are bad input: exit code 2, like every other
  }

  try {
    if (*inspect_command) return ntp::cli::inspect_command(inspect);
    if (*run_command) {
      run.command_line = joined_command_line(argc, argv);
      run.arguments.assign(argv + 1, argv + argc);
      return ntp::cli::run_command(run);
    }
    if (*check_command) return ntp::cli::check_command(check);
    if (*backends_command) return ntp::cli::backends_command(backends);
    if (*compare_command) return ntp::cli::compare_command(compare);
    if (*history_command) return ntp::cli::history_command(history);
    if (*report_command) return ntp::cli::report_command(report);
    if (*sweep_command) {
      sweep.command_line = joined_command_line(argc, argv);
      return ntp::cli::sweep_command(sweep);
    }
    if (*merge_command) return ntp::cli::merge_command(merge);
    if (*tune_command) {
      tune.command_line = joined_command_line(argc, argv);
      return ntp::cli::tune_command(tune);
    }
    if (*ops_command) return ntp::cli::ops_command(ops);
    if (*version_command) {
      std::cout << ntp::cli::version_text() << "\n";
      return 0;
    }
#if NTP_HAVE_ONNX
    if (*export_command) return ntp::cli::export_command(export_args);
#endif
  } catch (const ntp::UserError& error) {
    std::cerr << error.diagnostic().to_string() << "\n";
    return 2;
  } catch (const ntp::Interrupted& interrupted) {
    std::cerr << "ntp: " << interrupted.what() << ", before anything was measured: nothing was written\n";
    return ntp::cli::interrupted_exit_status();
  } catch (const nlohmann::json::exception& error) {
    // A result file (a sweep's) with a field of the wrong type or missing: bad input, not NTP's fault.
    std::cerr << "ntp: error: a result file this command read is malformed: " << error.what()
              << "\n  hint: write it again with the command that made it (--format json)\n";
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "ntp: internal error: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
