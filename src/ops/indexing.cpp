// Indexing and layout ops with ONNX semantics on every element type: gather (three forms), slice, expand,
// tile, pad, depth_to_space / space_to_depth, topk, cumsum, hardmax. Arguments that decide the output's
// shape (slice bounds, expand's shape, pads, k) are attributes: an importer folds them at load time.
#include <algorithm>

#include "families.h"
#include "op_helpers.h"

namespace ntp::ops {

namespace {

OpSchema base(const std::string& name, const std::string& summary, int inputs = 1) {
  OpSchema op;
  op.name = name;
  op.family = "indexing";
  op.summary = summary;
  op.layout = "any";
  op.min_inputs = inputs;
  op.max_inputs = inputs;
  op.cost = [](const OpContext& ctx) { return default_cost(ctx, 0); };
  return op;
}

void expect_indices(const OpContext& ctx, std::size_t index) {
  const DType type = ctx.inputs.at(index)->dtype;
  if (type != DType::s64 && type != DType::s32)
    throw ShapeError(
        fmt::format("{}'s indices must be int32 or int64, got {}", ctx.node.op, dtype_name(type)));
}

OpSchema gather() {
  OpSchema op =
      base("gather",
           "Picks slices of data along `axis` at the given indices (negative ones count from the end); "
           "output shape data[:axis] + indices + data[axis+1:].",
           2);
  op.attrs = {integer_attr("axis", 0, "the axis indexed")};
  op.infer = [](const OpContext& ctx) {
    expect_indices(ctx, 1);
    const Shape& data = ctx.in(0);
    if (data.empty()) throw ShapeError("gather needs data of rank 1 or more");
    const std::size_t axis = normalise_axis(ctx.attrs.integer("axis"), data.size());
    Shape out(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(axis));
    out.insert(out.end(), ctx.in(1).begin(), ctx.in(1).end());
    out.insert(out.end(), data.begin() + static_cast<std::ptrdiff_t>(axis) + 1, data.end());
    return single_output(out, ctx.inputs[0]->dtype);
  };
  return op;
}

OpSchema gather_elements() {
  OpSchema op =
      base("gather_elements",
           "out[i][j][k] = data[index][j][k] with index = indices[i][j][k] along `axis` (axis 0 shown); "
           "the output has the indices' shape.",
           2);
  op.attrs = {integer_attr("axis", 0, "the axis indexed")};
  op.infer = [](const OpContext& ctx) {
    expect_indices(ctx, 1);
    if (ctx.in(0).size() != ctx.in(1).size() || ctx.in(0).empty())
      throw ShapeError(fmt::format("gather_elements needs data and indices of one rank, got {} and {}",
                                   shape_to_string(ctx.in(0)), shape_to_string(ctx.in(1))));
    normalise_axis(ctx.attrs.integer("axis"), ctx.in(0).size());
    return single_output(ctx.in(1), ctx.inputs[0]->dtype);
  };
  return op;
}

OpSchema gather_nd() {
  OpSchema op = base("gather_nd",
                     "Each innermost row of indices addresses a slice of data (after batch_dims leading "
                     "dimensions both share).",
                     2);
  op.attrs = {integer_attr("batch_dims", 0, "leading dimensions data and indices share")};
  op.infer = [](const OpContext& ctx) {
    expect_indices(ctx, 1);
    const Shape& data = ctx.in(0);
    const Shape& indices = ctx.in(1);
    const auto batch = static_cast<std::size_t>(std::max<std::int64_t>(ctx.attrs.integer("batch_dims"), 0));
    if (indices.empty() || batch >= data.size() || batch >= indices.size())
      throw ShapeError("gather_nd needs indices of rank >= 1 and batch_dims below both ranks");
    const std::int64_t depth = indices.back();
    if (depth < 1 || batch + static_cast<std::size_t>(depth) > data.size())
      throw ShapeError(fmt::format("gather_nd: index rows of {} address more than the {} dimensions of data",
                                   depth, data.size()));
    for (std::size_t d = 0; d < batch; ++d)
      if (data[d] != indices[d])
        throw ShapeError("gather_nd: the batch dimensions of data and indices differ");
    Shape out(indices.begin(), indices.end() - 1);
    out.insert(out.end(), data.begin() + static_cast<std::ptrdiff_t>(batch) + depth, data.end());
    return single_output(out, ctx.inputs[0]->dtype);
  };
  return op;
}

OpSchema slice() {
  OpSchema op =
      base("slice",
           "Elements start, start+step, ... before end along each of `axes` (ONNX's Slice: negative "
           "positions count from the end, bounds are clamped).");
  op.attrs = {required_integers("starts", "first positions"),
              required_integers("ends", "end positions (exclusive)"),
              integers_attr("axes", {}, "the axes sliced (default 0, 1, ...)"),
              integers_attr("steps", {}, "the steps (default 1)")};
  op.infer = [](const OpContext& ctx) {
    const Shape& in = ctx.in(0);
    const auto& starts = ctx.attrs.integers("starts");
    const auto& ends = ctx.attrs.integers("ends");
    auto axes = ctx.attrs.integers("axes");
    auto steps = ctx.attrs.integers("steps");
    if (axes.empty())
      for (std::size_t i = 0; i < starts.size(); ++i)
        axes.push_back(static_cast<std::int64_t>(i));
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
      throw ShapeError("slice needs as many ends, axes and steps as starts");
    Shape out = in;
    for (std::size_t i = 0; i < starts.size(); ++i) {
      const std::size_t axis = normalise_axis(axes[i], in.size());
      out[axis] = slice_range(in[axis], starts[i], ends[i], steps[i]).count;
      if (steps[i] == 0) throw ShapeError("slice steps must not be 0");
    }
    return single_output(out, ctx.inputs[0]->dtype);
  };
  return op;
}

OpSchema expand() {
  OpSchema op = base("expand", "Broadcasts the input to `shape` (numpy broadcasting of the two shapes).");
  op.attrs = {required_integers("shape", "the shape broadcast to")};
  op.infer = [](const OpContext& ctx) {
    const auto& shape = ctx.attrs.integers("shape");
    return single_output(broadcast_shapes(ctx.in(0), Shape(shape.begin(), shape.end())),
                         ctx.inputs[0]->dtype);
  };
  return op;
}

OpSchema tile() {
  OpSchema op = base("tile", "Repeats the input `repeats[d]` times along each dimension d.");
  op.attrs = {required_integers("repeats", "one count per dimension")};
  op.infer = [](const OpContext& ctx) {
    const auto& repeats = ctx.attrs.integers("repeats");
    if (repeats.size() != ctx.in(0).size())
      throw ShapeError(fmt::format("tile needs {} repeats, got {}", ctx.in(0).size(), repeats.size()));
    Shape out = ctx.in(0);
    for (std::size_t d = 0; d < out.size(); ++d) {
      if (repeats[d] < 0) throw ShapeError("tile repeats must not be negative");
      out[d] = checked_mul(out[d], repeats[d], "the tiled shape");
    }
    return single_output(out, ctx.inputs[0]->dtype);
  };
  return op;
}

OpSchema pad() {
  OpSchema op = base("pad",
                     "Pads (or, with negative pads, crops) every dimension: constant fills `value`, reflect "
                     "mirrors without the edge, edge repeats it, wrap continues from the other side.");
  op.attrs = {
      required_integers("pads", "all begins, then all ends (ONNX order)"),
      text_attr("mode", "constant", "how the border is filled", {"constant", "reflect", "edge", "wrap"}),
      real_attr("value", 0.0, "the constant")};
  op.infer = [](const OpContext& ctx) {
    const auto& pads = ctx.attrs.integers("pads");
    const Shape& in = ctx.in(0);
    if (pads.size() != 2 * in.size())
      throw ShapeError(
          fmt::format("pad needs {} pads for rank {}, got {}", 2 * in.size(), in.size(), pads.size()));
    Shape out = in;
    for (std::size_t d = 0; d < in.size(); ++d) {
      out[d] = checked_add(checked_add(in[d], pads[d], "the padded shape"), pads[d + in.size()],
                           "the padded shape");
      if (out[d] < 0) throw ShapeError("pad crops more than the dimension has");
      if (ctx.attrs.text("mode") != "constant" && in[d] == 0 && out[d] > 0)
        throw ShapeError("only constant padding can grow an empty dimension");
    }
    return single_output(out, ctx.inputs[0]->dtype);
  };
  return op;
}

OpSchema depth_to_space() {
  OpSchema op = base("depth_to_space",
                     "[N, C·b², H, W] to [N, C, H·b, W·b]; mode DCR (depth, column, row) or CRD as ONNX's.");
  op.attrs = {required_integer("blocksize", "b"),
              text_attr("mode", "DCR", "the channel order", {"DCR", "CRD"})};
  op.infer = [](const OpContext& ctx) {
    expect_rank(ctx.in(0), 4, 4, "depth_to_space's input");
    const std::int64_t b = ctx.attrs.integer("blocksize");
    expect_positive(b, "blocksize");
    const Shape& in = ctx.in(0);
    if (in[1] % (b * b) != 0) throw ShapeError("depth_to_space: channels must divide by blocksize²");
    return single_output({in[0], in[1] / (b * b), in[2] * b, in[3] * b}, ctx.inputs[0]->dtype);
  };
  return op;
}

OpSchema space_to_depth() {
  OpSchema op = base("space_to_depth", "[N, C, H·b, W·b] to [N, C·b², H, W] (ONNX's order).");
  op.attrs = {required_integer("blocksize", "b")};
  op.infer = [](const OpContext& ctx) {
    expect_rank(ctx.in(0), 4, 4, "space_to_depth's input");
    const std::int64_t b = ctx.attrs.integer("blocksize");
    expect_positive(b, "blocksize");
    const Shape& in = ctx.in(0);
    if (in[2] % b != 0 || in[3] % b != 0)
      throw ShapeError("space_to_depth: H and W must divide by blocksize");
    return single_output({in[0], in[1] * b * b, in[2] / b, in[3] / b}, ctx.inputs[0]->dtype);
  };
  return op;
}

OpSchema topk() {
  OpSchema op =
      base("topk",
           "The k largest (or smallest) elements along `axis`, sorted, and their int64 indices (ties: "
           "the lower index first).");
  op.attrs = {required_integer("k", "how many"), integer_attr("axis", -1, "the axis"),
              integer_attr("largest", 1, "1: largest, 0: smallest"), integer_attr("sorted", 1, "1: sorted")};
  op.infer = [](const OpContext& ctx) {
    const std::size_t axis = normalise_axis(ctx.attrs.integer("axis"), ctx.in(0).size());
    const std::int64_t k = ctx.attrs.integer("k");
    if (k < 0 || k > ctx.in(0)[axis])
      throw ShapeError(fmt::format("topk: k={} for an axis of {}", k, ctx.in(0)[axis]));
    Shape out = ctx.in(0);
    out[axis] = k;
    InferResult result;
    result.outputs = {{out, ctx.inputs[0]->dtype}, {out, DType::s64}};
    return result;
  };
  return op;
}

OpSchema cumsum() {
  OpSchema op = base("cumsum",
                     "Running sums along `axis`; exclusive leaves out the element itself, reverse runs "
                     "from the end.");
  op.attrs = {integer_attr("axis", 0, "the axis"), integer_attr("exclusive", 0, "1: exclusive"),
              integer_attr("reverse", 0, "1: from the end")};
  op.infer = [](const OpContext& ctx) {
    normalise_axis(ctx.attrs.integer("axis"), ctx.in(0).size());
    return single_output(ctx.in(0), ctx.inputs[0]->dtype);
  };
  op.cost = [](const OpContext& ctx) { return default_cost(ctx, elements(ctx.in(0))); };
  return op;
}

OpSchema hardmax() {
  OpSchema op = base("hardmax", "1 at the first largest element along `axis`, 0 elsewhere.");
  op.attrs = {integer_attr("axis", -1, "the axis")};
  op.infer = [](const OpContext& ctx) {
    normalise_axis(ctx.attrs.integer("axis"), ctx.in(0).size());
    return single_output(ctx.in(0), ctx.inputs[0]->dtype);
  };
  return op;
}

OpSchema resize() {
  OpSchema op =
      base("resize",
           "Resamples to `sizes` (ONNX's Resize and Upsample): nearest (any type), n-linear or cubic "
           "interpolation, with ONNX's coordinate transformations; each output element reads 1, 2 or "
           "4 input elements per resized axis.");
  op.attrs = {
      required_integers("sizes", "the output shape"),
      {"scales",
       AttrType::reals,
       AttrValue{std::vector<double>{}},
       "the scale per axis (default sizes / input)",
       {}},
      text_attr("mode", "nearest", "the interpolation", {"nearest", "linear", "cubic"}),
      text_attr("coordinate_transformation_mode", "half_pixel", "how output coordinates map to input ones",
                {"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric",
                 "tf_half_pixel_for_nn", "tf_crop_and_resize"}),
      text_attr("nearest_mode", "round_prefer_floor", "rounding for nearest",
                {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}),
      real_attr("cubic_coeff_a", -0.75, "the cubic kernel's a"),
      integer_attr("exclude_outside", 0, "1: taps outside the input get weight 0 (renormalised)"),
      real_attr("extrapolation_value", 0.0, "tf_crop_and_resize: the value outside the input"),
      {"roi",
       AttrType::reals,
       AttrValue{std::vector<double>{}},
       "tf_crop_and_resize: starts, then ends",
       {}}};
  op.infer = [](const OpContext& ctx) {
    const auto& sizes = ctx.attrs.integers("sizes");
    if (sizes.size() != ctx.in(0).size())
      throw ShapeError(fmt::format("resize needs {} sizes, got {}", ctx.in(0).size(), sizes.size()));
    for (const std::int64_t size : sizes)
      if (size < 0) throw ShapeError("resize sizes must not be negative");
    if (ctx.attrs.text("mode") != "nearest" && !is_floating(ctx.inputs[0]->dtype))
      throw ShapeError(fmt::format("{} resizing takes floating-point data, got {}", ctx.attrs.text("mode"),
                                   dtype_name(ctx.inputs[0]->dtype)));
    return single_output(Shape(sizes.begin(), sizes.end()), ctx.inputs[0]->dtype);
  };
  op.cost = [](const OpContext& ctx) {
    const double taps =
        ctx.attrs.text("mode") == "nearest" ? 0 : (ctx.attrs.text("mode") == "linear" ? 4 : 16);
    return default_cost(ctx, 2 * taps * elements(ctx.outputs.at(0)->shape));
  };
  return op;
}

OpSchema trilu() {
  OpSchema op = base("trilu",
                     "Keeps the upper (upper=1) or lower triangle of the last two axes from diagonal k on, "
                     "zeroing the rest.");
  op.attrs = {integer_attr("upper", 1, "1: upper triangle"), integer_attr("k", 0, "the diagonal offset")};
  op.infer = [](const OpContext& ctx) {
    expect_rank(ctx.in(0), 2, 64, "trilu's input");
    return single_output(ctx.in(0), ctx.inputs[0]->dtype);
  };
  return op;
}

}  // namespace

std::vector<OpSchema> indexing_ops() {
  return {gather(),         gather_elements(), gather_nd(), slice(),  expand(),  tile(),   pad(),
          depth_to_space(), space_to_depth(),  topk(),      cumsum(), hardmax(), resize(), trilu()};
}

}  // namespace ntp::ops
