// A console table: named columns, right-aligned numbers, a rule under the header, optional footer rows.
#pragma once

#include <cstdint>
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
// (1, "thread") -> "1 thread", (2, "thread") -> "2 threads".
std::string counted(std::int64_t count, const std::string& word);
// A run's --threads: "2 threads", or "the library's default threads" for 0.
std::string threads_phrase(int threads);

}  // namespace ntp::report
