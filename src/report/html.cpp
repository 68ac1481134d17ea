#include "html.h"

#include <fmt/format.h>

#include <cstdlib>

namespace ntp::report::html {

namespace {

// "12.3", "-0.5", "1.2e+03", "45%", "3.1x", "0.25*", "12.5 ms": a figure, right-aligned in its column.
bool reads_as_number(const std::string& cell) {
  const char* begin = cell.c_str();
  char* end = nullptr;
  std::strtod(begin, &end);
  if (end == begin) return false;
  const std::string unit(end);
  return unit.empty() || unit == "%" || unit == "x" || unit == "*" || unit == " ms" || unit == " s" ||
         unit == " items/s";
}

const char* const kStyle = R"(
body { font-family: sans-serif; margin: 24px auto; max-width: 1100px; color: #222; background: #fff; }
h1 { font-size: 22px; margin-bottom: 4px; }
h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
p.note, p.explanation { color: #555; font-size: 13px; margin: 4px 0 10px; overflow-wrap: anywhere; }
ul.notices { background: #fff6e0; border-left: 4px solid #d08c00; padding: 6px 10px 6px 28px; font-size: 14px; }
div.table-scroll { overflow-x: auto; max-width: 100%; margin: 8px 0 16px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border-bottom: 1px solid #e4e4e4; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
svg.chart { display: block; margin: 8px 0 16px; font-size: 12px; max-width: 100%; height: auto; }
label.scale-switch { color: #555; font-size: 13px; }
div.scales:not(:has(input:checked)) > svg.chart[data-scale="log"] { display: none; }
div.scales:has(input:checked) > svg.chart:not([data-scale]) { display: none; }
svg.chart text { fill: #222; }
code { background: #f4f4f4; padding: 1px 4px; }
)";

}  // namespace

std::string escape(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      case '\'':
        escaped += "&#39;";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                  const std::string& css_class) {
  // The scrolling box keeps a wide table (many runs, long command lines) from widening the page.
  std::string text =
      "<div class=\"table-scroll\">" +
      (css_class.empty() ? std::string("<table>") : "<table class=\"" + escape(css_class) + "\">") + "\n<tr>";
  for (const std::string& name : header)
    text += "<th>" + escape(name) + "</th>";
  text += "</tr>\n";
  for (const auto& row : rows) {
    text += "<tr>";
    for (const std::string& cell : row)
      text += (reads_as_number(cell) ? "<td class=\"num\">" : "<td>") + escape(cell) + "</td>";
    text += "</tr>\n";
  }
  return text + "</table></div>\n";
}

std::string section(const std::string& id, const std::string& title, const std::string& explanation) {
  std::string text = fmt::format("<h2 id=\"{}\">{}</h2>\n", escape(id), escape(title));
  if (!explanation.empty()) text += "<p class=\"explanation\">" + escape(explanation) + "</p>\n";
  return text;
}

std::string page(const std::string& title, const std::string& body) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"generator\" content=\"ntp\">\n<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n{}"
      "</body>\n</html>\n",
      escape(title), kStyle, body);
}

}  // namespace ntp::report::html
