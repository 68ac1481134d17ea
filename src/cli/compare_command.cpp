// `ntp compare A.json B.json ...`: run records saved earlier, lined up layer by layer against the first.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>

#include "commands.h"
#include "io/files.h"
#include "ntp/status.h"
#include "output.h"
#include "report/compare.h"
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

// The run records in one file: a run record, or a multi-back-end comparison with its records.
std::vector<nlohmann::json> records_in(const std::string& file) {
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
  if (schema == "ntp.run/1") return {document};
  if (schema == "ntp.compare/1" && document.contains("records"))
    return document["records"].get<std::vector<nlohmann::json>>();
  throw UserError({file, 1, 1},
                  schema.empty() ? "not an NTP run record (no \"schema\")"
                                 : fmt::format("not an NTP run record (schema '{}')", schema),
                  kHint);
}

bool is_run_id(const std::string& text) {
  return !text.empty() && text.size() < 19 && std::all_of(text.begin(), text.end(), ::isdigit) &&
         !std::filesystem::exists(text);
}

}  // namespace

int compare_command(const CompareArgs& args) {
  std::vector<nlohmann::json> records;
  std::optional<report::ResultsDatabase> database;
  for (const std::string& file : args.files) {
    if (!is_run_id(file)) {
      for (nlohmann::json& record : records_in(file))
        records.push_back(std::move(record));
      continue;
    }
    if (!database) database.emplace(args.db.empty() ? report::default_database_path() : args.db);
    std::optional<nlohmann::json> record = database->record(std::stoll(file));
    if (!record)
      throw UserError({database->path(), 0, 0}, fmt::format("no run {} in the results database", file),
                      "`ntp history` lists the runs it has");
    records.push_back(std::move(*record));
  }
  if (records.size() < 2)
    throw UserError({"<command line>", 0, 0}, "compare needs at least two runs",
                    "give two or more run records; the first is the baseline");
  const nlohmann::json comparison = report::compare_records(records);
  if (args.format == "json")
    write_output(args.output, comparison.dump(2) + "\n");
  else if (args.format == "csv")
    write_output(args.output, report::comparison_csv(comparison));
  else
    write_output(args.output, report::comparison_table(comparison));
  return 0;
}

}  // namespace ntp::cli
