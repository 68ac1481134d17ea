// Multi-head attention, batch-major [N, T, E]: self-attention (1 input) or separate q, k, v (3 inputs).
#include <fmt/format.h>

#include <array>
#include <cmath>
#include <limits>

#include "kernels.h"

namespace ntp::reference {

namespace {

// A projection y[rows, E] = x[rows, E] W^T + b, with W [E, E] stored transposed.
struct Projection {
  std::vector<float> weight_t;
  std::vector<float> bias;

  std::vector<float> apply(const float* x, std::int64_t rows) const {
    const auto width = static_cast<std::int64_t>(bias.size());
    std::vector<float> y(to_size(rows * width));
    for (std::int64_t r = 0; r < rows; ++r)
      std::copy(bias.begin(), bias.end(), y.begin() + r * width);
    matmul_accumulate(rows, width, width, x, weight_t.data(), y.data());
    return y;
  }
};

RunFunction make_attention(const NodeView& node) {
  if (node.input_count() != 1 && node.input_count() != 3)
    node.fail("takes 1 input (self-attention) or 3 (q, k, v)");
  node.expect_arity(1, 3, 1);
  const Shape& q_shape = node.input_shape(0);
  const Shape& kv_shape = node.input_shape(node.input_count() == 3 ? 1 : 0);
  if (q_shape.size() != 3 || kv_shape.size() != 3) node.fail("inputs must be batch-major [N, T, E]");
  if (node.input_count() == 3 && node.input_shape(2) != kv_shape)
    node.fail("k and v must have the same shape");
  const std::int64_t N = q_shape[0], T = q_shape[1], E = q_shape[2];
  const std::int64_t S = kv_shape[1];
  if (kv_shape[0] != N || kv_shape[2] != E) node.fail("q, k and v must agree on N and E");
  const std::int64_t heads = node.attrs().integer("heads");
  if (heads <= 0 || E % heads != 0) node.fail(fmt::format("E = {} is not divisible by heads = {}", E, heads));
  const bool causal = node.attrs().integer("causal") != 0;
  if (causal && T != S) node.fail("causal attention needs as many queries as keys");
  node.expect_output_shape(0, q_shape);

  auto projection = [&](const std::string& suffix) {
    const Tensor w = node.weight("w_" + suffix);
    const Tensor b = node.weight("b_" + suffix);
    return Projection{transposed(w.as<float>(), E, E), std::vector<float>(b.as<float>(), b.as<float>() + E)};
  };
  auto projections = std::make_shared<std::array<Projection, 4>>(
      std::array<Projection, 4>{projection("q"), projection("k"), projection("v"), projection("o")});

  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    const auto& [p_q, p_k, p_v, p_o] = *projections;
    const float* q_in = inputs[0]->as<float>();
    const float* k_in = inputs.size() == 3 ? inputs[1]->as<float>() : q_in;
    const float* v_in = inputs.size() == 3 ? inputs[2]->as<float>() : q_in;
    const std::vector<float> q = p_q.apply(q_in, N * T);  // [N, T, E]
    const std::vector<float> k = p_k.apply(k_in, N * S);  // [N, S, E]
    const std::vector<float> v = p_v.apply(v_in, N * S);  // [N, S, E]
    const std::int64_t head_dim = E / heads;
    const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));

    std::vector<float> context(to_size(N * T * E), 0.0F);  // heads concatenated on the last axis
    std::vector<double> scores(to_size(S));
    for (std::int64_t n = 0; n < N; ++n) {
      for (std::int64_t h = 0; h < heads; ++h) {
        const std::int64_t column = h * head_dim;
        for (std::int64_t t = 0; t < T; ++t) {
          const float* q_row = q.data() + (n * T + t) * E + column;
          // scores[s] = q_t . k_s / sqrt(head_dim); masked (future) positions get -infinity.
          double maximum = -std::numeric_limits<double>::infinity();
          for (std::int64_t s = 0; s < S; ++s) {
            double& score = scores[to_size(s)];
            if (causal && s > t) {
              score = -std::numeric_limits<double>::infinity();
              continue;
            }
            const float* k_row = k.data() + (n * S + s) * E + column;
            double dot = 0;
            for (std::int64_t d = 0; d < head_dim; ++d)
              dot += static_cast<double>(q_row[d]) * k_row[d];
            score = dot * scale;
            maximum = std::max(maximum, score);
          }
          double sum = 0;
          for (double& score : scores) {
            score = std::exp(score - maximum);  // exp(-inf) = 0 for masked positions
            sum += score;
          }
          float* out_row = context.data() + (n * T + t) * E + column;
          for (std::int64_t d = 0; d < head_dim; ++d) {
            double weighted = 0;
            for (std::int64_t s = 0; s < S; ++s)
              weighted += scores[to_size(s)] / sum * v[to_size((n * S + s) * E + column + d)];
            out_row[d] = static_cast<float>(weighted);
          }
        }
      }
    }
    const std::vector<float> y = p_o.apply(context.data(), N * T);
    std::copy(y.begin(), y.end(), outputs[0]->as<float>());
  };
}

}  // namespace

std::vector<KernelEntry> attention_kernels() {
  return {{"attention", make_attention}};
}

}  // namespace ntp::reference
