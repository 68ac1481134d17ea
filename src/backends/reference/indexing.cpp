// Indexing and layout ops on every element type. Ops whose output element reads a fixed input element
// (slice, expand, tile, pad, depth_to_space, space_to_depth) precompute that map when compiled; gathers
// read their indices when they run and fail on an index out of range.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <numeric>

#include "kernels.h"
#include "ntp/elements.h"

namespace ntp::reference {

namespace {

// Calls f(coordinates) for every element of `shape` in row-major order.
template <class F>
void for_each_coordinate(const Shape& shape, F&& f) {
  const std::int64_t count = element_count(shape);
  std::vector<std::int64_t> index(shape.size(), 0);
  for (std::int64_t flat = 0; flat < count; ++flat) {
    f(index);
    for (std::size_t d = shape.size(); d-- > 0;) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
}

// The output is a fixed selection of input elements: map[i] is the input element of output element i, or
// -1 for the fill value.
RunFunction copy_by_map(std::vector<std::int64_t> map, DType type, double fill = 0) {
  const auto size = static_cast<std::int64_t>(dtype_size(type));
  Tensor fill_value({1}, DType::f64);
  fill_value.as<double>()[0] = fill;
  const Tensor fill_bytes = converted(fill_value, type);
  return [map = std::move(map), size, fill_bytes](std::span<const Tensor* const> inputs,
                                                  std::span<Tensor* const> outputs) {
    const auto* x = static_cast<const std::byte*>(inputs[0]->data());
    auto* y = static_cast<std::byte*>(outputs[0]->data());
    for (std::size_t i = 0; i < map.size(); ++i) {
      const std::byte* source =
          map[i] < 0 ? static_cast<const std::byte*>(fill_bytes.data()) : x + map[i] * size;
      std::memcpy(y + static_cast<std::int64_t>(i) * size, source, static_cast<std::size_t>(size));
    }
  };
}

std::int64_t flat_index(const std::vector<std::int64_t>& coordinates,
                        const std::vector<std::int64_t>& strides) {
  std::int64_t offset = 0;
  for (std::size_t d = 0; d < coordinates.size(); ++d)
    offset += coordinates[d] * strides[d];
  return offset;
}

RunFunction make_slice(const NodeView& node) {
  node.expect_arity(1, 1, 1);
  const Shape& in = node.input_shape(0);
  const auto& starts = node.attrs().integers("starts");
  const auto& ends = node.attrs().integers("ends");
  auto axes = node.attrs().integers("axes");
  auto steps = node.attrs().integers("steps");
  if (axes.empty()) {
    axes.resize(starts.size());
    std::iota(axes.begin(), axes.end(), 0);
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  std::vector<SliceRange> ranges(in.size());
  for (std::size_t d = 0; d < in.size(); ++d)
    ranges[d] = {0, 1, in[d]};
  for (std::size_t i = 0; i < starts.size(); ++i)
    ranges[normalise_axis(node, axes.at(i), in.size())] =
        slice_range(in[normalise_axis(node, axes[i], in.size())], starts[i], ends.at(i), steps.at(i));
  Shape out(in.size());
  for (std::size_t d = 0; d < in.size(); ++d)
    out[d] = ranges[d].count;
  node.expect_output_shape(0, out);
  const std::vector<std::int64_t> strides = strides_of(in);
  std::vector<std::int64_t> map;
  for_each_coordinate(out, [&](const std::vector<std::int64_t>& at) {
    std::int64_t offset = 0;
    for (std::size_t d = 0; d < at.size(); ++d)
      offset += (ranges[d].start + at[d] * ranges[d].step) * strides[d];
    map.push_back(offset);
  });
  return copy_by_map(std::move(map), node.input(0).dtype);
}

RunFunction make_expand(const NodeView& node) {
  node.expect_arity(1, 1, 1);
  const Shape& out = node.output_shape(0);
  const Broadcast broadcast(out, {node.input_shape(0)});
  std::vector<std::int64_t> map(to_size(element_count(out)));
  broadcast.for_each(
      [&](std::int64_t flat, const std::int64_t* offsets) { map[to_size(flat)] = offsets[0]; });
  return copy_by_map(std::move(map), node.input(0).dtype);
}

RunFunction make_tile(const NodeView& node) {
  node.expect_arity(1, 1, 1);
  const Shape& in = node.input_shape(0);
  const std::vector<std::int64_t> strides = strides_of(in);
  std::vector<std::int64_t> map;
  for_each_coordinate(node.output_shape(0), [&](const std::vector<std::int64_t>& at) {
    std::int64_t offset = 0;
    for (std::size_t d = 0; d < at.size(); ++d)
      offset += (at[d] % in[d]) * strides[d];
    map.push_back(offset);
  });
  return copy_by_map(std::move(map), node.input(0).dtype);
}

RunFunction make_pad(const NodeView& node) {
  node.expect_arity(1, 1, 1);
  const Shape& in = node.input_shape(0);
  const auto& pads = node.attrs().integers("pads");
  const std::string& mode = node.attrs().text("mode");
  const std::vector<std::int64_t> strides = strides_of(in);
  std::vector<std::int64_t> map;
  for_each_coordinate(node.output_shape(0), [&](const std::vector<std::int64_t>& at) {
    std::int64_t offset = 0;
    for (std::size_t d = 0; d < at.size(); ++d) {
      std::int64_t i = at[d] - pads[d];
      const std::int64_t n = in[d];
      if (i < 0 || i >= n) {
        if (mode == "constant") {
          offset = -1;
          break;
        }
        if (mode == "edge") {
          i = std::clamp<std::int64_t>(i, 0, n - 1);
        } else if (mode == "wrap") {
          i = ((i % n) + n) % n;
        } else {  // reflect: mirror without repeating the edge, period 2(n - 1)
          const std::int64_t period = std::max<std::int64_t>(2 * (n - 1), 1);
          i = ((i % period) + period) % period;
          if (i >= n) i = period - i;
        }
      }
      offset += i * strides[d];
    }
    map.push_back(offset);
  });
  return copy_by_map(std::move(map), node.input(0).dtype, node.attrs().real("value"));
}

RunFunction make_depth_to_space(const NodeView& node) {
  node.expect_arity(1, 1, 1);
  const Shape& in = node.input_shape(0);
  const std::int64_t b = node.attrs().integer("blocksize");
  const bool crd = node.attrs().text("mode") == "CRD";
  const std::int64_t channels = in[1] / (b * b);
  const std::vector<std::int64_t> strides = strides_of(in);
  std::vector<std::int64_t> map;
  for_each_coordinate(node.output_shape(0), [&](const std::vector<std::int64_t>& at) {
    const std::int64_t row = at[2] % b, column = at[3] % b;
    const std::int64_t c = crd ? (at[1] * b * b + row * b + column) : ((row * b + column) * channels + at[1]);
    map.push_back(flat_index({at[0], c, at[2] / b, at[3] / b}, strides));
  });
  return copy_by_map(std::move(map), node.input(0).dtype);
}

RunFunction make_space_to_depth(const NodeView& node) {
  node.expect_arity(1, 1, 1);
  const Shape& in = node.input_shape(0);
  const std::int64_t b = node.attrs().integer("blocksize");
  const std::vector<std::int64_t> strides = strides_of(in);
  std::vector<std::int64_t> map;
  for_each_coordinate(node.output_shape(0), [&](const std::vector<std::int64_t>& at) {
    const std::int64_t block = at[1] / in[1];
    const std::int64_t c = at[1] % in[1];
    map.push_back(flat_index({at[0], c, at[2] * b + block / b, at[3] * b + block % b}, strides));
  });
  return copy_by_map(std::move(map), node.input(0).dtype);
}

// An index from a tensor, negative counting from the end; fails (naming the node) outside [-n, n).
std::int64_t checked_index(const Tensor& indices, std::int64_t at, std::int64_t n, const std::string& node) {
  std::int64_t index = element_as_int(indices, at);
  if (index < -n || index >= n)
    throw UserError({}, fmt::format("'{}': index {} is out of range for a dimension of {}", node, index, n),
                    "the indices come from the input data");
  return index < 0 ? index + n : index;
}

RunFunction make_gather(const NodeView& node) {
  node.expect_arity(2, 2, 1);
  const Shape& data = node.input_shape(0);
  const AxisLoop around(data, normalise_axis(node, node.attrs().integer("axis"), data.size()));
  const std::int64_t outer = around.outer, inner = around.inner, length = around.length;
  const std::int64_t count = element_count(node.input_shape(1));
  const auto size = static_cast<std::int64_t>(dtype_size(node.input(0).dtype));
  const std::string name = node.name();
  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    const auto* x = static_cast<const std::byte*>(inputs[0]->data());
    auto* y = static_cast<std::byte*>(outputs[0]->data());
    const std::int64_t block = inner * size;
    for (std::int64_t o = 0; o < outer; ++o)
      for (std::int64_t k = 0; k < count; ++k) {
        const std::int64_t index = checked_index(*inputs[1], k, length, name);
        std::memcpy(y + (o * count + k) * block, x + (o * length + index) * block,
                    static_cast<std::size_t>(block));
      }
  };
}

RunFunction make_gather_elements(const NodeView& node) {
  node.expect_arity(2, 2, 1);
  const Shape& data = node.input_shape(0);
  const Shape& indices = node.input_shape(1);
  const std::size_t axis = normalise_axis(node, node.attrs().integer("axis"), data.size());
  const std::vector<std::int64_t> strides = strides_of(data);
  const auto size = dtype_size(node.input(0).dtype);
  const std::string name = node.name();
  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    const auto* x = static_cast<const std::byte*>(inputs[0]->data());
    auto* y = static_cast<std::byte*>(outputs[0]->data());
    std::int64_t flat = 0;
    for_each_coordinate(indices, [&](const std::vector<std::int64_t>& at) {
      std::vector<std::int64_t> source = at;
      source[axis] = checked_index(*inputs[1], flat, data[axis], name);
      std::memcpy(y + flat * static_cast<std::int64_t>(size),
                  x + flat_index(source, strides) * static_cast<std::int64_t>(size), size);
      ++flat;
    });
  };
}

RunFunction make_gather_nd(const NodeView& node) {
  node.expect_arity(2, 2, 1);
  const Shape& data = node.input_shape(0);
  const Shape& indices = node.input_shape(1);
  const auto batch = to_size(node.attrs().integer("batch_dims"));
  const std::int64_t depth = indices.back();
  std::int64_t batches = 1;
  for (std::size_t d = 0; d < batch; ++d)
    batches *= data[d];
  const std::int64_t rows_per_batch = element_count(indices) / depth / batches;
  std::int64_t slice = 1;
  for (std::size_t d = batch + to_size(depth); d < data.size(); ++d)
    slice *= data[d];
  const std::vector<std::int64_t> strides = strides_of(data);
  const std::int64_t batch_stride = batch == 0 ? 0 : strides[batch - 1];
  const auto size = static_cast<std::int64_t>(dtype_size(node.input(0).dtype));
  const std::string name = node.name();
  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    const auto* x = static_cast<const std::byte*>(inputs[0]->data());
    auto* y = static_cast<std::byte*>(outputs[0]->data());
    for (std::int64_t b = 0; b < batches; ++b)
      for (std::int64_t r = 0; r < rows_per_batch; ++r) {
        const std::int64_t row = b * rows_per_batch + r;
        std::int64_t offset = b * batch_stride;
        for (std::int64_t k = 0; k < depth; ++k)
          offset += checked_index(*inputs[1], row * depth + k, data[batch + to_size(k)], name) *
                    strides[batch + to_size(k)];
        std::memcpy(y + row * slice * size, x + offset * size, static_cast<std::size_t>(slice * size));
      }
  };
}

RunFunction make_topk(const NodeView& node) {
  node.expect_arity(1, 1, 2);
  const Shape& in = node.input_shape(0);
  const std::size_t axis = normalise_axis(node, node.attrs().integer("axis"), in.size());
  const AxisLoop loop(in, axis);
  const std::int64_t k = node.attrs().integer("k");
  const bool largest = node.attrs().integer("largest") != 0;
  const DType type = node.input(0).dtype;
  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    visit_dtype(type, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* x = inputs[0]->as<T>();
      T* values = outputs[0]->as<T>();
      std::int64_t* indices = outputs[1]->as<std::int64_t>();
      std::vector<std::int64_t> order(to_size(loop.length));
      for (std::int64_t o = 0; o < loop.outer; ++o)
        for (std::int64_t i = 0; i < loop.inner; ++i) {
          std::iota(order.begin(), order.end(), 0);
          std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
            const double va = to_double(x[loop.at(o, a, i)]);
            const double vb = to_double(x[loop.at(o, b, i)]);
            return largest ? va > vb : va < vb;
          });
          for (std::int64_t j = 0; j < k; ++j) {
            const std::int64_t out = (o * k + j) * loop.inner + i;
            values[out] = x[loop.at(o, order[to_size(j)], i)];
            indices[out] = order[to_size(j)];
          }
        }
    });
  };
}

