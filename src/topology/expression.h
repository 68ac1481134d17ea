// Integer expressions in attribute values: numbers, parameter names, + - * / % and parentheses.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace ntp::topology {

// Resolves a bare identifier to its integer value; nullopt when no parameter has that name.
using IdentifierLookup = std::function<std::optional<std::int64_t>(const std::string& name)>;

struct ExpressionError {
  std::string message;
  std::string hint;
  std::string unknown_identifier;  // set when the failure is an undefined name
};

// Evaluates `text`; on failure returns nullopt and fills `error`. Overflow and division by zero are errors.
std::optional<std::int64_t> evaluate_integer(std::string_view text, const IdentifierLookup& lookup,
                                             ExpressionError& error);

}  // namespace ntp::topology
