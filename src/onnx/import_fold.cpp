// Constant folding at load time: Constant nodes, Shape of static shapes, and the small integer arithmetic
// exporters build shapes with (Gather, Slice, Concat, Unsqueeze, Cast, ...), so that Reshape gets a known
// target. A node folds only when every input it reads is known; otherwise it becomes an NTP op.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "import_context.h"

namespace ntp::onnx_io {

namespace {

using onnx::NodeProto;

std::size_t axis_index(const ImportContext& ctx, const NodeProto& node, std::int64_t axis, std::size_t rank) {
  const auto signed_rank = static_cast<std::int64_t>(rank);
  if (axis < -signed_rank || axis >= signed_rank)
    ctx.fail(node, fmt::format("axis {} is out of range for rank {}", axis, rank));
  return static_cast<std::size_t>(axis < 0 ? axis + signed_rank : axis);
}

std::vector<std::int64_t> ints_of(const ConstTensor& tensor) {
  std::vector<std::int64_t> values;
  for (std::size_t i = 0; i < static_cast<std::size_t>(tensor.count()); ++i)
    values.push_back(tensor.integer(i));
  return values;
}

ConstTensor integers(Shape shape, std::vector<std::int64_t> values) {
  ConstTensor tensor;
  tensor.shape = std::move(shape);
  tensor.integral = true;
  tensor.ints = std::move(values);
  tensor.onnx_type = onnx::TensorProto::INT64;
  return tensor;
}

// Element `index` of `source` appended to `target` (same kind).
void push_element(ConstTensor& target, const ConstTensor& source, std::size_t index) {
  if (source.integral)
    target.ints.push_back(source.ints[index]);
  else
    target.floats.push_back(source.floats[index]);
}

ConstTensor empty_like(const ConstTensor& source, Shape shape) {
  ConstTensor result;
  result.shape = std::move(shape);
  result.integral = source.integral;
  result.onnx_type = source.onnx_type;
  return result;
}

ConstTensor fold_constant(const ImportContext& ctx, const NodeProto& node) {
  for (const auto& attr : node.attribute()) {
    if (attr.name() == "value") return ctx.decode(attr.t());
    if (attr.name() == "value_float") return ConstTensor{{}, false, {attr.f()}, {}, onnx::TensorProto::FLOAT};
    if (attr.name() == "value_floats") {
      ConstTensor tensor{{attr.floats_size()}, false, {attr.floats().begin(), attr.floats().end()}, {}, 1};
      return tensor;
    }
    if (attr.name() == "value_int") return integers({}, {attr.i()});
    if (attr.name() == "value_ints")
      return integers({attr.ints_size()}, {attr.ints().begin(), attr.ints().end()});
  }
  ctx.fail(node, "only dense tensor, float and int values are supported",
           "sparse and string constants are not");
}

ConstTensor fold_shape(const ImportContext& ctx, const NodeProto& node) {
  const Shape& shape = ctx.input_shape(node, 0);
  const auto rank = static_cast<std::int64_t>(shape.size());
  auto clamp = [rank](std::int64_t at) { return std::clamp(at < 0 ? at + rank : at, std::int64_t{0}, rank); };
  const std::int64_t start = clamp(ctx.attr_int(node, "start", 0));
  const std::int64_t end = clamp(ctx.attr_int(node, "end", rank));
  std::vector<std::int64_t> dims;
  for (std::int64_t d = start; d < end; ++d)
    dims.push_back(shape[static_cast<std::size_t>(d)]);
  return integers({static_cast<std::int64_t>(dims.size())}, dims);
}

ConstTensor fold_gather(const ImportContext& ctx, const NodeProto& node) {
  const ConstTensor& data = ctx.constant_input(node, 0, "data");
  const ConstTensor& indices = ctx.constant_input(node, 1, "indices");
  const std::size_t axis = axis_index(ctx, node, ctx.attr_int(node, "axis", 0), data.shape.size());
  const std::int64_t outer =
      element_count(Shape(data.shape.begin(), data.shape.begin() + static_cast<std::ptrdiff_t>(axis)));
  const std::int64_t length = data.shape[axis];
  const std::int64_t inner =
      element_count(Shape(data.shape.begin() + static_cast<std::ptrdiff_t>(axis) + 1, data.shape.end()));
  Shape shape(data.shape.begin(), data.shape.begin() + static_cast<std::ptrdiff_t>(axis));
  shape.insert(shape.end(), indices.shape.begin(), indices.shape.end());
  shape.insert(shape.end(), data.shape.begin() + static_cast<std::ptrdiff_t>(axis) + 1, data.shape.end());
  ConstTensor result = empty_like(data, shape);
  for (std::int64_t o = 0; o < outer; ++o)
    for (const std::int64_t raw : ints_of(indices)) {
      const std::int64_t index = raw < 0 ? raw + length : raw;
      if (index < 0 || index >= length)
        ctx.fail(node, fmt::format("index {} is out of range for {}", raw, length));
      for (std::int64_t i = 0; i < inner; ++i)
        push_element(result, data, static_cast<std::size_t>((o * length + index) * inner + i));
    }
  return result;
}

// Slice's starts, ends, axes and steps: inputs from opset 10, attributes before.
ConstTensor fold_slice(const ImportContext& ctx, const NodeProto& node) {
  const ConstTensor& data = ctx.constant_input(node, 0, "data");
  const std::size_t rank = data.shape.size();
  std::vector<std::int64_t> starts, ends, axes, steps;
  if (ctx.opset() < 10) {
    starts = ctx.attr_ints(node, "starts");
    ends = ctx.attr_ints(node, "ends");
    axes = ctx.attr_ints(node, "axes");
  } else {
    starts = ints_of(ctx.constant_input(node, 1, "starts"));
    ends = ints_of(ctx.constant_input(node, 2, "ends"));
    if (ctx.has_input(node, 3)) axes = ints_of(ctx.constant_input(node, 3, "axes"));
    if (ctx.has_input(node, 4)) steps = ints_of(ctx.constant_input(node, 4, "steps"));
  }
  if (axes.empty())
    for (std::size_t a = 0; a < starts.size(); ++a)
      axes.push_back(static_cast<std::int64_t>(a));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
    ctx.fail(node, "starts, ends, axes and steps differ in length");
  std::vector<std::int64_t> begin(rank, 0), step(rank, 1), count(data.shape.begin(), data.shape.end());
  for (std::size_t k = 0; k < starts.size(); ++k) {
    const std::size_t a = axis_index(ctx, node, axes[k], rank);
    const std::int64_t dim = data.shape[a];
    if (steps[k] == 0) ctx.fail(node, "a step of 0");
    auto bound = [&](std::int64_t at, std::int64_t low, std::int64_t high) {
      if (at < 0) at = at < -dim ? -1 - dim : at;  // keep below -dim from overflowing
      return std::clamp(at < 0 ? at + dim : at, low, high);
    };
    const std::int64_t first = steps[k] > 0 ? bound(starts[k], 0, dim) : bound(starts[k], -1, dim - 1);
    const std::int64_t last = steps[k] > 0 ? bound(ends[k], 0, dim) : bound(ends[k], -1, dim - 1);
    begin[a] = first;
    step[a] = steps[k];
    const std::int64_t span = steps[k] > 0 ? last - first : first - last;
    const std::int64_t magnitude = steps[k] > 0 ? steps[k] : -steps[k];
    count[a] = span <= 0 ? 0 : (span + magnitude - 1) / magnitude;
  }
  ConstTensor result = empty_like(data, Shape(count.begin(), count.end()));
  const std::int64_t total = element_count(result.shape);
  const std::vector<std::int64_t> strides = [&] {
    std::vector<std::int64_t> s(rank, 1);
    for (std::size_t d = rank; d-- > 1;)
      s[d - 1] = s[d] * data.shape[d];
    return s;
  }();
  for (std::int64_t flat = 0; flat < total; ++flat) {
    std::int64_t remaining = flat, offset = 0;
    for (std::size_t d = rank; d-- > 0;) {
      const std::int64_t coordinate = remaining % count[d];
      remaining /= count[d];
      offset += (begin[d] + coordinate * step[d]) * strides[d];
    }
    push_element(result, data, static_cast<std::size_t>(offset));
  }
  return result;
}

ConstTensor fold_concat(const ImportContext& ctx, const NodeProto& node) {
  const ConstTensor& first = ctx.constant_input(node, 0, "input 0");
  const std::size_t axis = axis_index(ctx, node, ctx.attr_int(node, "axis", 0), first.shape.size());
  Shape shape = first.shape;
  shape[axis] = 0;
  std::vector<const ConstTensor*> parts;
  for (int i = 0; i < node.input_size(); ++i) {
    const ConstTensor& part = ctx.constant_input(node, i, fmt::format("input {}", i));
    if (part.shape.size() != shape.size() || part.integral != first.integral)
      ctx.fail(node, "inputs differ in rank or element type");
    shape[axis] += part.shape[axis];
    parts.push_back(&part);
  }
  ConstTensor result = empty_like(first, shape);
  const std::int64_t outer =
      element_count(Shape(shape.begin(), shape.begin() + static_cast<std::ptrdiff_t>(axis)));
  for (std::int64_t o = 0; o < outer; ++o)
    for (const ConstTensor* part : parts) {
      const std::int64_t block = part->count() / std::max<std::int64_t>(outer, 1);
      for (std::int64_t i = 0; i < block; ++i)
        push_element(result, *part, static_cast<std::size_t>(o * block + i));
    }
  return result;
}

ConstTensor fold_cast(const ImportContext& ctx, const NodeProto& node) {
  const ConstTensor& input = ctx.constant_input(node, 0, "input");
  const auto to = static_cast<int>(ctx.attr_int(node, "to", onnx::TensorProto::FLOAT));
  ConstTensor result;
  result.shape = input.shape;
  result.onnx_type = to;
  result.integral = to != onnx::TensorProto::FLOAT && to != onnx::TensorProto::DOUBLE &&
                    to != onnx::TensorProto::FLOAT16 && to != onnx::TensorProto::BFLOAT16;
  for (std::size_t i = 0; i < static_cast<std::size_t>(input.count()); ++i) {
    if (result.integral)
      result.ints.push_back(to == onnx::TensorProto::BOOL ? (input.real(i) != 0 ? 1 : 0) : input.integer(i));
    else
      result.floats.push_back(static_cast<float>(input.real(i)));
  }
  return result;
}

// Add, Sub, Mul, Div on known tensors with numpy broadcasting; integer division truncates as ONNX does.
ConstTensor fold_arithmetic(const ImportContext& ctx, const NodeProto& node) {
  const ConstTensor& a = ctx.constant_input(node, 0, "A");
  const ConstTensor& b = ctx.constant_input(node, 1, "B");
  Shape shape(std::max(a.shape.size(), b.shape.size()), 1);
  auto dim = [&](const Shape& s, std::size_t d) {
    const std::size_t offset = shape.size() - s.size();
    return d < offset ? std::int64_t{1} : s[d - offset];
  };
  for (std::size_t d = 0; d < shape.size(); ++d) {
    const std::int64_t da = dim(a.shape, d), db = dim(b.shape, d);
    if (da != db && da != 1 && db != 1) ctx.fail(node, "the operands do not broadcast");
    shape[d] = std::max(da, db);
  }
  const bool integral = a.integral && b.integral;
  ConstTensor result = empty_like(a, shape);
  result.integral = integral;
  const std::string& type = node.op_type();
  const std::int64_t total = element_count(shape);
  auto index_in = [&](const Shape& s, std::int64_t flat) {
    std::int64_t index = 0, stride = 1;
    for (std::size_t d = shape.size(); d-- > 0;) {
      const std::int64_t coordinate = flat % shape[d];
      flat /= shape[d];
      const std::int64_t size = dim(s, d);
      if (size != 1) index += coordinate * stride;
      stride *= size;
    }
    return static_cast<std::size_t>(index);
  };
  for (std::int64_t flat = 0; flat < total; ++flat) {
    const std::size_t ia = index_in(a.shape, flat), ib = index_in(b.shape, flat);
    if (integral) {
      const std::int64_t x = a.ints[ia], y = b.ints[ib];
      if (type == "Div" && y == 0) ctx.fail(node, "integer division by zero");
      result.ints.push_back(type == "Add" ? x + y : type == "Sub" ? x - y : type == "Mul" ? x * y : x / y);
    } else {
      const auto x = static_cast<float>(a.real(ia)), y = static_cast<float>(b.real(ib));
      result.floats.push_back(type == "Add" ? x + y : type == "Sub" ? x - y : type == "Mul" ? x * y : x / y);
    }
  }
  return result;
}

ConstTensor fold_constant_of_shape(const ImportContext& ctx, const NodeProto& node) {
  const std::vector<std::int64_t> dims = ints_of(ctx.constant_input(node, 0, "the shape"));
  ConstTensor fill{{}, false, {0.0F}, {}, onnx::TensorProto::FLOAT};
  if (const auto* value = ctx.attribute(node, "value"); value != nullptr) fill = ctx.decode(value->t());
  if (fill.count() != 1) ctx.fail(node, "value must have one element");
  ConstTensor result = empty_like(fill, Shape(dims.begin(), dims.end()));
  for (std::int64_t i = 0; i < element_count(result.shape); ++i)
    push_element(result, fill, 0);
  return result;
}

// Range(start, limit, delta): start, start + delta, ... before limit, of start's type (torch.arange).
ConstTensor fold_range(const ImportContext& ctx, const NodeProto& node) {
  constexpr double kLargestRange = 1 << 24;  // elements; a range is an index table, not data
  const ConstTensor& start = ctx.constant_input(node, 0, "start");
  const ConstTensor& limit = ctx.constant_input(node, 1, "limit");
  const ConstTensor& delta = ctx.constant_input(node, 2, "delta");
  if (start.count() != 1 || limit.count() != 1 || delta.count() != 1)
    ctx.fail(node, "start, limit and delta must be scalars");
  if (delta.real(0) == 0) ctx.fail(node, "delta must not be 0");
  const double count = std::max(std::ceil((limit.real(0) - start.real(0)) / delta.real(0)), 0.0);
  if (!(count <= kLargestRange))
    ctx.fail(node, fmt::format("the range has {} elements, more than NTP computes at load time", count));
  ConstTensor result = empty_like(start, {static_cast<std::int64_t>(count)});
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(count); ++i) {
    if (start.integral)
      result.ints.push_back(start.ints[0] + i * delta.integer(0));
    else
      result.floats.push_back(static_cast<float>(start.real(0) + static_cast<double>(i) * delta.real(0)));
  }
  return result;
}

ConstTensor reshaped(ConstTensor tensor, Shape shape) {
  tensor.shape = std::move(shape);
  return tensor;
}

}  // namespace

