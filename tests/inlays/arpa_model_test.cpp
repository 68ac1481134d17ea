// The ARPA language model: back-off values worked out by hand from small files written here, and every
// kind of malformed file refused at its line.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "inlays/arpa_model.h"
#include "ntp/status.h"

namespace {

namespace fs = std::filesystem;
using ntp::UserError;
using ntp::inlays::ArpaModel;

// Stored as float: values read back agree with the file to about 1e-7.
constexpr double kFloatTolerance = 1e-6;

// A bigram model with <unk>; tabs and spaces both separate fields.
const std::string kBigramModel =
    "Written by hand for the tests; text before \\data\\ is ignored.\n"
    "\n"
    "\\data\\\n"
    "ngram 1=7\n"
    "ngram 2=4\n"
    "\n"
    "\\1-grams:\n"
    "-1.5\t<unk>\t0\n"
    "-99\t<s>\t-0.5\n"
    "-1.0\t</s>\n"
    "-1.0\tthe\t-0.4\n"
    "-2.0 cat -0.25\n"
    "-1.2 bat -0.1\n"
    "-1.3 sat\n"
    "\n"
    "\\2-grams:\n"
    "-0.3 <s> the\n"
    "-0.2 the cat\n"
    "-0.6 cat sat\n"
    "-0.9 the </s>\n"
    "\n"
    "\\end\\\n";

// A trigram model without <unk>.
const std::string kTrigramModel =
    "\\data\\\n"
    "ngram 1=3\n"
    "ngram 2=2\n"
    "ngram 3=1\n"
    "\n"
    "\\1-grams:\n"
    "-0.5 a -0.1\n"
    "-0.7 b -0.2\n"
    "-0.9 c -0.3\n"
    "\n"
    "\\2-grams:\n"
    "-0.4 a b -0.05\n"
    "-0.6 b c -0.07\n"
    "\n"
    "\\3-grams:\n"
    "-0.15 a b c\n"
    "\\end\\\n";

class ArpaFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("ntp_arpa_test_" + std::to_string(getpid()) + "_" + test->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) const {
    const std::string file = (dir_ / name).string();
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }

  ArpaModel load_text(const std::string& text) const { return ArpaModel::load(write("model.arpa", text)); }

  fs::path dir_;
};

double log10_p(const ArpaModel& model, std::vector<std::string> history, const std::string& word) {
  return model.log10_probability(history, word);
}

TEST_F(ArpaFiles, ReadsOrderCountsAndVocabulary) {
  const ArpaModel model = load_text(kBigramModel);
  EXPECT_EQ(model.order(), 2);
  EXPECT_EQ(model.ngram_count(1), 7);
  EXPECT_EQ(model.ngram_count(2), 4);
  EXPECT_EQ(model.ngram_count(3), 0);
  EXPECT_TRUE(model.contains("cat"));
  EXPECT_TRUE(model.contains("<s>"));
  EXPECT_FALSE(model.contains("dog"));
}

TEST_F(ArpaFiles, BigramValuesWorkedOutByHand) {
  const ArpaModel model = load_text(kBigramModel);
  // Known bigrams.
  EXPECT_NEAR(log10_p(model, {"the"}, "cat"), -0.2, kFloatTolerance);
  EXPECT_NEAR(log10_p(model, {"<s>"}, "the"), -0.3, kFloatTolerance);
  // Backed off: back-off(the) + P(bat) = -0.4 + -1.2.
  EXPECT_NEAR(log10_p(model, {"the"}, "bat"), -1.6, kFloatTolerance);
  // Sentence start backed off: back-off(<s>) + P(cat) = -0.5 + -2.0.
  EXPECT_NEAR(log10_p(model, {"<s>"}, "cat"), -2.5, kFloatTolerance);
  // A context without a back-off weight costs nothing: 0 + P(the).
  EXPECT_NEAR(log10_p(model, {"sat"}, "the"), -1.0, kFloatTolerance);
  // No history: the unigram.
  EXPECT_NEAR(log10_p(model, {}, "cat"), -2.0, kFloatTolerance);
  // Only the last order - 1 words count.
  EXPECT_NEAR(log10_p(model, {"sat", "bat", "the"}, "cat"), -0.2, kFloatTolerance);
}

TEST_F(ArpaFiles, UnknownWordsStandForUnk) {
  const ArpaModel model = load_text(kBigramModel);
  // Predicted: back-off(the) + P(<unk>) = -0.4 + -1.5.
  EXPECT_NEAR(log10_p(model, {"the"}, "dog"), -1.9, kFloatTolerance);
  // In the history: <unk> sat is no bigram and <unk>'s back-off is 0, so P(sat).
  EXPECT_NEAR(log10_p(model, {"dog"}, "sat"), -1.3, kFloatTolerance);
}

