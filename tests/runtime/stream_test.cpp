// Streaming: chunks fed one after another through kernels that carry state must give what the whole
// sequence gives at once (recurrent layers exactly; context windows lagged by their context; features
// frame for frame), and graphs that cannot stream are refused with a reason.
#include <gtest/gtest.h>

#include <cmath>

#include "backends/reference/reference_backend.h"
#include "ntp/executable.h"
#include "ntp/registry.h"
#include "ntp/topology.h"
#include "ntp/weights.h"
#include "runtime/stream.h"

namespace ntp {
namespace {

Graph parse(const std::string& markup) {
  auto result = parse_topology(markup, "stream_test.xml");
  if (!result.ok()) throw std::runtime_error(result.error().to_string());
  return std::move(result.value());
}

Tensor random_tensor(const Shape& shape, std::uint64_t seed, double low = -1, double high = 1) {
  Tensor tensor(shape, DType::f32);
  SeededRandom(seed, "stream").fill(tensor, Distribution{Distribution::Kind::uniform, low, high});
  return tensor;
}

// Rows [first, first + count) of a [T, ...] tensor, as a [count, ...] tensor.
Tensor rows(const Tensor& tensor, std::int64_t first, std::int64_t count) {
  Shape shape = tensor.shape();
  const std::int64_t row = tensor.elements() / shape[0];
  shape[0] = count;
  Tensor result(shape, DType::f32);
  std::copy_n(tensor.as<float>() + first * row, count * row, result.as<float>());
  return result;
}

void expect_near(const float* expected, const float* actual, std::int64_t count, double tolerance,
                 const std::string& what) {
  for (std::int64_t i = 0; i < count; ++i)
    ASSERT_NEAR(expected[i], actual[i], tolerance) << what << " element " << i;
}

const char* kLstm = R"(<topology name="s">
  <param name="steps" value="8"/>
  <input name="x" shape="steps,2,5"/>
  <layer name="l" type="lstm" hidden="4" direction="forward" layers="2"/>
</topology>)";

// Every back end of the build, by name.

// kLstm with another op, or another number of steps.
std::string variant(std::string markup, const std::string& op, const std::string& steps) {
  markup.replace(markup.find("type=\"lstm\""), 11, "type=\"" + op + "\"");
  markup.replace(markup.find("value=\"8\""), 9, "value=\"" + steps + "\"");
  return markup;
}

class StreamOnEveryBackEnd : public ::testing::TestWithParam<std::string> {};

// Recurrences a back end runs on reference when streaming, and why; every other one must carry its state.
std::string known_streaming_gap(const std::string& backend, const std::string& op) {
  if (backend != "opencv") return {};
  if (op == "lstm") return "OpenCV's LSTM layer starts every run from its constant h0/c0 blobs";
  return "the opencv back end has no " + op + " at all";
}

TEST_P(StreamOnEveryBackEnd, ForwardRecurrentLayersCarryTheirStateAcrossChunks) {
  const Backend& backend = *find_backend(GetParam());
  if (backend.runs_whole_graphs())
    GTEST_SKIP() << backend.name() << " runs whole graphs and refuses stream mode (no state between chunks)";
  for (const std::string op : {"lstm", "gru", "rnn"}) {
    SCOPED_TRACE(op);
    const Graph whole = parse(variant(kLstm, op, "8"));
    const Graph chunk = parse(variant(kLstm, op, "4"));
    const WeightStore weights = generate_weights(whole, 7);
    const Tensor x = random_tensor({8, 2, 5}, 3);

    Executable once(whole, reference_backend(), {DType::f32, 1, &weights});
    once.run({{"x", x}}, nullptr);
    const Tensor expected = once.value_f32(whole.find_value("l"));

    CompileOptions options{DType::f32, 1, &weights};
    options.streaming = true;
    Executable streamed(chunk, backend, options);
    const std::string gap = known_streaming_gap(GetParam(), op);
    EXPECT_EQ(streamed.steps().front().fallback, !gap.empty())
        << (gap.empty() ? "the back end should carry the state itself" : "a known gap is closed: " + gap);
    for (int pass = 0; pass < 2; ++pass) {  // a reset starts the stream over
      streamed.reset_stream();
      for (std::int64_t c = 0; c < 2; ++c) {
        streamed.run({{"x", rows(x, 4 * c, 4)}}, nullptr);
        const Tensor got = streamed.value_f32(chunk.find_value("l"));
        expect_near(expected.as<float>() + c * got.elements(), got.as<float>(), got.elements(), 1e-5,
                    "chunk " + std::to_string(c));
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, StreamOnEveryBackEnd,
                         ::testing::ValuesIn(ntp::backend_names()));  // by name: each test loads its own

TEST(Stream, WithoutStreamingEveryChunkStartsFromZeroState) {
  const Graph whole = parse(kLstm);
  const Graph chunk = parse(variant(kLstm, "lstm", "4"));
  const WeightStore weights = generate_weights(whole, 7);
  const Tensor x = random_tensor({8, 2, 5}, 3);
  Executable once(whole, reference_backend(), {DType::f32, 1, &weights});
  once.run({{"x", x}}, nullptr);
  const Tensor expected = once.value_f32(whole.find_value("l"));
  Executable stateless(chunk, reference_backend(), {DType::f32, 1, &weights});
  stateless.run({{"x", rows(x, 4, 4)}}, nullptr);
  const Tensor fresh = stateless.value_f32(chunk.find_value("l"));
  EXPECT_GT(std::fabs(fresh.as<float>()[0] - expected.as<float>()[fresh.elements()]), 1e-4);
}

TEST(Stream, BidirectionalLstmRefusesToStream) {
  const Graph graph = parse(R"(<topology name="s"><input name="x" shape="4,1,3"/>
    <layer name="l" type="lstm" hidden="2" direction="bidirectional"/></topology>)");
  const WeightStore weights = generate_weights(graph, 1);
  CompileOptions options{DType::f32, 1, &weights};
  options.streaming = true;
  try {
    Executable executable(graph, reference_backend(), options);
    FAIL() << "a bidirectional lstm compiled for streaming";
  } catch (const UserError& error) {
    EXPECT_NE(error.diagnostic().message.find("cannot stream"), std::string::npos) << error.what();
  }
}

const char* kContext = R"(<topology name="s">
  <param name="frames" value="8"/>
  <input name="f" shape="1,frames,2"/>
  <layer name="w" type="context_window" stride="2" context="1"/>
</topology>)";

TEST(Stream, ContextWindowSeesNeighboursAcrossChunksOneContextLate) {
  const Graph whole = parse(kContext);
  std::string chunk_markup = kContext;
  chunk_markup.replace(chunk_markup.find("value=\"8\""), 9, "value=\"4\"");
  const Graph chunk = parse(chunk_markup);
  const Tensor frames = random_tensor({1, 8, 2}, 5);
  Executable once(whole, reference_backend(), {});
  once.run({{"f", frames}}, nullptr);
  const Tensor expected = once.value_f32(whole.find_value("w"));  // [4, 1, 6]

  CompileOptions options;
  options.streaming = true;
  Executable streamed(chunk, reference_backend(), options);
  std::vector<float> joined;
  for (std::int64_t c = 0; c < 2; ++c) {
    Tensor piece({1, 4, 2}, DType::f32);
    std::copy_n(frames.as<float>() + c * 8, 8, piece.as<float>());
    streamed.run({{"f", piece}}, nullptr);
    const Tensor got = streamed.value_f32(chunk.find_value("w"));  // [2, 1, 6]
    joined.insert(joined.end(), got.as<float>(), got.as<float>() + got.elements());
  }
  // The stream's first window is centred before the first frame (all but its right neighbour zero); the
  // next three are the whole sequence's first three.
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(joined[static_cast<std::size_t>(i)], 0.0F) << i;
  expect_near(expected.as<float>(), joined.data() + 6, 18, 0, "lagged windows");
}

const char* kAudio = R"(<topology name="s">
  <param name="samples" value="16000"/>
  <input name="audio" shape="batch,samples" samplerate="16000" range="-3000,3000"/>
  <layer name="m" type="mfcc" numcep="13"/>
  <layer name="w" type="context_window" stride="2" context="2"/>
  <layer name="l" type="lstm" hidden="4" direction="${direction}"/>
  <param name="direction" value="forward"/>
</topology>)";

TEST(Stream, PlanCutsTheUtteranceIntoChunksWithTheFeatureWindowsOverlap) {
  const Graph graph = parse(kAudio);
  const runtime::StreamPlan plan = runtime::plan_stream(graph, 320);
  EXPECT_EQ(plan.input, "audio");
  EXPECT_EQ(plan.samples_param, "samples");
  EXPECT_EQ(plan.chunk_samples, 5120);
  EXPECT_EQ(plan.overlap_samples, 400 - 160);  // 25 ms window, 10 ms step
  EXPECT_EQ(plan.lookback_samples, 320);       // the overlap in whole steps, to stay on the frame grid
  EXPECT_EQ(plan.chunks, 4);                   // 16000 / 5120, rounded up
  EXPECT_DOUBLE_EQ(plan.chunk_seconds(), 0.32);

  const Tensor audio = random_tensor({1, 16000}, 9, -3000, 3000);
  const std::vector<Tensor> chunks = runtime::chunk_audio(audio, plan);
  ASSERT_EQ(chunks.size(), 4U);
  for (const Tensor& chunk : chunks)
    EXPECT_EQ(chunk.shape(), (Shape{1, 5120 + 240}));
  EXPECT_EQ(chunks[0].as<float>()[319], 0.0F);  // before the utterance
  EXPECT_EQ(chunks[0].as<float>()[320], audio.as<float>()[0]);
  EXPECT_EQ(chunks[1].as<float>()[0], audio.as<float>()[5120 - 320]);
  EXPECT_EQ(chunks[3].as<float>()[5359], 0.0F);  // past the end

  // Frame for frame, chunk c's frame j is the utterance's frame 32c - 2 + j (the stream starts two frames
  // early), but for a chunk's first frame, whose pre-emphasis restarts at its first sample.
  const Graph mfcc_whole = parse(R"(<topology name="s"><input name="a" shape="1,16000"/>
    <layer name="m" type="mfcc" numcep="13"/></topology>)");
  const Graph mfcc_chunk = parse(R"(<topology name="s"><input name="a" shape="1,5360"/>
    <layer name="m" type="mfcc" numcep="13"/></topology>)");
  Executable whole(mfcc_whole, reference_backend(), {});
  whole.run({{"a", audio}}, nullptr);
  const Tensor expected = whole.value_f32(mfcc_whole.find_value("m"));  // [1, 99, 13]
  Executable piece(mfcc_chunk, reference_backend(), {});
  for (std::int64_t c = 0; c < 3; ++c) {
    piece.run({{"a", chunks[static_cast<std::size_t>(c)]}}, nullptr);
    const Tensor got = piece.value_f32(mfcc_chunk.find_value("m"));  // [1, 32, 13]
    ASSERT_EQ(got.shape(), (Shape{1, 32, 13}));
    const std::int64_t skip = c == 0 ? 2 : 1;  // frames before the utterance; the restarted pre-emphasis
    const std::int64_t first_frame = c * 32 - 2 + skip;
    const std::int64_t count = std::min<std::int64_t>(32 - skip, expected.shape()[1] - first_frame);
    expect_near(expected.as<float>() + first_frame * 13, got.as<float>() + skip * 13, count * 13, 1e-3,
                "chunk " + std::to_string(c));
  }
}

TEST(Stream, RefusesWhatCannotStreamWithAReason) {
  auto refusal = [](const std::string& markup, double chunk_ms) {
    try {
      runtime::plan_stream(parse(markup), chunk_ms);
    } catch (const UserError& error) {
      return error.diagnostic().message + " | " + error.diagnostic().hint;
    }
    return std::string("accepted");
  };
  std::string bidirectional = kAudio;
  bidirectional.replace(bidirectional.find("value=\"forward\""), 15, "value=\"bidirectional\"");
  EXPECT_NE(refusal(bidirectional, 320).find("bidirectional lstm: it needs the whole utterance"),
            std::string::npos);
  EXPECT_NE(refusal(kAudio, 325).find("not a whole number of feature steps"), std::string::npos);
  EXPECT_NE(refusal(kAudio, 325).find("--chunk-ms 320"), std::string::npos);
  EXPECT_NE(refusal(kLstm, 320).find("needs an audio input"), std::string::npos);
  std::string fixed = kAudio;
  fixed.replace(fixed.find("shape=\"batch,samples\""), 21, "shape=\"batch,16000\"");
  EXPECT_NE(refusal(fixed, 320).find("gives its length as a number"), std::string::npos);
}

}  // namespace
}  // namespace ntp
