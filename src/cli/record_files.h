// Reading saved results back: run records and comparisons from JSON files, and runs from the results
// database by id. Shared by compare, report and merge.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace ntp::cli {

// A JSON document written by ntp, with its "schema" one of `schemas`. Throws UserError with the file, line
// and column for a missing file, malformed JSON or a foreign document.
nlohmann::json read_document(const std::string& file, const std::vector<std::string>& schemas);

// Whether a command-line argument names a run in the results database ("42") rather than a file.
bool is_run_id(const std::string& argument);

// The run records the arguments name: run record files, comparison files (their records), run ids.
std::vector<nlohmann::json> load_records(const std::vector<std::string>& arguments, const std::string& db);

}  // namespace ntp::cli
