// Errors a user can act on: where (file:line:column), what is wrong, and a hint.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace ntp {

struct SourceLocation {
  std::string file;  // a path, or "<command line>"
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;    // 1-based; 0 when unknown
};

// Where an error in a command-line value (an option, a --set, a --grid) is reported.
inline const SourceLocation kCommandLine{"<command line>", 0, 0};

struct Diagnostic {
  SourceLocation where;
  std::string message;
  std::string hint;

  // "file:line:column: error: message\n  hint: hint"
  std::string to_string() const;
};

// Thrown inside loaders and passes; caught at the module boundary and returned as a Diagnostic.
class UserError : public std::runtime_error {
 public:
  explicit UserError(Diagnostic diagnostic);
  UserError(SourceLocation where, std::string message, std::string hint = {});
  const Diagnostic& diagnostic() const { return diagnostic_; }

 private:
  Diagnostic diagnostic_;
};

// A value or the Diagnostic that explains why there is none.
template <class T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}           // NOLINT(google-explicit-constructor)
  Result(Diagnostic error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<T>(state_); }
  const T& value() const { return std::get<T>(state_); }
  const Diagnostic& error() const { return std::get<Diagnostic>(state_); }

 private:
  std::variant<T, Diagnostic> state_;
};

// Closest candidate by edit distance, for "did you mean" hints; empty when nothing is close.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace ntp
