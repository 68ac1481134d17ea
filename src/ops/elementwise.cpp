// Elementwise ops with ONNX semantics on every element type: unary math and activations, binary and
// variadic arithmetic with numpy broadcasting, comparisons and logic (bool outputs), where, cast.
#include <algorithm>

#include "families.h"
#include "op_helpers.h"

namespace ntp::ops {

namespace {

enum class Types { any, floating, integer, boolean, numeric };

bool accepts(Types types, DType type) {
  switch (types) {
    case Types::any:
      return true;
    case Types::floating:
      return is_floating(type);
    case Types::integer:
      return !is_floating(type) && type != DType::boolean;
    case Types::boolean:
      return type == DType::boolean;
    case Types::numeric:
      return type != DType::boolean;
  }
  return false;
}

std::string_view types_name(Types types) {
  switch (types) {
    case Types::any:
      return "any type";
    case Types::floating:
      return "floating-point";
    case Types::integer:
      return "integer";
    case Types::boolean:
      return "bool";
    case Types::numeric:
      return "numeric";
  }
  return "";
}

void expect_types(const OpContext& ctx, std::size_t count, Types types) {
  for (std::size_t i = 0; i < count && i < ctx.inputs.size(); ++i)
    if (!accepts(types, ctx.inputs[i]->dtype))
      throw ShapeError(fmt::format("{} takes {} inputs, input {} is {}", ctx.node.op, types_name(types), i,
                                   dtype_name(ctx.inputs[i]->dtype)),
                       "cast the input first");
}

struct UnarySpec {
  const char* name;
  const char* summary;
  Types types = Types::floating;
  std::vector<AttrSpec> attrs = {};
  bool bool_output = false;
};

OpSchema unary(const UnarySpec& spec) {
  OpSchema op;
  op.name = spec.name;
  op.family = "elementwise";
  op.summary = std::string(spec.summary) + " Elementwise, any shape; one FLOP per element.";
  op.layout = "any";
  op.attrs = spec.attrs;
  const Types types = spec.types;
  const bool bool_output = spec.bool_output;
  op.infer = [types, bool_output](const OpContext& ctx) {
    expect_types(ctx, 1, types);
    return single_output(ctx.in(0), bool_output ? DType::boolean : ctx.inputs[0]->dtype);
  };
  op.cost = [](const OpContext& ctx) { return default_cost(ctx, elements(ctx.in(0))); };
  return op;
}

Shape broadcast_all(const OpContext& ctx, std::size_t first = 0) {
  Shape out = ctx.in(first);
  for (std::size_t i = first + 1; i < ctx.inputs.size(); ++i)
    out = broadcast_shapes(out, ctx.in(i));
  return out;
}

void expect_same_types(const OpContext& ctx, std::size_t first = 0) {
  for (std::size_t i = first + 1; i < ctx.inputs.size(); ++i)
    if (ctx.inputs[i]->dtype != ctx.inputs[first]->dtype)
      throw ShapeError(fmt::format("{} needs inputs of one element type, got {} and {}", ctx.node.op,
                                   dtype_name(ctx.inputs[first]->dtype), dtype_name(ctx.inputs[i]->dtype)),
                       "cast one of them");
}

struct BinarySpec {
  const char* name;
  const char* summary;
  Types types = Types::numeric;
  std::vector<AttrSpec> attrs = {};
  bool bool_output = false;
  int max_inputs = 2;
  bool same_types = true;
};

OpSchema binary(const BinarySpec& spec) {
  OpSchema op;
  op.name = spec.name;
  op.family = "elementwise";
  op.summary = std::string(spec.summary) + " numpy broadcasting; one FLOP per output element and operand.";
  op.layout = "any (numpy broadcasting)";
  op.attrs = spec.attrs;
  op.min_inputs = spec.max_inputs == 1 ? 1 : 2;
  if (spec.max_inputs < 0) op.min_inputs = 1;
  op.max_inputs = spec.max_inputs;
  const Types types = spec.types;
  const bool bool_output = spec.bool_output;
  const bool same_types = spec.same_types;
  op.infer = [types, bool_output, same_types](const OpContext& ctx) {
    expect_types(ctx, same_types ? ctx.inputs.size() : 1, types);
    if (same_types) expect_same_types(ctx);
    return single_output(broadcast_all(ctx), bool_output ? DType::boolean : ctx.inputs[0]->dtype);
  };
  op.cost = [](const OpContext& ctx) {
    return default_cost(ctx, static_cast<double>(std::max<std::size_t>(ctx.inputs.size() - 1, 1)) *
                                 elements(ctx.outputs.at(0)->shape));
  };
  return op;
}

OpSchema where() {
  OpSchema op;
  op.name = "where";
  op.family = "elementwise";
  op.summary =
      "where(condition, x, y): x where the bool condition holds, else y; numpy broadcasting of all three.";
  op.layout = "any (numpy broadcasting)";
  op.min_inputs = 3;
  op.max_inputs = 3;
  op.infer = [](const OpContext& ctx) {
    if (ctx.inputs[0]->dtype != DType::boolean)
      throw ShapeError(
          fmt::format("where's condition must be bool, got {}", dtype_name(ctx.inputs[0]->dtype)));
    if (ctx.inputs[1]->dtype != ctx.inputs[2]->dtype)
      throw ShapeError(fmt::format("where's x and y must have one element type, got {} and {}",
                                   dtype_name(ctx.inputs[1]->dtype), dtype_name(ctx.inputs[2]->dtype)));
    return single_output(broadcast_all(ctx), ctx.inputs[1]->dtype);
  };
  op.cost = [](const OpContext& ctx) { return default_cost(ctx, 0); };
  return op;
}

OpSchema cast() {
  OpSchema op;
  op.name = "cast";
  op.family = "elementwise";
  op.summary =
      "Converts the elements to another type as ONNX's Cast does: floating to integer truncates toward zero "
      "(saturating), anything to bool is x != 0. (The inlay `convert` instead simulates a type's rounding in "
      "fp32.)";
  op.layout = "any";
  std::vector<std::string> names;
  for (const DType type : {DType::f32, DType::bf16, DType::f16, DType::s8, DType::u8, DType::s32, DType::s64,
                           DType::f64, DType::boolean})
    names.emplace_back(dtype_name(type));
  op.attrs = {{"to", AttrType::text, std::nullopt, "the element type of the output", names}};
  op.infer = [](const OpContext& ctx) {
    const std::optional<DType> to = parse_dtype(ctx.attrs.text("to"));
    if (!to) throw ShapeError(fmt::format("unknown element type '{}'", ctx.attrs.text("to")));
    return single_output(ctx.in(0), *to);
  };
  op.cost = [](const OpContext& ctx) { return default_cost(ctx, 0); };
  return op;
}

}  // namespace

std::vector<OpSchema> elementwise_ops() {
  const auto alpha = [](double value, const char* doc = "the slope or scale α") {
    return real_attr("alpha", value, doc);
  };
  std::vector<OpSchema> ops;
  const std::vector<UnarySpec> unaries = {
      {"abs", "|x|.", Types::numeric},
      {"neg", "-x.", Types::numeric},
      {"sign", "-1, 0 or 1.", Types::numeric},
      {"ceil", "The smallest integer >= x."},
      {"floor", "The largest integer <= x."},
      {"round", "x rounded to the nearest integer, halves to even."},
      {"sqrt", "√x."},
      {"reciprocal", "1 / x."},
      {"exp", "e^x."},
      {"log", "The natural logarithm."},
      {"sin", "sin x."},
      {"cos", "cos x."},
      {"tan", "tan x."},
      {"asin", "arcsin x."},
      {"acos", "arccos x."},
      {"atan", "arctan x."},
      {"sinh", "sinh x."},
      {"cosh", "cosh x."},
      {"asinh", "arsinh x."},
      {"acosh", "arcosh x."},
      {"atanh", "artanh x."},
      {"erf", "The error function."},
      {"softplus", "log(1 + e^x)."},
      {"softsign", "x / (1 + |x|)."},
      {"mish", "x · tanh(softplus(x))."},
      {"hard_swish", "x · max(0, min(1, x/6 + 1/2))."},
      {"hard_sigmoid",
       "max(0, min(1, αx + β)).",
       Types::floating,
       {alpha(0.2), real_attr("beta", 0.5, "the offset β")}},
      {"elu", "x for x > 0, else α(e^x - 1).", Types::floating, {alpha(1.0)}},
      {"celu", "max(0, x) + min(0, α(e^(x/α) - 1)).", Types::floating, {alpha(1.0)}},
      {"selu",
       "γ·x for x > 0, else γ·α(e^x - 1).",
       Types::floating,
       {alpha(1.67326319217681884765625), real_attr("gamma", 1.05070102214813232421875, "the scale γ")}},
      {"thresholded_relu", "x for x > α, else 0.", Types::floating, {alpha(1.0, "the threshold α")}},
      {"shrink",
       "x - bias for x > λ, x + bias for x < -λ, else 0.",
       Types::numeric,
       {real_attr("bias", 0.0, "the shift"), real_attr("lambd", 0.5, "the threshold λ")}},
      {"not", "Logical negation.", Types::boolean},
      {"bitwise_not", "Bitwise negation.", Types::integer},
      {"is_nan", "Whether x is NaN (bool).", Types::floating, {}, true},
      {"is_inf",
       "Whether x is infinite (bool); detect_positive / detect_negative choose the signs.",
       Types::floating,
       {integer_attr("detect_positive", 1, "1: +inf counts"),
        integer_attr("detect_negative", 1, "1: -inf counts")},
       true},
  };
  for (const UnarySpec& spec : unaries)
    ops.push_back(unary(spec));
  const std::vector<BinarySpec> binaries = {
      {"pow", "x^y (the exponent may have another element type).", Types::numeric, {}, false, 2, false},
      {"mod",
       "The remainder: with fmod=1 C's fmod (sign of the dividend), else Python's (sign of the divisor).",
       Types::numeric,
       {integer_attr("fmod", 0, "1: the sign of the dividend")}},
      {"max", "The largest of its inputs.", Types::numeric, {}, false, -1},
      {"min", "The smallest of its inputs.", Types::numeric, {}, false, -1},
      {"sum", "The sum of its inputs.", Types::numeric, {}, false, -1},
      {"mean", "The mean of its inputs.", Types::floating, {}, false, -1},
      {"prelu", "x for x >= 0, else slope · x (slope broadcasts to x).", Types::numeric},
      {"bit_shift",
       "x shifted by y bits.",
       Types::integer,
       {text_attr("direction", "left", "which way", {"left", "right"})}},
      {"bitwise_and", "Bitwise and.", Types::integer},
      {"bitwise_or", "Bitwise or.", Types::integer},
      {"bitwise_xor", "Bitwise exclusive or.", Types::integer},
      {"and", "Logical and.", Types::boolean, {}, true},
      {"or", "Logical or.", Types::boolean, {}, true},
      {"xor", "Logical exclusive or.", Types::boolean, {}, true},
      {"equal", "x == y (bool).", Types::any, {}, true},
      {"less", "x < y (bool).", Types::numeric, {}, true},
      {"less_equal", "x <= y (bool).", Types::numeric, {}, true},
      {"greater", "x > y (bool).", Types::numeric, {}, true},
      {"greater_equal", "x >= y (bool).", Types::numeric, {}, true},
  };
  for (const BinarySpec& spec : binaries)
    ops.push_back(binary(spec));
  ops.push_back(where());
  ops.push_back(cast());
  return ops;
}

}  // namespace ntp::ops