RunFunction make_cumsum(const NodeView& node) {
  node.expect_arity(1, 1, 1);
  const Shape& in = node.input_shape(0);
  const AxisLoop loop(in, normalise_axis(node, node.attrs().integer("axis"), in.size()));
  const bool exclusive = node.attrs().integer("exclusive") != 0;
  const bool reverse = node.attrs().integer("reverse") != 0;
  const DType type = node.input(0).dtype;
  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    visit_dtype(type, [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (!std::is_same_v<T, bool>) {
        const T* x = inputs[0]->as<T>();
        T* y = outputs[0]->as<T>();
        for (std::int64_t o = 0; o < loop.outer; ++o)
          for (std::int64_t i = 0; i < loop.inner; ++i) {
            double sum = 0;
            for (std::int64_t step = 0; step < loop.length; ++step) {
              const std::int64_t k = reverse ? loop.length - 1 - step : step;
              const double v = to_double(x[loop.at(o, k, i)]);
              if (!exclusive) sum += v;
              y[loop.at(o, k, i)] = from_double<T>(sum);
              if (exclusive) sum += v;
            }
          }
      }
    });
  };
}

RunFunction make_hardmax(const NodeView& node) {
  node.expect_arity(1, 1, 1);
  const Shape& in = node.input_shape(0);
  const AxisLoop loop(in, normalise_axis(node, node.attrs().integer("axis"), in.size()));
  const DType type = node.input(0).dtype;
  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    visit_dtype(type, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* x = inputs[0]->as<T>();
      T* y = outputs[0]->as<T>();
      for (std::int64_t o = 0; o < loop.outer; ++o)
        for (std::int64_t i = 0; i < loop.inner; ++i) {
          std::int64_t best = 0;
          for (std::int64_t k = 0; k < loop.length; ++k) {
            if (to_double(x[loop.at(o, k, i)]) > to_double(x[loop.at(o, best, i)])) best = k;
          }
          for (std::int64_t k = 0; k < loop.length; ++k)
            y[loop.at(o, k, i)] = T(k == best ? 1.0F : 0.0F);
        }
    });
  };
}

