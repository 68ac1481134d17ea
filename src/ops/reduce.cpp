// Reductions with ONNX semantics: reduce_* over a set of axes (all when none are given), keeping the
// reduced axes as size 1 when keepdims=1; argmax / argmin give int64 indices along one axis.
#include <set>

#include "families.h"
#include "op_helpers.h"

namespace ntp::ops {

namespace {

// The output shape of a reduction over `axes` (empty: every axis).
Shape reduced_shape(const Shape& in, const std::vector<std::int64_t>& axes, bool keepdims) {
  std::set<std::size_t> reduced;
  for (const std::int64_t axis : axes)
    if (!reduced.insert(normalise_axis(axis, in.size())).second)
      throw ShapeError(fmt::format("axis {} is given twice", axis));
  Shape out;
  for (std::size_t d = 0; d < in.size(); ++d) {
    const bool reduce = axes.empty() || reduced.count(d) != 0;
    if (!reduce)
      out.push_back(in[d]);
    else if (keepdims)
      out.push_back(1);
  }
  return out;
}

OpSchema reduction(const std::string& name, const std::string& what, bool floating_only) {
  OpSchema op;
  op.name = name;
  op.family = "reduce";
  op.summary = what + " over `axes` (every axis when empty); keepdims=1 keeps them as size 1.";
  op.layout = "any";
  op.attrs = {integers_attr("axes", {}, "the axes to reduce; negative counts from the end; empty: all"),
              integer_attr("keepdims", 1, "1: reduced axes stay as size 1")};
  op.infer = [floating_only](const OpContext& ctx) {
    const DType type = ctx.inputs[0]->dtype;
    if (type == DType::boolean || (floating_only && !is_floating(type)))
      throw ShapeError(fmt::format("{} does not take {} inputs", ctx.node.op, dtype_name(type)));
    return single_output(
        reduced_shape(ctx.in(0), ctx.attrs.integers("axes"), ctx.attrs.integer("keepdims") != 0), type);
  };
  op.cost = [](const OpContext& ctx) { return default_cost(ctx, elements(ctx.in(0))); };
  return op;
}

OpSchema arg_reduction(const std::string& name, const std::string& what) {
  OpSchema op;
  op.name = name;
  op.family = "reduce";
  op.summary = "The int64 index of the " + what +
               " element along `axis`; the first one, or the last with select_last_index=1.";
  op.layout = "any";
  op.attrs = {integer_attr("axis", 0, "the axis; negative counts from the end"),
              integer_attr("keepdims", 1, "1: the axis stays as size 1"),
              integer_attr("select_last_index", 0, "1: the last of equal elements")};
  op.infer = [](const OpContext& ctx) {
    const std::size_t axis = normalise_axis(ctx.attrs.integer("axis"), ctx.in(0).size());
    return single_output(
        reduced_shape(ctx.in(0), {static_cast<std::int64_t>(axis)}, ctx.attrs.integer("keepdims") != 0),
        DType::s64);
  };
  op.cost = [](const OpContext& ctx) { return default_cost(ctx, elements(ctx.in(0))); };
  return op;
}

}  // namespace

std::vector<OpSchema> reduce_ops() {
  return {reduction("reduce_sum", "The sum", false),
          reduction("reduce_mean", "The mean", true),
          reduction("reduce_max", "The largest element", false),
          reduction("reduce_min", "The smallest element", false),
          reduction("reduce_prod", "The product", false),
          reduction("reduce_l1", "The sum of |x|", false),
          reduction("reduce_l2", "√(sum of x²)", true),
          reduction("reduce_sum_square", "The sum of x²", false),
          reduction("reduce_log_sum", "log(sum of x)", true),
          reduction("reduce_log_sum_exp", "log(sum of e^x)", true),
          arg_reduction("argmax", "largest"),
          arg_reduction("argmin", "smallest")};
}

}  // namespace ntp::ops
