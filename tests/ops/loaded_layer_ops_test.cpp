// Shape inference, weights and cost of every layer op, each figure worked out by hand in the comment.
#include "op_test_util.h"

namespace {

using ntp::Shape;
using ntp::test::build;
using ntp::test::input;
using ntp::test::refusal;

TEST(LoadedFc, LastAxisWeightsAndCost) {
  const auto r = build(input("x", "5,2,8"), R"(<layer name="l" type="fc" units="3" activation="relu"/>)");
  EXPECT_EQ(r.shape("l"), (Shape{5, 2, 3}));
  EXPECT_EQ(r.last().params, 8 * 3 + 3);
  // 10 rows: 2*10*8*3 = 480 multiply-add FLOPs, + 30 bias + 30 relu.
  EXPECT_DOUBLE_EQ(r.last().cost.flops, 540);
  // read x (80 floats) + weights (27 floats), write 30 floats.
  EXPECT_DOUBLE_EQ(r.last().cost.bytes_read, (80 + 27) * 4);
  EXPECT_DOUBLE_EQ(r.last().cost.bytes_written, 30 * 4);
  const auto no_bias = build(input("x", "4,8"), R"(<layer name="l" type="fc" units="3" bias="0"/>)");
  EXPECT_EQ(no_bias.last().params, 24);
  EXPECT_DOUBLE_EQ(no_bias.last().cost.flops, 2 * 4 * 8 * 3);
  EXPECT_NE(
      refusal(input("x", "4,8"), R"(<layer name="l" type="fc" units="-2"/>)").find("units must be positive"),
      std::string::npos);
}

TEST(LoadedMatmul, BroadcastsBatchAndChecksInnerDimensions) {
  const auto r =
      build(input("a", "2,1,4,5") + input("b", "3,5,6"), R"(<layer name="m" type="matmul" inputs="a,b"/>)");
  EXPECT_EQ(r.shape("m"), (Shape{2, 3, 4, 6}));
  EXPECT_DOUBLE_EQ(r.last().cost.flops, 2.0 * 6 * 4 * 5 * 6);  // 6 batches of 4x5 @ 5x6
  const auto t = build(input("a", "4,5") + input("b", "6,5"),
                       R"(<layer name="m" type="matmul" inputs="a,b" transpose_b="1"/>)");
  EXPECT_EQ(t.shape("m"), (Shape{4, 6}));
  EXPECT_NE(refusal(input("a", "4,5") + input("b", "6,5"), R"(<layer name="m" type="matmul" inputs="a,b"/>)")
                .find("inner dimensions differ"),
            std::string::npos);
}

TEST(LoadedEmbedding, GathersRowsOnly) {
  const auto r =
      build(input("ids", "2,7", "int64"), R"(<layer name="e" type="embedding" vocab="1000" dim="16"/>)");
  EXPECT_EQ(r.shape("e"), (Shape{2, 7, 16}));
  EXPECT_EQ(r.dtype("e"), ntp::DType::f32);
  EXPECT_EQ(r.last().params, 16000);
  EXPECT_DOUBLE_EQ(r.last().cost.flops, 0);
  // ids (14 int64) + 14 gathered rows of 16 floats, not the whole table.
  EXPECT_DOUBLE_EQ(r.last().cost.bytes_read, 14 * 8 + 14 * 16 * 4);
}

TEST(LoadedConv, OutputSizesWeightsAndFlops) {
  // conv2d 41x11, stride 2x2, padding 20x5 on 161x300: (161+40-41)/2+1 = 81, (300+10-11)/2+1 = 150.
  const auto r =
      build(input("x", "1,1,161,300"),
            R"(<layer name="c" type="conv2d" filters="32" kernel="41,11" stride="2,2" padding="20,5"/>)");
  EXPECT_EQ(r.shape("c"), (Shape{1, 32, 81, 150}));
  EXPECT_EQ(r.last().params, 32 * 41 * 11 + 32);
  // 2 * outputs * (1 * 41 * 11) + one bias add per output.
  const double outputs = 32.0 * 81 * 150;
  EXPECT_DOUBLE_EQ(r.last().cost.flops, 2 * outputs * 451 + outputs);

  // Dilation and groups: depthwise 3-tap conv1d, dilation 2: span 5, (20 + 0 - 5)/1 + 1 = 16.
  const auto g =
      build(input("x", "2,8,20"),
            R"(<layer name="c" type="conv1d" filters="8" kernel="3" dilation="2" groups="8" bias="0"/>)");
  EXPECT_EQ(g.shape("c"), (Shape{2, 8, 16}));
  EXPECT_EQ(g.last().params, 8 * 1 * 3);
  EXPECT_DOUBLE_EQ(g.last().cost.flops, 2.0 * 2 * 8 * 16 * 3);

  EXPECT_NE(
      refusal(input("x", "1,6,10,10"), R"(<layer name="c" type="conv2d" filters="4" kernel="3" groups="4"/>)")
          .find("divide into 4 groups"),
      std::string::npos);
  EXPECT_NE(refusal(input("x", "1,1,4,4"), R"(<layer name="c" type="conv2d" filters="4" kernel="5"/>)")
                .find("does not fit"),
            std::string::npos);
  EXPECT_NE(refusal(input("x", "1,1,4"), R"(<layer name="c" type="conv2d" filters="4" kernel="3"/>)")
                .find("rank 4"),
            std::string::npos);
  EXPECT_NE(refusal(input("x", "1,1,9,9"), R"(<layer name="c" type="conv2d" filters="4" kernel="3,3,3"/>)")
                .find("3 values for 2"),
            std::string::npos);
}

TEST(LoadedPool, WindowsAndGlobalPools) {
  const auto r = build(input("x", "1,3,32,32"), R"(<layer name="p" type="maxpool" kernel="2"/>)");
  EXPECT_EQ(r.shape("p"), (Shape{1, 3, 16, 16}));
  EXPECT_DOUBLE_EQ(r.last().cost.flops, 3.0 * 16 * 16 * 4);  // 4 elements per window
  const auto a =
      build(input("x", "1,3,10"), R"(<layer name="p" type="avgpool" kernel="3" stride="2" padding="1"/>)");
  EXPECT_EQ(a.shape("p"), (Shape{1, 3, 5}));  // (10 + 2 - 3)/2 + 1
  const auto g = build(input("x", "2,5,7,9"), R"(<layer name="p" type="global_avgpool"/>)");
  EXPECT_EQ(g.shape("p"), (Shape{2, 5, 1, 1}));
  EXPECT_DOUBLE_EQ(g.last().cost.flops, 2.0 * 5 * 7 * 9);
  const auto m = build(input("x", "2,5,7"), R"(<layer name="p" type="global_maxpool"/>)");
  EXPECT_EQ(m.shape("p"), (Shape{2, 5, 1}));
  EXPECT_NE(refusal(input("x", "1,3,4,4"), R"(<layer name="p" type="maxpool" kernel="2" padding="2"/>)")
                .find("more than half"),
            std::string::npos);
}

TEST(LoadedNorm, BatchnormAndLayernorm) {
  const auto b = build(input("x", "2,4,3,3"), R"(<layer name="n" type="batchnorm"/>)");
  EXPECT_EQ(b.shape("n"), (Shape{2, 4, 3, 3}));
  EXPECT_EQ(b.last().params, 16);  // scale, shift, mean, variance per channel
  EXPECT_DOUBLE_EQ(b.last().cost.flops, 2.0 * 72);
  const auto& variance = b.graph.nodes[0].weights[3];
  EXPECT_EQ(variance.name, "variance");
  EXPECT_GT(variance.distribution.a, 0.0);  // a positive variance, so the seeded layer is well defined
  const auto l = build(input("x", "2,5,6"), R"(<layer name="n" type="layernorm"/>)");
  EXPECT_EQ(l.last().params, 12);
  EXPECT_DOUBLE_EQ(l.last().cost.flops, 8.0 * 60);
}

TEST(LoadedActivation, ElementwiseAndSoftmax) {
  for (const char* op : {"relu", "leaky_relu", "tanh", "sigmoid", "gelu", "hardtanh"}) {
    const auto r = build(input("x", "3,4"), std::string("<layer name=\"a\" type=\"") + op + "\"/>");
    EXPECT_EQ(r.shape("a"), (Shape{3, 4})) << op;
    EXPECT_DOUBLE_EQ(r.last().cost.flops, 12) << op;
    EXPECT_DOUBLE_EQ(r.last().cost.bytes_moved(), 2 * 12 * 4) << op;
  }
  const auto s = build(input("x", "3,4"), R"(<layer name="s" type="log_softmax" axis="0"/>)");
  EXPECT_DOUBLE_EQ(s.last().cost.flops, 60);
  EXPECT_NE(refusal(input("x", "3,4"), R"(<layer name="s" type="softmax" axis="2"/>)").find("out of range"),
            std::string::npos);
  EXPECT_NE(refusal(input("x", "3,4"), R"(<layer name="s" type="gelu" approximate="fast"/>)")
                .find("not a valid approximate"),
            std::string::npos);
}

TEST(LoadedRecurrent, LstmWeightsShapesAndCost) {
  // T=5, N=2, I=3, H=4, bidirectional concat.
  const auto r =
      build(input("x", "5,2,3"), R"(<layer name="l" type="lstm" hidden="4" direction="bidirectional"/>)");
  EXPECT_EQ(r.shape("l"), (Shape{5, 2, 8}));
  // per direction: w_ih 16x3 + w_hh 16x4 + b 16 = 128
  EXPECT_EQ(r.last().params, 256);
  const auto& weights = r.graph.nodes[0].weights;
  ASSERT_EQ(weights.size(), 6U);
  EXPECT_EQ(weights[3].name, "w_ih_l0_reverse");
  // per step and direction: 2*2*16*(3+4) = 448 + bias 2*16 = 32 + elementwise 9*2*4 = 72 -> 552; x5 steps x2
  // dirs.
  EXPECT_DOUBLE_EQ(r.last().cost.flops, 552.0 * 10);
  // default bytes + w_hh (2 x 16x4 floats) re-read on the 4 steps after the first.
  const double default_bytes = (30 + 256) * 4.0;
  EXPECT_DOUBLE_EQ(r.last().cost.bytes_read, default_bytes + 4 * 128 * 4.0);

  const auto sum = build(input("x", "5,2,3"),
                         R"(<layer name="l" type="lstm" hidden="4" direction="bidirectional" merge="sum"/>)");
  EXPECT_EQ(sum.shape("l"), (Shape{5, 2, 4}));
  const auto stacked =
      build(input("x", "5,2,3"),
            R"(<layer name="l" type="lstm" hidden="4" layers="2" direction="bidirectional"/>)");
  // layer 1 takes the concatenated 8: per direction 16x8 + 16x4 + 16 = 208.
  EXPECT_EQ(stacked.last().params, 256 + 2 * 208);
  EXPECT_NE(refusal(input("x", "5,3"), R"(<layer name="l" type="lstm" hidden="4"/>)").find("rank 3"),
            std::string::npos);
}

TEST(LoadedRecurrent, GruAndRnnWeights) {
  const auto g = build(input("x", "5,2,3"), R"(<layer name="g" type="gru" hidden="4" direction="reverse"/>)");
  EXPECT_EQ(g.shape("g"), (Shape{5, 2, 4}));
  EXPECT_EQ(g.last().params, 12 * 3 + 12 * 4 + 12 + 12);
  EXPECT_EQ(g.graph.nodes[0].weights[0].name, "w_ih_l0_reverse");
  const auto v = build(input("x", "5,2,3"), R"(<layer name="r" type="rnn" hidden="4" activation="relu"/>)");
  EXPECT_EQ(v.last().params, 4 * 3 + 4 * 4 + 4);
  // per step: 2*2*4*7 = 112 + bias 8 + elementwise 8 = 128; x5
  EXPECT_DOUBLE_EQ(v.last().cost.flops, 640);
}

TEST(LoadedAttention, SelfAndCrossAttention) {
  // N=2, T=6, E=8, 2 heads: projections 2*2*64*(12+12) = 6144, scores and sum 4*2*6*6*8 = 2304,
  // softmax 5*2*2*36 = 720.
  const auto r = build(input("x", "2,6,8"), R"(<layer name="a" type="attention" heads="2" causal="1"/>)");
  EXPECT_EQ(r.shape("a"), (Shape{2, 6, 8}));
  EXPECT_EQ(r.last().params, 4 * 64 + 4 * 8);
  EXPECT_DOUBLE_EQ(r.last().cost.flops, 6144 + 2304 + 720);
  const auto cross = build(input("q", "2,6,8") + input("kv", "2,10,8"),
                           R"(<layer name="a" type="attention" heads="4" inputs="q,kv,kv"/>)");
  EXPECT_EQ(cross.shape("a"), (Shape{2, 6, 8}));
  EXPECT_NE(
      refusal(input("x", "2,6,8"), R"(<layer name="a" type="attention" heads="3"/>)").find("does not divide"),
      std::string::npos);
  EXPECT_NE(refusal(input("q", "2,6,8") + input("kv", "2,10,8"),
                    R"(<layer name="a" type="attention" heads="2" causal="1" inputs="q,kv,kv"/>)")
                .find("causal"),
            std::string::npos);
}

}  // namespace
