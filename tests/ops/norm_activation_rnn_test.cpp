// Shape inference, weights and cost of the norms, activations, recurrent layers and attention, run directly
// on an OpContext; every figure is worked out by hand in the comment next to it.
#include "op_test_util.h"

namespace {

using ntp::DType;
using ntp::Shape;
using ntp::test::OpHarness;
using ntp::test::refuses;

TEST(Batchnorm, ShapeWeightsAndCost) {
  OpHarness bn("batchnorm", {}, {{2, 4, 3, 3}});
  EXPECT_EQ(bn.out(), (Shape{2, 4, 3, 3}));
  EXPECT_EQ(bn.weight_names(), (std::vector<std::string>{"scale", "shift", "mean", "variance"}));
  EXPECT_EQ(bn.params(), 16);                                   // four [C=4] vectors, all counted
  EXPECT_DOUBLE_EQ(bn.weight("variance").distribution.a, 0.5);  // uniform 0.5..1.5: positive variances
  EXPECT_DOUBLE_EQ(bn.weight("variance").distribution.b, 1.5);
  EXPECT_DOUBLE_EQ(bn.weight("mean").distribution.a, -0.5);
  const ntp::Cost cost = bn.cost();
  EXPECT_DOUBLE_EQ(cost.flops, 2.0 * 72);            // 2 per element
  EXPECT_DOUBLE_EQ(cost.bytes_read, (72 + 16) * 4);  // input + 4 weights of 4
  EXPECT_DOUBLE_EQ(cost.bytes_written, 72 * 4);
  EXPECT_EQ(OpHarness("batchnorm", {}, {{3, 7}}).weight("scale").shape, (Shape{7}));  // [N, C] works too
  EXPECT_TRUE(refuses(OpHarness("batchnorm", {}, {{5}}), "rank 2 to 8"));
  EXPECT_TRUE(refuses(OpHarness("batchnorm", {{"epsilon", -1.0}}, {{2, 3}}), "epsilon"));
}

TEST(Layernorm, ShapeWeightsAndCost) {
  OpHarness ln("layernorm", {}, {{2, 5, 6}});
  EXPECT_EQ(ln.out(), (Shape{2, 5, 6}));
  EXPECT_EQ(ln.weight("scale").shape, (Shape{6}));  // the last axis
  EXPECT_EQ(ln.weight("shift").shape, (Shape{6}));
  const ntp::Cost cost = ln.cost();
  EXPECT_DOUBLE_EQ(cost.flops, 8.0 * 60);            // 8 per element
  EXPECT_DOUBLE_EQ(cost.bytes_read, (60 + 12) * 4);  // input + scale and shift
  EXPECT_TRUE(refuses(OpHarness("layernorm", {}, {Shape{}}), "rank 1 to 8"));
}

TEST(Activation, ElementwiseShapeAndCost) {
  for (const char* op : {"relu", "leaky_relu", "tanh", "sigmoid", "gelu", "hardtanh"}) {
    OpHarness act(op, {}, {{3, 4}}, {DType::f16});
    EXPECT_EQ(act.out(), (Shape{3, 4})) << op;
    EXPECT_EQ(act.dtype(), DType::f16) << op;
    const ntp::Cost cost = act.cost();
    EXPECT_DOUBLE_EQ(cost.flops, 12) << op;  // 1 per element
    EXPECT_DOUBLE_EQ(cost.bytes_read, 12 * 2) << op;
    EXPECT_DOUBLE_EQ(cost.bytes_written, 12 * 2) << op;
  }
  EXPECT_EQ(OpHarness("relu", {{"clip", 20.0}}, {{2, 3, 4}}).out(), (Shape{2, 3, 4}));
  EXPECT_EQ(OpHarness("gelu", {{"approximate", "tanh"}}, {{7}}).out(), (Shape{7}));
  EXPECT_EQ(OpHarness("hardtanh", {{"min_val", 0.0}, {"max_val", 20.0}}, {{7}}).out(), (Shape{7}));
  EXPECT_TRUE(refuses(OpHarness("relu", {{"clip", -1.0}}, {{3}}), "clip -1"));
  EXPECT_TRUE(refuses(OpHarness("hardtanh", {{"min_val", 1.0}, {"max_val", 0.0}}, {{3}}), "above max_val"));
}

TEST(Softmax, AxisAndCost) {
  OpHarness softmax("softmax", {}, {{3, 4}});
  EXPECT_EQ(softmax.out(), (Shape{3, 4}));
  EXPECT_DOUBLE_EQ(softmax.cost().flops, 60);  // 5 per element
  OpHarness log_softmax("log_softmax", {{"axis", 0}}, {{3, 4}});
  EXPECT_EQ(log_softmax.out(), (Shape{3, 4}));
  EXPECT_DOUBLE_EQ(log_softmax.cost().flops, 60);
  EXPECT_EQ(OpHarness("softmax", {{"axis", -2}}, {{3, 4}}).error(), "");
  EXPECT_TRUE(refuses(OpHarness("softmax", {{"axis", 2}}, {{3, 4}}), "axis 2 is out of range for rank 2"));
  EXPECT_TRUE(refuses(OpHarness("log_softmax", {{"axis", -3}}, {{3, 4}}), "out of range"));
}

TEST(Lstm, BidirectionalWeightsShapeAndCost) {
  // T=5, N=2, I=3, H=4, bidirectional concat: [5, 2, 8].
  OpHarness lstm("lstm", {{"hidden", 4}, {"direction", "bidirectional"}}, {{5, 2, 3}});
  EXPECT_EQ(lstm.out(), (Shape{5, 2, 8}));
  EXPECT_EQ(lstm.weight_names(), (std::vector<std::string>{"w_ih_l0", "w_hh_l0", "b_l0", "w_ih_l0_reverse",
                                                           "w_hh_l0_reverse", "b_l0_reverse"}));
  EXPECT_EQ(lstm.weight("w_ih_l0").shape, (Shape{16, 3}));  // [4H, I]
  EXPECT_EQ(lstm.weight("w_hh_l0_reverse").shape, (Shape{16, 4}));
  EXPECT_EQ(lstm.weight("b_l0").shape, (Shape{16}));
  EXPECT_DOUBLE_EQ(lstm.weight("w_hh_l0").distribution.b, 0.5);  // fan_in H = 4: 1/sqrt(4)
  EXPECT_EQ(lstm.params(), 256);                                 // 2 x (48 + 64 + 16)
  // Per step and direction: 2*N*4H*(I+H) = 2*2*16*7 = 448, bias N*4H = 32, elementwise 9*N*H = 72: 552.
  // x 5 steps x 2 directions.
  const ntp::Cost cost = lstm.cost();
  EXPECT_DOUBLE_EQ(cost.flops, 552.0 * 10);
  // input 30 + weights 256 floats, + w_hh (2 directions x 64 floats) re-read on the 4 steps after the first.
  EXPECT_DOUBLE_EQ(cost.bytes_read, (30 + 256) * 4.0 + 4 * 128 * 4.0);
  EXPECT_DOUBLE_EQ(cost.bytes_written, 5 * 2 * 8 * 4);
}

TEST(Lstm, StackedSumAndForgetBias) {
  // Layer 1 takes the concatenated 8: w_ih_l1 [16, 8].
  OpHarness stacked("lstm", {{"hidden", 4}, {"layers", 2}, {"direction", "bidirectional"}}, {{5, 2, 3}});
  EXPECT_EQ(stacked.weight("w_ih_l1_reverse").shape, (Shape{16, 8}));
  EXPECT_EQ(stacked.params(), 256 + 2 * (128 + 64 + 16));
  // Layer 0: 5520 as above; layer 1 per step and direction 2*2*16*12 = 768 + 32 + 72 = 872, x 10.
  const ntp::Cost cost = stacked.cost();
  EXPECT_DOUBLE_EQ(cost.flops, 5520.0 + 8720);
  // Default bytes + 4 re-reads of 4 w_hh matrices of 64 floats.
  EXPECT_DOUBLE_EQ(cost.bytes_read, (30 + 672) * 4.0 + 4 * 256 * 4.0);
  OpHarness sum("lstm", {{"hidden", 4}, {"layers", 2}, {"direction", "bidirectional"}, {"merge", "sum"}},
                {{5, 2, 3}});
  EXPECT_EQ(sum.out(), (Shape{5, 2, 4}));
  EXPECT_EQ(sum.weight("w_ih_l1").shape, (Shape{16, 4}));  // the summed output is H wide
  EXPECT_EQ(OpHarness("lstm", {{"hidden", 4}, {"forget_bias", 1.0}}, {{5, 2, 3}}).out(), (Shape{5, 2, 4}));
}

TEST(Gru, ReverseWeightsAndCost) {
  OpHarness gru("gru", {{"hidden", 4}, {"direction", "reverse"}}, {{5, 2, 3}});
  EXPECT_EQ(gru.out(), (Shape{5, 2, 4}));
  EXPECT_EQ(gru.weight_names(), (std::vector<std::string>{"w_ih_l0_reverse", "w_hh_l0_reverse",
                                                          "b_ih_l0_reverse", "b_hh_l0_reverse"}));
  EXPECT_EQ(gru.weight("w_ih_l0_reverse").shape, (Shape{12, 3}));  // [3H, I]
  EXPECT_EQ(gru.params(), 36 + 48 + 12 + 12);
  // Per step: 2*2*12*7 = 336, bias 2*12 = 24, elementwise 10*2*4 = 80: 440, x 5.
  const ntp::Cost cost = gru.cost();
  EXPECT_DOUBLE_EQ(cost.flops, 2200);
  // input 30 + weights 108 floats, + w_hh 48 floats on 4 more steps.
  EXPECT_DOUBLE_EQ(cost.bytes_read, (30 + 108) * 4.0 + 4 * 48 * 4.0);
}

TEST(Rnn, WeightsAndCost) {
  OpHarness rnn("rnn", {{"hidden", 4}, {"activation", "relu"}}, {{5, 2, 3}});
  EXPECT_EQ(rnn.out(), (Shape{5, 2, 4}));
  EXPECT_EQ(rnn.weight_names(), (std::vector<std::string>{"w_ih_l0", "w_hh_l0", "b_l0"}));
  EXPECT_EQ(rnn.params(), 12 + 16 + 4);
  // Per step: 2*2*4*7 = 112, bias 8, elementwise 8: 128, x 5.
  EXPECT_DOUBLE_EQ(rnn.cost().flops, 640);
}

TEST(Recurrent, Refusals) {
  EXPECT_TRUE(refuses(OpHarness("lstm", {{"hidden", 4}}, {{5, 3}}), "rank 3"));
  EXPECT_TRUE(refuses(OpHarness("gru", {{"hidden", 0}}, {{5, 2, 3}}), "hidden must be positive"));
  EXPECT_TRUE(
      refuses(OpHarness("rnn", {{"hidden", 4}, {"layers", 0}}, {{5, 2, 3}}), "layers must be positive"));
  EXPECT_TRUE(refuses(OpHarness("lstm", {{"hidden", 4611686018427387904}}, {{5, 2, 3}}), "overflows"));
}

TEST(Attention, SelfAttention) {
  OpHarness att("attention", {{"heads", 2}, {"causal", 1}}, {{2, 6, 8}});
  EXPECT_EQ(att.out(), (Shape{2, 6, 8}));
  EXPECT_EQ(att.weight_names(),
            (std::vector<std::string>{"w_q", "w_k", "w_v", "w_o", "b_q", "b_k", "b_v", "b_o"}));
  EXPECT_EQ(att.weight("w_o").shape, (Shape{8, 8}));
  EXPECT_EQ(att.params(), 4 * 64 + 4 * 8);
  // N=2, T=S=6, E=8, 2 heads: projections 2*2*64*(12 + 12) = 6144, scores and weighted sum
  // 4*2*6*6*8 = 2304, softmax 5*2*2*36 = 720.
  const ntp::Cost cost = att.cost();
  EXPECT_DOUBLE_EQ(cost.flops, 6144 + 2304 + 720);
  EXPECT_DOUBLE_EQ(cost.bytes_read, (96 + 288) * 4);
  EXPECT_DOUBLE_EQ(cost.bytes_written, 96 * 4);
}

TEST(Attention, CrossAttentionAndRefusals) {
  // q [2, 6, 8], k and v [2, 10, 8], 4 heads: projections 2*2*64*(12 + 20) = 8192, scores and sum
  // 4*2*6*10*8 = 3840, softmax 5*2*4*60 = 2400.
  OpHarness cross("attention", {{"heads", 4}}, {{2, 6, 8}, {2, 10, 8}, {2, 10, 8}});
  EXPECT_EQ(cross.out(), (Shape{2, 6, 8}));
  EXPECT_DOUBLE_EQ(cross.cost().flops, 8192 + 3840 + 2400);
  EXPECT_TRUE(refuses(OpHarness("attention", {{"heads", 3}}, {{2, 6, 8}}), "8 does not divide into 3 heads"));
  EXPECT_TRUE(refuses(OpHarness("attention", {{"heads", 2}}, {{2, 6, 8}, {2, 6, 8}}), "got 2"));
  EXPECT_TRUE(
      refuses(OpHarness("attention", {{"heads", 2}, {"causal", 1}}, {{2, 6, 8}, {2, 10, 8}, {2, 10, 8}}),
              "causal mask"));
  EXPECT_TRUE(
      refuses(OpHarness("attention", {{"heads", 2}}, {{2, 6, 8}, {2, 10, 4}, {2, 10, 8}}), "disagree"));
  EXPECT_TRUE(
      refuses(OpHarness("attention", {{"heads", 2}}, {{2, 6, 8}, {2, 10, 8}, {2, 9, 8}}), "disagree"));
  EXPECT_TRUE(refuses(OpHarness("attention", {{"heads", 0}}, {{2, 6, 8}}), "heads must be positive"));
  EXPECT_TRUE(refuses(OpHarness("attention", {{"heads", 2}}, {{6, 8}}), "rank 3"));
}

}  // namespace