// ---- resize ----

// One input element an output element reads along one axis, with its weight; index -1: the extrapolation
// value (tf_crop_and_resize outside the input).
struct Tap {
  std::int64_t index = 0;
  double weight = 1;
};

struct ResizeAxis {
  std::int64_t in = 1, out = 1;
  double scale = 1;
  double resized_length = 1;  // out, or in * scale when scales were given (ONNX's reference does so)
  double roi_start = 0, roi_end = 1;
};

// ONNX's map from an output coordinate to an input one.
double original_coordinate(const std::string& mode, const ResizeAxis& axis, std::int64_t x) {
  const auto resized = static_cast<double>(x);
  const auto in = static_cast<double>(axis.in);
  const double out = axis.resized_length;
  if (mode == "asymmetric") return resized / axis.scale;
  if (mode == "align_corners") return out == 1 ? 0 : resized * (in - 1) / (out - 1);
  if (mode == "tf_half_pixel_for_nn") return (resized + 0.5) / axis.scale;
  if (mode == "pytorch_half_pixel") return out > 1 ? (resized + 0.5) / axis.scale - 0.5 : 0;
  if (mode == "tf_crop_and_resize")
    return out > 1
               ? axis.roi_start * (in - 1) + resized * (axis.roi_end - axis.roi_start) * (in - 1) / (out - 1)
               : 0.5 * (axis.roi_start + axis.roi_end) * (in - 1);
  if (mode == "half_pixel_symmetric") {
    const double adjustment = out / (axis.scale * in);
    const double offset = in / 2 * (1 - adjustment);
    return offset + (resized + 0.5) / axis.scale - 0.5;
  }
  return (resized + 0.5) / axis.scale - 0.5;  // half_pixel
}

