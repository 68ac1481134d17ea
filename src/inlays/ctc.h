// CTC decoders for the probabilities a speech network emits: greedy (best path) and prefix beam search
// with an optional word-level n-gram language model, plus the helpers that turn labels into text.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "inlays/arpa_model.h"

namespace ntp::inlays {

// Input of every decoder: CTC probabilities (softmax outputs, not logits) of one utterance, `steps` rows
// of `classes` values, row t at probs + t * step_stride. For batch item n of a time-major [T, N, V]
// tensor pass probs + n * V and step_stride N * V. Values that are not positive (or NaN) count as
// probability 0. Bad sizes or options throw std::invalid_argument.

// The blank's class index from a topology's blank attribute: -1 means the last of `classes`.
int ctc_blank_index(std::int64_t blank_attribute, std::int64_t classes);

// Best class per step (the first on ties), repeats merged (if merge_repeated), blanks removed.
std::vector<int> ctc_greedy(const float* probs, std::int64_t steps, std::int64_t classes,
                            std::int64_t step_stride, int blank, bool merge_repeated = true);

struct CtcHypothesis {
  std::vector<int> labels;  // class indices, blanks removed
  double log_score = 0;     // ln P(labels | input), plus the language model and word terms when used
};

struct CtcBeamOptions {
  int beam_width = 100;  // prefixes kept per step
  int blank = -1;        // the blank's class index; the caller resolves "last" to classes - 1
  int top_paths = 1;     // hypotheses returned
  const ArpaModel* language_model = nullptr;
  double lm_weight = 0;   // per completed word: lm_weight * ln P(word | previous words) ...
  double word_bonus = 0;  // ... + word_bonus (applied even without a model, when not 0)
  int space_label = -1;   // the class that ends a word; -1: the whole transcript is one word
  // Class c's text at labels_text[c] (classes entries; the blank's is ignored), to spell words for the
  // model. Needed, with `classes` entries, only when language_model is set.
  std::vector<std::string> labels_text;
};

// CTC prefix beam search (Hannun et al. 2014) in log space. Every prefix keeps the probability of its
// alignments ending in a blank and ending in its last label; a prefix grows by its own last label only
// from the blank-ending ones. After each step the beam_width prefixes with the best total score (acoustic
// plus word terms) remain. A word is completed by appending space_label to a non-empty word, and at the
// end by the final partial word; each completed word adds lm_weight * ln P(word | up to order-1 previous
// words, from "<s>" when the model has it) + word_bonus. Returns up to top_paths hypotheses, best first
// (fewer when fewer prefixes have a probability above 0; one empty hypothesis for 0 steps).
std::vector<CtcHypothesis> ctc_beam_search(const float* probs, std::int64_t steps, std::int64_t classes,
                                           std::int64_t step_stride, const CtcBeamOptions& options);

// The UTF-8 characters of `alphabet`, one string each (a stray continuation byte stays with the character
// before it, so the count matches a count of lead bytes).
std::vector<std::string> split_utf8(const std::string& alphabet);

// Text of labels with one character per non-blank class: class c is alphabet_characters[c] below the blank
// and alphabet_characters[c - 1] above it; blank labels are skipped. An empty alphabet gives the labels as
// space-separated numbers. A label the alphabet does not cover throws std::invalid_argument.
std::string labels_to_text(const std::vector<int>& labels,
                           const std::vector<std::string>& alphabet_characters, int blank);

}  // namespace ntp::inlays
