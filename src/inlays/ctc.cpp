#include "inlays/ctc.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <utility>

namespace ntp::inlays {

namespace {

constexpr double kLogZero = -std::numeric_limits<double>::infinity();

// ln(e^a + e^b) without overflow; ln 0 (-inf) on either side is exact, not NaN.
double log_add(double a, double b) {
  if (a == kLogZero) return b;
  if (b == kLogZero) return a;
  return a > b ? a + std::log1p(std::exp(b - a)) : b + std::log1p(std::exp(a - b));
}

// Probabilities that are not positive (0, negative, NaN) are impossible events.
double log_of(float probability) {
  return probability > 0 ? std::log(static_cast<double>(probability)) : kLogZero;
}

void check_input(const float* probs, std::int64_t steps, std::int64_t classes, std::int64_t step_stride,
                 int blank) {
  if (steps < 0 || classes < 1 || classes > std::numeric_limits<int>::max())
    throw std::invalid_argument(fmt::format("CTC input of {} steps and {} classes", steps, classes));
  if (step_stride < classes)
    throw std::invalid_argument(
        fmt::format("CTC step stride {} is below the {} classes", step_stride, classes));
  if (blank < 0 || blank >= classes)
    throw std::invalid_argument(fmt::format("CTC blank {} is not one of the {} classes", blank, classes));
  if (steps > 0 && probs == nullptr) throw std::invalid_argument("CTC input without probabilities");
}

// The prefixes of a search form a tree: a prefix is a node, its last label and a link to the prefix without
// it, so extending a prefix costs one node instead of a copy of its labels. A node stands for one label
// sequence only (children are looked up before they are made), which is what lets the beam merge the
// probability of equal prefixes. Children hang in a sibling list rather than a hash map: they are looked up
// only for the few prefixes that survive a step (at most beam_width), and a node has at most V children.
// Nodes live until the utterance is decoded: at most steps * beam_width of them, a few dozen bytes each.
struct PrefixNode {
  int parent = -1;
  int label = -1;
  int first_child = -1;
  int next_sibling = -1;
  int last_word = -1;       // the WordRecord of the last completed word, -1 for none
  double word_score = 0;    // the terms of the completed words
  double closed_score = 0;  // word_score plus the term of the word ending at this node, once computed
  bool closed = false;
};

// A completed word and the one before it: the language model's history, shared by every prefix after it.
struct WordRecord {
  std::string text;
  int previous = -1;
};

struct BeamEntry {
  int node = 0;
  double log_blank = kLogZero;      // alignments of the prefix that end in a blank
  double log_non_blank = kLogZero;  // ... that end in its last label
};

struct Candidate {
  std::size_t slot = 0;
  double score = 0;
};

class PrefixBeamSearch {
 public:
  PrefixBeamSearch(std::int64_t classes, const CtcBeamOptions& options)
      : classes_(static_cast<std::size_t>(classes)),
        options_(options),
        lm_active_(options.language_model != nullptr && options.lm_weight != 0),
        word_scoring_(lm_active_ || options.word_bonus != 0) {
    nodes_.emplace_back();  // the root: the empty prefix
    beam_.push_back({0, 0.0, kLogZero});
    position_.push_back(-1);
    log_probs_.resize(classes_);
  }