std::vector<double> cubic_coefficients(double ratio, double a) {
  auto far = [a](double t) { return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a; };  // 1 < |t| < 2
  auto near = [a](double t) { return ((a + 2) * t - (a + 3)) * t * t + 1; };       // |t| <= 1
  return {far(ratio + 1), near(ratio), near(1 - ratio), far(2 - ratio)};
}

std::vector<std::vector<Tap>> resize_taps(const NodeView& node, const ResizeAxis& axis) {
  const Attributes& attrs = node.attrs();
  const std::string& mode = attrs.text("mode");
  const std::string& transform = attrs.text("coordinate_transformation_mode");
  const std::string& rounding = attrs.text("nearest_mode");
  const bool exclude_outside = attrs.integer("exclude_outside") != 0;
  std::vector<std::vector<Tap>> taps(to_size(axis.out));
  if (axis.in == axis.out && axis.scale == 1 && transform != "tf_crop_and_resize") {
    for (std::int64_t x = 0; x < axis.out; ++x)
      taps[to_size(x)] = {{x, 1}};
    return taps;
  }
  for (std::int64_t x = 0; x < axis.out; ++x) {
    const double original = original_coordinate(transform, axis, x);
    std::vector<Tap>& out = taps[to_size(x)];
    if (transform == "tf_crop_and_resize" && (original < 0 || original > static_cast<double>(axis.in - 1))) {
      out = {{-1, 1}};
      continue;
    }
    if (mode == "nearest") {
      double index = 0;
      if (rounding == "floor") {
        index = std::floor(original);
      } else if (rounding == "ceil") {
        index = std::ceil(original);
      } else {
        const double fraction = original - std::floor(original);
        const bool half = fraction == 0.5;
        index = half ? (rounding == "round_prefer_ceil" ? std::ceil(original) : std::floor(original))
                     : std::round(original);
      }
      out = {{std::clamp<std::int64_t>(static_cast<std::int64_t>(index), 0, axis.in - 1), 1}};
      continue;
    }
    const double base = std::floor(original);
    const double ratio = original - base;
    std::vector<double> weights = mode == "linear" ? std::vector<double>{1 - ratio, ratio}
                                                   : cubic_coefficients(ratio, attrs.real("cubic_coeff_a"));
    const auto first = static_cast<std::int64_t>(base) - (mode == "linear" ? 0 : 1);
    double total = 0;
    for (std::size_t k = 0; k < weights.size(); ++k) {
      const std::int64_t index = first + static_cast<std::int64_t>(k);
      if (exclude_outside && (index < 0 || index >= axis.in)) weights[k] = 0;
      total += weights[k];
    }
    for (std::size_t k = 0; k < weights.size(); ++k) {
      const std::int64_t index =
          std::clamp<std::int64_t>(first + static_cast<std::int64_t>(k), 0, axis.in - 1);
      const double weight = exclude_outside && total != 0 ? weights[k] / total : weights[k];
      if (weight != 0) out.push_back({index, weight});
    }
    if (out.empty()) out.push_back({std::clamp<std::int64_t>(first, 0, axis.in - 1), 0});
  }
  return taps;
}

