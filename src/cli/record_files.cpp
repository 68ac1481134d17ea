#include "record_files.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "io/files.h"
#include "ntp/run_record.h"
#include "ntp/status.h"
#include "report/results_db.h"

namespace ntp::cli {

namespace {

const char* const kHint = "give run records written by `ntp run ... --format json -o FILE`";

// Line and column of a byte offset, for a JSON syntax error.
SourceLocation location_of(const std::string& file, const std::string& text, std::size_t byte) {
  SourceLocation where{file, 1, 1};
  for (std::size_t i = 0; i + 1 < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++where.line;
      where.column = 1;
    } else {
      ++where.column;
    }
  }
  return where;
}

// A run record as the views expect it: every section there with the right types. RunRecord::from_json
// checks each field the record holds; to_json writes every field back, so a record that lacks an optional
// one (or was written by an older NTP) reads like a complete one. Errors name where the record came from.
nlohmann::json checked_run_record(nlohmann::json record, const SourceLocation& where) {
  try {
    return RunRecord::from_json(record).to_json();
  } catch (const UserError& error) {
    throw UserError(where, error.diagnostic().message, error.diagnostic().hint);
  }
}

}  // namespace

nlohmann::json read_document(const std::string& file, const std::vector<std::string>& schemas) {
  const std::optional<std::string> read = io::read_file(file);
  if (!read) throw UserError({file, 0, 0}, "cannot read the file", kHint);
  const std::string& text = *read;
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& error) {
    throw UserError(location_of(file, text, error.byte), "not valid JSON: " + std::string(error.what()),
                    kHint);
  }
  const std::string schema = document.is_object() ? document.value("schema", std::string()) : std::string();
  if (std::find(schemas.begin(), schemas.end(), schema) == schemas.end())
    throw UserError({file, 1, 1},
                    schema.empty()
                        ? "not an NTP result (no \"schema\")"
                        : fmt::format("not an NTP result this command reads (schema '{}')", schema),
                    fmt::format("{}; this command reads {}", kHint, fmt::join(schemas, ", ")));
  return document;
}

bool is_run_id(const std::string& argument) {
  return !argument.empty() && argument.size() < 19 &&
         std::all_of(argument.begin(), argument.end(), ::isdigit) && !std::filesystem::exists(argument);
}

std::vector<nlohmann::json> load_records(const std::vector<std::string>& arguments, const std::string& db) {
  std::vector<nlohmann::json> records;
  std::optional<report::ResultsDatabase> database;
  for (const std::string& argument : arguments) {
    if (!is_run_id(argument)) {
      nlohmann::json document = read_document(argument, {"ntp.run/1", "ntp.compare/1"});
      if (document["schema"] == "ntp.run/1") {
        records.push_back(checked_run_record(std::move(document), {argument, 0, 0}));
      } else {
        if (!document.contains("records"))
          throw UserError({argument, 1, 1}, "this comparison holds no run records",
                          "compare the run records themselves, or write the comparison with `ntp run "
                          "--backend a,b --format json`, which keeps them");
        if (!document["records"].is_array())
          throw UserError({argument, 0, 0}, "the comparison's \"records\" is not a list of run records",
                          kHint);
        for (nlohmann::json& record : document["records"])
          records.push_back(checked_run_record(std::move(record), {argument, 0, 0}));
      }
      continue;
    }
    if (!database)
      database.emplace(db.empty() ? report::default_database_path() : db,
                       report::ResultsDatabase::Access::read_only);
    std::optional<nlohmann::json> record = database->record(std::stoll(argument));
    if (!record)
      throw UserError({database->path(), 0, 0}, fmt::format("no run {} in the results database", argument),
                      "`ntp history` lists the runs it has");
    records.push_back(checked_run_record(std::move(*record), {database->path(), 0, 0}));
  }
  return records;
}

}  // namespace ntp::cli
