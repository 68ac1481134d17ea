// HTML building blocks shared by the run, comparison and sweep reports: escaping, tables, the page.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ntp::report::html {

// Text for an HTML or SVG text node or attribute value: & < > " ' replaced by entities.
std::string escape(std::string_view text);

// A table of plain-text cells (escaped here); cells that read as numbers are right-aligned. A `css_class`
// ("ranked": rows ordered by a measured time, so their order differs from run to run) goes on <table>. The
// table sits in a box that scrolls sideways where it is wider than the page.
std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                  const std::string& css_class = "");

// <h2 id=...>title</h2> and an optional one-line explanation under it.
std::string section(const std::string& id, const std::string& title, const std::string& explanation = "");

// A whole self-contained document: inline style, no script, no external resource.
std::string page(const std::string& title, const std::string& body);

}  // namespace ntp::report::html
