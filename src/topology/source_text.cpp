#include "source_text.h"

#include <algorithm>
#include <cctype>

namespace ntp::topology {

SourceText::SourceText(std::string file, const std::string& text) : file_(std::move(file)), text_(text) {
  line_starts_.push_back(0);
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') line_starts_.push_back(i + 1);
}

SourceLocation SourceText::at(std::ptrdiff_t offset) const {
  if (offset < 0) return {file_, 0, 0};
  const auto position = static_cast<std::size_t>(offset);
  const auto next_line = std::upper_bound(line_starts_.begin(), line_starts_.end(), position);
  const auto line_index = static_cast<std::size_t>(next_line - line_starts_.begin()) - 1;
  return {file_, static_cast<int>(line_index + 1), static_cast<int>(position - line_starts_[line_index] + 1)};
}

SourceLocation SourceText::attribute(std::ptrdiff_t element_offset, const std::string& attribute) const {
  if (element_offset < 0) return at(element_offset);
  const auto start = static_cast<std::size_t>(element_offset);
  const std::size_t element_end = text_.find('>', start);
  std::size_t search = start;
  while (true) {
    const std::size_t found = text_.find(attribute, search);
    if (found == std::string::npos || found > element_end) return at(element_offset);
    const bool starts_word = found > 0 && std::isspace(static_cast<unsigned char>(text_[found - 1]));
    std::size_t after = found + attribute.size();
    while (after < text_.size() && std::isspace(static_cast<unsigned char>(text_[after])))
      ++after;
    if (starts_word && after < text_.size() && text_[after] == '=')
      return at(static_cast<std::ptrdiff_t>(found));
    search = found + 1;
  }
}

}  // namespace ntp::topology
