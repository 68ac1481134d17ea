// ONNX operators that are one NTP op each with ONNX's own semantics (elementwise math and logic, casts,
// reductions, gathers, slices, padding, ...). Arguments that set the output's shape (slice bounds, pads,
// k, repeats) must be known at load time and become attributes; data arguments stay values of any type.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <map>

#include "import_context.h"

namespace ntp::onnx_io {

namespace {

using onnx::NodeProto;

std::vector<std::int64_t> ints_of(const ConstTensor& tensor) {
  std::vector<std::int64_t> values;
  for (std::size_t i = 0; i < static_cast<std::size_t>(tensor.count()); ++i)
    values.push_back(tensor.integer(i));
  return values;
}

// Adds `op` reading every given input of `node`, and defines its outputs.
void emit(ImportContext& ctx, const NodeProto& node, const std::string& op, Attributes attrs,
          std::vector<int> inputs = {}) {
  if (inputs.empty())
    for (int i = 0; i < node.input_size(); ++i)
      if (ctx.has_input(node, i)) inputs.push_back(ctx.value_input(node, i));
  ctx.add_op(node, node.output(0), op, std::move(attrs), inputs);
  const Node& added = ctx.graph().nodes.back();
  for (int k = 0; k < node.output_size() && k < static_cast<int>(added.outputs.size()); ++k)
    if (!node.output(k).empty()) ctx.define(node.output(k), added.outputs[static_cast<std::size_t>(k)]);
}

const std::map<std::string, std::string>& unary_ops() {
  static const std::map<std::string, std::string> table = {
      {"Abs", "abs"},
      {"Neg", "neg"},
      {"Sign", "sign"},
      {"Ceil", "ceil"},
      {"Floor", "floor"},
      {"Round", "round"},
      {"Sqrt", "sqrt"},
      {"Reciprocal", "reciprocal"},
      {"Exp", "exp"},
      {"Log", "log"},
      {"Sin", "sin"},
      {"Cos", "cos"},
      {"Tan", "tan"},
      {"Asin", "asin"},
      {"Acos", "acos"},
      {"Atan", "atan"},
      {"Sinh", "sinh"},
      {"Cosh", "cosh"},
      {"Asinh", "asinh"},
      {"Acosh", "acosh"},
      {"Atanh", "atanh"},
      {"Erf", "erf"},
      {"Softplus", "softplus"},
      {"Softsign", "softsign"},
      {"Mish", "mish"},
      {"HardSwish", "hard_swish"},
      {"HardSigmoid", "hard_sigmoid"},
      {"Elu", "elu"},
      {"Celu", "celu"},
      {"Selu", "selu"},
      {"ThresholdedRelu", "thresholded_relu"},
      {"Shrink", "shrink"},
      {"Not", "not"},
      {"BitwiseNot", "bitwise_not"},
      {"IsNaN", "is_nan"},
      {"IsInf", "is_inf"},
  };
  return table;
}

const std::map<std::string, std::string>& binary_ops() {
  static const std::map<std::string, std::string> table = {
      {"Pow", "pow"},
      {"Mod", "mod"},
      {"Max", "max"},
      {"Min", "min"},
      {"Sum", "sum"},
      {"Mean", "mean"},
      {"PRelu", "prelu"},
      {"BitShift", "bit_shift"},
      {"BitwiseAnd", "bitwise_and"},
      {"BitwiseOr", "bitwise_or"},
      {"BitwiseXor", "bitwise_xor"},
      {"And", "and"},
      {"Or", "or"},
      {"Xor", "xor"},
      {"Equal", "equal"},
      {"Less", "less"},
      {"LessOrEqual", "less_equal"},
      {"Greater", "greater"},
      {"GreaterOrEqual", "greater_equal"},
      {"Where", "where"},
  };
  return table;
}

const std::map<std::string, std::string>& reduce_ops() {
  static const std::map<std::string, std::string> table = {
      {"ReduceSum", "reduce_sum"},        {"ReduceMean", "reduce_mean"},
      {"ReduceMax", "reduce_max"},        {"ReduceMin", "reduce_min"},
      {"ReduceProd", "reduce_prod"},      {"ReduceL1", "reduce_l1"},
      {"ReduceL2", "reduce_l2"},          {"ReduceSumSquare", "reduce_sum_square"},
      {"ReduceLogSum", "reduce_log_sum"}, {"ReduceLogSumExp", "reduce_log_sum_exp"},
  };
  return table;
}

// The ONNX float attributes an NTP unary op shares by name.
void convert_unary(ImportContext& ctx, const NodeProto& node) {
  Attributes attrs;
  for (const auto& attr : node.attribute()) {
    if (attr.type() == onnx::AttributeProto::FLOAT) attrs.set(attr.name(), static_cast<double>(attr.f()));
    if (attr.type() == onnx::AttributeProto::INT) attrs.set(attr.name(), static_cast<std::int64_t>(attr.i()));
  }
  emit(ctx, node, unary_ops().at(node.op_type()), attrs);
}

void convert_binary_like(ImportContext& ctx, const NodeProto& node) {
  Attributes attrs;
  if (node.op_type() == "Mod") attrs.set("fmod", ctx.attr_int(node, "fmod", 0));
  if (node.op_type() == "BitShift") {
    std::string direction = ctx.attr_string(node, "direction", "LEFT");
    for (char& c : direction)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    attrs.set("direction", direction);
  }
  emit(ctx, node, binary_ops().at(node.op_type()), attrs);
}

std::string type_name_for(const ImportContext& ctx, const NodeProto& node, int onnx_type) {
  const std::optional<DType> type = dtype_of_onnx(onnx_type);
  if (!type)
    ctx.fail(node, fmt::format("a cast to {} is not supported", onnx_type_name(onnx_type)),
             fmt::format("NTP's element types are {}", dtype_names()));
  return std::string(dtype_name(*type));
}

void convert_cast(ImportContext& ctx, const NodeProto& node) {
  Attributes attrs;
  if (node.op_type() == "CastLike")
    attrs.set("to", std::string(dtype_name(
                        ctx.graph().values[static_cast<std::size_t>(ctx.value_input(node, 1))].dtype)));
  else
    attrs.set("to", type_name_for(ctx, node, static_cast<int>(ctx.attr_int(node, "to", 0))));
  emit(ctx, node, "cast", attrs, {ctx.value_input(node, 0)});
}

// Reductions take their axes as an attribute, or (ReduceSum from opset 13, all from 18) as an input.
void convert_reduce(ImportContext& ctx, const NodeProto& node) {
  std::vector<std::int64_t> axes = ctx.attr_ints(node, "axes");
  if (ctx.has_input(node, 1)) axes = ints_of(ctx.constant_input(node, 1, "the axes"));
  const int x = ctx.value_input(node, 0);
  if (axes.empty() && ctx.attr_int(node, "noop_with_empty_axes", 0) != 0) {
    emit(ctx, node, "dropout", {}, {x});
    return;
  }
  Attributes attrs;
  attrs.set("axes", axes);
  attrs.set("keepdims", ctx.attr_int(node, "keepdims", 1));
  emit(ctx, node, reduce_ops().at(node.op_type()), attrs, {x});
}

void convert_arg(ImportContext& ctx, const NodeProto& node) {
  Attributes attrs;
  attrs.set("axis", ctx.attr_int(node, "axis", 0));
  attrs.set("keepdims", ctx.attr_int(node, "keepdims", 1));
  attrs.set("select_last_index", ctx.attr_int(node, "select_last_index", 0));
  emit(ctx, node, node.op_type() == "ArgMax" ? "argmax" : "argmin", attrs, {ctx.value_input(node, 0)});
}

void convert_gather(ImportContext& ctx, const NodeProto& node) {
  Attributes attrs;
  if (node.op_type() == "GatherND")
    attrs.set("batch_dims", ctx.attr_int(node, "batch_dims", 0));
  else
    attrs.set("axis", ctx.attr_int(node, "axis", 0));
  const std::string op = node.op_type() == "Gather"           ? "gather"
                         : node.op_type() == "GatherElements" ? "gather_elements"
                                                              : "gather_nd";
  emit(ctx, node, op, attrs);
}

void convert_slice(ImportContext& ctx, const NodeProto& node) {
  Attributes attrs;
  if (ctx.opset() < 10) {
    attrs.set("starts", ctx.attr_ints(node, "starts"));
    attrs.set("ends", ctx.attr_ints(node, "ends"));
    attrs.set("axes", ctx.attr_ints(node, "axes"));
  } else {
    attrs.set("starts", ints_of(ctx.constant_input(node, 1, "the starts")));
    attrs.set("ends", ints_of(ctx.constant_input(node, 2, "the ends")));
    attrs.set("axes", ctx.has_input(node, 3) ? ints_of(ctx.constant_input(node, 3, "the axes"))
                                             : std::vector<std::int64_t>{});
    if (ctx.has_input(node, 4)) attrs.set("steps", ints_of(ctx.constant_input(node, 4, "the steps")));
  }
  emit(ctx, node, "slice", attrs, {ctx.value_input(node, 0)});
}

void convert_expand(ImportContext& ctx, const NodeProto& node) {
  Attributes attrs;
  attrs.set("shape", ints_of(ctx.constant_input(node, 1, "the shape")));
  emit(ctx, node, "expand", attrs, {ctx.value_input(node, 0)});
}

void convert_tile(ImportContext& ctx, const NodeProto& node) {
  Attributes attrs;
  attrs.set("repeats", ints_of(ctx.constant_input(node, 1, "the repeats")));
  emit(ctx, node, "tile", attrs, {ctx.value_input(node, 0)});
}

// Pad: attributes before opset 11; then pads, the constant and (opset 18) the axes padded as inputs.
void convert_pad(ImportContext& ctx, const NodeProto& node) {
  const int x = ctx.value_input(node, 0);
  const std::size_t rank = ctx.shape_of(x).size();
  std::vector<std::int64_t> pads;
  double value = 0;
  if (ctx.opset() < 11) {
    pads = ctx.attr_ints(node, ctx.opset() < 2 ? "paddings" : "pads");
    value = ctx.attr_float(node, "value", 0.0F);
  } else {
    pads = ints_of(ctx.constant_input(node, 1, "the pads"));
    if (ctx.has_input(node, 2)) value = ctx.constant_input(node, 2, "the constant value").real(0);
    if (ctx.has_input(node, 3)) {
      const std::vector<std::int64_t> axes = ints_of(ctx.constant_input(node, 3, "the axes"));
      if (pads.size() != 2 * axes.size()) ctx.fail(node, "Pad needs two pads per axis");
      std::vector<std::int64_t> all(2 * rank, 0);
      for (std::size_t i = 0; i < axes.size(); ++i) {
        const std::int64_t axis = axes[i] < 0 ? axes[i] + static_cast<std::int64_t>(rank) : axes[i];
        if (axis < 0 || axis >= static_cast<std::int64_t>(rank)) ctx.fail(node, "a Pad axis is out of range");
        all[static_cast<std::size_t>(axis)] = pads[i];
        all[static_cast<std::size_t>(axis) + rank] = pads[i + axes.size()];
      }
      pads = all;
    }
  }
  Attributes attrs;
  attrs.set("pads", pads);
  attrs.set("mode", ctx.attr_string(node, "mode", "constant"));
  attrs.set("value", value);
  emit(ctx, node, "pad", attrs, {x});
}

void convert_depth_space(ImportContext& ctx, const NodeProto& node) {
  Attributes attrs;
  attrs.set("blocksize", ctx.attr_int(node, "blocksize", 0));
  if (node.op_type() == "DepthToSpace") {
    attrs.set("mode", ctx.attr_string(node, "mode", "DCR"));
    emit(ctx, node, "depth_to_space", attrs, {ctx.value_input(node, 0)});
  } else {
    emit(ctx, node, "space_to_depth", attrs, {ctx.value_input(node, 0)});
  }
}

void convert_topk(ImportContext& ctx, const NodeProto& node) {
  Attributes attrs;
  attrs.set("k", ctx.opset() < 10 ? ctx.attr_int(node, "k", 0) : ctx.constant_input(node, 1, "k").integer(0));
  attrs.set("axis", ctx.attr_int(node, "axis", -1));
  attrs.set("largest", ctx.attr_int(node, "largest", 1));
  attrs.set("sorted", ctx.attr_int(node, "sorted", 1));
  emit(ctx, node, "topk", attrs, {ctx.value_input(node, 0)});
}

void convert_cumsum(ImportContext& ctx, const NodeProto& node) {
  Attributes attrs;
  attrs.set("axis", ctx.constant_input(node, 1, "the axis").integer(0));
  attrs.set("exclusive", ctx.attr_int(node, "exclusive", 0));
  attrs.set("reverse", ctx.attr_int(node, "reverse", 0));
  emit(ctx, node, "cumsum", attrs, {ctx.value_input(node, 0)});
}

void convert_hardmax(ImportContext& ctx, const NodeProto& node) {
  const int x = ctx.value_input(node, 0);
  const auto rank = static_cast<std::int64_t>(ctx.shape_of(x).size());
  std::int64_t axis = ctx.attr_int(node, "axis", ctx.opset() < 13 ? 1 : -1);
  if (axis < 0) axis += rank;
  // Before opset 13 the input is coerced to 2-D at `axis`: the same as the last axis only when it is last.
  if (ctx.opset() < 13 && axis != rank - 1)
    ctx.fail(node, fmt::format("Hardmax before opset 13 over the flattened axes {}.. is not supported", axis),
             "export with opset 13 or later, or take hardmax over the last axis");
  Attributes attrs;
  attrs.set("axis", axis);
  emit(ctx, node, "hardmax", attrs, {x});
}

// Split: sizes from the attribute (before opset 13) or input, else equal parts (num_outputs from opset 18).
void convert_split(ImportContext& ctx, const NodeProto& node) {
  const int x = ctx.value_input(node, 0);
  const Shape& shape = ctx.shape_of(x);
  std::int64_t axis = ctx.attr_int(node, "axis", 0);
  std::vector<std::int64_t> sizes = ctx.attr_ints(node, "split");
  if (ctx.has_input(node, 1)) sizes = ints_of(ctx.constant_input(node, 1, "the split sizes"));
  const auto rank = static_cast<std::int64_t>(shape.size());
  if (axis < -rank || axis >= rank) ctx.fail(node, fmt::format("axis {} is out of range", axis));
  if (axis < 0) axis += rank;
  const auto parts = static_cast<std::int64_t>(node.output_size());
  if (sizes.empty()) {
    // ONNX (opset 18): equal parts, the last one smaller when the axis does not divide.
    const std::int64_t length = shape[static_cast<std::size_t>(axis)];
    const std::int64_t part = (length + parts - 1) / parts;
    for (std::int64_t i = 0; i < parts; ++i)
      sizes.push_back(std::max<std::int64_t>(std::min(part, length - i * part), 0));
  }
  Attributes attrs;
  attrs.set("axis", axis);
  attrs.set("sizes", sizes);
  attrs.set("parts", static_cast<std::int64_t>(sizes.size()));
  if (sizes.size() == 1) {
    emit(ctx, node, "dropout", {}, {x});
    return;
  }
  emit(ctx, node, "split", attrs, {x});
}

// A known input that may also be given as an empty tensor (Resize's roi and scales): empty when absent.
std::vector<double> optional_reals(const ImportContext& ctx, const NodeProto& node, int index,
                                   const char* role) {
  std::vector<double> values;
  if (!ctx.has_input(node, index)) return values;
  const ConstTensor& tensor = ctx.constant_input(node, index, role);
  for (std::size_t i = 0; i < static_cast<std::size_t>(tensor.count()); ++i)
    values.push_back(tensor.real(i));
  return values;
}

// Resize (opset 10: X, scales; 11 on: X, roi, scales, sizes) and Upsample (scales as attribute, then input).
// Before opset 11 both map output coordinates asymmetrically and round nearest down.
void convert_resize(ImportContext& ctx, const NodeProto& node) {
  const int x = ctx.value_input(node, 0);
  const Shape& in = ctx.shape_of(x);
  const bool old_form = node.op_type() == "Upsample" || ctx.opset() < 11;
  std::vector<double> scales, roi;
  std::vector<std::int64_t> sizes;
  if (node.op_type() == "Upsample" && ctx.opset() < 9) {
    for (const float scale : ctx.attr_floats(node, "scales"))
      scales.push_back(scale);
  } else if (old_form) {
    scales = optional_reals(ctx, node, 1, "the scales");
  } else {
    roi = optional_reals(ctx, node, 1, "the region of interest");
    scales = optional_reals(ctx, node, 2, "the scales");
    for (const double size : optional_reals(ctx, node, 3, "the sizes"))
      sizes.push_back(static_cast<std::int64_t>(size));
    if (!ctx.attr_ints(node, "axes").empty() || ctx.attr_int(node, "antialias", 0) != 0 ||
        ctx.attr_string(node, "keep_aspect_ratio_policy", "stretch") != "stretch")
      ctx.fail(node, "Resize's axes, antialias and keep_aspect_ratio_policy (opset 18) are not supported",
               "export with opset 17 or earlier");
  }
  if (sizes.empty()) {
    if (scales.size() != in.size())
      ctx.fail(node, fmt::format("Resize needs {} scales or sizes, got {}", in.size(), scales.size()));
    for (std::size_t d = 0; d < in.size(); ++d)
      sizes.push_back(static_cast<std::int64_t>(std::floor(static_cast<double>(in[d]) * scales[d])));
  }
  Attributes attrs;
  attrs.set("sizes", sizes);
  attrs.set("scales", scales);
  attrs.set("roi", roi);
  std::string mode = ctx.attr_string(node, "mode", "nearest");
  if (mode == "bilinear" || mode == "trilinear") mode = "linear";
  attrs.set("mode", mode);
  attrs.set("coordinate_transformation_mode",
            old_form ? std::string("asymmetric")
                     : ctx.attr_string(node, "coordinate_transformation_mode", "half_pixel"));
  attrs.set("nearest_mode",
            old_form ? std::string("floor") : ctx.attr_string(node, "nearest_mode", "round_prefer_floor"));
  attrs.set("cubic_coeff_a", static_cast<double>(ctx.attr_float(node, "cubic_coeff_a", -0.75F)));
  attrs.set("exclude_outside", ctx.attr_int(node, "exclude_outside", 0));
  attrs.set("extrapolation_value", static_cast<double>(ctx.attr_float(node, "extrapolation_value", 0.0F)));
  emit(ctx, node, "resize", attrs, {x});
}

void convert_trilu(ImportContext& ctx, const NodeProto& node) {
  Attributes attrs;
  attrs.set("upper", ctx.attr_int(node, "upper", 1));
  attrs.set("k", ctx.has_input(node, 1) ? ctx.constant_input(node, 1, "k").integer(0) : std::int64_t{0});
  emit(ctx, node, "trilu", attrs, {ctx.value_input(node, 0)});
}

// If whose condition is known at load time (a comparison of static shapes, as TensorFlow's converters write
// tf.cond): the chosen branch is imported in place, reading outer values by name as ONNX's scoping allows.
void convert_if(ImportContext& ctx, const NodeProto& node) {
  if (!ctx.is_constant(node, 0))
    ctx.fail(node, "an If whose condition is computed at run time is not supported yet",
             "NTP imports If when its condition is known at load time (from shapes or constants)");
  const bool condition = ctx.constant_input(node, 0, "the condition").integer(0) != 0;
  const onnx::AttributeProto* branch = ctx.attribute(node, condition ? "then_branch" : "else_branch");
  if (branch == nullptr || !branch->has_g()) ctx.fail(node, "the chosen branch is missing");
  const onnx::GraphProto& graph = branch->g();
  std::vector<std::string> unsupported;
  for (const NodeProto& inner : graph.node())
    if (!is_importable(inner))
      unsupported.push_back(fmt::format("{} (node '{}')", inner.op_type(), inner.name()));
  if (!unsupported.empty())
    ctx.fail(node, fmt::format("its {} branch uses ops NTP cannot import: {}", condition ? "then" : "else",
                               fmt::join(unsupported, ", ")));
  for (const onnx::TensorProto& initializer : graph.initializer())
    ctx.define_constant(initializer.name(), ctx.decode(initializer));
  for (const NodeProto& inner : graph.node())
    convert_node(ctx, inner);
  if (graph.output_size() != node.output_size())
    ctx.fail(node,
             fmt::format("the branch has {} outputs, the node {}", graph.output_size(), node.output_size()));
  for (int k = 0; k < node.output_size(); ++k) {
    const Operand& result = ctx.operand(graph.output(k).name());
    if (result.value >= 0)
      ctx.define(node.output(k), result.value);
    else
      ctx.define_constant(node.output(k), *result.constant);
  }
}

const std::map<std::string, GenericConverter>& table() {
  static const std::map<std::string, GenericConverter> converters = [] {
    std::map<std::string, GenericConverter> all;
    for (const auto& [type, op] : unary_ops())
      all[type] = convert_unary;
    for (const auto& [type, op] : binary_ops())
      all[type] = convert_binary_like;
    for (const auto& [type, op] : reduce_ops())
      all[type] = convert_reduce;
    all["Cast"] = convert_cast;
    all["CastLike"] = convert_cast;
    all["ArgMax"] = convert_arg;
    all["ArgMin"] = convert_arg;
    all["Gather"] = convert_gather;
    all["GatherElements"] = convert_gather;
    all["GatherND"] = convert_gather;
    all["Slice"] = convert_slice;
    all["Expand"] = convert_expand;
    all["Tile"] = convert_tile;
    all["Pad"] = convert_pad;
    all["DepthToSpace"] = convert_depth_space;
    all["SpaceToDepth"] = convert_depth_space;
    all["TopK"] = convert_topk;
    all["CumSum"] = convert_cumsum;
    all["Hardmax"] = convert_hardmax;
    all["Split"] = convert_split;
    all["Resize"] = convert_resize;
    all["Upsample"] = convert_resize;
    all["Trilu"] = convert_trilu;
    all["If"] = convert_if;
    return all;
  }();
  return converters;
}

}  // namespace

GenericConverter generic_converter(const std::string& op_type) {
  const auto found = table().find(op_type);
  return found == table().end() ? nullptr : found->second;
}

}  // namespace ntp::onnx_io
