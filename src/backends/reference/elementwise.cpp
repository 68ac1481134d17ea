// Elementwise ops on every element type, as ONNX defines them. Floating types compute in double and round
// once to the output type; integers compute in int64 (division by zero gives 0 instead of a trap).
#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <map>
#include <numbers>

#include "kernels.h"
#include "ntp/elements.h"

namespace ntp::reference {

namespace {

// The numbers a unary op's attributes give it.
struct Params {
  double alpha = 0, beta = 0, gamma = 0;
  bool positive = true, negative = true;
};

double softplus(double x) {
  return x > 30 ? x : std::log1p(std::exp(x));
}

using RealFunction = double (*)(double, const Params&);

const std::map<std::string, RealFunction, std::less<>>& real_functions() {
  static const std::map<std::string, RealFunction, std::less<>> table = {
      {"abs", [](double x, const Params&) { return std::fabs(x); }},
      {"neg", [](double x, const Params&) { return -x; }},
      {"sign", [](double x, const Params&) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : x); }},
      {"ceil", [](double x, const Params&) { return std::ceil(x); }},
      {"floor", [](double x, const Params&) { return std::floor(x); }},
      {"round", [](double x, const Params&) { return std::nearbyint(x); }},
      {"sqrt", [](double x, const Params&) { return std::sqrt(x); }},
      {"reciprocal", [](double x, const Params&) { return 1.0 / x; }},
      {"exp", [](double x, const Params&) { return std::exp(x); }},
      {"log", [](double x, const Params&) { return std::log(x); }},
      {"sin", [](double x, const Params&) { return std::sin(x); }},
      {"cos", [](double x, const Params&) { return std::cos(x); }},
      {"tan", [](double x, const Params&) { return std::tan(x); }},
      {"asin", [](double x, const Params&) { return std::asin(x); }},
      {"acos", [](double x, const Params&) { return std::acos(x); }},
      {"atan", [](double x, const Params&) { return std::atan(x); }},
      {"sinh", [](double x, const Params&) { return std::sinh(x); }},
      {"cosh", [](double x, const Params&) { return std::cosh(x); }},
      {"asinh", [](double x, const Params&) { return std::asinh(x); }},
      {"acosh", [](double x, const Params&) { return std::acosh(x); }},
      {"atanh", [](double x, const Params&) { return std::atanh(x); }},
      {"erf", [](double x, const Params&) { return std::erf(x); }},
      {"softplus", [](double x, const Params&) { return softplus(x); }},
      {"softsign", [](double x, const Params&) { return x / (1 + std::fabs(x)); }},
      {"mish", [](double x, const Params&) { return x * std::tanh(softplus(x)); }},
      {"hard_swish", [](double x, const Params&) { return x * std::clamp(x / 6 + 0.5, 0.0, 1.0); }},
      {"hard_sigmoid", [](double x, const Params& p) { return std::clamp(p.alpha * x + p.beta, 0.0, 1.0); }},
      {"elu", [](double x, const Params& p) { return x > 0 ? x : p.alpha * std::expm1(x); }},
      {"celu",
       [](double x, const Params& p) {
         return std::max(0.0, x) + std::min(0.0, p.alpha * std::expm1(x / p.alpha));
       }},
      {"selu", [](double x, const Params& p) { return p.gamma * (x > 0 ? x : p.alpha * std::expm1(x)); }},
      {"thresholded_relu", [](double x, const Params& p) { return x > p.alpha ? x : 0.0; }},
      {"shrink",
       [](double x, const Params& p) {
         return x < -p.gamma ? x + p.beta : (x > p.gamma ? x - p.beta : 0.0);
       }},
      {"is_nan", [](double x, const Params&) { return std::isnan(x) ? 1.0 : 0.0; }},
      {"is_inf",
       [](double x, const Params& p) {
         return (std::isinf(x) && ((x > 0 && p.positive) || (x < 0 && p.negative))) ? 1.0 : 0.0;
       }},
  };
  return table;
}

Params params_of(const NodeView& node) {
  Params params;
  const Attributes& attrs = node.attrs();
  if (attrs.has("alpha")) params.alpha = attrs.real("alpha");
  if (attrs.has("beta")) params.beta = attrs.real("beta");
  if (attrs.has("gamma")) params.gamma = attrs.real("gamma");
  if (attrs.has("bias")) params.beta = attrs.real("bias");
  if (attrs.has("lambd")) params.gamma = attrs.real("lambd");
  if (attrs.has("detect_positive")) params.positive = attrs.integer("detect_positive") != 0;
  if (attrs.has("detect_negative")) params.negative = attrs.integer("detect_negative") != 0;
  return params;
}

