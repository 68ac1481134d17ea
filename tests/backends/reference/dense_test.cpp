#include "ref_test_util.h"

namespace ntp::testing {
namespace {

TEST(ReferenceFc, ByHandWithBiasReluAndClip) {
  const std::string head = R"(<topology name="t"><input name="x" shape="2,3"/>)";
  for (const auto& [attrs, expected] : std::vector<std::pair<std::string, std::vector<float>>>{
           {"", {-1.5F, 2.0F, -1.5F, 6.5F}},
           {R"(activation="relu")", {0.0F, 2.0F, 0.0F, 6.5F}},
           {R"(activation="relu" clip="5")", {0.0F, 2.0F, 0.0F, 5.0F}},
           {R"(activation="leaky_relu" alpha="0.1")", {-0.15F, 2.0F, -0.15F, 6.5F}}}) {
    Model m = model(head + R"(<layer name="l" type="fc" units="2" )" + attrs + "/></topology>");
    m.set("l", "weight", {1, 0, -1, 0.5F, 0.5F, 0.5F});
    m.set("l", "bias", {0.5F, -1});
    expect_close(m.run(make_tensor({2, 3}, {1, 2, 3, 4, 5, 6})), {2, 2}, expected);
  }
}

// y[row, u] = act(sum_c x[row, c] W[u, c] (+ b[u])) over the leading axes of a time-major input.
void check_fc_against_dot_products(const std::string& attrs, float (*act)(float), bool bias) {
  Model m =
      model(R"(<topology name="t"><input name="x" shape="3,2,5"/><layer name="l" type="fc" units="4" )" +
            attrs + "/></topology>");
  const Tensor x = random_tensor({3, 2, 5}, 11);
  const Tensor y = m.run(x);
  std::vector<float> expected;
  for (int row = 0; row < 6; ++row) {
    for (int u = 0; u < 4; ++u) {
      double sum = bias ? m.w("l", "bias")[u] : 0.0;
      for (int c = 0; c < 5; ++c)
        sum += static_cast<double>(x.as<float>()[row * 5 + c]) * m.w("l", "weight")[u * 5 + c];
      expected.push_back(act(static_cast<float>(sum)));
    }
  }
  expect_close(y, {3, 2, 4}, expected);
}

TEST(ReferenceFc, AgainstDotProducts) {
  check_fc_against_dot_products(
      "", [](float v) { return v; }, true);
  check_fc_against_dot_products(R"(bias="0" activation="tanh")", [](float v) { return std::tanh(v); }, false);
  check_fc_against_dot_products(R"(activation="sigmoid")",
                                [](float v) { return 1.0F / (1.0F + std::exp(-v)); }, true);
  check_fc_against_dot_products(
      R"(activation="gelu")",
      [](float v) { return static_cast<float>(0.5 * v * (1 + std::erf(v / std::sqrt(2.0)))); }, true);
}

TEST(ReferenceFc, DeepSpeechSizeMatchesADotProduct) {
  Model m = model(R"(<topology name="t"><input name="x" shape="146,1,2048"/>
    <layer name="l" type="fc" units="2048" activation="relu" clip="20"/></topology>)");
  const Tensor x = random_tensor({146, 1, 2048}, 3);
  CompileOptions options;
  options.weights = &m.weights;
  auto kernel = reference_backend().compile_node(m.graph, 0, options);
  Tensor y({146, 1, 2048}, DType::f32);
  const Tensor* in[] = {&x};
  Tensor* out[] = {&y};
  kernel->run(in, out);
  // Spot-check one element against a dot product.
  double sum = m.w("l", "bias")[7];
  for (int c = 0; c < 2048; ++c)
    sum += static_cast<double>(x.as<float>()[100 * 2048 + c]) * m.w("l", "weight")[7 * 2048 + c];
  EXPECT_NEAR(y.as<float>()[100 * 2048 + 7], std::min(std::max(sum, 0.0), 20.0), 1e-4);
}

TEST(ReferenceMatmul, ByHand) {
  Model m = model(R"(<topology name="t"><input name="a" shape="2,3"/><input name="b" shape="3,2"/>
    <layer name="l" type="matmul" inputs="a,b"/></topology>)");
  const auto values = m.run_all(
      {{"a", make_tensor({2, 3}, {1, 2, 3, 4, 5, 6})}, {"b", make_tensor({3, 2}, {7, 8, 9, 10, 11, 12})}});
  expect_close(values.at("l"), {2, 2}, {58, 64, 139, 154});
}

// c[batch..., m, n] = sum_k a[broadcast batch, m, k] * b[broadcast batch, k, n]
TEST(ReferenceMatmul, BroadcastBatchAndTransposeB) {
  for (const bool transpose : {false, true}) {
    const std::string b_shape = transpose ? "3,4,2" : "3,2,4";
    Model m = model(R"(<topology name="t"><input name="a" shape="2,1,3,2"/><input name="b" shape=")" +
                    b_shape + R"("/><layer name="l" type="matmul" inputs="a,b" transpose_b=")" +
                    (transpose ? "1" : "0") + R"("/></topology>)");
    const Tensor a = random_tensor({2, 1, 3, 2}, 1);
    const Tensor b = random_tensor(transpose ? Shape{3, 4, 2} : Shape{3, 2, 4}, 2);
    const auto values = m.run_all({{"a", a}, {"b", b}});
    std::vector<float> expected;
    for (int i = 0; i < 2; ++i)          // a's batch dim (b broadcasts along it)
      for (int j = 0; j < 3; ++j)        // b's batch dim (a broadcasts along it)
        for (int r = 0; r < 3; ++r)      // M
          for (int c = 0; c < 4; ++c) {  // N
            double sum = 0;
            for (int k = 0; k < 2; ++k) {
              const float b_kc =
                  transpose ? b.as<float>()[(j * 4 + c) * 2 + k] : b.as<float>()[(j * 2 + k) * 4 + c];
              sum += static_cast<double>(a.as<float>()[(i * 3 + r) * 2 + k]) * b_kc;
            }
            expected.push_back(static_cast<float>(sum));
          }
    expect_close(values.at("l"), {2, 3, 3, 4}, expected);
  }
}

TEST(ReferenceEmbedding, GathersRowsAndRejectsBadIds) {
  Model m = model(R"(<topology name="t"><input name="ids" shape="2,2" dtype="int32"/>
    <layer name="e" type="embedding" vocab="4" dim="3"/></topology>)");
  const float* table = m.w("e", "weight");
  const Tensor y = m.run(make_tensor({2, 2}, {2, 0, 3, 2}));
  std::vector<float> expected;
  for (const int id : {2, 0, 3, 2})
    for (int d = 0; d < 3; ++d)
      expected.push_back(table[id * 3 + d]);
  expect_close(y, {2, 2, 3}, expected, 0);
  EXPECT_THROW(m.run(make_tensor({2, 2}, {0, 4, 1, 1})), UserError);
  EXPECT_THROW(m.run(make_tensor({2, 2}, {0, -1, 1, 1})), UserError);
  EXPECT_THROW(m.run(make_tensor({2, 2}, {0, 1.5F, 1, 1})), UserError);
}

}  // namespace
}  // namespace ntp::testing