std::vector<std::int64_t> squeeze_axes(const ImportContext& ctx, const NodeProto& node) {
  if (ctx.opset() >= 13) {
    if (!ctx.has_input(node, 1)) return {};
    return ints_of(ctx.constant_input(node, 1, "axes"));
  }
  return ctx.attr_ints(node, "axes");
}

Shape squeezed_shape(const ImportContext& ctx, const NodeProto& node, const Shape& input) {
  std::vector<bool> drop(input.size(), false);
  const std::vector<std::int64_t> axes = squeeze_axes(ctx, node);
  for (std::size_t d = 0; axes.empty() && d < input.size(); ++d)
    drop[d] = input[d] == 1;
  for (const std::int64_t axis : axes) {
    const std::size_t d = axis_index(ctx, node, axis, input.size());
    if (input[d] != 1) ctx.fail(node, fmt::format("axis {} of {} is not 1", axis, shape_to_string(input)));
    drop[d] = true;
  }
  Shape out;
  for (std::size_t d = 0; d < input.size(); ++d)
    if (!drop[d]) out.push_back(input[d]);
  return out;
}

Shape unsqueezed_shape(const ImportContext& ctx, const NodeProto& node, const Shape& input) {
  const std::vector<std::int64_t> axes = squeeze_axes(ctx, node);
  const std::size_t rank = input.size() + axes.size();
  std::vector<bool> inserted(rank, false);
  for (const std::int64_t axis : axes) {
    const std::size_t d = axis_index(ctx, node, axis, rank);
    if (inserted[d]) ctx.fail(node, fmt::format("axis {} is given twice", axis));
    inserted[d] = true;
  }
  Shape out;
  std::size_t next = 0;
  for (std::size_t d = 0; d < rank; ++d)
    out.push_back(inserted[d] ? 1 : input[next++]);
  return out;
}