TEST_F(ArpaFiles, TrigramBackOffChainsWithoutUnk) {
  const ArpaModel model = load_text(kTrigramModel);
  EXPECT_EQ(model.order(), 3);
  EXPECT_NEAR(log10_p(model, {"a", "b"}, "c"), -0.15, kFloatTolerance);
  // No trigram `b b c`; back-off(b b) is absent (0), bigram `b c` exists.
  EXPECT_NEAR(log10_p(model, {"b", "b"}, "c"), -0.6, kFloatTolerance);
  // No `a b a`, no `b a`: back-off(a b) + back-off(b) + P(a) = -0.05 - 0.2 - 0.5.
  EXPECT_NEAR(log10_p(model, {"a", "b"}, "a"), -0.75, kFloatTolerance);
  // A history of one word in a trigram model: no `c a`, back-off(c) + P(a).
  EXPECT_NEAR(log10_p(model, {"c"}, "a"), -0.8, kFloatTolerance);
  // No <unk>: an unknown word gets the floor; an unknown history word cuts the context before it.
  EXPECT_EQ(log10_p(model, {"a"}, "zebra"), ArpaModel::kUnknownWordLog10);
  EXPECT_NEAR(log10_p(model, {"a", "zebra"}, "c"), -0.9, kFloatTolerance);
  EXPECT_NEAR(log10_p(model, {"zebra", "b"}, "c"), -0.6, kFloatTolerance);
}

TEST_F(ArpaFiles, WindowsLineEndingsReadTheSame) {
  std::string crlf;
  for (const char c : kBigramModel) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  const ArpaModel model = load_text(crlf);
  EXPECT_EQ(model.ngram_count(1), 7);
  EXPECT_NEAR(log10_p(model, {"the"}, "bat"), -1.6, kFloatTolerance);
}

struct MalformedCase {
  std::string name;
  std::string text;
  int line;
  int column;  // 0: not checked
  std::string message_part;
};

const std::string kGoodCounts = "\\data\\\nngram 1=2\nngram 2=1\n\n";  // lines 1-4

TEST_F(ArpaFiles, MalformedFilesAreRefusedAtTheirLine) {
  const std::vector<MalformedCase> cases = {
      {"empty file", "", 1, 1, "no \\data\\ header"},
      {"no header", "hello\nworld\n", 2, 1, "no \\data\\ header"},
      {"section before header", "# comment\n\\1-grams:\n-1 a\n\\end\\\n", 2, 1, "before the \\data\\ header"},
      {"malformed count", "\\data\\\nngram 1=x\n", 2, 9, "malformed n-gram count"},
      {"count line without =", "\\data\\\nngram 1 5\n", 2, 1, "malformed count line"},
      {"order gap", "\\data\\\nngram 1=1\nngram 3=1\n", 3, 7, "`ngram 2=` was expected"},
      {"no unigrams", "\\data\\\nngram 1=0\n", 2, 9, "without 1-grams"},
      {"no counts", "\\data\\\n\n\\1-grams:\n", 3, 1, "no `ngram N=count`"},
      {"stray text after counts", "\\data\\\nngram 1=1\nhello\n", 3, 1, "expected `ngram N=count`"},
      {"malformed probability", kGoodCounts + "\\1-grams:\n-1 a\nabc b\n", 7, 1,
       "malformed log10 probability"},
      {"probability above 0", kGoodCounts + "\\1-grams:\n-1 a\n0.5 b\n", 7, 1, "above 0"},
      {"malformed back-off", kGoodCounts + "\\1-grams:\n-1 a\n-1 b -0.4x\n", 7, 6,
       "malformed log10 back-off"},
      {"unigram with two words", kGoodCounts + "\\1-grams:\n-1 a\n-1 b c d\n", 7, 4,
       "a 1-gram entry with 3 words"},
      {"bigram with one word", kGoodCounts + "\\1-grams:\n-1 a\n-1 b\n\n\\2-grams:\n-0.5 a\n", 10, 6,
       "a 2-gram entry with 1 word"},
      {"bigram with three words", kGoodCounts + "\\1-grams:\n-1 a\n-1 b\n\n\\2-grams:\n-0.5 a b a\n", 10, 6,
       "a 2-gram entry with 3 words"},
      {"more entries than declared", kGoodCounts + "\\1-grams:\n-1 a\n-1 b\n-1 c\n", 8, 1,
       "more \\1-grams: entries than the 2"},
      {"fewer entries than declared", kGoodCounts + "\\1-grams:\n-1 a\n\n\\2-grams:\n", 8, 1,
       "\\1-grams: has 1 entries where \\data\\ declares 2 (line 2)"},
      {"last section short", kGoodCounts + "\\1-grams:\n-1 a\n-1 b\n\\2-grams:\n\\end\\\n", 9, 1,
       "\\2-grams: has 0 entries where \\data\\ declares 1 (line 3)"},
      {"missing section", kGoodCounts + "\\1-grams:\n-1 a\n-1 b\n\\end\\\n", 8, 1,
       "before the \\2-grams: section"},
      {"missing end", kGoodCounts + "\\1-grams:\n-1 a\n-1 b\n\\2-grams:\n-1 a b\n", 9, 1, "without \\end\\"},
      {"truncated mid-section", kGoodCounts + "\\1-grams:\n-1 a\n", 6, 1, "without \\end\\"},
      {"sections out of order", kGoodCounts + "\\2-grams:\n-1 a b\n", 5, 1, "`\\1-grams:` was expected"},
      {"undeclared section", kGoodCounts + "\\1-grams:\n-1 a\n-1 b\n\\2-grams:\n-1 a b\n\\3-grams:\n", 10, 1,
       "declares orders up to 2"},
      {"unknown section", kGoodCounts + "\\1-grams:\n-1 a\n-1 b\n\\foo\\\n", 8, 1, "unexpected `\\foo\\`"},
      {"word missing from the unigrams", kGoodCounts + "\\1-grams:\n-1 a\n-1 b\n\\2-grams:\n-1 a zebra\n", 9,
       6, "`zebra` is not one of the 1-grams"},
      {"duplicate unigram", kGoodCounts + "\\1-grams:\n-1 a\n-2 a\n", 7, 4, "duplicate 1-gram `a`"},
      {"duplicate bigram",
       "\\data\\\nngram 1=2\nngram 2=2\n\\1-grams:\n-1 a\n-1 b\n\\2-grams:\n-1 a b\n-2 a b\n\\end\\\n", 9, 1,
       "duplicate 2-gram"},
  };
  for (const MalformedCase& malformed : cases) {
    SCOPED_TRACE(malformed.name);
    const std::string file = write("bad.arpa", malformed.text);
    try {
      (void)ArpaModel::load(file);
      ADD_FAILURE() << "loaded";
    } catch (const UserError& error) {
      const ntp::Diagnostic& diagnostic = error.diagnostic();
      EXPECT_EQ(diagnostic.where.file, file);
      EXPECT_EQ(diagnostic.where.line, malformed.line) << diagnostic.to_string();
      if (malformed.column != 0) {
        EXPECT_EQ(diagnostic.where.column, malformed.column) << diagnostic.to_string();
      }
      EXPECT_NE(diagnostic.message.find(malformed.message_part), std::string::npos) << diagnostic.to_string();
      EXPECT_FALSE(diagnostic.hint.empty()) << diagnostic.to_string();
    }
  }
}

