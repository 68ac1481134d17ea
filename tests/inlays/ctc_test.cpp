// CTC decoders: the published test vectors, prefix beam search against a brute-force sum over every
// alignment, strided batch input, and the language model and word bonus changing the best transcript.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "inlays/arpa_model.h"
#include "inlays/ctc.h"

namespace {

namespace fs = std::filesystem;
using ntp::inlays::ArpaModel;
using ntp::inlays::ctc_beam_search;
using ntp::inlays::ctc_greedy;
using ntp::inlays::CtcBeamOptions;
using ntp::inlays::CtcHypothesis;
using ntp::inlays::labels_to_text;
using ntp::inlays::split_utf8;

// One utterance: rows of probabilities, flattened.
struct Utterance {
  std::vector<float> probs;
  std::int64_t steps = 0;
  std::int64_t classes = 0;
};

Utterance from_rows(const std::vector<std::vector<float>>& rows) {
  Utterance utterance;
  utterance.steps = static_cast<std::int64_t>(rows.size());
  utterance.classes = static_cast<std::int64_t>(rows.at(0).size());
  for (const auto& row : rows)
    utterance.probs.insert(utterance.probs.end(), row.begin(), row.end());
  return utterance;
}

std::vector<int> greedy(const Utterance& u, int blank, bool merge = true) {
  return ctc_greedy(u.probs.data(), u.steps, u.classes, u.classes, blank, merge);
}

std::vector<CtcHypothesis> beam(const Utterance& u, const CtcBeamOptions& options) {
  return ctc_beam_search(u.probs.data(), u.steps, u.classes, u.classes, options);
}

// ctc_vectors.json: two published cases with their greedy and beam (width 20) transcripts.
struct Vectors {
  std::vector<std::string> alphabet;  // the vocabulary without the blank
  int blank = 0;
  int beam_width = 0;
  std::vector<Utterance> cases;
  std::vector<std::string> greedy_text;
  std::vector<std::string> beam_text;
};

Vectors read_vectors() {
  std::ifstream file(std::string(NTP_TESTDATA_DIR) + "/ctc_vectors.json");
  const nlohmann::json json = nlohmann::json::parse(file);
  Vectors vectors;
  vectors.blank = json.at("blank_index").get<int>();
  vectors.beam_width = json.at("beam_width").get<int>();
  const auto vocabulary = json.at("vocabulary").get<std::vector<std::string>>();
  for (std::size_t c = 0; c < vocabulary.size(); ++c)
    if (static_cast<int>(c) != vectors.blank) vectors.alphabet.push_back(vocabulary[c]);
  for (const auto& item : json.at("cases")) {
    vectors.cases.push_back(from_rows(item.at("probs").get<std::vector<std::vector<float>>>()));
    vectors.greedy_text.push_back(item.at("greedy").get<std::string>());
    vectors.beam_text.push_back(item.at("beam").get<std::string>());
  }
  return vectors;
}

TEST(CtcVectors, GreedyGivesThePublishedTranscripts) {
  const Vectors vectors = read_vectors();
  ASSERT_EQ(vectors.cases.size(), 2U);
  for (std::size_t i = 0; i < vectors.cases.size(); ++i)
    EXPECT_EQ(labels_to_text(greedy(vectors.cases[i], vectors.blank), vectors.alphabet, vectors.blank),
              vectors.greedy_text[i]);
}

TEST(CtcVectors, BeamSearchGivesThePublishedTranscripts) {
  const Vectors vectors = read_vectors();
  CtcBeamOptions options;
  options.beam_width = vectors.beam_width;
  options.blank = vectors.blank;
  ASSERT_EQ(options.beam_width, 20);
  ASSERT_EQ(options.blank, 6);
  for (std::size_t i = 0; i < vectors.cases.size(); ++i) {
    const std::vector<CtcHypothesis> best = beam(vectors.cases[i], options);
    ASSERT_EQ(best.size(), 1U);
    EXPECT_EQ(labels_to_text(best[0].labels, vectors.alphabet, vectors.blank), vectors.beam_text[i]);
    EXPECT_LT(best[0].log_score, 0);
  }
}

TEST(CtcBeamSearch, HypothesesAreSortedBestFirstAndDistinct) {
  const Vectors vectors = read_vectors();
  CtcBeamOptions options;
  options.beam_width = vectors.beam_width;
  options.blank = vectors.blank;
  options.top_paths = 10;
  for (const Utterance& utterance : vectors.cases) {
    const std::vector<CtcHypothesis> paths = beam(utterance, options);
    ASSERT_EQ(paths.size(), 10U);
    std::set<std::vector<int>> distinct;
    for (std::size_t k = 0; k < paths.size(); ++k) {
      if (k > 0) {
        EXPECT_GE(paths[k - 1].log_score, paths[k].log_score);
      }
      distinct.insert(paths[k].labels);
    }
    EXPECT_EQ(distinct.size(), paths.size());
    // The first path is the single best one.
    options.top_paths = 1;
    EXPECT_EQ(beam(utterance, options)[0].labels, paths[0].labels);
    options.top_paths = 10;
  }
}

// With a beam wide enough to keep every prefix, each hypothesis's score is the exact log of the summed
// probability of all its alignments; enumerate all V^T paths to check.
TEST(CtcBeamSearch, ScoresEqualTheBruteForceSumOverAlignments) {
  const std::vector<std::vector<std::vector<float>>> inputs = {
      {{0.5F, 0.3F, 0.2F}, {0.1F, 0.6F, 0.3F}, {0.45F, 0.15F, 0.4F}},
      {{0.2F, 0.3F, 0.5F}, {0.25F, 0.5F, 0.25F}, {0.7F, 0.2F, 0.1F}},
      {{0.34F, 0.33F, 0.33F}, {0.0F, 0.5F, 0.5F}, {0.6F, 0.0F, 0.4F}},
  };
  constexpr int kBlank = 1;  // in the middle, to exercise the label numbering
  for (const auto& rows : inputs) {
    const Utterance u = from_rows(rows);
    std::map<std::vector<int>, double> sums;
    for (int path = 0; path < 27; ++path) {
      const int classes[3] = {path % 3, path / 3 % 3, path / 9};
      double probability = 1;
      std::vector<int> labels;
      int previous = kBlank;
      for (int t = 0; t < 3; ++t) {
        probability *= rows[static_cast<std::size_t>(t)][static_cast<std::size_t>(classes[t])];
        if (classes[t] != kBlank && classes[t] != previous) labels.push_back(classes[t]);
        previous = classes[t];
      }
      if (probability > 0) sums[labels] += probability;
    }
    CtcBeamOptions options;
    options.blank = kBlank;
    options.beam_width = 100;
    options.top_paths = 100;
    const std::vector<CtcHypothesis> paths = beam(u, options);
    ASSERT_EQ(paths.size(), sums.size());
    for (const CtcHypothesis& path : paths) {
      ASSERT_TRUE(sums.contains(path.labels));
      const double expected = std::log(sums[path.labels]);
      EXPECT_NEAR(path.log_score, expected, 1e-9 * std::abs(expected));
    }
    // The best by brute force is the first.
    const auto best = std::max_element(sums.begin(), sums.end(),
                                       [](const auto& a, const auto& b) { return a.second < b.second; });
    EXPECT_EQ(paths[0].labels, best->first);
    EXPECT_NEAR(paths[0].log_score, std::log(best->second), 1e-9 * std::abs(std::log(best->second)));
  }
}

// When one class has 0.9 of every step, the single best prefix follows the best path, so a beam of one
// decodes as greedy does.
TEST(CtcBeamSearch, BeamWidthOneEqualsGreedyWhenOneClassDominates) {
  std::mt19937 random(7);
  constexpr std::int64_t kClasses = 5;
  constexpr std::int64_t kSteps = 40;
  for (int round = 0; round < 50; ++round) {
    Utterance u;
    u.steps = kSteps;
    u.classes = kClasses;
    for (std::int64_t t = 0; t < kSteps; ++t) {
      const std::uint32_t dominant = random() % kClasses;
      // The other classes share 0.1 at random.
      std::vector<double> share(kClasses, 0.0);
      double total = 0;
      for (std::int64_t c = 0; c < kClasses; ++c) {
        if (static_cast<std::uint32_t>(c) == dominant) continue;
        share[static_cast<std::size_t>(c)] = 1.0 + random() % 1000;
        total += share[static_cast<std::size_t>(c)];
      }
      for (std::int64_t c = 0; c < kClasses; ++c)
        u.probs.push_back(static_cast<float>(static_cast<std::uint32_t>(c) == dominant
                                                 ? 0.9
                                                 : 0.1 * share[static_cast<std::size_t>(c)] / total));
    }
    const int blank = round % static_cast<int>(kClasses);
    CtcBeamOptions options;
    options.blank = blank;
    options.beam_width = 1;
    const std::vector<CtcHypothesis> best = beam(u, options);
    ASSERT_EQ(best.size(), 1U);
    EXPECT_EQ(best[0].labels, greedy(u, blank)) << "round " << round;
  }
}

// Item n of a time-major [T, N, V] buffer starts at n * V with a stride of N * V.
TEST(CtcStepStride, WalksABatchInterleavedBuffer) {
  const Vectors vectors = read_vectors();
  const std::int64_t steps = vectors.cases[0].steps;
  const std::int64_t classes = vectors.cases[0].classes;
  const std::int64_t batch = 2;
  std::vector<float> interleaved;
  for (std::int64_t t = 0; t < steps; ++t)
    for (std::int64_t n = 0; n < batch; ++n) {
      const auto row = vectors.cases[static_cast<std::size_t>(n)].probs.begin() + t * classes;
      interleaved.insert(interleaved.end(), row, row + classes);
    }
  CtcBeamOptions options;
  options.beam_width = vectors.beam_width;
  options.blank = vectors.blank;
  options.top_paths = 3;
  for (std::int64_t n = 0; n < batch; ++n) {
    const Utterance& alone = vectors.cases[static_cast<std::size_t>(n)];
    const float* item = interleaved.data() + n * classes;
    const std::vector<int> labels = ctc_greedy(item, steps, classes, batch * classes, vectors.blank);
    EXPECT_EQ(labels, greedy(alone, vectors.blank));
    EXPECT_EQ(labels_to_text(labels, vectors.alphabet, vectors.blank),
              vectors.greedy_text[static_cast<std::size_t>(n)]);
    const std::vector<CtcHypothesis> strided =
        ctc_beam_search(item, steps, classes, batch * classes, options);
    const std::vector<CtcHypothesis> contiguous = beam(alone, options);
    ASSERT_EQ(strided.size(), contiguous.size());
    for (std::size_t k = 0; k < strided.size(); ++k) {
      EXPECT_EQ(strided[k].labels, contiguous[k].labels);
      EXPECT_EQ(strided[k].log_score, contiguous[k].log_score);
    }
    EXPECT_EQ(labels_to_text(strided[0].labels, vectors.alphabet, vectors.blank),
              vectors.beam_text[static_cast<std::size_t>(n)]);
  }
}

TEST(CtcGreedy, MergesRepeatsOnlyWhenAsked) {
  // Best classes per step: 1 1 0 1 2 2 (blank 0).
  const Utterance u = from_rows({{0.1F, 0.8F, 0.1F},
                                 {0.2F, 0.7F, 0.1F},
                                 {0.6F, 0.3F, 0.1F},
                                 {0.1F, 0.5F, 0.4F},
                                 {0.1F, 0.2F, 0.7F},
                                 {0.3F, 0.3F, 0.4F}});
  EXPECT_EQ(greedy(u, 0, true), (std::vector<int>{1, 1, 2}));
  EXPECT_EQ(greedy(u, 0, false), (std::vector<int>{1, 1, 1, 2, 2}));
  // Ties go to the first class.
  EXPECT_EQ(greedy(from_rows({{0.4F, 0.4F, 0.2F}}), 2), (std::vector<int>{0}));
}

TEST(CtcBeamSearch, CertainInputScoresZeroWithoutNaN) {
  // One-hot rows: every other class has probability 0 (log 0 must not turn into NaN).
  const Utterance u = from_rows({{0, 1, 0}, {1, 0, 0}, {0, 0, 1}, {0, 0, 1}, {1, 0, 0}, {0, 0, 1}});
  CtcBeamOptions options;
  options.blank = 0;
  options.top_paths = 5;
  const std::vector<CtcHypothesis> paths = beam(u, options);
  ASSERT_EQ(paths.size(), 1U);  // no other prefix has a probability above 0
  EXPECT_EQ(paths[0].labels, (std::vector<int>{1, 2, 2}));
  EXPECT_EQ(paths[0].log_score, 0.0);
}

TEST(CtcBeamSearch, ZeroStepsGiveOneEmptyHypothesis) {
  CtcBeamOptions options;
  options.blank = 0;
  const std::vector<CtcHypothesis> paths = ctc_beam_search(nullptr, 0, 4, 4, options);
  ASSERT_EQ(paths.size(), 1U);
  EXPECT_TRUE(paths[0].labels.empty());
  EXPECT_EQ(paths[0].log_score, 0.0);
  EXPECT_TRUE(ctc_greedy(nullptr, 0, 4, 4, 0).empty());
}

TEST(CtcBeamSearch, RefusesBadArguments) {
  const std::vector<float> probs(12, 0.25F);
  CtcBeamOptions options;
  options.blank = 4;  // not one of 4 classes
  EXPECT_THROW(ctc_beam_search(probs.data(), 3, 4, 4, options), std::invalid_argument);
  EXPECT_THROW(ctc_greedy(probs.data(), 3, 4, 4, -1), std::invalid_argument);
  EXPECT_THROW(ctc_greedy(probs.data(), 3, 4, 3, 0), std::invalid_argument);  // stride below the classes
  options.blank = 0;
  options.beam_width = 0;
  EXPECT_THROW(ctc_beam_search(probs.data(), 3, 4, 4, options), std::invalid_argument);
  options.beam_width = 10;
  options.space_label = 0;  // the blank
  EXPECT_THROW(ctc_beam_search(probs.data(), 3, 4, 4, options), std::invalid_argument);
}

TEST(CtcText, SplitsUtf8AndSpellsLabels) {
  EXPECT_EQ(split_utf8("ab c"), (std::vector<std::string>{"a", "b", " ", "c"}));
  EXPECT_EQ(split_utf8("\xC3\xA9t\xE2\x82\xAC"), (std::vector<std::string>{"\xC3\xA9", "t", "\xE2\x82\xAC"}));
  EXPECT_TRUE(split_utf8("").empty());
  const std::vector<std::string> alphabet = split_utf8("ab\xC3\xA9");
  // Blank 1: class 0 is a, 2 is b, 3 is é.
  EXPECT_EQ(labels_to_text({0, 2, 3, 1, 0}, alphabet, 1),
            "ab\xC3\xA9"
            "a");
  EXPECT_EQ(labels_to_text({3, 0, 12}, {}, 1), "3 0 12");
  EXPECT_THROW(labels_to_text({4}, alphabet, 1), std::invalid_argument);
}

// Classes for the language-model cases: the letters of "the", "cat", "bat", a space, and the blank last.
const std::string kLetters = " abceht";
constexpr int kSpace = 0;
constexpr int kLmBlank = 7;
constexpr std::int64_t kLmClasses = 8;

// ln of a probability as the decoder sees it: the float input, in double.
double ln(float probability) {
  return std::log(static_cast<double>(probability));
}

int class_of(char letter) {
  const std::size_t found = kLetters.find(letter);
  if (found == std::string::npos) throw std::logic_error("no class for this letter");
  return static_cast<int>(found);
}

// A row certain of `letter` ('_' for the blank).
std::vector<float> certain(char letter) {
  std::vector<float> row(kLmClasses, 0.0F);
  row[static_cast<std::size_t>(letter == '_' ? kLmBlank : class_of(letter))] = 1.0F;
  return row;
}

// A step that is `b` with 0.55 and `c` with 0.45: the acoustics slightly prefer "bat" to "cat".
std::vector<float> b_or_c(float b) {
  std::vector<float> row(kLmClasses, 0.0F);
  row[static_cast<std::size_t>(class_of('b'))] = b;
  row[static_cast<std::size_t>(class_of('c'))] = 1.0F - b;
  return row;
}

// Unigrams prefer "bat"; after "the", the bigram prefers "cat".
const std::string kCatModel =
    "\\data\\\n"
    "ngram 1=6\n"
    "ngram 2=3\n"
    "\n"
    "\\1-grams:\n"
    "-99 <s> -0.5\n"
    "-1.0 </s>\n"
    "-2.0 <unk>\n"
    "-1.0 the -0.5\n"
    "-2.0 cat\n"
    "-1.0 bat\n"
    "\n"
    "\\2-grams:\n"
    "-0.3 <s> the\n"
    "-0.2 the cat\n"
    "-0.9 the </s>\n"
    "\\end\\\n";

class CtcLanguageModel : public ::testing::Test {
 protected:
  void SetUp() override { use_model(kCatModel); }
  void TearDown() override { fs::remove(file_); }