Shape reshaped_shape(const ImportContext& ctx, const NodeProto& node, const Shape& input,
                     const std::vector<std::int64_t>& target) {
  const bool allow_zero = ctx.attr_int(node, "allowzero", 0) != 0;
  Shape out;
  int inferred = -1;
  std::int64_t known = 1;
  for (std::size_t i = 0; i < target.size(); ++i) {
    std::int64_t dim = target[i];
    if (dim == 0 && !allow_zero) {
      if (i >= input.size())
        ctx.fail(node, fmt::format("0 at position {} copies a dimension {} does not have", i,
                                   shape_to_string(input)));
      dim = input[i];
    }
    if (dim == -1) {
      if (inferred >= 0) ctx.fail(node, "the target shape has more than one -1");
      inferred = static_cast<int>(i);
    } else if (dim < 0) {
      ctx.fail(node, fmt::format("target dimension {} is not valid", dim));
    } else if (__builtin_mul_overflow(known, dim, &known)) {
      // Checked: a wrapped product could match the input's count (issue 16).
      ctx.fail(node, fmt::format("the target shape {} has more elements than fit in 64 bits",
                                 shape_to_string(Shape(target.begin(), target.end()))));
    }
    out.push_back(dim);
  }
  const std::int64_t count = element_count(input);
  if (inferred >= 0) {
    if (known == 0 || count % known != 0)
      ctx.fail(node, fmt::format("cannot reshape {} to {}", shape_to_string(input),
                                 shape_to_string(Shape(target.begin(), target.end()))));
    out[static_cast<std::size_t>(inferred)] = count / known;
  }
  if (element_count(out) != count)
    ctx.fail(node, fmt::format("cannot reshape {} ({} elements) to {}", shape_to_string(input), count,
                               shape_to_string(out)));
  return out;
}