  void step(const float* row) {
    for (std::size_t c = 0; c < classes_; ++c)
      log_probs_[c] = log_of(row[c]);
    const double log_blank = log_probs_[static_cast<std::size_t>(options_.blank)];
    const std::size_t width = beam_.size();
    const std::size_t extensions = width * classes_;
    // Candidates merge in a dense array instead of a hash map keyed by prefix: slot i * V + c is beam entry i
    // extended by c, slot V * width + i is entry i unchanged, unless entry i is entry p plus its last label,
    // which is slot p * V + label. So every distinct prefix has one slot, found without hashing.
    slots_.assign(extensions + width, BeamEntry{});
    for (std::size_t i = 0; i < width; ++i)
      position_[static_cast<std::size_t>(beam_[i].node)] = static_cast<int>(i);

    for (std::size_t i = 0; i < width; ++i) {
      const BeamEntry& entry = beam_[i];
      const PrefixNode& node = nodes_[static_cast<std::size_t>(entry.node)];
      const double total = log_add(entry.log_blank, entry.log_non_blank);
      const int parent_position = node.parent >= 0 ? position_[static_cast<std::size_t>(node.parent)] : -1;
      BeamEntry& stay = slots_[parent_position >= 0 ? static_cast<std::size_t>(parent_position) * classes_ +
                                                          static_cast<std::size_t>(node.label)
                                                    : extensions + i];
      stay.log_blank = log_add(stay.log_blank, total + log_blank);
      if (node.label >= 0)  // the last label repeated: merged into it
        stay.log_non_blank = log_add(stay.log_non_blank,
                                     entry.log_non_blank + log_probs_[static_cast<std::size_t>(node.label)]);
      for (std::size_t c = 0; c < classes_; ++c) {
        if (static_cast<int>(c) == options_.blank || log_probs_[c] == kLogZero) continue;
        // The same label again makes a new one only after a blank.
        const double from = static_cast<int>(c) == node.label ? entry.log_blank : total;
        BeamEntry& extended = slots_[i * classes_ + c];
        extended.log_non_blank = log_add(extended.log_non_blank, from + log_probs_[c]);
      }
    }
    for (const BeamEntry& entry : beam_)
      position_[static_cast<std::size_t>(entry.node)] = -1;

    candidates_.clear();
    for (std::size_t slot = 0; slot < slots_.size(); ++slot) {
      const double acoustic = log_add(slots_[slot].log_blank, slots_[slot].log_non_blank);
      if (acoustic == kLogZero) continue;
      double words = 0;
      if (slot < extensions) {
        const int node = beam_[slot / classes_].node;
        words = static_cast<int>(slot % classes_) == options_.space_label
                    ? closed_score(node)
                    : nodes_[static_cast<std::size_t>(node)].word_score;
      } else {
        words = nodes_[static_cast<std::size_t>(beam_[slot - extensions].node)].word_score;
      }
      const double score = acoustic + words;
      if (!std::isnan(score)) candidates_.push_back({slot, score});
    }
    const auto better = [](const Candidate& a, const Candidate& b) {
      return a.score > b.score || (a.score == b.score && a.slot < b.slot);
    };
    const auto keep = static_cast<std::size_t>(options_.beam_width);
    if (candidates_.size() > keep) {
      std::nth_element(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(keep),
                       candidates_.end(), better);
      candidates_.resize(keep);
    }

    next_beam_.clear();
    for (const Candidate& candidate : candidates_) {
      BeamEntry entry = slots_[candidate.slot];
      entry.node = candidate.slot < extensions ? child(beam_[candidate.slot / classes_].node,
                                                       static_cast<int>(candidate.slot % classes_))
                                               : beam_[candidate.slot - extensions].node;
      next_beam_.push_back(entry);
    }
    position_.resize(nodes_.size(), -1);
    std::swap(beam_, next_beam_);
  }

  std::vector<CtcHypothesis> finish() {
    std::vector<std::pair<double, int>> ranked;  // (score, node)
    ranked.reserve(beam_.size());
    for (const BeamEntry& entry : beam_) {
      const double score = log_add(entry.log_blank, entry.log_non_blank) + closed_score(entry.node);
      if (!std::isnan(score)) ranked.emplace_back(score, entry.node);
    }
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    ranked.resize(std::min(ranked.size(), static_cast<std::size_t>(options_.top_paths)));

    std::vector<CtcHypothesis> hypotheses;
    for (const auto& [score, node] : ranked) {
      CtcHypothesis hypothesis;
      for (int n = node; n > 0; n = nodes_[static_cast<std::size_t>(n)].parent)
        hypothesis.labels.push_back(nodes_[static_cast<std::size_t>(n)].label);
      std::reverse(hypothesis.labels.begin(), hypothesis.labels.end());
      hypothesis.log_score = score;
      hypotheses.push_back(std::move(hypothesis));
    }
    return hypotheses;
  }