  void use_model(const std::string& text) {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    file_ = fs::temp_directory_path() /
            ("ntp_ctc_lm_test_" + std::to_string(getpid()) + "_" + test->name() + ".arpa");
    std::ofstream(file_) << text;
    model_ = std::make_unique<ArpaModel>(ArpaModel::load(file_.string()));
  }

  CtcBeamOptions options(double weight, double bonus = 0) const {
    CtcBeamOptions result;
    result.beam_width = 16;
    result.blank = kLmBlank;
    result.top_paths = 2;
    result.language_model = model_.get();
    result.lm_weight = weight;
    result.word_bonus = bonus;
    result.space_label = kSpace;
    for (const char letter : kLetters)
      result.labels_text.emplace_back(1, letter);
    result.labels_text.emplace_back();  // the blank
    return result;
  }

  static std::string text(const CtcHypothesis& hypothesis) {
    std::string result;
    for (const int label : hypothesis.labels)
      result += kLetters[static_cast<std::size_t>(label)];
    return result;
  }

  fs::path file_;
  std::unique_ptr<ArpaModel> model_;
};

TEST_F(CtcLanguageModel, BigramFlipsTheBestTranscriptOnlyWithAPositiveWeight) {
  const Utterance u = from_rows(
      {certain('t'), certain('h'), certain('e'), certain(' '), b_or_c(0.55F), certain('a'), certain('t')});
  EXPECT_EQ(text(beam(u, options(0))[0]), "the bat");
  const std::vector<CtcHypothesis> with_lm = beam(u, options(1.0));
  ASSERT_EQ(with_lm.size(), 2U);
  EXPECT_EQ(text(with_lm[0]), "the cat");
  EXPECT_EQ(text(with_lm[1]), "the bat");
  // ln 0.45 + 1.0 * ln 10 * (log10 P(the | <s>) + log10 P(cat | the)).
  EXPECT_NEAR(with_lm[0].log_score, ln(0.45F) + std::log(10.0) * (-0.3 - 0.2), 1e-6);
  // ln 0.55 + ln 10 * (-0.3 + back-off(the) + P(bat)).
  EXPECT_NEAR(with_lm[1].log_score, ln(0.55F) + std::log(10.0) * (-0.3 - 0.5 - 1.0), 1e-6);
}

TEST_F(CtcLanguageModel, WithoutTheContextTheUnigramsDecide) {
  // Acoustics now prefer "cat"; at the sentence start the model prefers "bat" (the final partial word).
  const Utterance u = from_rows({b_or_c(0.45F), certain('a'), certain('t')});
  EXPECT_EQ(text(beam(u, options(0))[0]), "cat");
  const std::vector<CtcHypothesis> with_lm = beam(u, options(0.5));
  EXPECT_EQ(text(with_lm[0]), "bat");
  // ln 0.45 + 0.5 * ln 10 * (back-off(<s>) + P(bat)).
  EXPECT_NEAR(with_lm[0].log_score, ln(0.45F) + 0.5 * std::log(10.0) * (-0.5 - 1.0), 1e-6);
}

TEST_F(CtcLanguageModel, WordBonusFavoursMoreWords) {
  // "ab" (a blank between) has 0.6, "a b" (a space between) 0.4.
  std::vector<float> blank_or_space(kLmClasses, 0.0F);
  blank_or_space[kLmBlank] = 0.6F;
  blank_or_space[kSpace] = 0.4F;
  const Utterance u = from_rows({certain('a'), blank_or_space, certain('b')});
  EXPECT_EQ(text(beam(u, options(0))[0]), "ab");
  const std::vector<CtcHypothesis> with_bonus = beam(u, options(0, 1.0));
  EXPECT_EQ(text(with_bonus[0]), "a b");
  EXPECT_NEAR(with_bonus[0].log_score, ln(0.4F) + 2.0, 1e-9);
  EXPECT_NEAR(with_bonus[1].log_score, ln(0.6F) + 1.0, 1e-9);
  // A negative bonus keeps it at one word; the bonus works without a model too.
  EXPECT_EQ(text(beam(u, options(0, -1.0))[0]), "ab");
  CtcBeamOptions no_model = options(0, 1.0);
  no_model.language_model = nullptr;
  EXPECT_EQ(text(beam(u, no_model)[0]), "a b");
}

// A trigram model where "cat" is likely only after "<s> the": the decoder must pass the sentence start
// ahead of the previous word.
const std::string kTrigramCatModel =
    "\\data\\\n"
    "ngram 1=5\n"
    "ngram 2=2\n"
    "ngram 3=1\n"
    "\\1-grams:\n"
    "-99 <s> -0.5\n"
    "-1.0 </s>\n"
    "-1.0 the -0.5\n"
    "-2.0 cat\n"
    "-1.0 bat\n"
    "\\2-grams:\n"
    "-0.3 <s> the -0.5\n"
    "-2.5 the cat\n"
    "\\3-grams:\n"
    "-0.1 <s> the cat\n"
    "\\end\\\n";

TEST_F(CtcLanguageModel, TrigramHistoryStartsAtTheSentenceStart) {
  use_model(kTrigramCatModel);
  const Utterance u = from_rows(
      {certain('t'), certain('h'), certain('e'), certain(' '), b_or_c(0.55F), certain('a'), certain('t')});
  const std::vector<CtcHypothesis> with_lm = beam(u, options(1.0));
  ASSERT_EQ(with_lm.size(), 2U);
  EXPECT_EQ(text(with_lm[0]), "the cat");
  // ln 0.45 + ln 10 * (log10 P(the | <s>) + log10 P(cat | <s> the)).
  EXPECT_NEAR(with_lm[0].log_score, ln(0.45F) + std::log(10.0) * (-0.3 - 0.1), 1e-6);
  // bat backs off twice: back-off(<s> the) + back-off(the) + P(bat).
  EXPECT_NEAR(with_lm[1].log_score, ln(0.55F) + std::log(10.0) * (-0.3 - 0.5 - 0.5 - 1.0), 1e-6);
}

// Rows of zeros, NaN or negative values are impossible steps: no hypothesis survives them, and nothing
// turns into NaN.
TEST(CtcBeamSearch, ImpossibleStepsLeaveNoHypotheses) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const std::vector<float>& bad :
       {std::vector<float>{0, 0, 0}, std::vector<float>{nan, nan, nan}, std::vector<float>{-1, -0.5F, 0}}) {
    const Utterance u = from_rows({{0.2F, 0.3F, 0.5F}, bad, {0.2F, 0.3F, 0.5F}});
    CtcBeamOptions options;
    options.blank = 2;
    options.top_paths = 3;
    EXPECT_TRUE(beam(u, options).empty());
    EXPECT_EQ(greedy(u, 2), (std::vector<int>{}));
  }
  // A NaN among good values only rules its class out.
  const Utterance u = from_rows({{nan, 0.9F, 0.1F}});
  CtcBeamOptions options;
  options.blank = 2;
  options.top_paths = 3;
  const std::vector<CtcHypothesis> paths = beam(u, options);
  ASSERT_EQ(paths.size(), 2U);
  EXPECT_EQ(paths[0].labels, (std::vector<int>{1}));
  EXPECT_NEAR(paths[0].log_score, ln(0.9F), 1e-12);
  EXPECT_EQ(greedy(u, 2), (std::vector<int>{1}));
}

}  // namespace