bool try_fold(ImportContext& ctx, const NodeProto& node) {
  static const std::map<std::string, std::function<ConstTensor(const ImportContext&, const NodeProto&)>>
      folders = {
          {"Constant", fold_constant},
          {"Shape", fold_shape},
          {"Size", [](const ImportContext& c,
                      const NodeProto& n) { return integers({}, {element_count(c.input_shape(n, 0))}); }},
          {"Gather", fold_gather},
          {"Slice", fold_slice},
          {"Concat", fold_concat},
          {"Cast", fold_cast},
          {"Add", fold_arithmetic},
          {"Sub", fold_arithmetic},
          {"Mul", fold_arithmetic},
          {"Div", fold_arithmetic},
          {"ConstantOfShape", fold_constant_of_shape},
          {"Range", fold_range},
          {"Identity",
           [](const ImportContext& c, const NodeProto& n) { return c.constant_input(n, 0, "input"); }},
          {"Squeeze",
           [](const ImportContext& c, const NodeProto& n) {
             const ConstTensor& input = c.constant_input(n, 0, "input");
             return reshaped(input, squeezed_shape(c, n, input.shape));
           }},
          {"Unsqueeze",
           [](const ImportContext& c, const NodeProto& n) {
             const ConstTensor& input = c.constant_input(n, 0, "input");
             return reshaped(input, unsqueezed_shape(c, n, input.shape));
           }},
          {"Reshape",
           [](const ImportContext& c, const NodeProto& n) {
             const ConstTensor& input = c.constant_input(n, 0, "input");
             const std::vector<std::int64_t> target =
                 c.opset() < 5 ? c.attr_ints(n, "shape") : ints_of(c.constant_input(n, 1, "shape"));
             return reshaped(input, reshaped_shape(c, n, input.shape, target));
           }},
      };
  if (!node.domain().empty() && node.domain() != "ai.onnx") return false;
  const auto folder = folders.find(node.op_type());
  if (folder == folders.end() || node.output_size() < 1) return false;
  // Shape and Size need the input's shape, which is static, not its data.
  const bool shape_only = node.op_type() == "Shape" || node.op_type() == "Size";
  for (int i = 0; i < node.input_size(); ++i) {
    if (!ctx.has_input(node, i)) continue;
    if (shape_only && i == 0) {
      ctx.input(node, 0);
      continue;
    }
    if (!ctx.is_constant(node, i)) return false;
  }
  if (node.op_type() == "Constant" || node.input_size() > 0) {
    ctx.define_constant(node.output(0), folder->second(ctx, node));
    return true;
  }
  return false;
}

}  // namespace ntp::onnx_io
