// <param> values with ${name} substitution, integer arithmetic and command-line overrides.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ntp/status.h"

namespace ntp::topology {

class Parameters {
 public:
  // A parameter from the file (duplicates are rejected by the caller).
  void define(const std::string& name, const std::string& text, SourceLocation where);
  bool defined(const std::string& name) const { return raw_.count(name) != 0; }
  // --set name=value; throws UserError for a name the topology does not define (batch is built in).
  void override_value(const std::string& name, const std::string& text);

  // Replaces every ${name} in `text`; `where` locates the text for messages.
  std::string substitute(const std::string& text, const SourceLocation& where);
  // Evaluates an integer expression after substitution; bare names refer to parameters.
  std::int64_t integer(const std::string& text, const SourceLocation& where, const std::string& what);
  // Every parameter, resolved.
  std::map<std::string, std::string> resolved_all();
  std::vector<std::string> names() const;

 private:
  struct Raw {
    std::string text;
    SourceLocation where;
  };
  const std::string& resolve(const std::string& name, const SourceLocation& used_at);
  std::optional<std::int64_t> try_integer(const std::string& name);

  std::map<std::string, Raw> raw_;
  std::map<std::string, std::string> resolved_;
  std::vector<std::string> resolving_;  // the chain being resolved, to report circular definitions
};

}  // namespace ntp::topology
