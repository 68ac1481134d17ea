// `ntp check`: every layer's output on a back end against the reference back end's (session's check()).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "ntp/session.h"
#include "output.h"
#include "report/text_table.h"

namespace ntp::cli {

int check_command(const CheckArgs& args) {
  const Model model = Model::load(args.topology);
  const CheckRecord record =
      check(model, {args.backend, args.threads, args.seed, args.tolerance, args.places, args.placement});
  if (args.format == "json") {
    write_output(args.output, record.to_json().dump(2) + "\n");
    return record.pass() ? 0 : 1;
  }
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
  write_output(args.output, fmt::format("{} on {} vs reference, seed {}\n\n{}\n{}\n", record.topology,
                                        record.backend, record.seed, table.render(), verdict));
  return record.pass() ? 0 : 1;
}

}  // namespace ntp::cli
