// Inlays: the non-network stages of a pipeline (features before the network, decoders after it, copies
// and conversions between), profiled like layers. Their kernels live in src/inlays/ and the reference back
// end.
#include <algorithm>
#include <cmath>

#include "families.h"
#include "op_helpers.h"

namespace ntp::ops {

namespace {

// python_speech_features' framing: frames = 1 if S <= frame_len else 1 + ceil((S - frame_len) / frame_step).
std::int64_t frame_count(std::int64_t samples, std::int64_t frame_length, std::int64_t frame_step) {
  if (frame_length <= 0 || frame_step <= 0)
    throw ShapeError(
        fmt::format("window {} and step {} (samples) must be positive", frame_length, frame_step));
  if (samples <= frame_length) return 1;
  return 1 + ceil_div(samples - frame_length, frame_step);
}

// Seconds at a sample rate, rounded to whole samples; ShapeError when the rate is not positive or the count
// does not fit.
std::int64_t samples_of(double seconds, double rate, const std::string& what) {
  if (!(rate > 0)) throw ShapeError(fmt::format("samplerate {} must be positive", rate));
  const double samples = seconds * rate;
  if (!(samples >= 0 && samples < 1e15))
    throw ShapeError(
        fmt::format("{} of {} s at {} Hz is not a usable number of samples", what, seconds, rate));
  return static_cast<std::int64_t>(std::llround(samples));
}

OpSchema inlay(const std::string& name, const std::string& family, const std::string& summary,
               const std::string& layout) {
  OpSchema op;
  op.name = name;
  op.category = OpCategory::inlay;
  op.family = family;
  op.summary = summary;
  op.layout = layout;
  return op;
}

std::vector<AttrSpec> filterbank_attrs() {
  return {real_attr("samplerate", 16000, "samples per second"),
          real_attr("winlen", 0.025, "window length in seconds"),
          real_attr("winstep", 0.01, "step between windows in seconds"),
          integer_attr("nfilt", 26, "mel filters"),
          integer_attr("nfft", 512, "FFT size"),
          real_attr("lowfreq", 0, "lowest filter edge in Hz"),
          real_attr("highfreq", 0, "highest filter edge in Hz (0: samplerate/2)"),
          real_attr("preemph", 0.97, "pre-emphasis coefficient (0: none)"),
          text_attr("window", "rectangular", "analysis window", {"rectangular", "hamming", "hann"})};
}

// Frames and the FLOPs of pre-emphasis, windowing, a real FFT (~2.5 nfft log2 nfft) and the mel filters.
struct Framing {
  std::int64_t frames;
  double flops_per_frame;
};

Framing filterbank_framing(const OpContext& ctx) {
  expect_rank(ctx.in(0), 2, 2, fmt::format("{} input [N, samples]", ctx.node.op));
  const double rate = ctx.attrs.real("samplerate");
  const std::int64_t nfft = ctx.attrs.integer("nfft");
  const std::int64_t length = samples_of(ctx.attrs.real("winlen"), rate, "winlen");
  expect_positive(ctx.attrs.integer("nfilt"), "nfilt");
  const double low = ctx.attrs.real("lowfreq");
  const double high = ctx.attrs.real("highfreq") > 0 ? ctx.attrs.real("highfreq") : rate / 2;
  if (low < 0 || high > rate / 2 || low >= high)
    throw ShapeError(fmt::format("the filters' band {} to {} Hz is not within 0 to samplerate/2 = {} Hz", low,
                                 high, rate / 2),
                     "use 0 <= lowfreq < highfreq <= samplerate/2 (highfreq 0 means samplerate/2)");
  if (nfft < length)
    throw ShapeError(fmt::format("nfft {} is shorter than the window of {} samples", nfft, length),
                     "raise nfft to at least the window length");
  const std::int64_t frames =
      frame_count(ctx.in(0)[1], length, samples_of(ctx.attrs.real("winstep"), rate, "winstep"));
  const double n = static_cast<double>(nfft);
  const double bins = n / 2 + 1;
  return {frames, 3.0 * static_cast<double>(length) + 2.5 * n * std::log2(n) + 3 * bins +
                      2.0 * bins * static_cast<double>(ctx.attrs.integer("nfilt"))};
}

OpSchema mfcc() {
  OpSchema op =
      inlay("mfcc", "audio",
            "Mel-frequency cepstral coefficients, compatible with python_speech_features.mfcc (same "
            "attributes and defaults): pre-emphasis, framing, power spectrum by FFT (FFTW), mel "
            "filterbank, log, DCT-II, cepstral lifter, and the log frame energy as the first coefficient. "
            "Input: samples in the int16 range. Output [N, frames, numcep], frames = 1 + ceil((S - winlen) / "
            "winstep) in samples (1 when S <= winlen). FLOPs per frame: 3 per window sample, 2.5 nfft "
            "log2(nfft) for the FFT, 3 per bin, 2 * bins * nfilt for the filters, 2 * numcep * nfilt for the "
            "DCT; bytes: input and output.",
            "[N, samples]");
  op.attrs = filterbank_attrs();
  op.attrs.push_back(integer_attr("numcep", 13, "cepstral coefficients kept (DeepSpeech uses 26)"));
  op.attrs.push_back(integer_attr("ceplifter", 22, "lifter applied to the coefficients (0: none)"));
  op.attrs.push_back(integer_attr("appendEnergy", 1, "1: the first coefficient is the log frame energy"));
  op.infer = [](const OpContext& ctx) {
    const Framing framing = filterbank_framing(ctx);
    const std::int64_t numcep = ctx.attrs.integer("numcep");
    if (numcep <= 0 || numcep > ctx.attrs.integer("nfilt"))
      throw ShapeError(
          fmt::format("numcep {} must be between 1 and nfilt {}", numcep, ctx.attrs.integer("nfilt")));
    return single_output({ctx.in(0)[0], framing.frames, numcep}, DType::f32);
  };
  op.cost = [](const OpContext& ctx) {
    const Framing framing = filterbank_framing(ctx);
    const double dct = 2.0 * static_cast<double>(ctx.attrs.integer("numcep") * ctx.attrs.integer("nfilt"));
    return default_cost(ctx,
                        static_cast<double>(ctx.in(0)[0] * framing.frames) * (framing.flops_per_frame + dct));
  };
  return op;
}

OpSchema fbank() {
  OpSchema op =
      inlay("fbank", "audio",
            "Mel filterbank energies (python_speech_features.fbank, optionally logged): the mfcc "
            "pipeline without the DCT. Output [N, frames, nfilt], frames as mfcc. FLOPs as mfcc without the "
            "DCT; bytes: input and output.",
            "[N, samples]");
  op.attrs = filterbank_attrs();
  op.attrs.push_back(integer_attr("log", 1, "1: natural log of the energies"));
  op.infer = [](const OpContext& ctx) {
    const Framing framing = filterbank_framing(ctx);
    return single_output({ctx.in(0)[0], framing.frames, ctx.attrs.integer("nfilt")}, DType::f32);
  };
  op.cost = [](const OpContext& ctx) {
    const Framing framing = filterbank_framing(ctx);
    return default_cost(ctx, static_cast<double>(ctx.in(0)[0] * framing.frames) * framing.flops_per_frame);
  };
  return op;
}

OpSchema spectrogram() {
  OpSchema op =
      inlay("spectrogram", "audio",
            "DeepSpeech 2 style spectrogram: windows of window_ms every step_ms, magnitude of the FFT "
            "over the window (nfft = window length, 161 bins at 20 ms and 16 kHz), optionally log(1 + x). "
            "Output [N, frames, bins], frames as mfcc. FLOPs per frame: n for the window, 2.5 n log2(n) for "
            "the FFT, 3 per bin; bytes: input and output.",
            "[N, samples]");
  op.attrs = {real_attr("samplerate", 16000, "samples per second"),
              real_attr("window_ms", 20, "window in milliseconds"),
              real_attr("step_ms", 10, "step in milliseconds"),
              text_attr("window", "hamming", "analysis window", {"hamming", "hann", "rectangular"}),
              integer_attr("log", 1, "1: log(1 + magnitude)")};
  auto shape = [](const OpContext& ctx) {
    expect_rank(ctx.in(0), 2, 2, "spectrogram input [N, samples]");
    const double rate = ctx.attrs.real("samplerate");
    const std::int64_t length = samples_of(ctx.attrs.real("window_ms") / 1000, rate, "window_ms");
    const std::int64_t frames =
        frame_count(ctx.in(0)[1], length, samples_of(ctx.attrs.real("step_ms") / 1000, rate, "step_ms"));
    return std::make_pair(frames, length);
  };
  op.infer = [shape](const OpContext& ctx) {
    const auto [frames, length] = shape(ctx);
    return single_output({ctx.in(0)[0], frames, length / 2 + 1}, DType::f32);
  };
  op.cost = [shape](const OpContext& ctx) {
    const auto [frames, length] = shape(ctx);
    const double n = static_cast<double>(length);
    return default_cost(
        ctx, static_cast<double>(ctx.in(0)[0] * frames) * (n + 2.5 * n * std::log2(n) + 3 * (n / 2 + 1)));
  };
  return op;
}

OpSchema context_window() {
  OpSchema op =
      inlay("context_window", "audio",
            "DeepSpeech v0.1's input assembly: keep every stride-th frame, stack each with `context` "
            "frames on either side (zeros past the edges), optionally whiten the whole matrix per batch "
            "item. [N, T, F] -> time-major [ceil(T/stride), N, (2*context+1)*F]. FLOPs: 4 per output element "
            "when whitening, else none; bytes: input and output.",
            "[N, T, F]");
  op.attrs = {integer_attr("stride", 2, "keep every stride-th frame, starting at 0"),
              integer_attr("context", 9, "frames of context on each side"),
              integer_attr("whiten", 0, "1: subtract the mean and divide by the standard deviation")};
  op.infer = [](const OpContext& ctx) {
    expect_rank(ctx.in(0), 3, 3, "context_window input [N, T, F]");
    const std::int64_t stride = ctx.attrs.integer("stride");
    const std::int64_t context = ctx.attrs.integer("context");
    if (stride <= 0 || context < 0)
      throw ShapeError(
          fmt::format("stride {} must be positive and context {} not negative", stride, context));
    const Shape& input = ctx.in(0);
    const std::int64_t window = checked_add(checked_mul(2, context, "2 * context"), 1, "the context window");
    InferResult result;
    result.outputs.push_back(
        {{ceil_div(input[1], stride), input[0], checked_mul(window, input[2], "the context window width")},
         DType::f32});
    return result;
  };
  op.cost = [](const OpContext& ctx) {
    const double outputs = elements(ctx.outputs.at(0)->shape);
    return default_cost(ctx, ctx.attrs.integer("whiten") != 0 ? 4 * outputs : 0);
  };
  return op;
}

// blank is -1 (the last class) or a class index of the [T, N, V] input.
void check_blank(const OpContext& ctx) {
  const std::int64_t blank = ctx.attrs.integer("blank");
  if (blank < -1 || blank >= ctx.in(0)[2])
    throw ShapeError(fmt::format("blank {} is not one of the {} classes", blank, ctx.in(0)[2]),
                     "use -1 for the last class, or 0 to V-1");
}

// Characters (code points) of UTF-8 text: the bytes that do not continue a sequence.
std::int64_t utf8_length(const std::string& text) {
  return std::count_if(text.begin(), text.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U; });
}

// The alphabet, when given, spells every class but the blank.
void check_alphabet(const OpContext& ctx) {
  const std::string& alphabet = ctx.attrs.text("alphabet");
  const std::int64_t characters = utf8_length(alphabet);
  if (!alphabet.empty() && characters != ctx.in(0)[2] - 1)
    throw ShapeError(fmt::format("the alphabet has {} characters for {} classes", characters, ctx.in(0)[2]),
                     "give one character per class, the blank excluded (V - 1 characters)");
}

OpSchema ctc_greedy() {
  OpSchema op =
      inlay("ctc_greedy", "decoder",
            "Greedy CTC decoding: the best class per step, repeats merged, blanks removed. Input "
            "probabilities [T, N, V]; output labels [N, T] int32, padded with -1. One FLOP per input.",
            "[T, N, V] (time-major)");
  op.attrs = {integer_attr("blank", -1, "index of the blank class (-1: the last, as DeepSpeech)"),
              integer_attr("merge_repeated", 1, "1: merge repeated labels"),
              text_attr("alphabet", "",
                        "one character per class, blank excluded, for transcripts (empty: "
                        "class indices)")};
  op.infer = [](const OpContext& ctx) {
    expect_rank(ctx.in(0), 3, 3, "ctc_greedy input [T, N, V]");
    check_blank(ctx);
    check_alphabet(ctx);
    return single_output({ctx.in(0)[1], ctx.in(0)[0]}, DType::s32);
  };
  op.cost = [](const OpContext& ctx) { return default_cost(ctx, elements(ctx.in(0))); };
  return op;
}

OpSchema ctc_beam() {
  OpSchema op =
      inlay("ctc_beam", "decoder",
            "CTC prefix beam search in log space, with an optional word-level n-gram language model "
            "(ARPA) weighted by lm_weight and a word-insertion bonus. Input probabilities [T, N, V]; "
            "outputs labels [N, top_paths, T] int32 (padded with -1) and scores [N, top_paths] "
            "(log probabilities). FLOPs estimated as 4 per beam entry per class per step.",
            "[T, N, V] (time-major)");
  op.attrs = {integer_attr("beam_width", 100, "prefixes kept per step"),
              integer_attr("blank", -1, "index of the blank class (-1: the last)"),
              integer_attr("top_paths", 1, "transcripts returned per batch item"),
              text_attr("alphabet", "", "one character per class, blank excluded (empty: class indices)"),
              text_attr("lm", "", "ARPA language model file (empty: none)"),
              real_attr("lm_weight", 0, "weight of the language model score"),
              real_attr("word_bonus", 0, "bonus per word")};
  op.infer = [](const OpContext& ctx) {
    expect_rank(ctx.in(0), 3, 3, "ctc_beam input [T, N, V]");
    const std::int64_t beam = ctx.attrs.integer("beam_width");
    const std::int64_t top = ctx.attrs.integer("top_paths");
    if (beam <= 0 || top <= 0 || top > beam)
      throw ShapeError(
          fmt::format("beam_width {} and top_paths {} must be positive, top_paths <= beam_width", beam, top));
    check_blank(ctx);
    check_alphabet(ctx);
    InferResult result;
    result.outputs.push_back({{ctx.in(0)[1], top, ctx.in(0)[0]}, DType::s32});
    result.outputs.push_back({{ctx.in(0)[1], top}, DType::f32});
    return result;
  };
  op.cost = [](const OpContext& ctx) {
    return default_cost(ctx,
                        4.0 * elements(ctx.in(0)) * static_cast<double>(ctx.attrs.integer("beam_width")));
  };
  return op;
}

const std::vector<std::string> kLayouts = {"none", "nchw->nhwc", "nhwc->nchw", "tnc->ntc", "ntc->tnc"};

OpSchema memcpy_op() {
  OpSchema op = inlay(
      "memcpy", "conversion",
      "An explicit copy of its input, to model and time a transfer. No FLOPs; bytes: the input read and "
      "the output written.",
      "any");
  op.infer = [](const OpContext& ctx) { return single_output(ctx.in(0), ctx.inputs[0]->dtype); };
  op.cost = [](const OpContext& ctx) { return default_cost(ctx, 0); };
  return op;
}

OpSchema convert() {
  OpSchema op =
      inlay("convert", "conversion",
            "A layout change (NCHW/NHWC, time-major/batch-major) and/or a precision conversion (to fp32, "
            "bf16, fp16, or int8/uint8 with scale and zero point), to model and time what a pipeline "
            "pays between stages. One FLOP per element when the type changes; bytes: input and output, each "
            "at its own element size.",
            "any");
  op.attrs = {text_attr("to", "", "target element type (empty: unchanged)"),
              text_attr("layout", "none", "axis permutation", kLayouts),
              real_attr("scale", 1.0, "quantisation scale for int8/uint8"),
              integer_attr("zero_point", 0, "quantisation zero point for int8/uint8")};
  op.infer = [](const OpContext& ctx) {
    const std::string& to = ctx.attrs.text("to");
    DType type = ctx.inputs[0]->dtype;
    if (!to.empty()) {
      const auto parsed = parse_dtype(to);
      if (!parsed)
        throw ShapeError(fmt::format("unknown element type '{}'", to),
                         fmt::format("types are: {}", dtype_names()));
      type = *parsed;
    }
    if ((type == DType::s8 || type == DType::u8) && !(ctx.attrs.real("scale") > 0))
      throw ShapeError(fmt::format("quantisation scale {} must be positive", ctx.attrs.real("scale")));
    const std::string& layout = ctx.attrs.text("layout");
    Shape out = ctx.in(0);
    if (layout == "nchw->nhwc" || layout == "nhwc->nchw") {
      expect_rank(out, 4, 4, "a " + layout + " conversion's input");
      out = layout == "nchw->nhwc" ? Shape{out[0], out[2], out[3], out[1]}
                                   : Shape{out[0], out[3], out[1], out[2]};
    } else if (layout == "tnc->ntc" || layout == "ntc->tnc") {
      expect_rank(out, 3, 3, "a " + layout + " conversion's input");
      out = {out[1], out[0], out[2]};
    }
    return single_output(out, type);
  };
  op.cost = [](const OpContext& ctx) {
    const bool converts = ctx.outputs.at(0)->dtype != ctx.inputs[0]->dtype;
    return default_cost(ctx, converts ? elements(ctx.in(0)) : 0);
  };
  return op;
}

}  // namespace

std::vector<OpSchema> inlay_ops() {
  return {mfcc(), fbank(), spectrogram(), context_window(), ctc_greedy(), ctc_beam(), memcpy_op(), convert()};
}

}  // namespace ntp::ops
