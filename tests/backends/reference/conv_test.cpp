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

TEST(ReferenceConvTranspose1d, ByHandWithStridePaddingAndOutputPadding) {
  // x0 scatters 1*[1, 10, 100] at 0, x1 scatters 2*[1, 10, 100] at 2: [1, 10, 102, 20, 200] uncropped.
  for (const auto& [attributes, expected] : std::vector<std::pair<std::string, std::vector<float>>>{
           {R"(padding="0")", {1, 10, 102, 20, 200}},
           {R"(padding="1")", {10, 102, 20}},
           {R"(padding="1" output_padding="1")", {10, 102, 20, 200}}}) {
    SCOPED_TRACE(attributes);
    Model m = model(R"(<topology name="t"><input name="x" shape="1,1,2"/>
      <layer name="c" type="conv_transpose1d" filters="1" kernel="3" stride="2" bias="0" )" +
                    attributes + R"(/></topology>)");
    m.set("c", "weight", {1, 10, 100});
    expect_close(m.run(make_tensor({1, 1, 2}, {1, 2})), {1, 1, static_cast<std::int64_t>(expected.size())},
                 expected);
  }
}

double dot(const Tensor& a, const Tensor& b) {
  double sum = 0;
  for (std::int64_t i = 0; i < a.elements(); ++i)
    sum += static_cast<double>(a.as<float>()[i]) * b.as<float>()[i];
  return sum;
}

// The transposed convolution is the adjoint of the convolution with the same weights (bias 0):
// <conv(x), y> = <x, conv_transpose(y)>, for strides, padding, dilation and groups in 2-D.
TEST(ReferenceConvTranspose2d, IsTheAdjointOfTheConvolution) {
  Model conv = model(R"(<topology name="t"><input name="x" shape="2,4,9,8"/>
    <layer name="c" type="conv2d" filters="6" kernel="3,2" stride="2,3" padding="1,1" dilation="1,2" groups="2"
           bias="0"/></topology>)");
  const Tensor x = random_tensor({2, 4, 9, 8}, 8);
  const Tensor conv_x = conv.run(x);
  ASSERT_EQ(conv_x.shape(), (Shape{2, 6, 5, 3}));
  // (5-1)*2 - 2 + 2 + 1 = 9 rows; (3-1)*3 - 2 + 2 + op + 1 = 8 columns with output_padding 1.
  Model transposed = model(R"(<topology name="t"><input name="y" shape="2,6,5,3"/>
    <layer name="t" type="conv_transpose2d" filters="4" kernel="3,2" stride="2,3" padding="1,1"
           output_padding="0,1" dilation="1,2" groups="2" bias="0"/></topology>)");
  const float* weight = conv.w("c", "weight");
  transposed.set("t", "weight", std::vector<float>(weight, weight + 6 * 2 * 3 * 2));
  const Tensor y = random_tensor({2, 6, 5, 3}, 9);
  const Tensor transposed_y = transposed.run(y);
  ASSERT_EQ(transposed_y.shape(), x.shape());
  EXPECT_NEAR(dot(conv_x, y), dot(x, transposed_y), 1e-4 * std::abs(dot(conv_x, y)));
}

}  // namespace
}  // namespace ntp::testing
