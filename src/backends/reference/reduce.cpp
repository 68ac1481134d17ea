// Reductions on every numeric element type: the input seen as [outer, reduced, inner] blocks is not enough
// for several axes, so each input element adds into the output element its kept coordinates address.
#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <set>

#include "kernels.h"
#include "ntp/elements.h"

namespace ntp::reference {

namespace {

// For every input element, the flat index of the output element it reduces into.
std::vector<std::int64_t> reduction_targets(const Shape& in, const std::set<std::size_t>& reduced) {
  Shape kept_shape(in.size(), 1);
  for (std::size_t d = 0; d < in.size(); ++d)
    if (reduced.count(d) == 0) kept_shape[d] = in[d];
  const std::vector<std::int64_t> kept_strides = strides_of(kept_shape);
  std::vector<std::int64_t> targets(to_size(element_count(in)));
  std::vector<std::int64_t> index(in.size(), 0);
  std::int64_t target = 0;
  for (std::size_t flat = 0; flat < targets.size(); ++flat) {
    targets[flat] = target;
    for (std::size_t d = in.size(); d-- > 0;) {
      const std::int64_t stride = reduced.count(d) != 0 ? 0 : kept_strides[d];
      target += stride;
      if (++index[d] < in[d]) break;
      target -= stride * in[d];
      index[d] = 0;
    }
  }
  return targets;
}

std::set<std::size_t> reduced_axes(const NodeView& node, const std::vector<std::int64_t>& axes,
                                   std::size_t rank) {
  std::set<std::size_t> reduced;
  for (const std::int64_t axis : axes)
    reduced.insert(normalise_axis(node, axis, rank));
  if (axes.empty())
    for (std::size_t d = 0; d < rank; ++d)
      reduced.insert(d);
  return reduced;
}

RunFunction make_reduce(const NodeView& node) {
  node.expect_arity(1, 1, 1);
  const std::string op = node.node().op;
  const Shape& in = node.input_shape(0);
  const std::set<std::size_t> reduced = reduced_axes(node, node.attrs().integers("axes"), in.size());
  const std::vector<std::int64_t> targets = reduction_targets(in, reduced);
  const std::int64_t outputs_count = element_count(node.output_shape(0));
  std::int64_t group = 1;
  for (const std::size_t d : reduced)
    group *= in[d];
  const DType type = node.input(0).dtype;
  const bool is_max = op == "reduce_max";
  const bool is_min = op == "reduce_min";
  const bool is_prod = op == "reduce_prod";
  const bool is_log_sum_exp = op == "reduce_log_sum_exp";

  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    double start = 0;
    if (is_max) start = -std::numeric_limits<double>::infinity();
    if (is_min) start = std::numeric_limits<double>::infinity();
    if (is_prod) start = 1;
    std::vector<double> accumulated(to_size(outputs_count), start);
    // log-sum-exp subtracts each group's maximum first, so that e^x cannot overflow.
    std::vector<double> shift(to_size(outputs_count),
                              is_log_sum_exp ? -std::numeric_limits<double>::infinity() : 0);
    visit_dtype(type, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* x = inputs[0]->as<T>();
      if (is_log_sum_exp)
        for (std::size_t i = 0; i < targets.size(); ++i)
          shift[to_size(targets[i])] = std::max(shift[to_size(targets[i])], to_double(x[i]));
      for (std::size_t i = 0; i < targets.size(); ++i) {
        const double v = to_double(x[i]);
        double& a = accumulated[to_size(targets[i])];
        if (is_max)
          a = std::max(a, v);
        else if (is_min)
          a = std::min(a, v);
        else if (is_prod)
          a *= v;
        else if (op == "reduce_l1")
          a += std::fabs(v);
        else if (op == "reduce_l2" || op == "reduce_sum_square")
          a += v * v;
        else if (is_log_sum_exp)
          a += std::exp(v - shift[to_size(targets[i])]);
        else
          a += v;
      }
      T* y = outputs[0]->as<T>();
      for (std::size_t o = 0; o < accumulated.size(); ++o) {
        double a = accumulated[o];
        if (op == "reduce_mean") a /= static_cast<double>(group);
        if (op == "reduce_l2") a = std::sqrt(a);
        if (op == "reduce_log_sum") a = std::log(a);
        if (is_log_sum_exp) a = std::log(a) + shift[o];
        y[o] = from_double<T>(a);
      }
    });
  };
}

RunFunction make_arg_reduce(const NodeView& node) {
  node.expect_arity(1, 1, 1);
  const Shape& in = node.input_shape(0);
  const AxisLoop around(in, normalise_axis(node, node.attrs().integer("axis"), in.size()));
  const bool largest = node.node().op == "argmax";
  const bool last = node.attrs().integer("select_last_index") != 0;
  const std::int64_t outer = around.outer, inner = around.inner, length = around.length;
  const DType type = node.input(0).dtype;
  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    std::int64_t* y = outputs[0]->as<std::int64_t>();
    visit_dtype(type, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* x = inputs[0]->as<T>();
      for (std::int64_t o = 0; o < outer; ++o)
        for (std::int64_t i = 0; i < inner; ++i) {
          std::int64_t best = 0;
          double best_value = to_double(x[o * length * inner + i]);
          for (std::int64_t k = 1; k < length; ++k) {
            const double v = to_double(x[(o * length + k) * inner + i]);
            const bool better = largest ? (v > best_value || (last && v == best_value))
                                        : (v < best_value || (last && v == best_value));
            if (better) {
              best = k;
              best_value = v;
            }
          }
          y[o * inner + i] = best;
        }
    });
  };
}

}  // namespace

std::vector<KernelEntry> reduce_kernels() {
  std::vector<KernelEntry> entries;
  for (const char* op : {"reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "reduce_l1",
                         "reduce_l2", "reduce_sum_square", "reduce_log_sum", "reduce_log_sum_exp"})
    entries.push_back(typed_kernel(op, make_reduce));
  entries.push_back(typed_kernel("argmax", make_arg_reduce));
  entries.push_back(typed_kernel("argmin", make_arg_reduce));
  return entries;
}

}  // namespace ntp::reference
