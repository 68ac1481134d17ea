#include <gtest/gtest.h>

#include <cmath>

#include "ntp/topology.h"
#include "ntp/weights.h"

namespace {

TEST(SeededRandom, SameSeedAndKeySameStreamOtherKeysDiffer) {
  ntp::SeededRandom a(7, "fc1/weight");
  ntp::SeededRandom b(7, "fc1/weight");
  ntp::SeededRandom c(7, "fc2/weight");
  ntp::SeededRandom d(8, "fc1/weight");
  const double first = a.uniform();
  EXPECT_EQ(first, b.uniform());
  EXPECT_NE(first, c.uniform());
  EXPECT_NE(first, d.uniform());
}

TEST(SeededRandom, DistributionsHaveTheirMoments) {
  ntp::SeededRandom random(1, "moments");
  ntp::Tensor tensor({100000}, ntp::DType::f32);
  random.fill(tensor, {ntp::Distribution::Kind::uniform, -3, 3});
  double sum = 0, squares = 0, low = 0, high = 0;
  for (std::int64_t i = 0; i < tensor.elements(); ++i) {
    const double x = tensor.as<float>()[i];
    sum += x;
    squares += x * x;
    low = std::min(low, x);
    high = std::max(high, x);
  }
  EXPECT_NEAR(sum / 1e5, 0.0, 0.05);
  EXPECT_NEAR(squares / 1e5, 3.0, 0.05);  // variance of U(-3, 3) is 36/12
  EXPECT_GE(low, -3.0);
  EXPECT_LT(high, 3.0);
  random.fill(tensor, {ntp::Distribution::Kind::normal, 1, 2});
  sum = squares = 0;
  for (std::int64_t i = 0; i < tensor.elements(); ++i) {
    sum += tensor.as<float>()[i];
    squares += (tensor.as<float>()[i] - 1.0) * (tensor.as<float>()[i] - 1.0);
  }
  EXPECT_NEAR(sum / 1e5, 1.0, 0.05);
  EXPECT_NEAR(std::sqrt(squares / 1e5), 2.0, 0.05);
}

TEST(Weights, GeneratedForEveryDeclaredWeightIndependentOfOtherLayers) {
  const auto small = ntp::parse_topology(R"(<topology name="t"><input name="x" shape="2,3"/>
      <layer name="a" type="fc" units="4"/></topology>)",
                                         "t.xml");
  const auto bigger = ntp::parse_topology(R"(<topology name="t"><input name="x" shape="2,3"/>
      <layer name="a" type="fc" units="4"/><layer name="b" type="fc" units="5"/></topology>)",
                                          "t.xml");
  ASSERT_TRUE(small.ok());
  ASSERT_TRUE(bigger.ok());
  const auto one = ntp::generate_weights(small.value(), 3);
  const auto two = ntp::generate_weights(bigger.value(), 3);
  EXPECT_EQ(one.size(), 2U);
  EXPECT_EQ(two.size(), 4U);
  const ntp::Tensor& weight = one.at({"a", "weight"});
  EXPECT_EQ(weight.shape(), (ntp::Shape{4, 3}));
  for (std::int64_t i = 0; i < weight.elements(); ++i) {
    EXPECT_EQ(weight.as<float>()[i], two.at({"a", "weight"}).as<float>()[i]);
    EXPECT_LE(std::fabs(weight.as<float>()[i]), 1 / std::sqrt(3.0));  // fan-in uniform bound
  }
}

}  // namespace
