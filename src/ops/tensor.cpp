// Tensor plumbing: add, mul, sub, div (numpy broadcasting), constant, concat, split, reshape, transpose,
// flatten, dropout.
#include <algorithm>
#include <numeric>

#include "families.h"
#include "op_helpers.h"

namespace ntp::ops {

namespace {

InferResult same_as_input(const OpContext& ctx) {
  return single_output(ctx.in(0), ctx.inputs[0]->dtype);
}

OpSchema binary(const std::string& name, const std::string& summary, int max_inputs = -1) {
  OpSchema op;
  op.name = name;
  op.family = "tensor";
  op.summary = summary;
  op.layout = "any (numpy broadcasting)";
  op.min_inputs = 2;
  op.max_inputs = max_inputs;
  op.infer = [](const OpContext& ctx) {
    Shape out = ctx.in(0);
    for (std::size_t i = 1; i < ctx.inputs.size(); ++i)
      out = broadcast_shapes(out, ctx.in(i));
    return single_output(out, ctx.inputs[0]->dtype);
  };
  op.cost = [](const OpContext& ctx) {
    return default_cost(ctx, static_cast<double>(ctx.inputs.size() - 1) * elements(ctx.outputs.at(0)->shape));
  };
  return op;
}

OpSchema concat() {
  OpSchema op;
  op.name = "concat";
  op.family = "tensor";
  op.summary =
      "Joins its inputs along an axis; all other dimensions must be equal. No FLOPs; bytes are a copy.";
  op.layout = "any";
  op.max_inputs = -1;
  op.attrs = {integer_attr("axis", -1, "axis to join along; negative counts from the end")};
  op.infer = [](const OpContext& ctx) {
    const std::size_t axis = normalise_axis(ctx.attrs.integer("axis"), ctx.in(0).size());
    Shape out = ctx.in(0);
    for (std::size_t i = 1; i < ctx.inputs.size(); ++i) {
      const Shape& shape = ctx.in(i);
      bool compatible = shape.size() == out.size();
      for (std::size_t d = 0; compatible && d < shape.size(); ++d)
        compatible = d == axis || shape[d] == out[d];
      if (!compatible)
        throw ShapeError(fmt::format("cannot concatenate {} and {} along axis {}", shape_to_string(ctx.in(0)),
                                     shape_to_string(shape), axis),
                         "all dimensions but the concatenation axis must be equal");
      out[axis] = checked_add(out[axis], shape[axis], "the concatenated axis");
    }
    return single_output(out, ctx.inputs[0]->dtype);
  };
  op.cost = [](const OpContext& ctx) { return default_cost(ctx, 0); };
  return op;
}

OpSchema split() {
  OpSchema op;
  op.name = "split";
  op.family = "tensor";
  op.summary =
      "Splits its input along an axis into equal parts, or into the given sizes; one output per part "
      "(name:k for the k-th). No FLOPs; bytes are a copy.";
  op.layout = "any";
  op.attrs = {integer_attr("axis", -1, "axis to split"), integer_attr("parts", 2, "number of equal parts"),
              integers_attr("sizes", {}, "explicit part sizes (override parts; must sum to the axis)")};
  op.infer = [](const OpContext& ctx) {
    const std::size_t axis = normalise_axis(ctx.attrs.integer("axis"), ctx.in(0).size());
    const std::int64_t length = ctx.in(0)[axis];
    std::vector<std::int64_t> sizes = ctx.attrs.integers("sizes");
    if (sizes.empty()) {
      const std::int64_t parts = ctx.attrs.integer("parts");
      if (parts <= 0 || length % parts != 0)
        throw ShapeError(fmt::format("axis {} of {} ({}) does not split into {} equal parts", axis,
                                     shape_to_string(ctx.in(0)), length, parts),
                         "give sizes=\"a,b,...\" instead");
      sizes.assign(static_cast<std::size_t>(parts), length / parts);
    }
    std::int64_t total = 0;
    for (const std::int64_t size : sizes) {
      if (size <= 0) throw ShapeError(fmt::format("split sizes must be positive, got {}", size));
      total = checked_add(total, size, "the sum of split sizes");
    }
    if (total != length)
      throw ShapeError(fmt::format("split sizes sum to {}, but axis {} of {} is {}", total, axis,
                                   shape_to_string(ctx.in(0)), length));
    InferResult result;
    for (const std::int64_t size : sizes) {
      Shape out = ctx.in(0);
      out[axis] = size;
      result.outputs.push_back({out, ctx.inputs[0]->dtype});
    }
    return result;
  };
  op.cost = [](const OpContext& ctx) { return default_cost(ctx, 0); };
  return op;
}

OpSchema reshape() {
  OpSchema op;
  op.name = "reshape";
  op.family = "tensor";
  op.summary =
      "Gives the data a new shape with the same element count (ONNX semantics: 0 copies the input's "
      "dimension at that position, one -1 is inferred). No FLOPs; bytes are a copy.";
  op.layout = "any";
  op.attrs = {required_integers("shape", "the new shape, e.g. \"0,0,-1\"")};
  op.infer = [](const OpContext& ctx) {
    const Shape& input = ctx.in(0);
    Shape out = ctx.attrs.integers("shape");
    int inferred = -1;
    std::int64_t known = 1;
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (out[i] == 0) {
        if (i >= input.size())
          throw ShapeError(
              fmt::format("0 at position {} copies a dimension {} does not have", i, shape_to_string(input)));
        out[i] = input[i];
      }
      if (out[i] == -1) {
        if (inferred >= 0) throw ShapeError("reshape allows only one -1", "give every other dimension");
        inferred = static_cast<int>(i);
        continue;
      }
      if (out[i] <= 0)
        throw ShapeError(fmt::format("reshape dimension {} at position {} is not valid", out[i], i),
                         "dimensions are positive, 0 (copy the input's) or one -1 (inferred)");
      known = checked_mul(known, out[i], "the reshape target");
    }
    const std::int64_t count = element_count(input);
    if (inferred >= 0) {
      if (count % known != 0)
        throw ShapeError(fmt::format("cannot reshape {} ({} elements) to {}", shape_to_string(input), count,
                                     shape_to_string(ctx.attrs.integers("shape"))),
                         "the known dimensions must divide the element count");
      out[static_cast<std::size_t>(inferred)] = count / known;
    }
    if (element_count(out) != count)
      throw ShapeError(fmt::format("cannot reshape {} ({} elements) to {} ({} elements)",
                                   shape_to_string(input), count, shape_to_string(out), element_count(out)),
                       "the element count must stay the same; use -1 for one dimension to infer it");
    return single_output(out, ctx.inputs[0]->dtype);
  };
  op.cost = [](const OpContext& ctx) { return default_cost(ctx, 0); };
  return op;
}

OpSchema transpose() {
  OpSchema op;
  op.name = "transpose";
  op.family = "tensor";
  op.summary =
      "Permutes the axes: output dimension i is input dimension perm[i]. No FLOPs; bytes are a copy.";
  op.layout = "any";
  op.attrs = {required_integers("perm", "a permutation of 0..rank-1")};
  op.infer = [](const OpContext& ctx) {
    const Shape& input = ctx.in(0);
    const std::vector<std::int64_t>& perm = ctx.attrs.integers("perm");
    std::vector<std::int64_t> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    std::vector<std::int64_t> identity(input.size());
    std::iota(identity.begin(), identity.end(), 0);
    if (sorted != identity)
      throw ShapeError(fmt::format("perm {} is not a permutation of the {} axes of {}", shape_to_string(perm),
                                   input.size(), shape_to_string(input)),
                       "give each of 0..rank-1 exactly once");
    Shape out;
    for (const std::int64_t axis : perm)
      out.push_back(input[static_cast<std::size_t>(axis)]);
    return single_output(out, ctx.inputs[0]->dtype);
  };
  op.cost = [](const OpContext& ctx) { return default_cost(ctx, 0); };
  return op;
}

OpSchema flatten() {
  OpSchema op;
  op.name = "flatten";
  op.family = "tensor";
  op.summary =
      "Flattens to 2-D as ONNX does: [prod(d[:axis]), prod(d[axis:])]; a negative axis counts from the "
      "end. No FLOPs; bytes are a copy.";
  op.layout = "any";
  op.attrs = {integer_attr("axis", 1, "first axis of the second dimension (negative counts from the end)")};
  op.infer = [](const OpContext& ctx) {
    const Shape& input = ctx.in(0);
    const auto rank = static_cast<std::int64_t>(input.size());
    std::int64_t axis = ctx.attrs.integer("axis");
    if (axis < -rank || axis > rank)
      throw ShapeError(fmt::format("flatten axis {} is out of range for {}", axis, shape_to_string(input)),
                       fmt::format("use {} to {}", -rank, rank));
    if (axis < 0) axis += rank;
    const auto split_at = input.begin() + axis;
    const std::int64_t rows = element_count(Shape(input.begin(), split_at));
    const std::int64_t columns = element_count(Shape(split_at, input.end()));
    return single_output({rows, columns}, ctx.inputs[0]->dtype);
  };
  op.cost = [](const OpContext& ctx) { return default_cost(ctx, 0); };
  return op;
}

OpSchema dropout() {
  OpSchema op;
  op.name = "dropout";
  op.family = "tensor";
  op.summary =
      "Identity at inference (kept so training topologies load unchanged). No FLOPs; bytes counted as "
      "the copy most frameworks make.";
  op.layout = "any";
  op.attrs = {real_attr("ratio", 0.5, "drop probability in training; unused at inference")};
  op.infer = same_as_input;
  op.cost = [](const OpContext& ctx) { return default_cost(ctx, 0); };
  return op;
}

// A tensor known when the graph is built (an ONNX initializer used as an operand): its data is its weight.
OpSchema constant() {
  OpSchema op;
  op.name = "constant";
  op.family = "tensor";
  op.summary =
      "A fixed tensor of the given shape, stored as its weight \"value\" (ONNX initializers and Constant "
      "nodes used as operands). No inputs, no FLOPs; bytes: the weight read and the output written.";
  op.layout = "none (no inputs)";
  op.min_inputs = 0;
  op.max_inputs = 0;
  op.attrs = {
      required_integers("shape", "the tensor's shape (empty for a scalar)"),
      text_attr("dtype", "fp32", "the element type (integers and bool for shape arithmetic and masks)")};
  op.infer = [](const OpContext& ctx) {
    const Shape shape = ctx.attrs.integers("shape");
    for (const std::int64_t dim : shape)
      if (dim < 0)
        throw ShapeError(fmt::format("constant shape {} has a negative dimension", shape_to_string(shape)));
    const std::optional<DType> type = parse_dtype(ctx.attrs.text("dtype"));
    if (!type)
      throw ShapeError(fmt::format("unknown element type '{}'", ctx.attrs.text("dtype")),
                       fmt::format("types are: {}", dtype_names()));
    InferResult result = single_output(shape, *type);
    result.weights.push_back({"value", shape, {Distribution::Kind::uniform, -1.0, 1.0}});
    return result;
  };
  op.cost = [](const OpContext& ctx) { return default_cost(ctx, 0); };
  return op;
}

}  // namespace

std::vector<OpSchema> tensor_ops() {
  return {
      binary("add",
             "Elementwise sum of two or more inputs with numpy broadcasting (residual connections). 1 "
             "FLOP per output element per extra input."),
      binary("mul",
             "Elementwise product of two or more inputs with numpy broadcasting. 1 FLOP per output "
             "element per extra input."),
      binary("sub", "Elementwise difference a - b with numpy broadcasting. 1 FLOP per output element.", 2),
      binary("div",
             "Elementwise quotient a / b with numpy broadcasting (IEEE: x/0 is inf or nan). 1 FLOP per "
             "output element.",
             2),
      constant(),
      concat(),
      split(),
      reshape(),
      transpose(),
      flatten(),
      dropout()};
}

}  // namespace ntp::ops