// Integer forms of the unary ops that take integers.
std::int64_t integer_unary(const std::string& op, std::int64_t x, const Params& p) {
  if (op == "abs") return x < 0 ? -x : x;
  if (op == "neg") return -x;
  if (op == "sign") return x > 0 ? 1 : (x < 0 ? -1 : 0);
  if (op == "bitwise_not") return ~x;
  if (op == "shrink") {
    const double real = static_cast<double>(x);
    return static_cast<std::int64_t>(real < -p.gamma ? real + p.beta
                                                     : (real > p.gamma ? real - p.beta : 0.0));
  }
  throw std::logic_error("no integer form of " + op);
}

RunFunction make_unary(const NodeView& node) {
  node.expect_arity(1, 1, 1);
  node.expect_output_shape(0, node.input_shape(0));
  const std::string op = node.node().op;
  const Params params = params_of(node);
  const DType in_type = node.input(0).dtype;
  const DType out_type = node.output(0).dtype;
  const std::int64_t count = element_count(node.input_shape(0));
  if (op == "not")
    return [count](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
      for (std::int64_t i = 0; i < count; ++i)
        outputs[0]->as<bool>()[i] = !inputs[0]->as<bool>()[i];
    };
  const auto found = real_functions().find(op);
  if (is_floating(in_type) && found == real_functions().end()) node.fail("no kernel for this op");
  const RealFunction function = found == real_functions().end() ? nullptr : found->second;
  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    visit_dtype(in_type, [&](auto in_tag) {
      using In = typename decltype(in_tag)::type;
      const In* x = inputs[0]->as<In>();
      if (out_type == DType::boolean) {
        bool* y = outputs[0]->as<bool>();
        for (std::int64_t i = 0; i < count; ++i)
          y[i] = function(to_double(x[i]), params) != 0;
        return;
      }
      In* y = outputs[0]->as<In>();
      if constexpr (is_floating_element<In>) {
        for (std::int64_t i = 0; i < count; ++i)
          y[i] = from_double<In>(function(to_double(x[i]), params));
      } else if constexpr (!std::is_same_v<In, bool>) {
        for (std::int64_t i = 0; i < count; ++i)
          y[i] = static_cast<In>(integer_unary(op, static_cast<std::int64_t>(x[i]), params));
      }
    });
  };
}

// ---- binary and variadic ----

enum class Binary {
  add,
  sub,
  mul,
  div,
  pow,
  mod,
  fmod,
  max,
  min,
  sum,
  mean,
  prelu,
  shift_left,
  shift_right,
  bit_and,
  bit_or,
  bit_xor,
  logical_and,
  logical_or,
  logical_xor,
  equal,
  less,
  less_equal,
  greater,
  greater_equal
};

const std::map<std::string, Binary, std::less<>>& binary_kinds() {
  static const std::map<std::string, Binary, std::less<>> table = {{"add", Binary::add},
                                                                   {"sub", Binary::sub},
                                                                   {"mul", Binary::mul},
                                                                   {"div", Binary::div},
                                                                   {"pow", Binary::pow},
                                                                   {"mod", Binary::mod},
                                                                   {"max", Binary::max},
                                                                   {"min", Binary::min},
                                                                   {"sum", Binary::sum},
                                                                   {"mean", Binary::mean},
                                                                   {"prelu", Binary::prelu},
                                                                   {"bit_shift", Binary::shift_left},
                                                                   {"bitwise_and", Binary::bit_and},
                                                                   {"bitwise_or", Binary::bit_or},
                                                                   {"bitwise_xor", Binary::bit_xor},
                                                                   {"and", Binary::logical_and},
                                                                   {"or", Binary::logical_or},
                                                                   {"xor", Binary::logical_xor},
                                                                   {"equal", Binary::equal},
                                                                   {"less", Binary::less},
                                                                   {"less_equal", Binary::less_equal},
                                                                   {"greater", Binary::greater},
                                                                   {"greater_equal", Binary::greater_equal}};
  return table;
}

// Comparisons, the same for doubles and integers.
template <class Number>
bool compare(Binary kind, Number a, Number b) {
  switch (kind) {
    case Binary::equal:
      return a == b;
    case Binary::less:
      return a < b;
    case Binary::less_equal:
      return a <= b;
    case Binary::greater:
      return a > b;
    default:
      return a >= b;
  }
}

