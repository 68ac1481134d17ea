#include "ref_test_util.h"

namespace ntp::testing {
namespace {

double logistic(double v) {
  return 1.0 / (1.0 + std::exp(-v));
}

// One direction of one layer written out with the gate equations, weights in their stored layout
// (w_ih [G*H, I], w_hh [G*H, H]). x is [T, N, I]; returns h for every step, [T, N, H].
std::vector<double> written_out(Model& m, const std::string& cell, const std::string& tag,
                                const std::vector<double>& x, int T, int N, int I, int H, bool reverse,
                                double forget_bias, bool relu) {
  const float* w_ih = m.w("l", "w_ih" + tag);
  const float* w_hh = m.w("l", "w_hh" + tag);
  const float* b = cell == "gru" ? nullptr : m.w("l", "b" + tag);
  const float* b_ih = cell == "gru" ? m.w("l", "b_ih" + tag) : nullptr;
  const float* b_hh = cell == "gru" ? m.w("l", "b_hh" + tag) : nullptr;
  std::vector<double> out(static_cast<std::size_t>(T * N * H));
  for (int n = 0; n < N; ++n) {
    std::vector<double> h(static_cast<std::size_t>(H), 0.0), c(static_cast<std::size_t>(H), 0.0);
    for (int step = 0; step < T; ++step) {
      const int t = reverse ? T - 1 - step : step;
      auto wx = [&](int row) {  // W_ih[row] . x_t
        double sum = 0;
        for (int k = 0; k < I; ++k)
          sum += w_ih[row * I + k] * x[static_cast<std::size_t>((t * N + n) * I + k)];
        return sum;
      };
      auto wh = [&](int row) {  // W_hh[row] . h_{t-1}
        double sum = 0;
        for (int k = 0; k < H; ++k)
          sum += w_hh[row * H + k] * h[static_cast<std::size_t>(k)];
        return sum;
      };
      std::vector<double> next(static_cast<std::size_t>(H));
      for (int j = 0; j < H; ++j) {
        const auto J = static_cast<std::size_t>(j);
        if (cell == "lstm") {
          const double i = logistic(wx(j) + wh(j) + b[j]);
          const double f = logistic(wx(H + j) + wh(H + j) + b[H + j] + forget_bias);
          const double g = std::tanh(wx(2 * H + j) + wh(2 * H + j) + b[2 * H + j]);
          const double o = logistic(wx(3 * H + j) + wh(3 * H + j) + b[3 * H + j]);
          c[J] = f * c[J] + i * g;
          next[J] = o * std::tanh(c[J]);
        } else if (cell == "gru") {
          const double r = logistic(wx(j) + b_ih[j] + wh(j) + b_hh[j]);
          const double z = logistic(wx(H + j) + b_ih[H + j] + wh(H + j) + b_hh[H + j]);
          const double candidate =
              std::tanh(wx(2 * H + j) + b_ih[2 * H + j] + r * (wh(2 * H + j) + b_hh[2 * H + j]));
          next[J] = (1 - z) * candidate + z * h[J];
        } else {
          const double pre = wx(j) + wh(j) + b[j];
          next[J] = relu ? std::max(pre, 0.0) : std::tanh(pre);
        }
      }
      h = next;
      for (int j = 0; j < H; ++j)
        out[static_cast<std::size_t>((t * N + n) * H + j)] = h[static_cast<std::size_t>(j)];
    }
  }
  return out;
}

struct RnnCase {
  std::string cell;
  std::string direction;
  std::string merge;
  int layers;
  std::string extra;  // more attributes
  double forget_bias;
  bool relu;
};

void check_against_written_out(const std::string& cell, const std::string& direction = "forward",
                               const std::string& merge = "concat", int layers = 1,
                               const std::string& extra = "", double forget_bias = 0, bool relu = false) {
  const RnnCase k{cell, direction, merge, layers, extra, forget_bias, relu};
  const int T = 4, N = 2, I = 3, H = 5;
  Model m = model(R"(<topology name="t"><input name="x" shape="4,2,3"/><layer name="l" type=")" + k.cell +
                  R"(" hidden="5" direction=")" + k.direction + R"(" merge=")" + k.merge + R"(" layers=")" +
                  std::to_string(k.layers) + "\" " + k.extra + "/></topology>");
  const Tensor x = random_tensor({T, N, I}, 21, -2, 2);
  const Tensor y = m.run(x);

