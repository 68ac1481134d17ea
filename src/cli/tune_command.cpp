// `ntp tune`: search the placement of layers on back ends and precisions (session's tune()), print it, write
// the winner's placement file, and record the candidates' runs.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "interruption.h"
#include "io/files.h"
#include "ntp/session.h"
#include "output.h"
#include "report/results_db.h"
#include "report/tune.h"

namespace ntp::cli {

namespace {

std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= list.size() && !list.empty()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    items.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

// The tune in the results database as a sweep whose points are its candidates (`ntp history --sweep ID`).
void record_tune(const TuneArgs& args, const TuneResult& result) {
  if (args.no_db) return;
  try {
    report::ResultsDatabase database(args.db.empty() ? report::default_database_path() : args.db);
    nlohmann::json description = result.record.to_json();
    description["command_line"] = args.command_line;
    const std::int64_t id = database.add_sweep(description);
    for (std::size_t i = 0; i < result.record.candidates.size(); ++i) {
      const TuneCandidate& candidate = result.record.candidates[i];
      nlohmann::json point = {{"index", i},
                              {"label", candidate.name},
                              {"status", static_cast<int>(i) == result.record.winner ? "winner"
                                         : candidate.rejected.empty()                ? "ok"
                                                                                     : "ruled out"},
                              {"reason", candidate.rejected}};
      if (candidate.measured) point["record"] = result.runs[i].to_json();
      database.add_sweep_point(id, point);
    }
    std::fprintf(stderr, "ntp tune: recorded as sweep %lld in %s (ntp history --sweep %lld)\n",
                 static_cast<long long>(id), database.path().c_str(), static_cast<long long>(id));
  } catch (const UserError& error) {
    std::fprintf(stderr, "ntp tune: warning: the tune was not recorded: %s\n",
                 error.diagnostic().to_string().c_str());
  }
}

}  // namespace

int tune_command(const TuneArgs& args) {
  const InterruptionCatcher interruption;
  TuneOptions options;
  options.backends = split_list(args.backends);
  options.precisions = split_list(args.topology.precision);
  options.objective = args.objective;
  if (args.max_latency_ms > 0) options.max_latency_ms = args.max_latency_ms;
  if (args.max_error > 0) options.max_error = args.max_error;
  options.rounds = args.rounds;
  options.profile.threads = args.threads;
  options.profile.seed = args.seed;
  args.measuring.apply_to(options.profile);
  options.profile.streams = args.streams;
  options.profile.command_line = args.command_line;
  // The placement file is checked before hours of measuring: a folder or a device is refused now.
  if (!args.write_placement.empty()) io::refuse_special_file(args.write_placement, "the placement file");
  TuneResult result;
  {
    ProgressLine progress_line;
    options.profile.control = {&interruption.flag(), progress_line.callback()};
    result = tune(args.topology, input_files(args.inputs), options);
  }
  const TuneRecord& record = result.record;
  if (args.format == "json")
    write_output(args.output, record.to_json().dump(2) + "\n");
  else if (args.format == "html")
    write_output(args.output, report::tune_html(record));
  else
    write_output(args.output, report::tune_table(record));
  if (!args.write_placement.empty() && record.winner >= 0) {
    io::write_file(args.write_placement, placement_file_text(record, record.winner), "the placement file");
    std::fprintf(stderr, "ntp tune: wrote the winner's placement to %s (ntp run --placement %s)\n",
                 args.write_placement.c_str(), args.write_placement.c_str());
  }
  record_tune(args, result);
  if (interruption.caught()) {
    std::fprintf(stderr, "ntp tune: interrupted: the candidates not measured are marked so\n");
    return interrupted_exit_status();
  }
  if (record.winner < 0) {
    std::fprintf(stderr, "ntp tune: %s\n", record.verdict.c_str());
    return 1;
  }
  return 0;
}

}  // namespace ntp::cli
