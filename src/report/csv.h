// RFC 4180 CSV: fields with commas, quotes or newlines are quoted, quotes doubled.
#pragma once

#include <string>
#include <vector>

namespace ntp::report {

class CsvWriter {
 public:
  explicit CsvWriter(const std::vector<std::string>& header) { add_row(header); }
  void add_row(const std::vector<std::string>& fields);
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

}  // namespace ntp::report
