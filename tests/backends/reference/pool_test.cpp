#include <limits>

#include "ref_test_util.h"

namespace ntp::testing {
namespace {

Tensor run_one(const std::string& shape, const std::string& layer, const Tensor& x) {
  return model(R"(<topology name="t"><input name="x" shape=")" + shape + R"("/>)" + layer + "</topology>")
      .run(x);
}

TEST(ReferencePool, MaxAndAverage1dByHand) {
  const Tensor x = make_tensor({1, 1, 5}, {1, -2, 3, 5, -4});
  expect_close(run_one("1,1,5", R"(<layer name="p" type="maxpool" kernel="2"/>)", x), {1, 1, 2}, {1, 5});
  expect_close(run_one("1,1,5", R"(<layer name="p" type="maxpool" kernel="2" stride="1"/>)", x), {1, 1, 4},
               {1, 3, 5, 5});
  // Padding: windows [pad, 1], [-2, 3], [5, -4]; max ignores the padding.
  expect_close(run_one("1,1,5", R"(<layer name="p" type="maxpool" kernel="2" padding="1"/>)", x), {1, 1, 3},
               {1, 3, 5});
  expect_close(run_one("1,1,5", R"(<layer name="p" type="avgpool" kernel="2" padding="1"/>)", x), {1, 1, 3},
               {1, 0.5F, 0.5F});
  expect_close(
      run_one("1,1,5", R"(<layer name="p" type="avgpool" kernel="2" padding="1" count_include_pad="1"/>)", x),
      {1, 1, 3}, {0.5F, 0.5F, 0.5F});
}

TEST(ReferencePool, TwoDimensionalWithStrideAndPaddingAgainstWindows) {
  const Tensor x = random_tensor({2, 3, 5, 6}, 9);
  for (const bool average : {false, true}) {
    const Tensor y = run_one("2,3,5,6",
                             std::string(R"(<layer name="p" type=")") + (average ? "avgpool" : "maxpool") +
                                 R"(" kernel="3,2" stride="2,3" padding="1,1"/>)",
                             x);
    const int out_h = (5 + 2 - 3) / 2 + 1, out_w = (6 + 2 - 2) / 3 + 1;
    std::vector<float> expected;
    for (int p = 0; p < 6; ++p)
      for (int oh = 0; oh < out_h; ++oh)
        for (int ow = 0; ow < out_w; ++ow) {
          double sum = 0, best = -std::numeric_limits<double>::infinity();
          int count = 0;
          for (int i = oh * 2 - 1; i < oh * 2 - 1 + 3; ++i)
            for (int j = ow * 3 - 1; j < ow * 3 - 1 + 2; ++j) {
              if (i < 0 || i >= 5 || j < 0 || j >= 6) continue;
              const double v = x.as<float>()[(p * 5 + i) * 6 + j];
              sum += v;
              best = std::max(best, v);
              ++count;
            }
          expected.push_back(static_cast<float>(average ? sum / count : best));
        }
    expect_close(y, {2, 3, out_h, out_w}, expected);
  }
}

TEST(ReferencePool, GlobalPoolsKeepTheRank) {
  const Tensor x = make_tensor({1, 2, 2, 2}, {1, 2, 3, 6, -1, -2, -3, -6});
  expect_close(run_one("1,2,2,2", R"(<layer name="p" type="global_avgpool"/>)", x), {1, 2, 1, 1}, {3, -3});
  expect_close(run_one("1,2,2,2", R"(<layer name="p" type="global_maxpool"/>)", x), {1, 2, 1, 1}, {6, -1});
  const Tensor x1 = make_tensor({2, 1, 3}, {1, 2, 6, 0, -3, 3});
  expect_close(run_one("2,1,3", R"(<layer name="p" type="global_avgpool"/>)", x1), {2, 1, 1}, {3, 0});
}

}  // namespace
}  // namespace ntp::testing
