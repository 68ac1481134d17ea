// `ntp merge SHARD.json ...`: the shards of one sweep (`ntp sweep --shard i/N`) joined into one result.
#include <nlohmann/json.hpp>
#include "commands.h"
#include "ntp/status.h"
#include "record_files.h"
#include "report/sweep.h"

namespace ntp::cli {

int merge_command(const MergeArgs& args) {
  std::vector<nlohmann::json> shards;
  for (const std::string& file : args.files)
    shards.push_back(read_document(file, {"ntp.sweep/1"}));
  const nlohmann::json merged = report::merge_sweeps(shards, args.files);
  write_sweep_output(merged, args.format, args.output);
  if (!merged["missing"].empty())
    std::fprintf(stderr, "ntp merge: warning: no shard ran points %s\n", merged["missing"].dump().c_str());
  return 0;
}

}  // namespace ntp::cli
