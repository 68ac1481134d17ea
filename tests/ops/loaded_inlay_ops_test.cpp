#include "op_test_util.h"

namespace {

using ntp::Shape;
using ntp::test::build;
using ntp::test::input;
using ntp::test::refusal;

TEST(LoadedInlays, MfccFramesMatchPythonSpeechFeatures) {
  // LDC93S1.wav: 46797 samples at 16 kHz; 400-sample windows every 160: 1 + ceil((46797-400)/160) = 291
  // frames, as in shared/testdata/LDC93S1.mfcc26.txt.
  const auto r = build(input("audio", "1,46797"), R"(<layer name="m" type="mfcc" numcep="26"/>)");
  EXPECT_EQ(r.shape("m"), (Shape{1, 291, 26}));
  EXPECT_GT(r.last().cost.flops, 0);
  const auto f = build(input("audio", "2,300"), R"(<layer name="f" type="fbank"/>)");
  EXPECT_EQ(f.shape("f"), (Shape{2, 1, 26}));  // shorter than one window: one frame
  EXPECT_NE(refusal(input("audio", "1,46797"), R"(<layer name="m" type="mfcc" nfft="256"/>)")
                .find("shorter than the window"),
            std::string::npos);
}

TEST(LoadedInlays, SpectrogramHas161BinsAt20Milliseconds) {
  // 320-sample windows every 160 samples over 16000: 1 + ceil(15680/160) = 99 frames.
  const auto r = build(input("audio", "1,16000"), R"(<layer name="s" type="spectrogram"/>)");
  EXPECT_EQ(r.shape("s"), (Shape{1, 99, 161}));
}

TEST(LoadedInlays, ContextWindowBuildsDeepSpeechInput) {
  // 291 MFCC frames, every second kept: 146 steps of 19 x 26 = 494 values, time-major.
  const auto r = build(input("mfcc", "1,291,26"), R"(<layer name="c" type="context_window" whiten="1"/>)");
  EXPECT_EQ(r.shape("c"), (Shape{146, 1, 494}));
}

TEST(LoadedInlays, CtcDecodersOutputLabelsAndScores) {
  const auto g = build(input("p", "50,2,29"), R"(<layer name="g" type="ctc_greedy"/>)");
  EXPECT_EQ(g.shape("g"), (Shape{2, 50}));
  EXPECT_EQ(g.dtype("g"), ntp::DType::s32);
  const auto b =
      build(input("p", "50,2,29"), R"(<layer name="b" type="ctc_beam" beam_width="16" top_paths="3"/>)");
  EXPECT_EQ(b.shape("b"), (Shape{2, 3, 50}));
  EXPECT_EQ(b.shape("b:1"), (Shape{2, 3}));
  EXPECT_DOUBLE_EQ(b.last().cost.flops, 4.0 * 50 * 2 * 29 * 16);
  EXPECT_NE(
      refusal(input("p", "50,2,29"), R"(<layer name="b" type="ctc_beam" beam_width="2" top_paths="3"/>)")
          .find("top_paths"),
      std::string::npos);
  EXPECT_NE(refusal(input("p", "50,2,29"), R"(<layer name="g" type="ctc_greedy" blank="29"/>)")
                .find("not one of the 29"),
            std::string::npos);
}

TEST(LoadedInlays, MemcpyAndConvert) {
  const auto m = build(input("x", "2,3"), R"(<layer name="m" type="memcpy"/>)");
  EXPECT_DOUBLE_EQ(m.last().cost.bytes_moved(), 2 * 6 * 4);
  const auto c =
      build(input("x", "1,3,8,8"), R"(<layer name="c" type="convert" to="bf16" layout="nchw->nhwc"/>)");
  EXPECT_EQ(c.shape("c"), (Shape{1, 8, 8, 3}));
  EXPECT_EQ(c.dtype("c"), ntp::DType::bf16);
  EXPECT_DOUBLE_EQ(c.last().cost.bytes_written, 192 * 2);
  const auto t = build(input("x", "5,2,7"), R"(<layer name="c" type="convert" layout="tnc->ntc"/>)");
  EXPECT_EQ(t.shape("c"), (Shape{2, 5, 7}));
  EXPECT_NE(refusal(input("x", "5,2,7"), R"(<layer name="c" type="convert" to="fp8"/>)")
                .find("unknown element type"),
            std::string::npos);
}

}  // namespace
