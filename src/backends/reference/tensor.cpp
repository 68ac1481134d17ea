// Tensor plumbing: add and mul with numpy broadcasting, concat, split, transpose, and the copies that only
// reinterpret the shape (reshape, flatten, dropout at inference).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <numeric>

#include "kernels.h"

namespace ntp::reference {

namespace {

// Element strides of an input of shape `in` read at the coordinates of an output of shape `out` (numpy
// broadcasting: shapes aligned from the last axis; a size-1 or missing dimension repeats, stride 0).
std::vector<std::int64_t> broadcast_strides(const Shape& in, const Shape& out) {
  const std::vector<std::int64_t> in_strides = strides_of(in);
  std::vector<std::int64_t> result(out.size(), 0);
  const std::size_t offset = out.size() - in.size();
  for (std::size_t d = 0; d < in.size(); ++d)
    result[offset + d] = in[d] == 1 ? 0 : in_strides[d];
  return result;
}

enum class Arithmetic { add, mul, sub, div };

float apply(Arithmetic kind, float a, float b) {
  switch (kind) {
    case Arithmetic::add:
      return a + b;
    case Arithmetic::mul:
      return a * b;
    case Arithmetic::sub:
      return a - b;
    case Arithmetic::div:
      return a / b;
  }
  return a;
}

RunFunction make_arithmetic(const NodeView& node, Arithmetic kind) {
  node.expect_arity(2, -1, 1);
  const Shape& out = node.output_shape(0);
  std::vector<std::vector<std::int64_t>> strides;
  for (std::size_t i = 0; i < node.input_count(); ++i) {
    const Shape& in = node.input_shape(i);
    bool fits = in.size() <= out.size();
    for (std::size_t d = 0; fits && d < in.size(); ++d) {
      const std::int64_t o = out[out.size() - in.size() + d];
      fits = in[d] == o || in[d] == 1;
    }
    if (!fits)
      node.fail(fmt::format("input {} of shape {} does not broadcast to the output {}", i,
                            shape_to_string(in), shape_to_string(out)));
    strides.push_back(broadcast_strides(in, out));
  }
  const std::int64_t count = element_count(out);

  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    float* y = outputs[0]->as<float>();
    for (std::int64_t flat = 0; flat < count; ++flat) {
      // The output coordinates of `flat`, turned into an element offset in each input.
      std::vector<std::int64_t> offsets(inputs.size(), 0);
      std::int64_t remaining = flat;
      for (std::size_t d = out.size(); d-- > 0;) {
        const std::int64_t coordinate = remaining % out[d];
        remaining /= out[d];
        for (std::size_t i = 0; i < inputs.size(); ++i)
          offsets[i] += coordinate * strides[i][d];
      }
      float value = inputs[0]->as<float>()[offsets[0]];
      for (std::size_t i = 1; i < inputs.size(); ++i) {
        const float operand = inputs[i]->as<float>()[offsets[i]];
        value = apply(kind, value, operand);
      }
      y[flat] = value;
    }
  };
}

RunFunction make_add(const NodeView& node) {
  return make_arithmetic(node, Arithmetic::add);
}
RunFunction make_mul(const NodeView& node) {
  return make_arithmetic(node, Arithmetic::mul);
}
RunFunction make_sub(const NodeView& node) {
  return make_arithmetic(node, Arithmetic::sub);
}
RunFunction make_div(const NodeView& node) {
  return make_arithmetic(node, Arithmetic::div);
}

// constant: copies its weight "value" to the output.
RunFunction make_constant(const NodeView& node) {
  node.expect_arity(0, 0, 1);
  node.expect_output_shape(
      0, Shape(node.attrs().integers("shape").begin(), node.attrs().integers("shape").end()));
  const Tensor value = node.weight("value");
  return [value](std::span<const Tensor* const>, std::span<Tensor* const> outputs) {
    std::copy(value.as<float>(), value.as<float>() + value.elements(), outputs[0]->as<float>());
  };
}

// The tensor seen as [outer, axis, inner] around `axis`.
struct AxisView {
  std::int64_t outer = 1, length = 1, inner = 1;
};

AxisView around_axis(const Shape& shape, std::size_t axis) {
  AxisView view;
  for (std::size_t d = 0; d < axis; ++d)
    view.outer *= shape[d];
  view.length = shape[axis];
  for (std::size_t d = axis + 1; d < shape.size(); ++d)
    view.inner *= shape[d];
  return view;
}

// concat: the output's block o along the axis is the inputs' blocks o, one after the other.
RunFunction make_concat(const NodeView& node) {
  node.expect_arity(1, -1, 1);
  const Shape& out = node.output_shape(0);
  const std::size_t axis = normalise_axis(node, node.attrs().integer("axis"), out.size());
  std::vector<AxisView> parts;
  Shape expected = node.input_shape(0);
  expected[axis] = 0;
  for (std::size_t i = 0; i < node.input_count(); ++i) {
    const Shape& in = node.input_shape(i);
    if (in.size() != out.size()) node.fail("all inputs must have the output's rank");
    expected[axis] += in[axis];
    parts.push_back(around_axis(in, axis));
  }
  node.expect_output_shape(0, expected);
  const AxisView whole = around_axis(out, axis);

  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    float* y = outputs[0]->as<float>();
    for (std::int64_t o = 0; o < whole.outer; ++o) {
      float* destination = y + o * whole.length * whole.inner;
      for (std::size_t i = 0; i < parts.size(); ++i) {
        const std::int64_t block = parts[i].length * parts[i].inner;
        const float* source = inputs[i]->as<float>() + o * block;
        destination = std::copy(source, source + block, destination);
      }
    }
  };
}

