#include "ref_test_util.h"

namespace ntp::testing {
namespace {

TEST(ReferenceConv1d, ByHandWithPadding) {
  for (const auto& [padding, expected] :
       std::vector<std::pair<int, std::vector<float>>>{{0, {-1, -1, -1}}, {1, {-1, -1, -1, -1, 4}}}) {
    Model m = model(R"(<topology name="t"><input name="x" shape="1,1,4"/>
      <layer name="c" type="conv1d" filters="1" kernel="2" bias="0" padding=")" +
                    std::to_string(padding) + R"("/></topology>)");
    m.set("c", "weight", {1, -1});
    const Tensor y = m.run(make_tensor({1, 1, 4}, {1, 2, 3, 4}));
    expect_close(y, {1, 1, static_cast<std::int64_t>(expected.size())}, expected);
  }
}

// The direct sum of the definition, for [N, C, H, W] (conv1d: H = 1).
struct ConvCase {
  std::int64_t n, c, h, w, filters, kh, kw, sh, sw, ph, pw, dh, dw, groups;
};

std::vector<float> direct_convolution(const ConvCase& k, const Tensor& x, const float* weight,
                                      const float* bias, bool relu, std::int64_t& out_h,
                                      std::int64_t& out_w) {
  out_h = (k.h + 2 * k.ph - k.dh * (k.kh - 1) - 1) / k.sh + 1;
  out_w = (k.w + 2 * k.pw - k.dw * (k.kw - 1) - 1) / k.sw + 1;
  const std::int64_t cg = k.c / k.groups;
  const std::int64_t fg = k.filters / k.groups;
  auto input = [&](std::int64_t n, std::int64_t c, std::int64_t i, std::int64_t j) -> double {
    if (i < 0 || i >= k.h || j < 0 || j >= k.w) return 0.0;
    return x.as<float>()[((n * k.c + c) * k.h + i) * k.w + j];
  };
  std::vector<float> y;
  for (std::int64_t n = 0; n < k.n; ++n)
    for (std::int64_t f = 0; f < k.filters; ++f)
      for (std::int64_t oh = 0; oh < out_h; ++oh)
        for (std::int64_t ow = 0; ow < out_w; ++ow) {
          double sum = bias != nullptr ? bias[f] : 0.0;
          const std::int64_t g = f / fg;
          for (std::int64_t c = 0; c < cg; ++c)
            for (std::int64_t i = 0; i < k.kh; ++i)
              for (std::int64_t j = 0; j < k.kw; ++j)
                sum += weight[((f * cg + c) * k.kh + i) * k.kw + j] *
                       input(n, g * cg + c, oh * k.sh - k.ph + i * k.dh, ow * k.sw - k.pw + j * k.dw);
          y.push_back(static_cast<float>(relu ? std::max(sum, 0.0) : sum));
        }
  return y;
}

TEST(ReferenceConv1d, StrideDilationGroupsAgainstDirectSum) {
  const ConvCase k{2, 4, 1, 9, 6, 1, 3, 1, 2, 0, 1, 1, 2, 2};
  Model m = model(R"(<topology name="t"><input name="x" shape="2,4,9"/>
    <layer name="c" type="conv1d" filters="6" kernel="3" stride="2" padding="1" dilation="2" groups="2"/>
    </topology>)");
  const Tensor x = random_tensor({2, 4, 9}, 5);
  std::int64_t out_h = 0, out_w = 0;
  const auto expected = direct_convolution(k, x.reshaped({2, 4, 1, 9}), m.w("c", "weight"), m.w("c", "bias"),
                                           false, out_h, out_w);
  expect_close(m.run(x), {2, 6, out_w}, expected);
}

TEST(ReferenceConv2d, AsymmetricAttributesGroupsAndReluAgainstDirectSum) {
  const ConvCase k{1, 4, 5, 6, 4, 3, 2, 2, 1, 1, 0, 1, 2, 2};
  Model m = model(R"(<topology name="t"><input name="x" shape="1,4,5,6"/>
    <layer name="c" type="conv2d" filters="4" kernel="3,2" stride="2,1" padding="1,0" dilation="1,2" groups="2"
           activation="relu"/></topology>)");
  const Tensor x = random_tensor({1, 4, 5, 6}, 6);
  std::int64_t out_h = 0, out_w = 0;
  const auto expected = direct_convolution(k, x, m.w("c", "weight"), m.w("c", "bias"), true, out_h, out_w);
  expect_close(m.run(x), {1, 4, out_h, out_w}, expected);
}

TEST(ReferenceConv2d, DepthwiseWithoutBiasAgainstDirectSum) {
  const ConvCase k{2, 3, 4, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1, 3};
  Model m = model(R"(<topology name="t"><input name="x" shape="2,3,4,4"/>
    <layer name="c" type="conv2d" filters="3" kernel="3" padding="1" groups="3" bias="0"/></topology>)");
  const Tensor x = random_tensor({2, 3, 4, 4}, 7);
  std::int64_t out_h = 0, out_w = 0;
  const auto expected = direct_convolution(k, x, m.w("c", "weight"), nullptr, false, out_h, out_w);
  expect_close(m.run(x), {2, 3, 4, 4}, expected);
}

}  // namespace
}  // namespace ntp::testing