bool is_comparison(Binary kind) {
  return kind == Binary::equal || kind == Binary::less || kind == Binary::less_equal ||
         kind == Binary::greater || kind == Binary::greater_equal;
}

double real_binary(Binary kind, double a, double b) {
  switch (kind) {
    case Binary::add:
    case Binary::sum:
    case Binary::mean:
      return a + b;
    case Binary::sub:
      return a - b;
    case Binary::mul:
      return a * b;
    case Binary::div:
      return a / b;
    case Binary::pow:
      return std::pow(a, b);
    case Binary::fmod:
      return std::fmod(a, b);
    case Binary::mod: {
      const double r = std::fmod(a, b);
      return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
    }
    case Binary::max:
      return std::isnan(a) || std::isnan(b) ? std::numeric_limits<double>::quiet_NaN() : std::max(a, b);
    case Binary::min:
      return std::isnan(a) || std::isnan(b) ? std::numeric_limits<double>::quiet_NaN() : std::min(a, b);
    case Binary::prelu:
      return a < 0 ? a * b : a;
    case Binary::equal:
    case Binary::less:
    case Binary::less_equal:
    case Binary::greater:
    case Binary::greater_equal:
      return compare(kind, a, b) ? 1.0 : 0.0;
    default:
      throw std::logic_error("not a floating-point operation");
  }
}

std::int64_t integer_binary(Binary kind, std::int64_t a, std::int64_t b) {
  switch (kind) {
    case Binary::add:
    case Binary::sum:
    case Binary::mean:
      return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
    case Binary::sub:
      return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b));
    case Binary::mul:
      return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) * static_cast<std::uint64_t>(b));
    case Binary::div:
      return b == 0 || (a == std::numeric_limits<std::int64_t>::min() && b == -1) ? 0 : a / b;
    case Binary::pow:
      return static_cast<std::int64_t>(std::pow(static_cast<double>(a), static_cast<double>(b)));
    case Binary::fmod:
      return b == 0 || b == -1 ? 0 : a % b;
    case Binary::mod: {
      if (b == 0 || b == -1) return 0;
      const std::int64_t r = a % b;
      return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
    }
    case Binary::max:
      return std::max(a, b);
    case Binary::min:
      return std::min(a, b);
    case Binary::prelu:
      return a < 0 ? a * b : a;
    case Binary::shift_left:
      return b < 0 || b >= 64 ? 0 : static_cast<std::int64_t>(static_cast<std::uint64_t>(a) << b);
    case Binary::shift_right:
      return b < 0 || b >= 64 ? 0 : static_cast<std::int64_t>(static_cast<std::uint64_t>(a) >> b);
    case Binary::bit_and:
    case Binary::logical_and:
      return a & b;
    case Binary::bit_or:
    case Binary::logical_or:
      return a | b;
    case Binary::bit_xor:
    case Binary::logical_xor:
      return a ^ b;
    case Binary::equal:
    case Binary::less:
    case Binary::less_equal:
    case Binary::greater:
    case Binary::greater_equal:
      return compare(kind, a, b) ? 1 : 0;
  }
  return 0;
}

template <class T>
T load(const Tensor& tensor, std::int64_t offset) {
  return tensor.as<T>()[offset];
}

