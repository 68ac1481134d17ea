#include "op_test_util.h"

namespace {

using ntp::Shape;
using ntp::test::build;
using ntp::test::input;
using ntp::test::refusal;

TEST(LoadedBinary, BroadcastingAndCost) {
  const auto r = build(input("a", "4,1,3") + input("b", "5,1") + input("c", "3"),
                       R"(<layer name="s" type="add" inputs="a,b,c"/>)");
  EXPECT_EQ(r.shape("s"), (Shape{4, 5, 3}));
  EXPECT_DOUBLE_EQ(r.last().cost.flops, 2.0 * 60);  // two additions per output element
  const auto m = build(input("a", "2,3") + input("b", "2,3"), R"(<layer name="m" type="mul" inputs="a,b"/>)");
  EXPECT_EQ(m.shape("m"), (Shape{2, 3}));
  const std::string error =
      refusal(input("a", "2,3") + input("b", "2,4"), R"(<layer name="m" type="mul" inputs="a,b"/>)");
  EXPECT_NE(error.find("shapes [2, 3] and [2, 4] do not broadcast"), std::string::npos) << error;
  EXPECT_NE(
      refusal(input("a", "2,3"), R"(<layer name="m" type="add"/>)").find("takes 2 or more inputs, got 1"),
      std::string::npos);
}

TEST(LoadedConcat, JoinsAlongAnAxis) {
  const auto r = build(input("a", "2,3,4") + input("b", "2,5,4"),
                       R"(<layer name="c" type="concat" axis="1" inputs="a,b"/>)");
  EXPECT_EQ(r.shape("c"), (Shape{2, 8, 4}));
  EXPECT_DOUBLE_EQ(r.last().cost.flops, 0);
  EXPECT_NE(
      refusal(input("a", "2,3,4") + input("b", "2,5,4"), R"(<layer name="c" type="concat" inputs="a,b"/>)")
          .find("cannot concatenate"),
      std::string::npos);
}

TEST(LoadedSplit, EqualPartsAndSizesMakeSeveralOutputs) {
  const auto r =
      build(input("x", "2,6"),
            R"(<layer name="s" type="split" parts="3"/><layer name="f" type="fc" units="2" inputs="s:2"/>)");
  EXPECT_EQ(r.shape("s"), (Shape{2, 2}));
  EXPECT_EQ(r.shape("s:2"), (Shape{2, 2}));
  EXPECT_EQ(r.shape("f"), (Shape{2, 2}));
  const auto sized = build(input("x", "7,2"), R"(<layer name="s" type="split" axis="0" sizes="2,5"/>)");
  EXPECT_EQ(sized.shape("s:1"), (Shape{5, 2}));
  EXPECT_NE(refusal(input("x", "2,7"), R"(<layer name="s" type="split" parts="2"/>)").find("equal parts"),
            std::string::npos);
  EXPECT_NE(refusal(input("x", "2,7"), R"(<layer name="s" type="split" sizes="3,3"/>)").find("sum to 6"),
            std::string::npos);
}

TEST(LoadedReshape, ZeroCopiesAndMinusOneInfers) {
  const auto r = build(input("x", "6,1,4,5"), R"(<layer name="r" type="reshape" shape="0,0,-1"/>)");
  EXPECT_EQ(r.shape("r"), (Shape{6, 1, 20}));
  EXPECT_NE(
      refusal(input("x", "6,4"), R"(<layer name="r" type="reshape" shape="5,-1"/>)").find("cannot reshape"),
      std::string::npos);
  EXPECT_NE(
      refusal(input("x", "6,4"), R"(<layer name="r" type="reshape" shape="-1,-1"/>)").find("only one -1"),
      std::string::npos);
}

TEST(LoadedTranspose, PermutesAxes) {
  const auto r = build(input("x", "1,32,41,150"), R"(<layer name="t" type="transpose" perm="3,0,1,2"/>)");
  EXPECT_EQ(r.shape("t"), (Shape{150, 1, 32, 41}));
  EXPECT_NE(refusal(input("x", "2,3"), R"(<layer name="t" type="transpose" perm="0,0"/>)")
                .find("not a permutation"),
            std::string::npos);
}

TEST(LoadedFlatten, AndDropout) {
  const auto f = build(input("x", "2,3,4,5"), R"(<layer name="f" type="flatten" axis="2"/>)");
  EXPECT_EQ(f.shape("f"), (Shape{6, 20}));
  const auto d = build(input("x", "2,3"), R"(<layer name="d" type="dropout" ratio="0.2"/>)");
  EXPECT_EQ(d.shape("d"), (Shape{2, 3}));
  EXPECT_DOUBLE_EQ(d.last().cost.flops, 0);
  EXPECT_NE(refusal(input("x", "2,3"), R"(<layer name="f" type="flatten" axis="3"/>)").find("out of range"),
            std::string::npos);
}

}  // namespace
