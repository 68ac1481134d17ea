#include "ref_test_util.h"

namespace ntp::testing {
namespace {

Tensor apply(const std::string& layer, const Tensor& x) {
  std::string shape;
  for (const auto d : x.shape())
    shape += (shape.empty() ? "" : ",") + std::to_string(d);
  return model(R"(<topology name="t"><input name="x" shape=")" + shape + R"("/>)" + layer + "</topology>")
      .run(x);
}

const Tensor kPoints = make_tensor({2, 3}, {-2, -0.5F, 0, 0.5F, 1, 25});

TEST(ReferenceActivation, ElementwiseByHand) {
  expect_close(apply(R"(<layer name="a" type="relu"/>)", kPoints), {2, 3}, {0, 0, 0, 0.5F, 1, 25});
  expect_close(apply(R"(<layer name="a" type="relu" clip="20"/>)", kPoints), {2, 3}, {0, 0, 0, 0.5F, 1, 20});
  expect_close(apply(R"(<layer name="a" type="leaky_relu" alpha="0.2"/>)", kPoints), {2, 3},
               {-0.4F, -0.1F, 0, 0.5F, 1, 25});
  expect_close(apply(R"(<layer name="a" type="hardtanh"/>)", kPoints), {2, 3}, {-1, -0.5F, 0, 0.5F, 1, 1});
  expect_close(apply(R"(<layer name="a" type="hardtanh" min_val="0" max_val="20"/>)", kPoints), {2, 3},
               {0, 0, 0, 0.5F, 1, 20});
  expect_close(apply(R"(<layer name="a" type="tanh"/>)", kPoints), {2, 3},
               {-0.9640276F, -0.4621172F, 0, 0.4621172F, 0.7615942F, 1});
  expect_close(apply(R"(<layer name="a" type="sigmoid"/>)", kPoints), {2, 3},
               {0.1192029F, 0.3775407F, 0.5F, 0.6224593F, 0.7310586F, 1});
  // GELU: x * Phi(x); Phi(1) = 0.8413447, Phi(-2) = 0.0227501, Phi(0.5) = 0.6914625.
  expect_close(apply(R"(<layer name="a" type="gelu"/>)", kPoints), {2, 3},
               {-0.0455003F, -0.1542688F, 0, 0.3457312F, 0.8413447F, 25});
  expect_close(apply(R"(<layer name="a" type="gelu" approximate="tanh"/>)", kPoints), {2, 3},
               {-0.0454023F, -0.1542859F, 0, 0.3457141F, 0.8411920F, 25});
}

TEST(ReferenceActivation, SoftmaxAlongEachAxis) {
  const Tensor x = make_tensor({2, 3}, {1, 2, 3, 1, 1, 1});
  const double e = std::exp(1.0), e2 = e * e, total = 1 + e + e2;
  expect_close(apply(R"(<layer name="s" type="softmax"/>)", x), {2, 3},
               {static_cast<float>(1 / total), static_cast<float>(e / total), static_cast<float>(e2 / total),
                1.0F / 3, 1.0F / 3, 1.0F / 3});
  expect_close(apply(R"(<layer name="s" type="log_softmax"/>)", x), {2, 3},
               {static_cast<float>(-std::log(total)), static_cast<float>(1 - std::log(total)),
                static_cast<float>(2 - std::log(total)), static_cast<float>(-std::log(3.0)),
                static_cast<float>(-std::log(3.0)), static_cast<float>(-std::log(3.0))});
  // Axis 0: columns [1, 1], [2, 1], [3, 1].
  const float a = static_cast<float>(e / (1 + e)), b = static_cast<float>(e2 / (e2 + 1));
  expect_close(apply(R"(<layer name="s" type="softmax" axis="0"/>)", x), {2, 3},
               {0.5F, a, b, 0.5F, 1 - a, 1 - b});
  // Large values do not overflow (the maximum is subtracted).
  expect_close(apply(R"(<layer name="s" type="softmax"/>)", make_tensor({1, 2}, {1000, 1000})), {1, 2},
               {0.5F, 0.5F});
}

TEST(ReferenceActivation, SoftmaxMiddleAxisOfRank3) {
  const Tensor x = random_tensor({2, 4, 3}, 12, -4, 4);
  const Tensor y = apply(R"(<layer name="s" type="softmax" axis="-2"/>)", x);
  std::vector<float> expected(24);
  for (int o = 0; o < 2; ++o)
    for (int i = 0; i < 3; ++i) {
      double sum = 0;
      for (int k = 0; k < 4; ++k)
        sum += std::exp(x.as<float>()[(o * 4 + k) * 3 + i]);
      for (int k = 0; k < 4; ++k)
        expected[static_cast<std::size_t>((o * 4 + k) * 3 + i)] =
            static_cast<float>(std::exp(x.as<float>()[(o * 4 + k) * 3 + i]) / sum);
    }
  expect_close(y, {2, 4, 3}, expected);
}

}  // namespace
}  // namespace ntp::testing
