#include <limits>
#include <numeric>

#include "ref_test_util.h"

namespace ntp::testing {
namespace {

Tensor convert(const std::string& attrs, const Tensor& x) {
  std::string shape;
  for (const auto d : x.shape())
    shape += (shape.empty() ? "" : ",") + std::to_string(d);
  return model(R"(<topology name="t"><input name="x" shape=")" + shape +
               R"("/><layer name="c" type="convert" )" + attrs + "/></topology>")
      .run(x);
}

TEST(ReferenceConvert, MemcpyAndSameTypeAreIdentity) {
  const Tensor x = random_tensor({3, 4}, 2);
  expect_close(
      model(R"(<topology name="t"><input name="x" shape="3,4"/><layer name="m" type="memcpy"/></topology>)")
          .run(x),
      x, 0);
  expect_close(convert("", x), x, 0);
  expect_close(convert(R"(to="fp32")", x), x, 0);
}

TEST(ReferenceConvert, Bf16RoundsToNearestEven) {
  // bf16 keeps 7 fraction bits: spacing 2^-7 in [1, 2).
  const Tensor x =
      make_tensor({5}, {1.0F + 0x1p-8F, 1.0F + 3 * 0x1p-8F, 1.0F + 0x1p-8F + 0x1p-12F, -2.5F, 0});
  expect_close(convert(R"(to="bf16")", x), {5}, {1.0F, 1.0F + 0x1p-6F, 1.0F + 0x1p-7F, -2.5F, 0}, 0);
}

TEST(ReferenceConvert, Fp16RoundsOverflowsAndUnderflows) {
  const Tensor x = make_tensor({6}, {1.0F + 0x1p-11F, 1.0F + 3 * 0x1p-11F, 65519, 65520, 1e-8F, 3e-8F});
  const float inf = std::numeric_limits<float>::infinity();
  expect_close(convert(R"(to="fp16")", x), {6}, {1.0F, 1.0F + 0x1p-9F, 65504, inf, 0, 0x1p-24F}, 0);
}

TEST(ReferenceConvert, Int8AndUint8FakeQuantise) {
  const Tensor x = make_tensor({6}, {1.3F, 100, -100, 0.25F, 0.75F, -0.3F});
  // scale 0.5: q = clamp(round_half_even(x / 0.5), -128, 127); y = q * 0.5.
  expect_close(convert(R"(to="int8" scale="0.5")", x), {6}, {1.5F, 63.5F, -64, 0, 1, -0.5F});
  // uint8 with zero point 128 and scale 0.1: y = (clamp(round(x / 0.1) + 128, 0, 255) - 128) * 0.1.
  const Tensor u = make_tensor({4}, {-1, -20, 20, 0.04F});
  expect_close(convert(R"(to="uint8" scale="0.1" zero_point="128")", u), {4}, {-1, -12.8F, 12.7F, 0});
}

TEST(ReferenceConvert, LayoutPermutations) {
  Tensor x({2, 3, 2, 2}, DType::f32);
  std::iota(x.as<float>(), x.as<float>() + x.elements(), 0.0F);
  std::vector<float> nhwc;  // y[n][h][w][c] = x[n][c][h][w]
  for (int n = 0; n < 2; ++n)
    for (int h = 0; h < 2; ++h)
      for (int w = 0; w < 2; ++w)
        for (int c = 0; c < 3; ++c)
          nhwc.push_back(x.as<float>()[((n * 3 + c) * 2 + h) * 2 + w]);
  expect_close(convert(R"(layout="nchw->nhwc")", x), {2, 2, 2, 3}, nhwc, 0);
  // And back.
  expect_close(convert(R"(layout="nhwc->nchw")", make_tensor({2, 2, 2, 3}, nhwc)), x, 0);

  Tensor t({3, 2, 4}, DType::f32);
  std::iota(t.as<float>(), t.as<float>() + t.elements(), 0.0F);
  std::vector<float> ntc;  // y[n][t][c] = x[t][n][c]
  for (int n = 0; n < 2; ++n)
    for (int s = 0; s < 3; ++s)
      for (int c = 0; c < 4; ++c)
        ntc.push_back(t.as<float>()[(s * 2 + n) * 4 + c]);
  expect_close(convert(R"(layout="tnc->ntc")", t), {2, 3, 4}, ntc, 0);
  expect_close(convert(R"(layout="ntc->tnc")", make_tensor({2, 3, 4}, ntc)), t, 0);
  // Layout and precision together.
  const Tensor both = convert(R"(layout="tnc->ntc" to="int8" scale="4")", t);
  std::vector<float> quantised;
  for (const float v : ntc)
    quantised.push_back(4 * std::nearbyint(v / 4));
  expect_close(both, {2, 3, 4}, quantised, 0);
}

}  // namespace
}  // namespace ntp::testing