RunFunction make_resize(const NodeView& node) {
  node.expect_arity(1, 1, 1);
  const Shape& in = node.input_shape(0);
  const Shape& out = node.output_shape(0);
  const std::vector<double>& scales = node.attrs().reals("scales");
  const std::vector<double>& roi = node.attrs().reals("roi");
  std::vector<std::vector<std::vector<Tap>>> taps;
  for (std::size_t d = 0; d < in.size(); ++d) {
    ResizeAxis axis{in[d], out[d], 1, static_cast<double>(out[d]), 0, 1};
    const bool scaled = d < scales.size() && scales[d] > 0;
    axis.scale = scaled ? scales[d]
                        : static_cast<double>(out[d]) / static_cast<double>(std::max<std::int64_t>(in[d], 1));
    if (scaled) axis.resized_length = static_cast<double>(in[d]) * scales[d];
    if (roi.size() == 2 * in.size()) {
      axis.roi_start = roi[d];
      axis.roi_end = roi[d + in.size()];
    }
    taps.push_back(resize_taps(node, axis));
  }
  const std::vector<std::int64_t> strides = strides_of(in);
  const DType type = node.input(0).dtype;
  if (node.attrs().text("mode") == "nearest") {
    std::vector<std::int64_t> map;
    for_each_coordinate(out, [&](const std::vector<std::int64_t>& at) {
      std::int64_t offset = 0;
      for (std::size_t d = 0; d < at.size(); ++d) {
        const Tap& tap = taps[d][to_size(at[d])].front();
        if (tap.index < 0) {
          offset = -1;
          break;
        }
        offset += tap.index * strides[d];
      }
      map.push_back(offset);
    });
    return copy_by_map(std::move(map), type, node.attrs().real("extrapolation_value"));
  }
  const double extrapolation = node.attrs().real("extrapolation_value");
  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    visit_dtype(type, [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (is_floating_element<T>) {
        const T* x = inputs[0]->as<T>();
        T* y = outputs[0]->as<T>();
        std::int64_t flat = 0;
        for_each_coordinate(out, [&](const std::vector<std::int64_t>& at) {
          // The sum over every combination of one tap per axis, walked as an odometer.
          std::vector<std::size_t> choice(at.size(), 0);
          double sum = 0;
          bool outside = false;
          for (;;) {
            double weight = 1;
            std::int64_t offset = 0;
            for (std::size_t d = 0; d < at.size(); ++d) {
              const Tap& tap = taps[d][to_size(at[d])][choice[d]];
              if (tap.index < 0) outside = true;
              weight *= tap.weight;
              offset += std::max<std::int64_t>(tap.index, 0) * strides[d];
            }
            sum += weight * to_double(x[offset]);
            std::size_t d = at.size();
            while (d-- > 0) {
              if (++choice[d] < taps[d][to_size(at[d])].size()) break;
              choice[d] = 0;
            }
            if (d == static_cast<std::size_t>(-1)) break;
          }
          y[flat++] = from_double<T>(outside ? extrapolation : sum);
        });
      }
    });
  };
}

