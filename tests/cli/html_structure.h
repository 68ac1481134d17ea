// The structure of an HTML report, with every figure masked: its headings, charts (with their item counts
// where those follow from the topology) and tables (header and first cells). Compared with golden files in
// tests/cli/golden/; NTP_UPDATE_GOLDEN=1 rewrites them.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "process.h"

namespace ntp::test {

inline std::string mask_figures(const std::string& text) {
  static const std::regex figure(R"([0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)?)");
  return std::regex_replace(text, figure, "#");
}

inline std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++count;
  return count;
}

// The text between `open` and `close` from `from` on, and where it ends; npos when there is none.
inline std::string between(const std::string& text, const std::string& open, const std::string& close,
                           std::size_t& from) {
  const auto begin = text.find(open, from);
  if (begin == std::string::npos) {
    from = std::string::npos;
    return "";
  }
  const auto end = text.find(close, begin + open.size());
  from = end == std::string::npos ? std::string::npos : end + close.size();
  return text.substr(begin + open.size(), end - begin - open.size());
}

// The first `most` cells of a table row: <th>text</th> or <td ...>text</td>, joined by " | ".
inline std::string cell_texts(const std::string& row, const std::string& tag, std::size_t most) {
  std::string text;
  std::size_t at = 0;
  for (std::size_t taken = 0; taken < most; ++taken) {
    std::string cell = between(row, "<" + tag, "</" + tag + ">", at);
    if (at == std::string::npos) break;
    cell = cell.substr(cell.find('>') + 1);
    text += (taken > 0 ? " | " : "") + cell;
  }
  return text;
}

// Found with plain searches, not std::regex, whose backtracking overflows the stack on pages this long.
inline std::string html_structure(const std::string& page) {
  std::string structure;
  std::size_t at = 0;
  while (true) {
    std::size_t next = std::string::npos;
    std::string kind;
    for (const char* opening :
         {"<h1>", "<h2 id=\"", "<svg class=\"chart\"", "<table>", "<table class=\"ranked\">"}) {
      const auto found = page.find(opening, at);
      if (found < next) {
        next = found;
        kind = opening;
      }
    }
    if (next == std::string::npos) break;
    at = next;
    if (kind == "<h1>") {
      structure += "h1 " + mask_figures(between(page, "<h1>", "</h1>", at)) + "\n";
    } else if (kind == "<h2 id=\"") {
      structure += "section " + between(page, "<h2 id=\"", "\"", at) + "\n";
    } else if (kind == "<table class=\"ranked\">") {
      // Rows ordered by a measured time: the header and how many rows, not their order.
      const std::string table = between(page, kind, "</table>", at);
      std::size_t row_at = 0;
      const std::string header = cell_texts(between(table, "<tr>", "</tr>", row_at), "th", 64);
      structure += "table (ranked) " + mask_figures(header) + ", rows " +
                   std::to_string(count_of(table, "<tr>") - 1) + "\n";
    } else if (kind == "<table>") {
      const std::string table = between(page, "<table>", "</table>", at);
      std::size_t row_at = 0;
      const std::string header = cell_texts(between(table, "<tr>", "</tr>", row_at), "th", 64);
      structure += "table " + mask_figures(header) + "\n";
      // A table of name and value (no header text) keeps its names only: values say where it ran.
      const std::size_t cells = header.substr(0, 1) == " " ? 1 : 2;
      while (row_at != std::string::npos) {
        const std::string row = between(table, "<tr>", "</tr>", row_at);
        if (row_at != std::string::npos)
          structure += "  " + mask_figures(cell_texts(row, "td", cells)) + "\n";
      }
    } else {
      const std::string chart = between(page, "<svg class=\"chart\"", "</svg>", at);
      std::size_t kind_at = 0;
      const std::string chart_kind = between(chart, "data-chart=\"", "\"", kind_at);
      structure += "chart " + chart_kind;
      if (chart.find("data-scale=\"log\"") != std::string::npos) structure += " (log)";
      if (chart_kind == "bars" || chart_kind == "ops" || chart_kind == "points")
        structure += ", bars " + std::to_string(count_of(chart, "<g>"));
      if (chart_kind == "roofline") structure += ", points " + std::to_string(count_of(chart, "<circle"));
      if (chart_kind == "stacked")
        structure += ", rows " + std::to_string(count_of(chart, "text-anchor=\"end\""));
      structure += "\n";
    }
    if (at == std::string::npos) break;
  }
  return structure;
}

inline void expect_golden_structure(const std::string& page, const std::string& golden_name) {
  const std::filesystem::path golden =
      std::filesystem::path(NTP_SOURCE_DIR) / "tests/cli/golden" / golden_name;
  const std::string structure = html_structure(page);
  if (std::getenv("NTP_UPDATE_GOLDEN") != nullptr) std::ofstream(golden) << structure;
  EXPECT_EQ(structure, slurp(golden)) << "the report's structure changed; if on purpose, run the test with "
                                         "NTP_UPDATE_GOLDEN=1 and review the diff of "
                                      << golden;
}

// No script and nothing fetched: no src, href or url() that leaves the page.
inline void expect_self_contained(const std::string& page) {
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_EQ(page.find("<link"), std::string::npos);
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_EQ(page.find("<iframe"), std::string::npos);
  EXPECT_EQ(page.find("src="), std::string::npos);
  EXPECT_EQ(page.find("href="), std::string::npos);
  EXPECT_EQ(page.find("url("), std::string::npos);
  EXPECT_EQ(page.find("@import"), std::string::npos);
  EXPECT_EQ(page.find("http:"), std::string::npos);
  EXPECT_EQ(page.find("https:"), std::string::npos);
}

}  // namespace ntp::test
