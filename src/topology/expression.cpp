#include "expression.h"
#include "ntp/limits.h"

#include <fmt/format.h>
#include <cctype>

namespace ntp::topology {

namespace {

// Deepest nesting of parentheses and unary minus: real expressions need a handful, and the recursion below
// must not exhaust the stack (200k parentheses did, issue 16). Parameters chain through expressions too, so
// this and parameters.cpp's kMaxParameterChain bound the stack together.
using limits::kMaxExpressionDepth;

// Recursive descent over: expr := term (('+'|'-') term)* ; term := unary (('*'|'/'|'%') unary)* ;
// unary := '-' unary | primary ; primary := number | identifier | '(' expr ')'.
class Parser {
 public:
  Parser(std::string_view text, const IdentifierLookup& lookup, ExpressionError& error)
      : text_(text), lookup_(lookup), error_(error) {}

  std::optional<std::int64_t> parse() {
    auto value = expression();
    if (!value) return std::nullopt;
    skip_space();
    if (position_ != text_.size())
      return fail(fmt::format("unexpected '{}' in '{}'", text_[position_], text_));
    return value;
  }

 private:
  std::optional<std::int64_t> fail(std::string message, std::string hint = {}) {
    if (error_.message.empty()) {
      error_.message = std::move(message);
      error_.hint = std::move(hint);
    }
    return std::nullopt;
  }

  void skip_space() {
    while (position_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[position_])))
      ++position_;
  }

  bool accept(char c) {
    skip_space();
    if (position_ < text_.size() && text_[position_] == c) {
      ++position_;
      return true;
    }
    return false;
  }

  std::optional<std::int64_t> expression() {
    auto left = term();
    while (left) {
      const bool add = accept('+');
      if (!add && !accept('-')) break;
      auto right = term();
      if (!right) return std::nullopt;
      std::int64_t result = 0;
      if (add ? __builtin_add_overflow(*left, *right, &result)
              : __builtin_sub_overflow(*left, *right, &result))
        return fail(fmt::format("'{}' overflows a 64-bit integer", text_), "use smaller parameter values");
      left = result;
    }
    return left;
  }

  std::optional<std::int64_t> term() {
    auto left = unary();
    while (left) {
      char op = 0;
      for (const char candidate : {'*', '/', '%'})
        if (accept(candidate)) op = candidate;
      if (op == 0) break;
      auto right = unary();
      if (!right) return std::nullopt;
      std::int64_t result = 0;
      if (op == '*') {
        if (__builtin_mul_overflow(*left, *right, &result))
          return fail(fmt::format("'{}' overflows a 64-bit integer", text_), "use smaller parameter values");
      } else {
        if (*right == 0) return fail(fmt::format("division by zero in '{}'", text_));
        if (*right == -1) {  // INT64_MIN / -1 overflows (SIGFPE), and so does the division behind %
          if (op == '%') {
            result = 0;
          } else if (__builtin_sub_overflow(std::int64_t{0}, *left, &result)) {
            return fail(fmt::format("'{}' overflows a 64-bit integer", text_),
                        "use smaller parameter values");
          }
        } else {
          result = op == '/' ? *left / *right : *left % *right;
        }
      }
      left = result;
    }
    return left;
  }

  std::optional<std::int64_t> unary() {
    if (accept('-')) {
      const Nesting nesting(*this);
      if (depth_ > kMaxExpressionDepth) return too_deep();
      auto value = unary();
      if (!value) return std::nullopt;
      std::int64_t negated = 0;
      if (__builtin_sub_overflow(std::int64_t{0}, *value, &negated))
        return fail(fmt::format("'{}' overflows a 64-bit integer", text_), "use smaller parameter values");
      return negated;
    }
    return primary();
  }

  // One level deeper for as long as it lives.
  struct Nesting {
    explicit Nesting(Parser& parser) : parser_(parser) { ++parser_.depth_; }
    ~Nesting() { --parser_.depth_; }
    Nesting(const Nesting&) = delete;
    Nesting& operator=(const Nesting&) = delete;
    Parser& parser_;
  };

  std::optional<std::int64_t> too_deep() {
    return fail(fmt::format("'{}' nests parentheses or signs more than {} deep", text_.substr(0, 60),
                            kMaxExpressionDepth),
                "write the expression flatter, or split it into parameters");
  }

  std::optional<std::int64_t> primary() {
    skip_space();
    if (position_ >= text_.size())
      return fail(fmt::format("'{}' ends where a number or name was expected", text_));
    if (accept('(')) {
      const Nesting nesting(*this);
      if (depth_ > kMaxExpressionDepth) return too_deep();
      auto value = expression();
      if (!value) return std::nullopt;
      if (!accept(')')) return fail(fmt::format("missing ')' in '{}'", text_));
      return value;
    }
    const char c = text_[position_];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      std::int64_t value = 0;
      while (position_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[position_]))) {
        const int digit = text_[position_++] - '0';
        if (__builtin_mul_overflow(value, 10, &value) || __builtin_add_overflow(value, digit, &value))
          return fail(fmt::format("number in '{}' does not fit in 64 bits", text_));
      }
      if (position_ < text_.size() && (text_[position_] == '.' || text_[position_] == 'e'))
        return fail(fmt::format("'{}' is not an integer", text_), "this attribute takes whole numbers");
      return value;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      const std::size_t start = position_;
      while (position_ < text_.size() &&
             (std::isalnum(static_cast<unsigned char>(text_[position_])) || text_[position_] == '_'))
        ++position_;
      const std::string name(text_.substr(start, position_ - start));
      auto value = lookup_(name);
      if (!value) {
        if (error_.message.empty()) error_.unknown_identifier = name;
        return fail(fmt::format("'{}' is not a defined integer parameter", name));
      }
      return value;
    }
    return fail(fmt::format("unexpected '{}' in '{}'", c, text_),
                "write a whole number or an expression such as 2*${hidden}");
  }

  std::string_view text_;
  const IdentifierLookup& lookup_;
  ExpressionError& error_;
  std::size_t position_ = 0;
  int depth_ = 0;
};

}  // namespace

std::optional<std::int64_t> evaluate_integer(std::string_view text, const IdentifierLookup& lookup,
                                             ExpressionError& error) {
  return Parser(text, lookup, error).parse();
}

}  // namespace ntp::topology