RunFunction make_trilu(const NodeView& node) {
  node.expect_arity(1, 1, 1);
  const Shape& in = node.input_shape(0);
  const std::int64_t rows = in[in.size() - 2];
  const std::int64_t columns = in.back();
  const bool upper = node.attrs().integer("upper") != 0;
  const std::int64_t k = node.attrs().integer("k");
  std::vector<std::int64_t> map;
  for (std::int64_t flat = 0; flat < element_count(in); ++flat) {
    const std::int64_t column = flat % columns;
    const std::int64_t row = (flat / columns) % rows;
    const bool keep = upper ? column - row >= k : column - row <= k;
    map.push_back(keep ? flat : -1);
  }
  return copy_by_map(std::move(map), node.input(0).dtype);
}

}  // namespace

std::vector<KernelEntry> indexing_kernels() {
  using Named = std::pair<const char*, KernelFactory>;
  std::vector<KernelEntry> entries;
  for (const auto& [op, make] :
       {Named{"gather", make_gather}, Named{"gather_elements", make_gather_elements},
        Named{"gather_nd", make_gather_nd}, Named{"slice", make_slice}, Named{"expand", make_expand},
        Named{"tile", make_tile}, Named{"pad", make_pad}, Named{"depth_to_space", make_depth_to_space},
        Named{"space_to_depth", make_space_to_depth}, Named{"topk", make_topk}, Named{"cumsum", make_cumsum},
        Named{"hardmax", make_hardmax}, Named{"resize", make_resize}, Named{"trilu", make_trilu}})
    entries.push_back(typed_kernel(op, make));
  return entries;
}

}  // namespace ntp::reference
