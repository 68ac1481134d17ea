#include "ref_test_util.h"

namespace ntp::testing {
namespace {

TEST(ReferenceBatchnorm, PerChannelOfAxisOneAgainstFormula) {
  for (const std::string shape : {"2,3,4", "2,3,2,2", "4,3"}) {
    Model m = model(R"(<topology name="t"><input name="x" shape=")" + shape +
                    R"("/><layer name="b" type="batchnorm" epsilon="0.001"/></topology>)");
    const Shape& in = m.input_shape();
    const Tensor x = random_tensor(in, 4, -3, 3);
    const std::int64_t inner = element_count(in) / (in[0] * 3);
    std::vector<float> expected;
    for (std::int64_t i = 0; i < x.elements(); ++i) {
      const std::int64_t c = (i / inner) % 3;
      expected.push_back(static_cast<float>(m.w("b", "scale")[c] * (x.as<float>()[i] - m.w("b", "mean")[c]) /
                                                std::sqrt(m.w("b", "variance")[c] + 0.001) +
                                            m.w("b", "shift")[c]));
    }
    expect_close(m.run(x), in, expected);
  }
}

TEST(ReferenceLayernorm, ByHandAndAgainstFormula) {
  Model m = model(
      R"(<topology name="t"><input name="x" shape="2,3"/><layer name="n" type="layernorm"/></topology>)");
  m.set("n", "scale", {1, 1, 2});
  m.set("n", "shift", {0, 0, 1});
  // Row [1, 2, 3]: mean 2, biased variance 2/3.
  const double s = 1.0 / std::sqrt(2.0 / 3.0 + 1e-5);
  expect_close(m.run(make_tensor({2, 3}, {1, 2, 3, 5, 5, 5})), {2, 3},
               {static_cast<float>(-s), 0, static_cast<float>(2 * s + 1), 0, 0, 1});

  Model r = model(
      R"(<topology name="t"><input name="x" shape="3,2,7"/><layer name="n" type="layernorm"/></topology>)");
  const Tensor x = random_tensor({3, 2, 7}, 8, -2, 5);
  std::vector<float> expected;
  for (int row = 0; row < 6; ++row) {
    const float* v = x.as<float>() + row * 7;
    double mean = 0, var = 0;
    for (int i = 0; i < 7; ++i)
      mean += v[i] / 7.0;
    for (int i = 0; i < 7; ++i)
      var += (v[i] - mean) * (v[i] - mean) / 7.0;
    for (int i = 0; i < 7; ++i)
      expected.push_back(static_cast<float>(r.w("n", "scale")[i] * (v[i] - mean) / std::sqrt(var + 1e-5) +
                                            r.w("n", "shift")[i]));
  }
  expect_close(r.run(x), {3, 2, 7}, expected);
}

}  // namespace
}  // namespace ntp::testing