  std::vector<double> sequence(x.as<float>(), x.as<float>() + x.elements());
  int width = I;
  const bool both = k.direction == "bidirectional";
  const int merged = both && k.merge == "concat" ? 2 * H : H;
  for (int layer = 0; layer < k.layers; ++layer) {
    std::vector<std::pair<std::string, bool>> directions;  // (suffix, reverse)
    if (k.direction != "reverse") directions.emplace_back("", false);
    if (k.direction != "forward") directions.emplace_back("_reverse", true);
    std::vector<double> next(static_cast<std::size_t>(T * N * merged), 0.0);
    for (std::size_t d = 0; d < directions.size(); ++d) {
      const auto h = written_out(m, k.cell, "_l" + std::to_string(layer) + directions[d].first, sequence, T,
                                 N, width, H, directions[d].second, k.forget_bias, k.relu);
      for (int row = 0; row < T * N; ++row)
        for (int j = 0; j < H; ++j) {
          const double v = h[static_cast<std::size_t>(row * H + j)];
          if (merged == H)
            next[static_cast<std::size_t>(row * H + j)] += v;
          else
            next[static_cast<std::size_t>(row * merged + static_cast<int>(d) * H + j)] = v;
        }
    }
    sequence = next;
    width = merged;
  }
  expect_close(y, {T, N, merged}, std::vector<float>(sequence.begin(), sequence.end()), 1e-5);
}

TEST(ReferenceLstm, OneStepByHand) {
  Model m = model(R"(<topology name="t"><input name="x" shape="1,1,1"/>
    <layer name="l" type="lstm" hidden="1"/></topology>)");
  m.set("l", "w_ih_l0", {0.5F, 2, 1, -1});  // i, f, g, o
  m.set("l", "b_l0", {0, 0, 0, 0});
  // c = sigmoid(0.5) * tanh(1) = 0.4740614; h = sigmoid(-1) * tanh(c) = 0.1187309.
  expect_close(m.run(make_tensor({1, 1, 1}, {1})), {1, 1, 1}, {0.1187309F});
}

TEST(ReferenceLstm, ForwardAgainstGateEquations) {
  check_against_written_out("lstm");
}
TEST(ReferenceLstm, ReverseAgainstGateEquations) {
  check_against_written_out("lstm", "reverse");
}
TEST(ReferenceLstm, BidirectionalConcatAgainstGateEquations) {
  check_against_written_out("lstm", "bidirectional");
}
TEST(ReferenceLstm, BidirectionalSumAgainstGateEquations) {
  check_against_written_out("lstm", "bidirectional", "sum");
}
TEST(ReferenceLstm, StackedBidirectionalAgainstGateEquations) {
  check_against_written_out("lstm", "bidirectional", "concat", 2);
  check_against_written_out("lstm", "forward", "concat", 3);
}
TEST(ReferenceLstm, ForgetBiasAgainstGateEquations) {
  check_against_written_out("lstm", "forward", "concat", 1, R"(forget_bias="1")", 1.0);
}

TEST(ReferenceLstm, ReverseLastStepSeesOnlyTheLastInput) {
  Model reverse = model(R"(<topology name="t"><input name="x" shape="3,1,2"/>
    <layer name="l" type="lstm" hidden="3" direction="reverse"/></topology>)");
  Model forward = model(R"(<topology name="t"><input name="x" shape="1,1,2"/>
    <layer name="l" type="lstm" hidden="3"/></topology>)");
  for (const std::string w : {"w_ih_l0", "w_hh_l0", "b_l0"})
    forward.weights.at({"l", w}) = reverse.weights.at({"l", w + "_reverse"});
  const Tensor x = random_tensor({3, 1, 2}, 4);
  const Tensor y = reverse.run(x);
  const Tensor last = forward.run(make_tensor({1, 1, 2}, {x.as<float>()[4], x.as<float>()[5]}));
  expect_close(make_tensor({3}, {y.as<float>()[6], y.as<float>()[7], y.as<float>()[8]}), last.reshaped({3}));
}

TEST(ReferenceLstm, SumEqualsTheConcatenatedHalvesAdded) {
  const std::string head =
      R"(<topology name="t"><input name="x" shape="3,2,4"/><layer name="l" type="lstm" hidden="2" )";
  const Tensor x = random_tensor({3, 2, 4}, 5);
  const Tensor cat = model(head + R"(direction="bidirectional"/></topology>)").run(x);
  const Tensor sum = model(head + R"(direction="bidirectional" merge="sum"/></topology>)").run(x);
  std::vector<float> expected;
  for (int row = 0; row < 6; ++row)
    for (int j = 0; j < 2; ++j)
      expected.push_back(cat.as<float>()[row * 4 + j] + cat.as<float>()[row * 4 + 2 + j]);
  expect_close(sum, {3, 2, 2}, expected);
}

TEST(ReferenceGru, AgainstGateEquations) {
  check_against_written_out("gru");
  check_against_written_out("gru", "bidirectional");
  check_against_written_out("gru", "reverse", "concat", 2);
}

TEST(ReferenceRnn, TanhAndReluAgainstEquations) {
  check_against_written_out("rnn");
  check_against_written_out("rnn", "bidirectional", "sum", 2);
  check_against_written_out("rnn", "forward", "concat", 1, R"(activation="relu")", 0, true);
}

}  // namespace
}  // namespace ntp::testing
