// A word-level n-gram language model read from an ARPA file (the text format SRILM and KenLM write), for
// the CTC beam-search decoder.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ntp::inlays {

class ArpaModel {
 public:
  // The log10 probability of a word that is not in the model when the model has no <unk> either: KenLM's
  // choice, low enough that any known word wins.
  static constexpr double kUnknownWordLog10 = -100.0;
  static constexpr const char* kSentenceStart = "<s>";
  static constexpr const char* kSentenceEnd = "</s>";
  static constexpr const char* kUnknownWord = "<unk>";

  // Reads `path`: optional text, then `\data\`, `ngram N=count` for N = 1, 2, ..., the `\N-grams:`
  // sections in that order (`log10prob w1 .. wN [log10backoff]`, fields separated by spaces or tabs) and
  // `\end\`. Throws ntp::UserError located at the offending line and column for a missing file, a missing
  // header, section or `\end\`, counts that do not match the entries, a malformed number, an n-gram of the
  // wrong order, a word missing from the 1-grams or a duplicate n-gram. Probabilities are stored as float.
  static ArpaModel load(const std::string& path);

  int order() const { return static_cast<int>(tables_.size()); }
  // Entries of the order-n section (1-based n); 0 outside 1..order().
  std::int64_t ngram_count(int n) const;
  // Whether `word` is one of the 1-grams (exactly; no <unk> mapping).
  bool contains(const std::string& word) const { return vocabulary_.find(word) != vocabulary_.end(); }

  // log10 P(word | history) with Katz back-off: the longest n-gram (context, word) in the model, plus the
  // back-off weights of the longer contexts that were not followed by `word`. Only the last order() - 1
  // words of `history` count (oldest first; start it with "<s>" for a sentence start). Unknown words, in
  // the history or predicted, stand for <unk> when the model has it; otherwise an unknown history word
  // cuts the context there, and an unknown predicted word gets kUnknownWordLog10.
  double log10_probability(std::span<const std::string> history, const std::string& word) const;

 private:
  // One order's n-grams: word ids n per entry, found through an open-addressing index (no allocation per
  // lookup; a model can hold millions of entries).
  struct NgramTable {
    int n = 0;
    std::vector<std::int32_t> words;
    std::vector<float> log10_probabilities;
    std::vector<float> log10_backoffs;
    std::vector<std::int32_t> index;  // entry number or -1; size a power of two
    // Entry number of `ids` (n ids), or -1.
    std::int32_t find(std::span<const std::int32_t> ids) const;
    // Builds `index`; returns the entry that duplicates an earlier one, or -1.
    std::int32_t build_index();
  };

  struct TransparentHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };

  // Word id, -1 for none (after the <unk> mapping).
  std::int32_t id_of(const std::string& word) const;

  std::unordered_map<std::string, std::int32_t, TransparentHash, std::equal_to<>> vocabulary_;
  std::vector<NgramTable> tables_;  // tables_[n - 1]: the n-grams
  std::int32_t unknown_id_ = -1;

  friend class ArpaParser;
};

}  // namespace ntp::inlays
