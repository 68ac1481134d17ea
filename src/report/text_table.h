// A console table: named columns, right-aligned numbers, a rule under the header, optional footer rows.
#pragma once

#include <string>
#include <vector>

namespace ntp::report {

class TextTable {
 public:
  enum class Align { left, right };
  void add_column(std::string title, Align align);
  void add_row(std::vector<std::string> cells);
  void add_rule();  // a separator line before the next row
  std::string render() const;

 private:
  std::vector<std::string> titles_;
  std::vector<Align> aligns_;
  std::vector<std::vector<std::string>> rows_;  // an empty row is a rule
};

// 1234567 -> "1.23M"; 999 -> "999".
std::string human_count(double value);
// 1536 -> "1.50 KiB".
std::string human_bytes(double bytes);

}  // namespace ntp::report