TEST_F(ArpaFiles, MissingFileIsAUserError) {
  const std::string file = (dir_ / "absent.arpa").string();
  try {
    (void)ArpaModel::load(file);
    ADD_FAILURE() << "loaded";
  } catch (const UserError& error) {
    EXPECT_EQ(error.diagnostic().where.file, file);
    EXPECT_EQ(error.diagnostic().where.line, 0);
  }
}

// Every truncation of a good file either loads (only once \end\ is in) or is a UserError; never a crash.
TEST_F(ArpaFiles, EveryTruncationIsRefusedCleanly) {
  const std::size_t end_marker = kBigramModel.find("\\end\\");
  for (std::size_t length = 0; length < kBigramModel.size(); ++length) {
    SCOPED_TRACE(length);
    const std::string file = write("truncated.arpa", kBigramModel.substr(0, length));
    const bool complete = length >= end_marker + 5;
    try {
      const ArpaModel model = ArpaModel::load(file);
      EXPECT_TRUE(complete);
      EXPECT_EQ(model.ngram_count(2), 4);
    } catch (const UserError& error) {
      EXPECT_FALSE(complete) << error.diagnostic().to_string();
      EXPECT_GE(error.diagnostic().where.line, 1);
    }
  }
}

// Random byte changes (including NUL, newlines and backslashes) give a model or a UserError.
TEST_F(ArpaFiles, CorruptedBytesAreRefusedCleanly) {
  using namespace std::string_literals;
  std::mt19937 random(20240611);
  const std::string specials = "\n\\\t -.0123456789e\0\0"s;  // both NULs are part of the set
  int refused = 0;
  for (int round = 0; round < 400; ++round) {
    std::string text = kTrigramModel;
    const int changes = 1 + static_cast<int>(random() % 4);
    for (int change = 0; change < changes; ++change) {
      const std::size_t at = random() % text.size();
      text[at] = random() % 2 == 0 ? specials[random() % specials.size()] : static_cast<char>(random() % 256);
    }
    const std::string file = write("corrupt.arpa", text);
    try {
      const ArpaModel model = ArpaModel::load(file);
      (void)model.log10_probability(std::vector<std::string>{"a", "b"}, "c");
    } catch (const UserError&) {
      ++refused;
    }
  }
  EXPECT_GT(refused, 100);  // most corruptions are caught
}

}  // namespace
