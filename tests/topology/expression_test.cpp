#include <gtest/gtest.h>

#include "topology/expression.h"

namespace {

using ntp::topology::evaluate_integer;
using ntp::topology::ExpressionError;

std::optional<std::int64_t> eval(const std::string& text) {
  ExpressionError error;
  return evaluate_integer(
      text,
      [](const std::string& name) -> std::optional<std::int64_t> {
        if (name == "hidden") return 2048;
        return std::nullopt;
      },
      error);
}

TEST(Expression, Arithmetic) {
  EXPECT_EQ(eval("2*hidden"), 4096);
  EXPECT_EQ(eval(" 26 * (2*9 + 1) "), 494);
  EXPECT_EQ(eval("7/2"), 3);
  EXPECT_EQ(eval("7%4"), 3);
  EXPECT_EQ(eval("-3+5"), 2);
  EXPECT_EQ(eval("2-3-4"), -5);  // left associative
  EXPECT_EQ(eval("100/10/5"), 2);
}

TEST(Expression, Errors) {
  ExpressionError error;
  const auto lookup = [](const std::string&) { return std::optional<std::int64_t>{}; };
  EXPECT_FALSE(evaluate_integer("2*", lookup, error));
  error = {};
  EXPECT_FALSE(evaluate_integer("(1+2", lookup, error));
  EXPECT_NE(error.message.find("missing ')'"), std::string::npos);
  error = {};
  EXPECT_FALSE(evaluate_integer("4611686018427387904*4", lookup, error));
  EXPECT_NE(error.message.find("overflows"), std::string::npos);
  error = {};
  EXPECT_FALSE(evaluate_integer("1/0", lookup, error));
  error = {};
  EXPECT_FALSE(evaluate_integer("width", lookup, error));
  EXPECT_EQ(error.unknown_identifier, "width");
  error = {};
  EXPECT_FALSE(evaluate_integer("99999999999999999999", lookup, error));
}

// Issue 16 and tests/fuzz/corpus/topology/: INT64_MIN / -1 and % -1 raised SIGFPE, negating INT64_MIN was
// undefined, and deep nesting exhausted the stack. Now an overflow, 0, an overflow, and a depth limit.
TEST(Expression, TheEdgesOfSixtyFourBitsAndDeepNestingAreErrorsNotCrashes) {
  ExpressionError error;
  const auto lookup = [](const std::string&) { return std::optional<std::int64_t>{}; };
  EXPECT_FALSE(evaluate_integer("(-9223372036854775807-1)/(-1)", lookup, error));
  EXPECT_NE(error.message.find("overflows"), std::string::npos);
  EXPECT_EQ(eval("(-9223372036854775807-1)%(-1)"), 0);
  EXPECT_EQ(eval("(-9223372036854775807-1)/(1)"), INT64_MIN);
  EXPECT_EQ(eval("7/-1"), -7);
  error = {};
  EXPECT_FALSE(evaluate_integer("-(-9223372036854775807-1)", lookup, error));
  EXPECT_NE(error.message.find("overflows"), std::string::npos);
  EXPECT_EQ(eval(std::string(64, '(') + "1" + std::string(64, ')')), 1);
  error = {};
  EXPECT_FALSE(evaluate_integer(std::string(200000, '(') + "1" + std::string(200000, ')'), lookup, error));
  EXPECT_NE(error.message.find("more than 64 deep"), std::string::npos);
  EXPECT_FALSE(error.hint.empty());
  error = {};
  EXPECT_FALSE(evaluate_integer(std::string(400000, '-') + "1", lookup, error));
  EXPECT_NE(error.message.find("more than 64 deep"), std::string::npos);
}

}  // namespace
