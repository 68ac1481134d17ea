// Shape inference, weights and cost of fc, matmul, embedding, the convolutions and the pools, run directly
// on an OpContext; every figure is worked out by hand in the comment next to it.
#include <cmath>

#include "op_test_util.h"

namespace {

using ntp::DType;
using ntp::Shape;
using ntp::test::ints;
using ntp::test::OpHarness;
using ntp::test::refuses;

TEST(Fc, ShapeAndWeights) {
  OpHarness fc("fc", {{"units", 3}, {"activation", "relu"}}, {{5, 2, 8}});
  EXPECT_EQ(fc.out(), (Shape{5, 2, 3}));  // leading axes are batch axes
  EXPECT_EQ(fc.dtype(), DType::f32);
  EXPECT_EQ(fc.weight("weight").shape, (Shape{3, 8}));
  EXPECT_EQ(fc.weight("bias").shape, (Shape{3}));
  EXPECT_DOUBLE_EQ(fc.weight("weight").distribution.b, 1.0 / std::sqrt(8.0));  // fan_in = C = 8
  OpHarness no_bias("fc", {{"units", 3}, {"bias", 0}}, {{4, 8}});
  EXPECT_EQ(no_bias.weight_names(), (std::vector<std::string>{"weight"}));
  OpHarness half("fc", {{"units", 3}}, {{4, 8}}, {DType::bf16});
  EXPECT_EQ(half.dtype(), DType::bf16);  // output dtype follows input 0
}

TEST(Fc, Cost) {
  // 10 rows of 8 -> 3: 2*10*8*3 = 480 multiply-add FLOPs, + 30 bias adds + 30 relu.
  OpHarness fc("fc", {{"units", 3}, {"activation", "relu"}}, {{5, 2, 8}});
  const ntp::Cost cost = fc.cost();
  EXPECT_DOUBLE_EQ(cost.flops, 540);
  EXPECT_DOUBLE_EQ(cost.bytes_read, (80 + 24 + 3) * 4);  // x 80 + weight 24 + bias 3 floats
  EXPECT_DOUBLE_EQ(cost.bytes_written, 30 * 4);
  // Weights stored in bf16: x 80 floats + 27 two-byte weights.
  EXPECT_DOUBLE_EQ(fc.cost(DType::bf16).bytes_read, 80 * 4 + 27 * 2);
  // No bias, gelu: 2*4*8*3 = 192 + 12 activations.
  EXPECT_DOUBLE_EQ(
      OpHarness("fc", {{"units", 3}, {"bias", 0}, {"activation", "gelu"}}, {{4, 8}}).cost().flops, 204);
}

TEST(Fc, Refusals) {
  EXPECT_TRUE(refuses(OpHarness("fc", {{"units", 0}}, {{4, 8}}), "units must be positive"));
  EXPECT_TRUE(refuses(OpHarness("fc", {{"units", 3}}, {Shape{}}), "rank 1 to 8"));
  EXPECT_TRUE(refuses(OpHarness("fc", {{"units", 3}, {"clip", -1.0}}, {{4, 8}}), "clip -1"));
}

TEST(Matmul, BroadcastShapeAndCost) {
  OpHarness mm("matmul", {}, {{2, 1, 4, 5}, {3, 5, 6}});
  EXPECT_EQ(mm.out(), (Shape{2, 3, 4, 6}));  // batch [2, 1] x [3] -> [2, 3]
  EXPECT_TRUE(mm.infer().weights.empty());
  const ntp::Cost cost = mm.cost();
  EXPECT_DOUBLE_EQ(cost.flops, 2.0 * 6 * 4 * 5 * 6);        // 6 batches of 4x5 @ 5x6
  EXPECT_DOUBLE_EQ(cost.bytes_read, (40 + 90) * 4);         // A 40, B 90 floats
  EXPECT_DOUBLE_EQ(cost.bytes_written, 2 * 3 * 4 * 6 * 4);  // 144 floats
  OpHarness transposed("matmul", {{"transpose_b", 1}}, {{4, 5}, {6, 5}});
  EXPECT_EQ(transposed.out(), (Shape{4, 6}));
  EXPECT_DOUBLE_EQ(transposed.cost().flops, 2.0 * 4 * 5 * 6);
}

TEST(Matmul, Refusals) {
  EXPECT_TRUE(refuses(OpHarness("matmul", {}, {{4, 5}, {6, 5}}), "inner dimensions differ"));
  EXPECT_TRUE(refuses(OpHarness("matmul", {}, {{2, 4, 5}, {3, 5, 6}}),
                      "batch dimensions [2] and [3] do not broadcast"));
  EXPECT_TRUE(refuses(OpHarness("matmul", {}, {{5}, {5, 6}}), "matmul A must have rank 2 to 8"));
}

TEST(Embedding, ShapeWeightAndCost) {
  OpHarness emb("embedding", {{"vocab", 1000}, {"dim", 16}}, {{2, 7}}, {DType::s64});
  EXPECT_EQ(emb.out(), (Shape{2, 7, 16}));
  EXPECT_EQ(emb.dtype(), DType::f32);  // fp32 whatever the ids' type
  EXPECT_EQ(emb.weight("weight").shape, (Shape{1000, 16}));
  EXPECT_EQ(emb.weight("weight").distribution.kind, ntp::Distribution::Kind::normal);
  const ntp::Cost cost = emb.cost();
  EXPECT_DOUBLE_EQ(cost.flops, 0);
  // ids 14 int64 + 14 gathered rows of 16 floats, not the whole table.
  EXPECT_DOUBLE_EQ(cost.bytes_read, 14 * 8 + 14 * 16 * 4);
  EXPECT_DOUBLE_EQ(cost.bytes_written, 14 * 16 * 4);
  EXPECT_TRUE(refuses(OpHarness("embedding", {{"vocab", 10}, {"dim", 0}}, {{2}}), "dim must be positive"));
  EXPECT_TRUE(refuses(OpHarness("embedding", {{"vocab", -1}, {"dim", 4}}, {{2}}), "vocab must be positive"));
}

TEST(Conv2d, ShapeWeightsAndCost) {
  // DeepSpeech 2's first layer on 161 x 300: (161 + 40 - 41)/2 + 1 = 81, (300 + 10 - 11)/2 + 1 = 150.
  OpHarness conv(
      "conv2d",
      {{"filters", 32}, {"kernel", ints({41, 11})}, {"stride", ints({2, 2})}, {"padding", ints({20, 5})}},
      {{1, 1, 161, 300}});
  EXPECT_EQ(conv.out(), (Shape{1, 32, 81, 150}));
  EXPECT_EQ(conv.weight("weight").shape, (Shape{32, 1, 41, 11}));
  EXPECT_EQ(conv.weight("bias").shape, (Shape{32}));
  EXPECT_DOUBLE_EQ(conv.weight("weight").distribution.b, 1.0 / std::sqrt(451.0));  // fan_in 1*41*11
  const ntp::Cost cost = conv.cost();
  const double outputs = 32.0 * 81 * 150;                     // 388800
  EXPECT_DOUBLE_EQ(cost.flops, 2 * outputs * 451 + outputs);  // MACs over C/groups*kh*kw, + bias
  EXPECT_DOUBLE_EQ(cost.bytes_read, (161.0 * 300 + 32 * 451 + 32) * 4);
  EXPECT_DOUBLE_EQ(cost.bytes_written, outputs * 4);
}

TEST(Conv2d, SingleValuesGroupsAndActivation) {
  // kernel 3, padding 1 for both dims keeps 8x8; groups 2: weight [6, 4/2, 3, 3].
  OpHarness conv("conv2d",
                 {{"filters", 6}, {"kernel", 3}, {"padding", 1}, {"groups", 2}, {"activation", "relu"}},
                 {{2, 4, 8, 8}});
  EXPECT_EQ(conv.out(), (Shape{2, 6, 8, 8}));
  EXPECT_EQ(conv.weight("weight").shape, (Shape{6, 2, 3, 3}));
  // 768 outputs: 2*768*(2*9) = 27648, + 768 bias + 768 relu.
  EXPECT_DOUBLE_EQ(conv.cost().flops, 27648 + 768 + 768);
}

TEST(Conv1d, DilationStrideAndDepthwise) {
  // Depthwise 3-tap, dilation 2: span 5, (20 - 5)/1 + 1 = 16.
  OpHarness depthwise("conv1d", {{"filters", 8}, {"kernel", 3}, {"dilation", 2}, {"groups", 8}, {"bias", 0}},
                      {{2, 8, 20}});
  EXPECT_EQ(depthwise.out(), (Shape{2, 8, 16}));
  EXPECT_EQ(depthwise.weight_names(), (std::vector<std::string>{"weight"}));
  EXPECT_EQ(depthwise.weight("weight").shape, (Shape{8, 1, 3}));
  EXPECT_DOUBLE_EQ(depthwise.cost().flops, 2.0 * (2 * 8 * 16) * 3);  // 512 outputs x 1 channel x 3 taps
  // Stride 3, kernel 4 on 10: (10 - 4)/3 + 1 = 3; fan_in 3*4 = 12.
  OpHarness strided("conv1d", {{"filters", 2}, {"kernel", 4}, {"stride", 3}}, {{1, 3, 10}});
  EXPECT_EQ(strided.out(), (Shape{1, 2, 3}));
  EXPECT_DOUBLE_EQ(strided.weight("bias").distribution.b, 1.0 / std::sqrt(12.0));
  // 6 outputs: 2*6*12 = 144 + 6 bias.
  EXPECT_DOUBLE_EQ(strided.cost().flops, 150);
}

TEST(Conv, Refusals) {
  EXPECT_TRUE(refuses(OpHarness("conv2d", {{"filters", 4}, {"kernel", 3}, {"groups", 4}}, {{1, 6, 10, 10}}),
                      "6 input channels and 4 filters must both divide into 4 groups"));
  EXPECT_TRUE(refuses(OpHarness("conv2d", {{"filters", 4}, {"kernel", 5}}, {{1, 1, 4, 4}}), "does not fit"));
  EXPECT_TRUE(refuses(OpHarness("conv2d", {{"filters", 4}, {"kernel", 3}}, {{1, 1, 4}}), "rank 4"));
  EXPECT_TRUE(refuses(OpHarness("conv1d", {{"filters", 4}, {"kernel", 3}}, {{1, 1, 4, 4}}), "rank 3"));
  EXPECT_TRUE(refuses(OpHarness("conv2d", {{"filters", 4}, {"kernel", ints({3, 3, 3})}}, {{1, 1, 9, 9}}),
                      "3 values for 2"));
  EXPECT_TRUE(refuses(OpHarness("conv2d", {{"filters", 4}, {"kernel", 3}, {"stride", 0}}, {{1, 1, 9, 9}}),
                      "must be positive"));
  EXPECT_TRUE(refuses(OpHarness("conv1d", {{"filters", 4}, {"kernel", 3}, {"padding", -1}}, {{1, 1, 9}}),
                      "not negative"));
  EXPECT_TRUE(
      refuses(OpHarness("conv1d", {{"filters", 0}, {"kernel", 3}}, {{1, 1, 9}}), "filters must be positive"));
  EXPECT_TRUE(refuses(
      OpHarness("conv1d", {{"filters", 2}, {"kernel", 3}, {"padding", 4611686018427387904}}, {{1, 1, 9}}),
      "overflows"));
  EXPECT_TRUE(
      refuses(OpHarness("conv1d", {{"filters", 2}, {"kernel", 3}, {"clip", -2}}, {{1, 1, 9}}), "clip"));
}

TEST(Pool, WindowShapesAndCost) {
  // Stride defaults to the kernel: 32/2 = 16.
  OpHarness max("maxpool", {{"kernel", 2}}, {{1, 3, 32, 32}});
  EXPECT_EQ(max.out(), (Shape{1, 3, 16, 16}));
  EXPECT_TRUE(max.infer().weights.empty());
  const ntp::Cost cost = max.cost();
  EXPECT_DOUBLE_EQ(cost.flops, 768.0 * 4);  // 768 outputs x 4 elements per window
  EXPECT_DOUBLE_EQ(cost.bytes_read, 3072.0 * 4);
  EXPECT_DOUBLE_EQ(cost.bytes_written, 768.0 * 4);
  // (10 + 2 - 3)/2 + 1 = 5; 15 outputs x 3 = 45 FLOPs.
  OpHarness avg("avgpool", {{"kernel", 3}, {"stride", 2}, {"padding", 1}}, {{1, 3, 10}});
  EXPECT_EQ(avg.out(), (Shape{1, 3, 5}));
  EXPECT_DOUBLE_EQ(avg.cost().flops, 45);
  // Per-dimension values: H (5 - 2)/1 + 1 = 4, W (7 - 3)/2 + 1 = 3; 12 outputs x 6 = 72.
  OpHarness mixed("maxpool", {{"kernel", ints({2, 3})}, {"stride", ints({1, 2})}}, {{1, 1, 5, 7}});
  EXPECT_EQ(mixed.out(), (Shape{1, 1, 4, 3}));
  EXPECT_DOUBLE_EQ(mixed.cost().flops, 72);
}

TEST(Pool, Refusals) {
  EXPECT_TRUE(
      refuses(OpHarness("maxpool", {{"kernel", 2}, {"padding", 2}}, {{1, 3, 4, 4}}), "more than half"));
  EXPECT_TRUE(refuses(OpHarness("avgpool", {{"kernel", 2}}, {{3, 4}}), "rank 3 to 4"));
  EXPECT_TRUE(refuses(OpHarness("maxpool", {{"kernel", 3}}, {{1, 1, 2}}), "does not fit"));
  EXPECT_TRUE(refuses(OpHarness("avgpool", {{"kernel", ints({2, 2, 2})}}, {{1, 1, 8, 8}}), "3 values for 2"));
  EXPECT_TRUE(
      refuses(OpHarness("maxpool", {{"kernel", 2}, {"stride", -1}}, {{1, 1, 8}}), "must be positive"));
}

TEST(GlobalPool, ShapesAndCost) {
  OpHarness avg("global_avgpool", {}, {{2, 5, 7, 9}});
  EXPECT_EQ(avg.out(), (Shape{2, 5, 1, 1}));
  EXPECT_DOUBLE_EQ(avg.cost().flops, 2.0 * 5 * 7 * 9);  // one per input element: 630
  OpHarness max("global_maxpool", {}, {{2, 5, 7}});
  EXPECT_EQ(max.out(), (Shape{2, 5, 1}));  // rank kept
  const ntp::Cost cost = max.cost();
  EXPECT_DOUBLE_EQ(cost.flops, 70);
  EXPECT_DOUBLE_EQ(cost.bytes_read, 70 * 4);
  EXPECT_DOUBLE_EQ(cost.bytes_written, 10 * 4);
  EXPECT_TRUE(refuses(OpHarness("global_maxpool", {}, {{2, 5}}), "rank 3 to 8"));
}

}  // namespace
