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

}  // namespace
