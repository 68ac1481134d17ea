// Views of a run record (ntp.run/1, include/ntp/run_record.h, in its JSON form): the console table, CSV
// and Chrome trace. The HTML report, comparisons and the results database read the same records.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "aggregate.h"

namespace ntp::report {

// The console table and CSV; the module view shows `module_depth` levels (--depth).
std::string run_table(const nlohmann::json& record, int module_depth = kDefaultModuleDepth);
std::string run_csv(const nlohmann::json& record, int module_depth = kDefaultModuleDepth);
nlohmann::json chrome_trace(const nlohmann::json& record);
// What a reader must not miss, one sentence each: a partial or time-limited run, figures that may be off,
// layers that fell back to the reference back end (and which back end has them), ceilings to recalibrate,
// segments whose layers were judged otherwise. The table says them in place; the HTML report on top.
std::vector<std::string> run_notices(const nlohmann::json& record);
// A record's transcripts as text, one line each, for --save-outputs and the console.
std::string transcript_lines(const nlohmann::json& transcripts);

}  // namespace ntp::report
