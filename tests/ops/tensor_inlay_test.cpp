// Shape inference and cost of the tensor ops and the inlays, run directly on an OpContext; every figure is
// worked out by hand in the comment next to it.
#include "op_test_util.h"

namespace {

using ntp::DType;
using ntp::Shape;
using ntp::test::ints;
using ntp::test::OpHarness;
using ntp::test::refuses;

TEST(Add, BroadcastingAndCost) {
  // [4, 1, 3] + [5, 1] + [3] -> [4, 5, 3]: 60 outputs, two additions each.
  OpHarness add("add", {}, {{4, 1, 3}, {5, 1}, {3}});
  EXPECT_EQ(add.out(), (Shape{4, 5, 3}));
  const ntp::Cost cost = add.cost();
  EXPECT_DOUBLE_EQ(cost.flops, 120);
  EXPECT_DOUBLE_EQ(cost.bytes_read, (12 + 5 + 3) * 4);
  EXPECT_DOUBLE_EQ(cost.bytes_written, 60 * 4);
  EXPECT_TRUE(refuses(OpHarness("add", {}, {{2, 3}, {3, 3}}), "shapes [2, 3] and [3, 3] do not broadcast"));
}

TEST(Mul, BroadcastingAndCost) {
  OpHarness mul("mul", {}, {{2, 3}, {2, 3}});
  EXPECT_EQ(mul.out(), (Shape{2, 3}));
  EXPECT_DOUBLE_EQ(mul.cost().flops, 6);  // one product per output element
  EXPECT_EQ(OpHarness("mul", {}, {{1}, {2, 1, 4}}).out(), (Shape{2, 1, 4}));
  EXPECT_TRUE(refuses(OpHarness("mul", {}, {{2, 3}, {2, 4}}), "shapes [2, 3] and [2, 4] do not broadcast"));
}

TEST(Concat, ShapeAndCost) {
  OpHarness concat("concat", {{"axis", 1}}, {{2, 3, 4}, {2, 5, 4}});
  EXPECT_EQ(concat.out(), (Shape{2, 8, 4}));
  const ntp::Cost cost = concat.cost();
  EXPECT_DOUBLE_EQ(cost.flops, 0);
  EXPECT_DOUBLE_EQ(cost.bytes_read, (24 + 40) * 4);  // a copy: both inputs read, the output written
  EXPECT_DOUBLE_EQ(cost.bytes_written, 64 * 4);
  EXPECT_EQ(OpHarness("concat", {}, {{2, 3}, {2, 1}, {2, 4}}).out(), (Shape{2, 8}));  // default: last axis
  EXPECT_TRUE(refuses(OpHarness("concat", {}, {{2, 3, 4}, {2, 5, 4}}), "cannot concatenate"));
  EXPECT_TRUE(refuses(OpHarness("concat", {}, {{2, 3}, {2, 3, 1}}), "cannot concatenate"));
  EXPECT_TRUE(refuses(OpHarness("concat", {{"axis", 3}}, {{2, 3}, {2, 3}}), "out of range"));
  EXPECT_TRUE(refuses(OpHarness("concat", {{"axis", 0}}, {{4611686018427387904}, {4611686018427387904}}),
                      "overflows"));
}

TEST(Split, OutputsAndCost) {
  OpHarness parts("split", {{"parts", 3}}, {{2, 6}});
  ASSERT_EQ(parts.output_count(), 3U);
  EXPECT_EQ(parts.out(2), (Shape{2, 2}));
  const ntp::Cost cost = parts.cost();
  EXPECT_DOUBLE_EQ(cost.flops, 0);
  EXPECT_DOUBLE_EQ(cost.bytes_read, 12 * 4);
  EXPECT_DOUBLE_EQ(cost.bytes_written, 3 * 4 * 4);  // three outputs of 4 floats
  OpHarness sized("split", {{"axis", 0}, {"sizes", ints({2, 5})}}, {{7, 2}});
  EXPECT_EQ(sized.out(0), (Shape{2, 2}));
  EXPECT_EQ(sized.out(1), (Shape{5, 2}));
  EXPECT_TRUE(refuses(OpHarness("split", {{"parts", 2}}, {{2, 7}}), "does not split into 2 equal parts"));
  EXPECT_TRUE(refuses(OpHarness("split", {{"parts", 0}}, {{2, 7}}), "equal parts"));
  EXPECT_TRUE(refuses(OpHarness("split", {{"sizes", ints({3, 3})}}, {{2, 7}}), "sum to 6"));
  EXPECT_TRUE(refuses(OpHarness("split", {{"sizes", ints({7, 0})}}, {{2, 7}}), "must be positive"));
  EXPECT_TRUE(refuses(OpHarness("split", {{"axis", -3}}, {{2, 6}}), "out of range"));
}

TEST(Reshape, OnnxSemanticsAndCost) {
  OpHarness reshape("reshape", {{"shape", ints({0, 0, -1})}}, {{6, 1, 4, 5}});
  EXPECT_EQ(reshape.out(), (Shape{6, 1, 20}));  // 0 copies 6 and 1, -1 takes 120/6 = 20
  const ntp::Cost cost = reshape.cost();
  EXPECT_DOUBLE_EQ(cost.flops, 0);
  EXPECT_DOUBLE_EQ(cost.bytes_moved(), 2 * 120 * 4);
  EXPECT_EQ(OpHarness("reshape", {{"shape", ints({-1})}}, {{6, 4}}).out(), (Shape{24}));
  EXPECT_TRUE(refuses(OpHarness("reshape", {{"shape", ints({5, -1})}}, {{6, 4}}), "cannot reshape"));
  EXPECT_TRUE(refuses(OpHarness("reshape", {{"shape", ints({5, 5})}}, {{6, 4}}), "cannot reshape"));
  EXPECT_TRUE(refuses(OpHarness("reshape", {{"shape", ints({-1, -1})}}, {{6, 4}}), "only one -1"));
  EXPECT_TRUE(refuses(OpHarness("reshape", {{"shape", ints({0, 0, 0})}}, {{6, 4}}), "0 at position 2"));
  EXPECT_TRUE(refuses(OpHarness("reshape", {{"shape", ints({-2, 12})}}, {{6, 4}}), "not valid"));
  EXPECT_TRUE(
      refuses(OpHarness("reshape", {{"shape", ints({4611686018427387904, 4})}}, {{6, 4}}), "overflows"));
}

TEST(Transpose, PermutationAndCost) {
  OpHarness transpose("transpose", {{"perm", ints({3, 0, 1, 2})}}, {{1, 32, 41, 150}});
  EXPECT_EQ(transpose.out(), (Shape{150, 1, 32, 41}));  // output axis i is input axis perm[i]
  const ntp::Cost cost = transpose.cost();
  EXPECT_DOUBLE_EQ(cost.flops, 0);
  EXPECT_DOUBLE_EQ(cost.bytes_written, 196800.0 * 4);  // 32*41*150 floats
  EXPECT_TRUE(refuses(OpHarness("transpose", {{"perm", ints({0, 0})}}, {{2, 3}}), "not a permutation"));
  EXPECT_TRUE(refuses(OpHarness("transpose", {{"perm", ints({0, 1, 2})}}, {{2, 3}}), "not a permutation"));
  EXPECT_TRUE(refuses(OpHarness("transpose", {{"perm", ints({0, 2})}}, {{2, 3}}), "not a permutation"));
}

TEST(Flatten, AxesAndCost) {
  EXPECT_EQ(OpHarness("flatten", {{"axis", 2}}, {{2, 3, 4, 5}}).out(), (Shape{6, 20}));
  EXPECT_EQ(OpHarness("flatten", {}, {{2, 3, 4, 5}}).out(), (Shape{2, 60}));  // default axis 1
  EXPECT_EQ(OpHarness("flatten", {{"axis", 0}}, {{2, 3, 4, 5}}).out(), (Shape{1, 120}));
  EXPECT_EQ(OpHarness("flatten", {{"axis", 4}}, {{2, 3, 4, 5}}).out(), (Shape{120, 1}));
  EXPECT_EQ(OpHarness("flatten", {{"axis", -1}}, {{2, 3, 4, 5}}).out(), (Shape{24, 5}));
  const ntp::Cost cost = OpHarness("flatten", {}, {{2, 3}}).cost();
  EXPECT_DOUBLE_EQ(cost.flops, 0);
  EXPECT_DOUBLE_EQ(cost.bytes_moved(), 2 * 6 * 4);
  EXPECT_TRUE(refuses(OpHarness("flatten", {{"axis", 5}}, {{2, 3, 4, 5}}), "out of range"));
  EXPECT_TRUE(refuses(OpHarness("flatten", {{"axis", -5}}, {{2, 3, 4, 5}}), "out of range"));
}

TEST(Dropout, IdentityCountedAsACopy) {
  OpHarness dropout("dropout", {{"ratio", 0.2}}, {{2, 3}}, {DType::bf16});
  EXPECT_EQ(dropout.out(), (Shape{2, 3}));
  EXPECT_EQ(dropout.dtype(), DType::bf16);
  const ntp::Cost cost = dropout.cost();
  EXPECT_DOUBLE_EQ(cost.flops, 0);
  EXPECT_DOUBLE_EQ(cost.bytes_read, 6 * 2);
  EXPECT_DOUBLE_EQ(cost.bytes_written, 6 * 2);
}

TEST(Mfcc, FramesAndCost) {
  // LDC93S1.wav: 46797 samples at 16 kHz; 400-sample windows every 160: 1 + ceil((46797-400)/160) = 291.
  OpHarness mfcc("mfcc", {{"numcep", 26}}, {{1, 46797}});
  EXPECT_EQ(mfcc.out(), (Shape{1, 291, 26}));
  EXPECT_EQ(mfcc.dtype(), DType::f32);
  // Per frame: 3*400 = 1200 (pre-emphasis, window), FFT 2.5*512*log2(512) = 11520, 3*257 bins = 771,
  // filters 2*257*26 = 13364, DCT 2*26*26 = 1352: 28207, x 291 frames.
  const ntp::Cost cost = mfcc.cost();
  EXPECT_DOUBLE_EQ(cost.flops, 28207.0 * 291);
  EXPECT_DOUBLE_EQ(cost.bytes_read, 46797.0 * 4);
  EXPECT_DOUBLE_EQ(cost.bytes_written, 291.0 * 26 * 4);
  EXPECT_EQ(OpHarness("mfcc", {}, {{3, 400}}).out(), (Shape{3, 1, 13}));  // S <= window: one frame
  EXPECT_EQ(OpHarness("mfcc", {}, {{3, 401}}).out(), (Shape{3, 2, 13}));  // one sample more: a second
}

TEST(Mfcc, Refusals) {
  EXPECT_TRUE(refuses(OpHarness("mfcc", {{"nfft", 256}}, {{1, 16000}}), "shorter than the window"));
  EXPECT_TRUE(refuses(OpHarness("mfcc", {{"numcep", 30}}, {{1, 16000}}), "between 1 and nfilt 26"));
  EXPECT_TRUE(refuses(OpHarness("mfcc", {{"highfreq", 9000.0}}, {{1, 16000}}), "samplerate/2"));
  EXPECT_TRUE(refuses(OpHarness("mfcc", {{"lowfreq", 8000.0}}, {{1, 16000}}), "samplerate/2"));
  EXPECT_TRUE(
      refuses(OpHarness("mfcc", {{"samplerate", 0.0}}, {{1, 16000}}), "samplerate 0 must be positive"));
  EXPECT_TRUE(refuses(OpHarness("mfcc", {{"winstep", 0.0}}, {{1, 16000}}), "must be positive"));
  EXPECT_TRUE(refuses(OpHarness("mfcc", {}, {{16000}}), "rank 2"));
}

TEST(Fbank, FramesAndCost) {
  OpHarness fbank("fbank", {}, {{2, 300}});
  EXPECT_EQ(fbank.out(), (Shape{2, 1, 26}));  // shorter than one 400-sample window: one frame
  // Per frame as mfcc without the DCT: 1200 + 11520 + 771 + 13364 = 26855, x 2 (N=2, one frame each).
  EXPECT_DOUBLE_EQ(fbank.cost().flops, 26855.0 * 2);
  EXPECT_TRUE(refuses(OpHarness("fbank", {{"nfilt", 0}}, {{1, 300}}), "nfilt must be positive"));
}

TEST(Spectrogram, FramesBinsAndCost) {
  // 320-sample windows every 160 samples over 16000: 1 + ceil(15680/160) = 99 frames, 320/2+1 = 161 bins.
  EXPECT_EQ(OpHarness("spectrogram", {}, {{1, 16000}}).out(), (Shape{1, 99, 161}));
  // At 12.8 kHz: 256-sample windows every 128; 1280 samples: 1 + ceil(1024/128) = 9 frames, 129 bins.
  OpHarness spectrogram("spectrogram", {{"samplerate", 12800.0}}, {{1, 1280}});
  EXPECT_EQ(spectrogram.out(), (Shape{1, 9, 129}));
  // Per frame: 256 (window) + 2.5*256*8 = 5120 (FFT) + 3*129 = 387: 5763, x 9.
  const ntp::Cost cost = spectrogram.cost();
  EXPECT_DOUBLE_EQ(cost.flops, 5763.0 * 9);
  EXPECT_DOUBLE_EQ(cost.bytes_written, 9.0 * 129 * 4);
  EXPECT_TRUE(refuses(OpHarness("spectrogram", {{"window_ms", 0.0}}, {{1, 1280}}), "must be positive"));
  EXPECT_TRUE(refuses(OpHarness("spectrogram", {}, {{1, 2, 1280}}), "rank 2"));
}

TEST(ContextWindow, DeepSpeechInputAndCost) {
  // 291 MFCC frames, every second kept: ceil(291/2) = 146 steps of (2*9+1) * 26 = 494, time-major.
  OpHarness window("context_window", {{"whiten", 1}}, {{1, 291, 26}});
  EXPECT_EQ(window.out(), (Shape{146, 1, 494}));
  const ntp::Cost cost = window.cost();
  EXPECT_DOUBLE_EQ(cost.flops, 4.0 * 146 * 494);  // whitening: 4 per output element
  EXPECT_DOUBLE_EQ(cost.bytes_read, 291.0 * 26 * 4);
  EXPECT_DOUBLE_EQ(cost.bytes_written, 146.0 * 494 * 4);
  OpHarness plain("context_window", {{"stride", 1}, {"context", 0}}, {{2, 5, 3}});
  EXPECT_EQ(plain.out(), (Shape{5, 2, 3}));
  EXPECT_DOUBLE_EQ(plain.cost().flops, 0);
  EXPECT_TRUE(
      refuses(OpHarness("context_window", {{"stride", 0}}, {{1, 5, 3}}), "stride 0 must be positive"));
  EXPECT_TRUE(refuses(OpHarness("context_window", {{"context", -1}}, {{1, 5, 3}}), "not negative"));
  EXPECT_TRUE(refuses(OpHarness("context_window", {}, {{5, 3}}), "rank 3"));
  EXPECT_TRUE(
      refuses(OpHarness("context_window", {{"context", 4611686018427387904}}, {{1, 5, 3}}), "overflows"));
}

TEST(CtcGreedy, LabelsAndCost) {
  OpHarness greedy("ctc_greedy", {}, {{50, 2, 29}});
  EXPECT_EQ(greedy.out(), (Shape{2, 50}));
  EXPECT_EQ(greedy.dtype(), DType::s32);
  const ntp::Cost cost = greedy.cost();
  EXPECT_DOUBLE_EQ(cost.flops, 2900);  // one per input: 50*2*29
  EXPECT_DOUBLE_EQ(cost.bytes_read, 2900 * 4);
  EXPECT_DOUBLE_EQ(cost.bytes_written, 100 * 4);  // int32 labels
  EXPECT_EQ(OpHarness("ctc_greedy", {{"blank", 0}}, {{50, 2, 29}}).error(), "");
  EXPECT_TRUE(refuses(OpHarness("ctc_greedy", {{"blank", 29}}, {{50, 2, 29}}), "not one of the 29"));
  EXPECT_TRUE(refuses(OpHarness("ctc_greedy", {{"blank", -2}}, {{50, 2, 29}}), "not one of the 29"));
  EXPECT_TRUE(refuses(OpHarness("ctc_greedy", {}, {{50, 29}}), "rank 3"));
}

TEST(CtcBeam, OutputsAndCost) {
  OpHarness beam("ctc_beam", {{"beam_width", 16}, {"top_paths", 3}}, {{50, 2, 29}});
  ASSERT_EQ(beam.output_count(), 2U);
  EXPECT_EQ(beam.out(0), (Shape{2, 3, 50}));
  EXPECT_EQ(beam.dtype(0), DType::s32);
  EXPECT_EQ(beam.out(1), (Shape{2, 3}));
  EXPECT_EQ(beam.dtype(1), DType::f32);
  const ntp::Cost cost = beam.cost();
  EXPECT_DOUBLE_EQ(cost.flops, 4.0 * 2900 * 16);  // 4 per beam entry per class per step
  EXPECT_DOUBLE_EQ(cost.bytes_written, (300 + 6) * 4);
  // DeepSpeech's alphabet: space, a-z and apostrophe for 28 classes + blank.
  EXPECT_EQ(OpHarness("ctc_beam", {{"alphabet", " abcdefghijklmnopqrstuvwxyz'"}}, {{5, 1, 29}}).error(), "");
  EXPECT_EQ(OpHarness("ctc_beam", {{"alphabet", "\xc3\xa4\xc3\xb6"}}, {{5, 1, 3}}).error(), "");  // UTF-8
  EXPECT_TRUE(refuses(OpHarness("ctc_beam", {{"alphabet", "abc"}}, {{5, 1, 29}}), "3 characters for 29"));
  EXPECT_TRUE(
      refuses(OpHarness("ctc_beam", {{"beam_width", 2}, {"top_paths", 3}}, {{5, 1, 29}}), "top_paths"));
  EXPECT_TRUE(refuses(OpHarness("ctc_beam", {{"beam_width", 0}}, {{5, 1, 29}}), "must be positive"));
  EXPECT_TRUE(refuses(OpHarness("ctc_beam", {{"blank", 40}}, {{5, 1, 29}}), "not one of the 29"));
}

TEST(Memcpy, Copy) {
  OpHarness copy("memcpy", {}, {{2, 3}}, {DType::f16});
  EXPECT_EQ(copy.out(), (Shape{2, 3}));
  EXPECT_EQ(copy.dtype(), DType::f16);
  const ntp::Cost cost = copy.cost();
  EXPECT_DOUBLE_EQ(cost.flops, 0);
  EXPECT_DOUBLE_EQ(cost.bytes_read, 12);
  EXPECT_DOUBLE_EQ(cost.bytes_written, 12);
}

TEST(Convert, LayoutsTypesAndCost) {
  OpHarness to_bf16("convert", {{"to", "bf16"}, {"layout", "nchw->nhwc"}}, {{1, 3, 8, 8}});
  EXPECT_EQ(to_bf16.out(), (Shape{1, 8, 8, 3}));
  EXPECT_EQ(to_bf16.dtype(), DType::bf16);
  const ntp::Cost cost = to_bf16.cost();
  EXPECT_DOUBLE_EQ(cost.flops, 192);              // one per element: the type changes
  EXPECT_DOUBLE_EQ(cost.bytes_read, 192 * 4);     // fp32 in
  EXPECT_DOUBLE_EQ(cost.bytes_written, 192 * 2);  // bf16 out
  EXPECT_EQ(OpHarness("convert", {{"layout", "nhwc->nchw"}}, {{1, 8, 8, 3}}).out(), (Shape{1, 3, 8, 8}));
  EXPECT_EQ(OpHarness("convert", {{"layout", "ntc->tnc"}}, {{2, 5, 7}}).out(), (Shape{5, 2, 7}));
  OpHarness tnc("convert", {{"layout", "tnc->ntc"}}, {{5, 2, 7}});
  EXPECT_EQ(tnc.out(), (Shape{2, 5, 7}));
  EXPECT_EQ(tnc.dtype(), DType::f32);     // to="" keeps the type
  EXPECT_DOUBLE_EQ(tnc.cost().flops, 0);  // a pure layout change
  EXPECT_EQ(OpHarness("convert", {{"to", "int8"}, {"scale", 0.05}}, {{4}}).dtype(), DType::s8);
  EXPECT_TRUE(refuses(OpHarness("convert", {{"to", "fp8"}}, {{5, 2, 7}}), "unknown element type 'fp8'"));
  EXPECT_TRUE(refuses(OpHarness("convert", {{"layout", "nchw->nhwc"}}, {{5, 2, 7}}), "rank 4"));
  EXPECT_TRUE(
      refuses(OpHarness("convert", {{"to", "uint8"}, {"scale", 0.0}}, {{4}}), "scale 0 must be positive"));
}

}  // namespace
