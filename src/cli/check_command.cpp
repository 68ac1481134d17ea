// `ntp check`: every layer's output on a back end against the reference back end's (session's check()).
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "ntp/session.h"
#include "output.h"
#include "report/text_table.h"

namespace ntp::cli {

namespace {

std::string check_table(const CheckRecord& record) {
  report::TextTable table;
  using Align = report::TextTable::Align;
  for (const auto& [title, align] :
       std::vector<std::pair<std::string, Align>>{{"layer", Align::left},
                                                  {"op", Align::left},
                                                  {"ran on", Align::left},
                                                  {"max abs err", Align::right},
                                                  {"max rel err", Align::right},
                                                  {"err / max|ref|", Align::right},
                                                  {"result", Align::left}})
    table.add_column(title, align);
  for (const LayerCheck& layer : record.layers)
    table.add_row(
        {layer.name, layer.op, layer.fallback ? "reference (fallback)" : layer.backend,
         fmt::format("{:.3g}", layer.max_abs_error), fmt::format("{:.3g}", layer.max_rel_error),
         fmt::format("{:.3g}", layer.normalised_error),
         std::string(layer.pass ? "ok" : "FAIL") +
             (layer.labels_differing > 0 ? fmt::format(" ({} labels differ)", layer.labels_differing) : "")});
  const std::string verdict =
      record.pass()
          ? fmt::format("all {} layers agree with reference within {:.3g} (error / max|reference|, {})",
                        record.layers.size(), record.tolerance, record.precision)
          : fmt::format("{} of {} layers differ from reference by more than {:.3g}", record.failures(),
                        record.layers.size(), record.tolerance);
  return fmt::format("{} on {} vs reference, seed {}\n\n{}\n{}\n", record.topology, record.backend,
                     record.seed, table.render(), verdict);
}

}  // namespace

// One back end, or a list (onednn,torch): each checked in turn against the reference back end; the JSON of a
// list is an array of check records.
int check_command(const CheckArgs& args) {
  const Model model = Model::load(args.topology);
  const std::vector<std::string> backends = parse_backend_list(args.backend, model.precision());
  require_engine_for(args.engine, backends);
  std::vector<CheckRecord> records;
  for (const std::string& backend : backends)
    records.push_back(check(
        model, {backend, args.threads, args.seed, args.tolerance, args.places, args.placement, args.engine}));
  const bool pass =
      std::all_of(records.begin(), records.end(), [](const CheckRecord& r) { return r.pass(); });
  if (args.format == "json") {
    nlohmann::json documents = nlohmann::json::array();
    for (const CheckRecord& record : records)
      documents.push_back(record.to_json());
    write_output(args.output, (records.size() == 1 ? documents.front() : documents).dump(2) + "\n");
    return pass ? 0 : 1;
  }
  std::string text;
  for (const CheckRecord& record : records)
    text += (text.empty() ? "" : "\n") + check_table(record);
  write_output(args.output, text);
  return pass ? 0 : 1;
}

}  // namespace ntp::cli