RunFunction make_binary(const NodeView& node) {
  node.expect_arity(1, -1, 1);
  Binary kind = binary_kinds().at(node.node().op);
  if (kind == Binary::mod && node.attrs().integer("fmod") != 0) kind = Binary::fmod;
  if (kind == Binary::shift_left && node.attrs().text("direction") == "right") kind = Binary::shift_right;
  if (kind == Binary::mod && is_floating(node.input(0).dtype))
    kind = Binary::fmod;  // ONNX: fmod=1 for floats
  std::vector<Shape> shapes;
  for (std::size_t i = 0; i < node.input_count(); ++i)
    shapes.push_back(node.input_shape(i));
  const Broadcast broadcast(node.output_shape(0), shapes);
  const DType type = node.input(0).dtype;
  const DType exponent_type = node.input_count() > 1 ? node.input(1).dtype : type;
  const std::size_t operands = node.input_count();
  const bool to_bool = node.output(0).dtype == DType::boolean;

  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    visit_dtype(type, [&](auto tag) {
      using T = typename decltype(tag)::type;
      auto operand = [&](std::size_t i, std::int64_t offset) {
        if constexpr (is_floating_element<T>) {
          if (i == 1 && exponent_type != type) return element_as_double(*inputs[1], offset);
          return to_double(inputs[i]->as<T>()[offset]);
        } else {
          if (i == 1 && exponent_type != type) return static_cast<double>(element_as_int(*inputs[1], offset));
          return static_cast<double>(static_cast<std::int64_t>(inputs[i]->as<T>()[offset]));
        }
      };
      broadcast.for_each([&](std::int64_t flat, const std::int64_t* offsets) {
        if constexpr (is_floating_element<T>) {
          double value = operand(0, offsets[0]);
          if (is_comparison(kind)) {
            outputs[0]->as<bool>()[flat] = real_binary(kind, value, operand(1, offsets[1])) != 0;
            return;
          }
          for (std::size_t i = 1; i < operands; ++i)
            value = real_binary(kind, value, operand(i, offsets[i]));
          if (kind == Binary::mean) value /= static_cast<double>(operands);
          outputs[0]->as<T>()[flat] = from_double<T>(value);
        } else {
          auto integer = [&](std::size_t i) {
            if (i == 1 && exponent_type != type) return element_as_int(*inputs[1], offsets[1]);
            return static_cast<std::int64_t>(inputs[i]->as<T>()[offsets[i]]);
          };
          if (kind == Binary::pow && !is_floating(exponent_type)) {
            outputs[0]->as<T>()[flat] = static_cast<T>(integer_binary(kind, integer(0), integer(1)));
            return;
          }
          if (kind == Binary::pow) {
            outputs[0]->as<T>()[flat] =
                static_cast<T>(std::pow(operand(0, offsets[0]), operand(1, offsets[1])));
            return;
          }
          std::int64_t value = integer(0);
          if (to_bool && is_comparison(kind)) {
            outputs[0]->as<bool>()[flat] = integer_binary(kind, value, integer(1)) != 0;
            return;
          }
          for (std::size_t i = 1; i < operands; ++i)
            value = integer_binary(kind, value, integer(i));
          if (kind == Binary::mean) value /= static_cast<std::int64_t>(operands);
          outputs[0]->as<T>()[flat] = static_cast<T>(value);
        }
      });
    });
  };
}

RunFunction make_where(const NodeView& node) {
  node.expect_arity(3, 3, 1);
  const Broadcast broadcast(node.output_shape(0),
                            {node.input_shape(0), node.input_shape(1), node.input_shape(2)});
  const std::size_t size = dtype_size(node.output(0).dtype);
  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    const bool* condition = inputs[0]->as<bool>();
    const auto* x = static_cast<const std::byte*>(inputs[1]->data());
    const auto* y = static_cast<const std::byte*>(inputs[2]->data());
    auto* out = static_cast<std::byte*>(outputs[0]->data());
    broadcast.for_each([&](std::int64_t flat, const std::int64_t* offsets) {
      const std::byte* source = condition[offsets[0]] ? x + offsets[1] * static_cast<std::int64_t>(size)
                                                      : y + offsets[2] * static_cast<std::int64_t>(size);
      std::memcpy(out + flat * static_cast<std::int64_t>(size), source, size);
    });
  };
}

RunFunction make_cast(const NodeView& node) {
  node.expect_arity(1, 1, 1);
  node.expect_output_shape(0, node.input_shape(0));
  return [](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    convert_elements(*inputs[0], *outputs[0]);
  };
}

}  // namespace

std::vector<KernelEntry> elementwise_kernels() {
  std::vector<KernelEntry> entries;
  for (const char* op : {"abs",
                         "neg",
                         "sign",
                         "ceil",
                         "floor",
                         "round",
                         "sqrt",
                         "reciprocal",
                         "exp",
                         "log",
                         "sin",
                         "cos",
                         "tan",
                         "asin",
                         "acos",
                         "atan",
                         "sinh",
                         "cosh",
                         "asinh",
                         "acosh",
                         "atanh",
                         "erf",
                         "softplus",
                         "softsign",
                         "mish",
                         "hard_swish",
                         "hard_sigmoid",
                         "elu",
                         "celu",
                         "selu",
                         "thresholded_relu",
                         "shrink",
                         "not",
                         "bitwise_not",
                         "is_nan",
                         "is_inf"})
    entries.push_back(typed_kernel(op, make_unary));
  for (const auto& [op, kind] : binary_kinds())
    entries.push_back(typed_kernel(op, make_binary));
  entries.push_back(typed_kernel("where", make_where));
  entries.push_back(typed_kernel("cast", make_cast));
  return entries;
}

}  // namespace ntp::reference