 private:
  // Whether the word that a space after `node` would complete has letters.
  bool word_ends_at(int node) const {
    return node > 0 && nodes_[static_cast<std::size_t>(node)].label != options_.space_label;
  }

  // The prefix `parent` + `label`, made on first use.
  int child(int parent, int label) {
    for (int n = nodes_[static_cast<std::size_t>(parent)].first_child; n >= 0;
         n = nodes_[static_cast<std::size_t>(n)].next_sibling)
      if (nodes_[static_cast<std::size_t>(n)].label == label) return n;

    PrefixNode node;
    node.parent = parent;
    node.label = label;
    node.next_sibling = nodes_[static_cast<std::size_t>(parent)].first_child;
    node.last_word = nodes_[static_cast<std::size_t>(parent)].last_word;
    node.word_score = nodes_[static_cast<std::size_t>(parent)].word_score;
    if (label == options_.space_label) {
      node.word_score = closed_score(parent);
      if (lm_active_ && word_ends_at(parent)) {
        words_.push_back({spell_word(parent), node.last_word});
        node.last_word = static_cast<int>(words_.size()) - 1;
      }
    }
    const auto id = static_cast<int>(nodes_.size());
    nodes_.push_back(node);
    nodes_[static_cast<std::size_t>(parent)].first_child = id;
    return id;
  }

  // word_score of `node` plus the term of the word ending there, computed once per node.
  double closed_score(int node) {
    PrefixNode& prefix = nodes_[static_cast<std::size_t>(node)];
    if (prefix.closed) return prefix.closed_score;
    double score = prefix.word_score;
    if (word_scoring_ && word_ends_at(node)) {
      score += options_.word_bonus;
      if (lm_active_) {
        const std::string& word = spell_word(node);
        const double log10_p = options_.language_model->log10_probability(history(prefix.last_word), word);
        score += options_.lm_weight * std::numbers::ln10 * log10_p;
      }
    }
    prefix.closed_score = score;
    prefix.closed = true;
    return score;
  }

  // The letters from `node` back to the previous space or the start, in a reused buffer.
  const std::string& spell_word(int node) {
    word_labels_.clear();
    for (int n = node; word_ends_at(n); n = nodes_[static_cast<std::size_t>(n)].parent)
      word_labels_.push_back(nodes_[static_cast<std::size_t>(n)].label);
    word_.clear();
    for (auto label = word_labels_.rbegin(); label != word_labels_.rend(); ++label)
      word_ += options_.labels_text[static_cast<std::size_t>(*label)];
    return word_;
  }

  // The words before a word, oldest first: at most order - 1, preceded by <s> at the sentence start.
  std::span<const std::string> history(int last_word) {
    const auto most = static_cast<std::size_t>(std::max(options_.language_model->order() - 1, 0));
    std::size_t count = 0;
    for (int w = last_word; w >= 0 && count < most; w = words_[static_cast<std::size_t>(w)].previous)
      ++count;
    const bool from_start = count < most && options_.language_model->contains(ArpaModel::kSentenceStart);
    const std::size_t first = from_start ? 1 : 0;
    history_.resize(first + count);
    if (from_start) history_[0] = ArpaModel::kSentenceStart;
    // The records link newest to oldest: fill from the back.
    int w = last_word;
    for (std::size_t k = count; k > 0; --k) {
      history_[first + k - 1] = words_[static_cast<std::size_t>(w)].text;
      w = words_[static_cast<std::size_t>(w)].previous;
    }
    return history_;
  }

  std::size_t classes_;
  const CtcBeamOptions& options_;
  bool lm_active_;     // a model with a weight: words are spelled and scored
  bool word_scoring_;  // completed words change the score (model or bonus)

