#include <limits>

#include "ref_test_util.h"

namespace ntp::testing {
namespace {

// The definition, element by element: projections, per-head scaled dot products, softmax, weighted sum of
// values, output projection.
std::vector<float> written_out(Model& m, const Tensor& q_in, const Tensor& k_in, const Tensor& v_in,
                               int heads, bool causal) {
  const int N = static_cast<int>(q_in.shape()[0]), T = static_cast<int>(q_in.shape()[1]);
  const int S = static_cast<int>(k_in.shape()[1]), E = static_cast<int>(q_in.shape()[2]);
  auto project = [&](const Tensor& x, const std::string& which, int rows) {
    const float* w = m.w("a", "w_" + which);
    const float* b = m.w("a", "b_" + which);
    std::vector<double> y(static_cast<std::size_t>(rows * E));
    for (int r = 0; r < rows; ++r)
      for (int e = 0; e < E; ++e) {
        double sum = b[e];
        for (int k = 0; k < E; ++k)
          sum += static_cast<double>(x.as<float>()[r * E + k]) * w[e * E + k];
        y[static_cast<std::size_t>(r * E + e)] = sum;
      }
    return y;
  };
  const auto q = project(q_in, "q", N * T), k = project(k_in, "k", N * S), v = project(v_in, "v", N * S);
  const int D = E / heads;
  std::vector<double> context(static_cast<std::size_t>(N * T * E));
  for (int n = 0; n < N; ++n)
    for (int h = 0; h < heads; ++h)
      for (int t = 0; t < T; ++t) {
        std::vector<double> p(static_cast<std::size_t>(S));
        double total = 0;
        for (int s = 0; s < S; ++s) {
          double dot = 0;
          for (int d = 0; d < D; ++d)
            dot += q[static_cast<std::size_t>((n * T + t) * E + h * D + d)] *
                   k[static_cast<std::size_t>((n * S + s) * E + h * D + d)];
          p[static_cast<std::size_t>(s)] =
              causal && s > t ? 0.0 : std::exp(dot / std::sqrt(static_cast<double>(D)));
          total += p[static_cast<std::size_t>(s)];
        }
        for (int d = 0; d < D; ++d) {
          double sum = 0;
          for (int s = 0; s < S; ++s)
            sum += p[static_cast<std::size_t>(s)] / total *
                   v[static_cast<std::size_t>((n * S + s) * E + h * D + d)];
          context[static_cast<std::size_t>((n * T + t) * E + h * D + d)] = sum;
        }
      }
  const float* w_o = m.w("a", "w_o");
  const float* b_o = m.w("a", "b_o");
  std::vector<float> out;
  for (int r = 0; r < N * T; ++r)
    for (int e = 0; e < E; ++e) {
      double sum = b_o[e];
      for (int k2 = 0; k2 < E; ++k2)
        sum += context[static_cast<std::size_t>(r * E + k2)] * w_o[e * E + k2];
      out.push_back(static_cast<float>(sum));
    }
  return out;
}

TEST(ReferenceAttention, SelfAttentionAgainstDefinition) {
  for (const bool causal : {false, true}) {
    Model m = model(R"(<topology name="t"><input name="x" shape="2,5,8"/>
      <layer name="a" type="attention" heads="2" causal=")" +
                    std::string(causal ? "1" : "0") + R"("/></topology>)");
    const Tensor x = random_tensor({2, 5, 8}, 31, -2, 2);
    expect_close(m.run(x), {2, 5, 8}, written_out(m, x, x, x, 2, causal));
  }
}

TEST(ReferenceAttention, SeparateQueryKeyValueWithMoreKeysThanQueries) {
  Model m = model(R"(<topology name="t"><input name="q" shape="2,3,6"/><input name="k" shape="2,4,6"/>
    <input name="v" shape="2,4,6"/><layer name="a" type="attention" heads="3" inputs="q,k,v"/></topology>)");
  const Tensor q = random_tensor({2, 3, 6}, 1), k = random_tensor({2, 4, 6}, 2),
               v = random_tensor({2, 4, 6}, 3);
  const auto values = m.run_all({{"q", q}, {"k", k}, {"v", v}});
  expect_close(values.at("a"), {2, 3, 6}, written_out(m, q, k, v, 3, false));
}

TEST(ReferenceAttention, CausalFirstPositionIgnoresLaterInputs) {
  Model m = model(R"(<topology name="t"><input name="x" shape="1,4,4"/>
    <layer name="a" type="attention" heads="1" causal="1"/></topology>)");
  Tensor x = random_tensor({1, 4, 4}, 8);
  const Tensor before = m.run(x).clone();
  for (int i = 4; i < 16; ++i)
    x.as<float>()[i] += 1.0F;  // change positions 1..3
  const Tensor after = m.run(x);
  expect_close(make_tensor({4}, {after.as<float>(), after.as<float>() + 4}),
               make_tensor({4}, {before.as<float>(), before.as<float>() + 4}), 1e-6);
  EXPECT_NE(after.as<float>()[15], before.as<float>()[15]);
}

}  // namespace
}  // namespace ntp::testing
