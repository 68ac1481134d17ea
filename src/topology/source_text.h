// Maps byte offsets of a parsed document back to line:column for messages.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "ntp/status.h"

namespace ntp::topology {

class SourceText {
 public:
  SourceText(std::string file, const std::string& text);
  SourceLocation at(std::ptrdiff_t offset) const;
  // Where `attribute=` is written in the element starting at element_offset; the element if not found.
  SourceLocation attribute(std::ptrdiff_t element_offset, const std::string& attribute) const;
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  const std::string& text_;
  std::vector<std::size_t> line_starts_;
};

}  // namespace ntp::topology