  std::vector<PrefixNode> nodes_;  // nodes_[0]: the empty prefix
  std::vector<WordRecord> words_;
  std::vector<BeamEntry> beam_;
  // Buffers reused at every step, so that a step allocates nothing once they have grown.
  std::vector<BeamEntry> next_beam_;
  std::vector<BeamEntry> slots_;
  std::vector<Candidate> candidates_;
  std::vector<int> position_;  // a node's index in beam_, -1 when it is not there
  std::vector<double> log_probs_;
  std::vector<int> word_labels_;
  std::string word_;
  std::vector<std::string> history_;
};

}  // namespace

int ctc_blank_index(std::int64_t blank_attribute, std::int64_t classes) {
  return static_cast<int>(blank_attribute < 0 ? classes - 1 : blank_attribute);
}

std::vector<int> ctc_greedy(const float* probs, std::int64_t steps, std::int64_t classes,
                            std::int64_t step_stride, int blank, bool merge_repeated) {
  check_input(probs, steps, classes, step_stride, blank);
  std::vector<int> labels;
  int previous = blank;
  for (std::int64_t t = 0; t < steps; ++t) {
    const float* row = probs + t * step_stride;
    // Only positive values count (NaN never compares greater): a row without any decodes as a blank.
    int best = blank;
    float best_probability = 0;
    for (std::int64_t c = 0; c < classes; ++c) {
      if (row[c] > best_probability) {
        best_probability = row[c];
        best = static_cast<int>(c);
      }
    }
    if (best != blank && !(merge_repeated && best == previous)) labels.push_back(best);
    previous = best;
  }
  return labels;
}

std::vector<CtcHypothesis> ctc_beam_search(const float* probs, std::int64_t steps, std::int64_t classes,
                                           std::int64_t step_stride, const CtcBeamOptions& options) {
  check_input(probs, steps, classes, step_stride, options.blank);
  if (options.beam_width < 1 || options.top_paths < 1)
    throw std::invalid_argument(fmt::format("CTC beam width {} and top paths {} must be positive",
                                            options.beam_width, options.top_paths));
  if (options.space_label != -1 &&
      (options.space_label < 0 || options.space_label >= classes || options.space_label == options.blank))
    throw std::invalid_argument(
        fmt::format("CTC space label {} is not a non-blank class of {}", options.space_label, classes));
  if (!std::isfinite(options.lm_weight) || !std::isfinite(options.word_bonus))
    throw std::invalid_argument("CTC lm_weight and word_bonus must be finite");
  if (options.language_model != nullptr && static_cast<std::int64_t>(options.labels_text.size()) != classes)
    throw std::invalid_argument(
        fmt::format("a language model needs the text of each of the {} classes, got {}", classes,
                    options.labels_text.size()));

  PrefixBeamSearch search(classes, options);
  for (std::int64_t t = 0; t < steps; ++t)
    search.step(probs + t * step_stride);
  return search.finish();
}

std::vector<std::string> split_utf8(const std::string& alphabet) {
  std::vector<std::string> characters;
  std::string stray;  // continuation bytes before any lead byte
  for (const char byte : alphabet) {
    const bool continuation = (static_cast<unsigned char>(byte) & 0xC0U) == 0x80U;
    if (!continuation)
      characters.emplace_back(1, byte);
    else if (characters.empty())
      stray += byte;
    else
      characters.back() += byte;
  }
  if (!characters.empty()) characters.front().insert(0, stray);
  return characters;
}

std::string labels_to_text(const std::vector<int>& labels,
                           const std::vector<std::string>& alphabet_characters, int blank) {
  std::string text;
  for (const int label : labels) {
    if (label == blank) continue;
    if (alphabet_characters.empty()) {
      if (!text.empty()) text += ' ';
      text += std::to_string(label);
      continue;
    }
    const int letter = label < blank ? label : label - 1;
    if (label < 0 || letter >= static_cast<int>(alphabet_characters.size()))
      throw std::invalid_argument(fmt::format("label {} is beyond the alphabet of {} characters (blank {})",
                                              label, alphabet_characters.size(), blank));
    text += alphabet_characters[static_cast<std::size_t>(letter)];
  }
  return text;
}

}  // namespace ntp::inlays
