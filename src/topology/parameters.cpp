#include "parameters.h"

#include <fmt/format.h>

#include <algorithm>

#include "expression.h"
#include "ntp/limits.h"

namespace ntp::topology {

namespace {

// A parameter defined through more than this many others in a row is refused: each link is a level of
// recursion (20k chained parameters overflowed the stack, issue 16), and real topologies chain a few.
using limits::kMaxParameterChain;
// The longest value substitution may build: a parameter that doubles another 35 times was 3.8 GB.
using limits::kMaxParameterText;

bool is_bare_word(const std::string& text) {
  if (text.empty()) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }) &&
         !std::isdigit(static_cast<unsigned char>(text.front()));
}
}  // namespace

void Parameters::define(const std::string& name, const std::string& text, SourceLocation where) {
  raw_[name] = {text, std::move(where)};
}

void Parameters::override_value(const std::string& name, const std::string& text) {
  const SourceLocation command_line{"<command line>", 0, 0};
  if (!defined(name)) {
    const std::string suggestion = closest_match(name, names());
    throw UserError(command_line, fmt::format("--set {}: the topology has no parameter '{}'", name, name),
                    suggestion.empty() ? fmt::format("its parameters are: {}", fmt::join(names(), ", "))
                                       : fmt::format("did you mean '{}'?", suggestion));
  }
  raw_[name] = {text, command_line};
}

std::vector<std::string> Parameters::names() const {
  std::vector<std::string> result;
  for (const auto& [name, raw] : raw_)
    result.push_back(name);
  return result;
}

const std::string& Parameters::resolve(const std::string& name, const SourceLocation& used_at) {
  if (const auto found = resolved_.find(name); found != resolved_.end()) return found->second;
  const auto raw = raw_.find(name);
  if (raw == raw_.end()) {
    const std::string suggestion = closest_match(name, names());
    throw UserError(used_at, fmt::format("undefined parameter '{}'", name),
                    suggestion.empty() ? "define it with <param name=\"" + name + "\" value=\"...\"/>"
                                       : fmt::format("did you mean '{}'?", suggestion));
  }
  if (std::find(resolving_.begin(), resolving_.end(), name) != resolving_.end()) {
    std::vector<std::string> cycle(std::find(resolving_.begin(), resolving_.end(), name), resolving_.end());
    cycle.push_back(name);
    throw UserError(
        raw->second.where,
        fmt::format("parameter '{}' is defined in terms of itself: {}", name, fmt::join(cycle, " -> ")),
        "give one of these parameters a value that does not refer back");
  }
  if (resolving_.size() >= kMaxParameterChain)
    throw UserError(
        raw->second.where,
        fmt::format("parameter '{}' is defined through more than {} other parameters in a row ({} -> ...)",
                    name, kMaxParameterChain, resolving_.front()),
        "give some of these parameters values of their own");
  resolving_.push_back(name);
  const std::string text = substitute(raw->second.text, raw->second.where);
  std::string value = text;
  ExpressionError error;
  const IdentifierLookup lookup = [&](const std::string& identifier) { return try_integer(identifier); };
  if (auto number = evaluate_integer(text, lookup, error)) {
    value = std::to_string(*number);
  } else if (!is_bare_word(text) || raw_.count(text) != 0) {
    // Not a plain word such as "relu": it was meant as an expression, so its error stands.
    bool looks_numeric = std::any_of(text.begin(), text.end(), [](char c) {
      return std::string_view("+-*/%()").find(c) != std::string_view::npos ||
             std::isdigit(static_cast<unsigned char>(c));
    });
    if (looks_numeric && !error.message.empty()) {
      std::string hint = error.hint;
      if (!error.unknown_identifier.empty()) {
        const std::string suggestion = closest_match(error.unknown_identifier, names());
        if (!suggestion.empty()) hint = fmt::format("did you mean '{}'?", suggestion);
      }
      throw UserError(raw->second.where, fmt::format("parameter '{}': {}", name, error.message), hint);
    }
  }
  resolving_.pop_back();
  return resolved_[name] = value;
}

std::optional<std::int64_t> Parameters::try_integer(const std::string& name) {
  if (!defined(name)) return std::nullopt;
  const std::string& value = resolve(name, raw_.at(name).where);
  ExpressionError ignored;
  return evaluate_integer(
      value, [](const std::string&) { return std::optional<std::int64_t>{}; }, ignored);
}

std::string Parameters::substitute(const std::string& text, const SourceLocation& where) {
  std::string result;
  std::size_t position = 0;
  while (position < text.size()) {
    const std::size_t start = text.find("${", position);
    if (start == std::string::npos) {
      result += text.substr(position);
      break;
    }
    result += text.substr(position, start - position);
    const std::size_t end = text.find('}', start);
    if (end == std::string::npos)
      throw UserError(where, fmt::format("unterminated '${{' in '{}'", text), "write ${name}");
    const std::string name = text.substr(start + 2, end - start - 2);
    result += resolve(name, where);
    if (result.size() > kMaxParameterText)
      throw UserError(where,
                      fmt::format("substituting '${{{}}}' makes a value longer than {} bytes",
                                  name.substr(0, 60), kMaxParameterText),
                      "parameters that repeat others grow exponentially; define the value directly");
    position = end + 1;
  }
  return result;
}

std::int64_t Parameters::integer(const std::string& text, const SourceLocation& where,
                                 const std::string& what) {
  const std::string substituted = substitute(text, where);
  ExpressionError error;
  const IdentifierLookup lookup = [&](const std::string& identifier) { return try_integer(identifier); };
  if (auto value = evaluate_integer(substituted, lookup, error)) return *value;
  std::string hint = error.hint;
  if (!error.unknown_identifier.empty()) {
    const std::string suggestion = closest_match(error.unknown_identifier, names());
    hint = suggestion.empty() ? "write a whole number or an expression such as 2*${hidden}"
                              : fmt::format("did you mean '{}'?", suggestion);
  }
  if (hint.empty()) hint = "write a whole number or an expression such as 2*${hidden}";
  throw UserError(where, fmt::format("{}: {}", what, error.message), hint);
}

std::map<std::string, std::string> Parameters::resolved_all() {
  for (const auto& [name, raw] : raw_)
    resolve(name, raw.where);
  return resolved_;
}

}  // namespace ntp::topology
