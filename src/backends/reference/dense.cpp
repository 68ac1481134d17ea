// Dense kernels: fc, matmul, embedding.
#include <fmt/format.h>

#include <cmath>

#include "kernels.h"

namespace ntp::reference {

namespace {

// fc: y = act(x W^T + b) on the last axis; leading axes are rows.
RunFunction make_fc(const NodeView& node) {
  node.expect_arity(1, 1, 1);
  const Shape& in = node.input_shape(0);
  if (in.empty()) node.fail("input must have rank >= 1");
  const std::int64_t features = in.back();
  const std::int64_t units = node.attrs().integer("units");
  const std::int64_t rows = element_count(in) / std::max<std::int64_t>(features, 1);
  Shape out = in;
  out.back() = units;
  node.expect_output_shape(0, out);

  const Tensor weight = node.weight("weight");  // [units, features]
  // Stored transposed, [features, units], so that the product streams rows of both operands.
  auto weight_t = std::make_shared<std::vector<float>>(transposed(weight.as<float>(), units, features));
  std::vector<float> bias(to_size(units), 0.0F);
  if (node.attrs().integer("bias") != 0) {
    const Tensor b = node.weight("bias");
    std::copy(b.as<float>(), b.as<float>() + units, bias.begin());
  }
  const FusedActivation activation = FusedActivation::from(node);

  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    const float* x = inputs[0]->as<float>();
    float* y = outputs[0]->as<float>();
    for (std::int64_t r = 0; r < rows; ++r)
      std::copy(bias.begin(), bias.end(), y + r * units);
    matmul_accumulate(rows, features, units, x, weight_t->data(), y);
    activation.apply(y, rows * units);
  };
}

// The offset of the batch index `flat` of `out_batch` within a tensor whose batch dims are `in_batch`
// (numpy broadcasting: aligned from the right, size-1 dims repeat), in units of matrices.
std::int64_t broadcast_matrix_index(const Shape& out_batch, const Shape& in_batch, std::int64_t flat) {
  std::int64_t index = 0;
  std::int64_t in_stride = 1;
  std::int64_t remaining = flat;
  for (std::size_t d = out_batch.size(); d-- > 0;) {
    const std::int64_t coordinate = remaining % out_batch[d];
    remaining /= out_batch[d];
    const std::size_t offset = out_batch.size() - in_batch.size();
    if (d < offset) continue;  // a dimension the input does not have
    const std::int64_t in_dim = in_batch[d - offset];
    if (in_dim != 1) index += coordinate * in_stride;
    in_stride *= in_dim;
  }
  return index;
}

// matmul: [..., M, K] x [..., K, N] (or [..., N, K] with transpose_b) -> [..., M, N], batch dims broadcast.
RunFunction make_matmul(const NodeView& node) {
  node.expect_arity(2, 2, 1);
  const Shape& a_shape = node.input_shape(0);
  const Shape& b_shape = node.input_shape(1);
  if (a_shape.size() < 2 || b_shape.size() < 2) node.fail("both inputs need rank >= 2");
  const bool transpose_b = node.attrs().integer("transpose_b") != 0;
  const std::int64_t m = a_shape[a_shape.size() - 2];
  const std::int64_t k = a_shape.back();
  const std::int64_t b_k = transpose_b ? b_shape.back() : b_shape[b_shape.size() - 2];
  const std::int64_t n = transpose_b ? b_shape[b_shape.size() - 2] : b_shape.back();
  if (b_k != k) node.fail(fmt::format("inner dimensions differ: {} vs {}", k, b_k));
  const Shape a_batch(a_shape.begin(), a_shape.end() - 2);
  const Shape b_batch(b_shape.begin(), b_shape.end() - 2);
  Shape out_batch(std::max(a_batch.size(), b_batch.size()), 1);
  for (std::size_t d = 0; d < out_batch.size(); ++d) {
    const std::size_t from_end = out_batch.size() - d;
    const std::int64_t da = from_end <= a_batch.size() ? a_batch[a_batch.size() - from_end] : 1;
    const std::int64_t db = from_end <= b_batch.size() ? b_batch[b_batch.size() - from_end] : 1;
    if (da != db && da != 1 && db != 1) node.fail("batch dimensions do not broadcast");
    out_batch[d] = std::max(da, db);
  }
  Shape out = out_batch;
  out.push_back(m);
  out.push_back(n);
  node.expect_output_shape(0, out);
  const std::int64_t batches = element_count(out_batch);

  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    const float* a = inputs[0]->as<float>();
    const float* b = inputs[1]->as<float>();
    float* c = outputs[0]->as<float>();
    std::fill(c, c + batches * m * n, 0.0F);
    for (std::int64_t batch = 0; batch < batches; ++batch) {
      const float* a_matrix = a + broadcast_matrix_index(out_batch, a_batch, batch) * m * k;
      const float* b_matrix = b + broadcast_matrix_index(out_batch, b_batch, batch) * k * n;
      float* c_matrix = c + batch * m * n;
      if (transpose_b) {
        const std::vector<float> b_kn = transposed(b_matrix, n, k);
        matmul_accumulate(m, k, n, a_matrix, b_kn.data(), c_matrix);
      } else {
        matmul_accumulate(m, k, n, a_matrix, b_matrix, c_matrix);
      }
    }
  };
}

// embedding: ids [...] -> [..., dim], row `id` of the table.
RunFunction make_embedding(const NodeView& node) {
  node.expect_arity(1, 1, 1);
  const std::int64_t vocab = node.attrs().integer("vocab");
  const std::int64_t dim = node.attrs().integer("dim");
  Shape out = node.input_shape(0);
  out.push_back(dim);
  node.expect_output_shape(0, out);
  const Tensor table = node.weight("weight");  // [vocab, dim]
  const std::string name = node.name();
  const SourceLocation where = node.node().where;
  const std::int64_t count = element_count(node.input_shape(0));

  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    const float* ids = inputs[0]->as<float>();
    float* y = outputs[0]->as<float>();
    for (std::int64_t i = 0; i < count; ++i) {
      const float id_value = ids[i];
      const bool valid =
          id_value >= 0 && id_value < static_cast<float>(vocab) && std::floor(id_value) == id_value;
      if (!valid)
        throw UserError(
            where, fmt::format("embedding '{}': id {} is not an integer in [0, {})", name, id_value, vocab));
      const auto id = static_cast<std::int64_t>(id_value);
      const float* row = table.as<float>() + id * dim;
      std::copy(row, row + dim, y + i * dim);
    }
  };
}

}  // namespace

std::vector<KernelEntry> dense_kernels() {
  return {{"fc", make_fc}, {"matmul", make_matmul}, {"embedding", make_embedding}};
}

}  // namespace ntp::reference
