#include "text_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace ntp::report {

void TextTable::add_column(std::string title, Align align) {
  titles_.push_back(std::move(title));
  aligns_.push_back(align);
}

void TextTable::add_row(std::vector<std::string> cells) {
  cells.resize(titles_.size());
  rows_.push_back(std::move(cells));
}

void TextTable::add_rule() {
  rows_.emplace_back();
}

std::string TextTable::render() const {
  std::vector<std::size_t> widths;
  for (const auto& title : titles_)
    widths.push_back(title.size());
  for (const auto& row : rows_)
    for (std::size_t c = 0; c < row.size(); ++c)
      widths[c] = std::max(widths[c], row[c].size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) text += "  ";
      text += aligns_[c] == Align::left ? fmt::format("{:<{}}", cells[c], widths[c])
                                        : fmt::format("{:>{}}", cells[c], widths[c]);
    }
    while (!text.empty() && text.back() == ' ')
      text.pop_back();
    return text + "\n";
  };
  std::size_t total_width = 0;
  for (const std::size_t width : widths)
    total_width += width + 2;
  const std::string rule = std::string(total_width > 2 ? total_width - 2 : 0, '-') + "\n";
  std::string text = line(titles_) + rule;
  for (const auto& row : rows_)
    text += row.empty() ? rule : line(row);
  return text;
}

std::string human_count(double value) {
  const double magnitude = std::fabs(value);
  if (magnitude < 1e3) return fmt::format("{:.0f}", value);
  if (magnitude < 1e6) return fmt::format("{:.2f}K", value / 1e3);
  if (magnitude < 1e9) return fmt::format("{:.2f}M", value / 1e6);
  if (magnitude < 1e12) return fmt::format("{:.2f}G", value / 1e9);
  return fmt::format("{:.2f}T", value / 1e12);
}

std::string counted(std::int64_t count, const std::string& word) {
  return fmt::format("{} {}{}", count, word, count == 1 ? "" : "s");
}

std::string threads_phrase(int threads) {
  return threads > 0 ? counted(threads, "thread") : "the library's default threads";
}

std::string human_bytes(double bytes) {
  if (bytes < 1024) return fmt::format("{:.0f} B", bytes);
  if (bytes < 0x1p20) return fmt::format("{:.2f} KiB", bytes / 0x1p10);
  if (bytes < 0x1p30) return fmt::format("{:.2f} MiB", bytes / 0x1p20);
  return fmt::format("{:.2f} GiB", bytes / 0x1p30);
}

}  // namespace ntp::report