// split: the sizes along the axis are those of the graph's outputs (equal parts or the sizes attribute).
RunFunction make_split(const NodeView& node) {
  node.expect_arity(1, 1, node.output_count());
  if (node.output_count() == 0) node.fail("needs at least one output");
  const Shape& in = node.input_shape(0);
  const std::size_t axis = normalise_axis(node, node.attrs().integer("axis"), in.size());
  std::vector<AxisView> parts;
  std::int64_t total = 0;
  for (std::size_t i = 0; i < node.output_count(); ++i) {
    Shape expected = in;
    expected[axis] = node.output_shape(i).size() == in.size() ? node.output_shape(i)[axis] : -1;
    node.expect_output_shape(i, expected);
    total += expected[axis];
    parts.push_back(around_axis(expected, axis));
  }
  if (total != in[axis]) node.fail(fmt::format("the parts cover {} of {} along the axis", total, in[axis]));
  const AxisView whole = around_axis(in, axis);

  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    const float* x = inputs[0]->as<float>();
    for (std::int64_t o = 0; o < whole.outer; ++o) {
      const float* source = x + o * whole.length * whole.inner;
      for (std::size_t i = 0; i < parts.size(); ++i) {
        const std::int64_t block = parts[i].length * parts[i].inner;
        std::copy(source, source + block, outputs[i]->as<float>() + o * block);
        source += block;
      }
    }
  };
}

// reshape, flatten and dropout (inference) copy the elements unchanged.
RunFunction make_copy(const NodeView& node) {
  node.expect_arity(1, 1, 1);
  const std::int64_t count = element_count(node.input_shape(0));
  if (element_count(node.output_shape(0)) != count)
    node.fail(fmt::format("cannot copy {} into {}", shape_to_string(node.input_shape(0)),
                          shape_to_string(node.output_shape(0))));
  return [count](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    std::copy(inputs[0]->as<float>(), inputs[0]->as<float>() + count, outputs[0]->as<float>());
  };
}

// transpose: output coordinate d is input coordinate perm[d].
RunFunction make_transpose(const NodeView& node) {
  node.expect_arity(1, 1, 1);
  const Shape& in = node.input_shape(0);
  const std::vector<std::int64_t>& perm = node.attrs().integers("perm");
  std::vector<std::int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::int64_t> identity(in.size());
  std::iota(identity.begin(), identity.end(), 0);
  if (sorted != identity)
    node.fail(fmt::format("perm {} is not a permutation of 0..{}", fmt::join(perm, ","), in.size() - 1));
  Shape out(in.size());
  for (std::size_t d = 0; d < in.size(); ++d)
    out[d] = in[to_size(perm[d])];
  node.expect_output_shape(0, out);
  const std::vector<std::int64_t> in_strides = strides_of(in);
  std::vector<std::int64_t> strides(in.size());  // input stride along each output dimension
  for (std::size_t d = 0; d < in.size(); ++d)
    strides[d] = in_strides[to_size(perm[d])];
  const std::int64_t count = element_count(in);

  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    const float* x = inputs[0]->as<float>();
    float* y = outputs[0]->as<float>();
    for (std::int64_t flat = 0; flat < count; ++flat) {
      std::int64_t offset = 0;
      std::int64_t remaining = flat;
      for (std::size_t d = out.size(); d-- > 0;) {
        offset += (remaining % out[d]) * strides[d];
        remaining /= out[d];
      }
      y[flat] = x[offset];
    }
  };
}

}  // namespace

std::vector<KernelEntry> tensor_kernels() {
  return {{"add", make_add},      {"mul", make_mul},           {"sub", make_sub},
          {"div", make_div},      {"constant", make_constant}, {"concat", make_concat},
          {"split", make_split},  {"reshape", make_copy},      {"transpose", make_transpose},
          {"flatten", make_copy}, {"dropout", make_copy}};
}

}  // namespace ntp::reference
