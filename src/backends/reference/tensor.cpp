// Tensor plumbing on every element type: constant, concat, split, transpose, and the copies that only
// reinterpret the shape (reshape, flatten, dropout at inference). They move bytes, so the element type only
// sets the element size. (add, sub, mul, div live with the other elementwise ops.)
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstring>
#include <numeric>

#include "kernels.h"

namespace ntp::reference {

namespace {

// constant: copies its weight "value" to the output.
RunFunction make_constant(const NodeView& node) {
  node.expect_arity(0, 0, 1);
  node.expect_output_shape(
      0, Shape(node.attrs().integers("shape").begin(), node.attrs().integers("shape").end()));
  const Tensor value = node.weight("value", true);
  if (value.dtype() != node.output(0).dtype)
    node.fail(fmt::format("the value is {}, the output {}", dtype_name(value.dtype()),
                          dtype_name(node.output(0).dtype)));
  return [value](std::span<const Tensor* const>, std::span<Tensor* const> outputs) {
    if (value.bytes() != 0) std::memcpy(outputs[0]->data(), value.data(), value.bytes());
  };
}

// concat: the output's block o along the axis is the inputs' blocks o, one after the other.
RunFunction make_concat(const NodeView& node) {
  node.expect_arity(1, -1, 1);
  const Shape& out = node.output_shape(0);
  const std::size_t axis = normalise_axis(node, node.attrs().integer("axis"), out.size());
  std::vector<AxisLoop> parts;
  Shape expected = node.input_shape(0);
  expected[axis] = 0;
  for (std::size_t i = 0; i < node.input_count(); ++i) {
    const Shape& in = node.input_shape(i);
    if (in.size() != out.size()) node.fail("all inputs must have the output's rank");
    expected[axis] += in[axis];
    parts.push_back(AxisLoop(in, axis));
  }
  node.expect_output_shape(0, expected);
  const AxisLoop whole = AxisLoop(out, axis);
  const auto size = static_cast<std::int64_t>(dtype_size(node.output(0).dtype));

  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    auto* y = static_cast<std::byte*>(outputs[0]->data());
    for (std::int64_t o = 0; o < whole.outer; ++o) {
      std::byte* destination = y + o * whole.length * whole.inner * size;
      for (std::size_t i = 0; i < parts.size(); ++i) {
        const std::int64_t block = parts[i].length * parts[i].inner * size;
        const auto* source = static_cast<const std::byte*>(inputs[i]->data()) + o * block;
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
  std::vector<AxisLoop> parts;
  std::int64_t total = 0;
  for (std::size_t i = 0; i < node.output_count(); ++i) {
    Shape expected = in;
    expected[axis] = node.output_shape(i).size() == in.size() ? node.output_shape(i)[axis] : -1;
    node.expect_output_shape(i, expected);
    total += expected[axis];
    parts.push_back(AxisLoop(expected, axis));
  }
  if (total != in[axis]) node.fail(fmt::format("the parts cover {} of {} along the axis", total, in[axis]));
  const AxisLoop whole = AxisLoop(in, axis);
  const auto size = static_cast<std::int64_t>(dtype_size(node.input(0).dtype));

  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    const auto* x = static_cast<const std::byte*>(inputs[0]->data());
    for (std::int64_t o = 0; o < whole.outer; ++o) {
      const std::byte* source = x + o * whole.length * whole.inner * size;
      for (std::size_t i = 0; i < parts.size(); ++i) {
        const std::int64_t block = parts[i].length * parts[i].inner * size;
        std::copy(source, source + block, static_cast<std::byte*>(outputs[i]->data()) + o * block);
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
  return [](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    if (inputs[0]->bytes() != 0) std::memcpy(outputs[0]->data(), inputs[0]->data(), inputs[0]->bytes());
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
  const std::size_t size = dtype_size(node.input(0).dtype);

  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    const auto* x = static_cast<const std::byte*>(inputs[0]->data());
    auto* y = static_cast<std::byte*>(outputs[0]->data());
    for (std::int64_t flat = 0; flat < count; ++flat) {
      std::int64_t offset = 0;
      std::int64_t remaining = flat;
      for (std::size_t d = out.size(); d-- > 0;) {
        offset += (remaining % out[d]) * strides[d];
        remaining /= out[d];
      }
      std::memcpy(y + flat * static_cast<std::int64_t>(size), x + offset * static_cast<std::int64_t>(size),
                  size);
    }
  };
}

}  // namespace

std::vector<KernelEntry> tensor_kernels() {
  using Named = std::pair<const char*, KernelFactory>;
  std::vector<KernelEntry> entries;
  for (const auto& [op, make] :
       {Named{"constant", make_constant}, Named{"concat", make_concat}, Named{"split", make_split},
        Named{"reshape", make_copy}, Named{"transpose", make_transpose}, Named{"flatten", make_copy},
        Named{"dropout", make_copy}})
    entries.push_back(typed_kernel(op, make));
  return entries;
}

}  // namespace ntp::reference
