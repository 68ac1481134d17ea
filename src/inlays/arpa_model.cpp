#include "inlays/arpa_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <optional>
#include <utility>

#include "io/files.h"
#include "ntp/limits.h"
#include "ntp/status.h"

namespace ntp::inlays {

namespace {

constexpr std::string_view kBlanks = " \t";
// Entry numbers and word ids are int32; a larger section is refused rather than wrapped.
using limits::kMaxArpaEntries;
// Context words held on the stack by log10_probability; longer models fall back to the heap.
constexpr int kInlineOrder = 8;

std::string_view trim(std::string_view text) {
  const std::size_t first = text.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kBlanks) - first + 1);
}

// A field of a line and its 1-based column.
struct Field {
  std::string_view text;
  int column = 0;
};

void split_fields(std::string_view line, std::vector<Field>& fields) {
  fields.clear();
  std::size_t position = 0;
  while ((position = line.find_first_not_of(kBlanks, position)) != std::string_view::npos) {
    std::size_t end = line.find_first_of(kBlanks, position);
    if (end == std::string_view::npos) end = line.size();
    fields.push_back({line.substr(position, end - position), static_cast<int>(position) + 1});
    position = end;
  }
}

std::optional<double> parse_real(std::string_view text) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || std::isnan(value)) return std::nullopt;
  return value;
}

// Whether a field was meant as a number (so a parse failure is a malformed number, not a word).
bool looks_numeric(std::string_view text) {
  return !text.empty() &&
         (text[0] == '-' || text[0] == '+' || text[0] == '.' || (text[0] >= '0' && text[0] <= '9'));
}

std::optional<std::int64_t> parse_count(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

// `\N-grams:` -> N; nullopt for anything else.
std::optional<int> section_order(std::string_view line) {
  constexpr std::string_view kSuffix = "-grams:";
  if (line.size() <= kSuffix.size() + 1 || line.front() != '\\' || !line.ends_with(kSuffix))
    return std::nullopt;
  const std::string_view digits = line.substr(1, line.size() - 1 - kSuffix.size());
  int order = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), order);
  if (error != std::errc() || end != digits.data() + digits.size() || order <= 0) return std::nullopt;
  return order;
}

std::uint64_t hash_ids(std::span<const std::int32_t> ids) {
  std::uint64_t hash = 0x9E3779B97F4A7C15ULL;
  for (const std::int32_t id : ids) {
    hash ^= static_cast<std::uint32_t>(id);
    hash *= 0xBF58476D1CE4E5B9ULL;
    hash ^= hash >> 31;
  }
  return hash;
}

}  // namespace

std::int32_t ArpaModel::NgramTable::find(std::span<const std::int32_t> ids) const {
  if (n == 1) return ids[0];  // a word's id is its 1-gram entry
  if (index.empty()) return -1;
  const std::size_t mask = index.size() - 1;
  const auto count = static_cast<std::size_t>(n);
  for (std::size_t slot = hash_ids(ids) & mask;; slot = (slot + 1) & mask) {
    const std::int32_t entry = index[slot];
    if (entry < 0) return -1;
    const auto* stored = words.data() + static_cast<std::size_t>(entry) * count;
    if (std::equal(ids.begin(), ids.end(), stored)) return entry;
  }
}

std::int32_t ArpaModel::NgramTable::build_index() {
  const std::size_t entries = log10_probabilities.size();
  std::size_t size = 2;
  while (size < 2 * entries)
    size *= 2;  // at most half full: short probes
  index.assign(size, -1);
  const std::size_t mask = size - 1;
  const auto count = static_cast<std::size_t>(n);
  for (std::size_t entry = 0; entry < entries; ++entry) {
    const std::span<const std::int32_t> ids(words.data() + entry * count, count);
    std::size_t slot = hash_ids(ids) & mask;
    for (; index[slot] >= 0; slot = (slot + 1) & mask) {
      const auto* stored = words.data() + static_cast<std::size_t>(index[slot]) * count;
      if (std::equal(ids.begin(), ids.end(), stored)) return static_cast<std::int32_t>(entry);
    }
    index[slot] = static_cast<std::int32_t>(entry);
  }
  return -1;
}

// Reads an ARPA file line by line; every refusal names the line and column.
class ArpaParser {
 public:
  explicit ArpaParser(std::string path) : path_(std::move(path)) {}

  ArpaModel parse(std::istream& input) {
    std::string raw;
    while (std::getline(input, raw)) {
      ++line_;
      std::string_view line(raw);
      if (line.ends_with('\r')) line.remove_suffix(1);  // files written on Windows
      const std::string_view text = trim(line);
      switch (stage_) {
        case Stage::preamble:
          if (text == "\\data\\") {
            stage_ = Stage::counts;
          } else if (section_order(text) || text == "\\end\\") {
            fail(1, fmt::format("`{}` before the \\data\\ header", text),
                 "an ARPA file starts with \\data\\ and the `ngram N=count` lines");
          }
          break;  // text before \data\ is allowed (toolkits write comments there)
        case Stage::counts:
          if (text.empty()) break;
          if (text.starts_with("ngram")) {
            read_count(line);
          } else if (section_order(text)) {
            if (declared_.empty())
              fail(1, "no `ngram N=count` lines after \\data\\", "declare every order, e.g. `ngram 1=42`");
            start_section(text);
          } else {
            fail(column_of(line, text),
                 fmt::format("expected `ngram N=count` or `\\1-grams:`, found `{}`", text),
                 "after \\data\\ come the counts, one `ngram N=count` line per order");
          }
          break;
        case Stage::section:
          if (text.empty()) break;
          if (section_order(text)) {
            finish_section();
            start_section(text);
          } else if (text == "\\end\\") {
            finish_section();
            if (model_.order() < static_cast<int>(declared_.size()))
              fail(1, fmt::format("\\end\\ before the \\{}-grams: section", model_.order() + 1),
                   fmt::format("\\data\\ declares {} orders; the file may be truncated", declared_.size()));
            stage_ = Stage::done;
          } else if (text.front() == '\\') {
            fail(column_of(line, text), fmt::format("unexpected `{}`", text),
                 "sections are `\\N-grams:` in increasing order, then `\\end\\`");
          } else {
            read_entry(line);
          }
          break;
        case Stage::done:
          break;
      }
      if (stage_ == Stage::done) break;  // whatever follows \end\ is not the model's
    }
    if (stage_ == Stage::preamble)
      fail_at(std::max(line_, 1), 1, "no \\data\\ header: this is not an ARPA language model",
              "an ARPA file has \\data\\, `ngram N=count` lines, `\\N-grams:` sections and \\end\\");
    if (stage_ != Stage::done)
      fail_at(std::max(line_, 1), 1, "the file ends without \\end\\", "the file may be truncated");
    model_.unknown_id_ = model_.id_of(ArpaModel::kUnknownWord);
    return std::move(model_);
  }

 private:
  enum class Stage { preamble, counts, section, done };

  struct Declaration {
    std::int64_t count = 0;
    int line = 0;
  };

  [[noreturn]] void fail_at(int line, int column, std::string message, std::string hint = {}) const {
    throw UserError({path_, line, column}, std::move(message), std::move(hint));
  }
  [[noreturn]] void fail(int column, std::string message, std::string hint = {}) const {
    fail_at(line_, column, std::move(message), std::move(hint));
  }

  static int column_of(std::string_view line, std::string_view part) {
    return static_cast<int>(part.data() - line.data()) + 1;
  }

  // `ngram N=count`, orders in sequence from 1.
  void read_count(std::string_view line) {
    const std::string_view text = trim(line);
    const std::string_view declaration = trim(text.substr(5));
    const std::size_t equals = declaration.find('=');
    const std::string_view order_text = trim(declaration.substr(0, equals));
    const std::string_view count_text =
        equals == std::string_view::npos ? std::string_view{} : trim(declaration.substr(equals + 1));
    const auto order = parse_count(order_text);
    const auto count = parse_count(count_text);
    const std::string form_hint = "the form is `ngram N=count`, e.g. `ngram 2=1000`";
    if (equals == std::string_view::npos || !order)
      fail(column_of(line, text), fmt::format("malformed count line `{}`", text), form_hint);
    if (!count)
      fail(count_text.empty() ? column_of(line, text) : column_of(line, count_text),
           fmt::format("malformed n-gram count `{}`", count_text), form_hint);
    const auto expected = static_cast<std::int64_t>(declared_.size()) + 1;
    if (*order != expected)
      fail(column_of(line, order_text),
           fmt::format("`ngram {}=` where `ngram {}=` was expected", *order, expected),
           "declare the orders in sequence: ngram 1, ngram 2, ...");
    if (*count > kMaxArpaEntries)
      fail(column_of(line, count_text), fmt::format("{} {}-grams are more than NTP supports", *count, *order),
           fmt::format("at most {} entries per order", kMaxArpaEntries));
    if (*order == 1 && *count == 0)
      fail(column_of(line, count_text), "a model without 1-grams", "the 1-grams are the model's vocabulary");
    declared_.push_back({*count, line_});
  }

  void start_section(std::string_view text) {
    const int order = *section_order(text);
    const int expected = model_.order() + 1;
    if (order != expected) {
      if (order > static_cast<int>(declared_.size()))
        fail(1, fmt::format("`{}` but \\data\\ declares orders up to {}", text, declared_.size()),
             "add its `ngram N=count` line to \\data\\, or remove the section");
      fail(1, fmt::format("`{}` where `\\{}-grams:` was expected", text, expected),
           "the sections come in increasing order, each once");
    }
    if (expected > static_cast<int>(declared_.size()))
      fail(1, fmt::format("`{}` but \\data\\ declares orders up to {}", text, declared_.size()),
           "add its `ngram N=count` line to \\data\\, or remove the section");
    model_.tables_.emplace_back();
    model_.tables_.back().n = order;
    entry_lines_.clear();
    stage_ = Stage::section;
  }

  // `log10prob w1 .. wN [log10backoff]`
  void read_entry(std::string_view line) {
    ArpaModel::NgramTable& table = model_.tables_.back();
    const int n = table.n;
    const Declaration& declared = declared_[static_cast<std::size_t>(n - 1)];
    split_fields(line, fields_);
    const std::string entry_hint =
        fmt::format("each line of \\{}-grams: is `log10prob w1 .. w{} [log10backoff]`", n, n);
    const auto probability = parse_real(fields_[0].text);
    if (!probability)
      fail(fields_[0].column, fmt::format("malformed log10 probability `{}`", fields_[0].text), entry_hint);
    if (*probability > 0)
      fail(fields_[0].column, fmt::format("log10 probability {} is above 0", fields_[0].text),
           "a probability is at most 1, so its log10 at most 0");

    std::size_t words = fields_.size() - 1;
    double backoff = 0;
    if (words == static_cast<std::size_t>(n) + 1 && looks_numeric(fields_.back().text)) {
      const auto parsed = parse_real(fields_.back().text);
      if (!parsed || !std::isfinite(*parsed))
        fail(fields_.back().column, fmt::format("malformed log10 back-off weight `{}`", fields_.back().text),
             entry_hint);
      backoff = *parsed;
      words = static_cast<std::size_t>(n);
    }
    if (words != static_cast<std::size_t>(n))
      fail(fields_.size() > 1 ? fields_[1].column : fields_[0].column,
           fmt::format("a {}-gram entry with {} word{}", n, words, words == 1 ? "" : "s"), entry_hint);
    if (static_cast<std::int64_t>(table.log10_probabilities.size()) == declared.count)
      fail(fields_[0].column,
           fmt::format("more \\{}-grams: entries than the {} \\data\\ declares (line {})", n, declared.count,
                       declared.line),
           "correct the `ngram N=count` line, or remove the extra entries");

    for (std::size_t w = 1; w <= words; ++w) {
      const Field& field = fields_[w];
      if (n == 1) {
        const auto id = static_cast<std::int32_t>(model_.vocabulary_.size());
        if (!model_.vocabulary_.emplace(std::string(field.text), id).second)
          fail(field.column, fmt::format("duplicate 1-gram `{}`", field.text), "each n-gram appears once");
        table.words.push_back(id);
      } else {
        const auto found = model_.vocabulary_.find(field.text);
        if (found == model_.vocabulary_.end())
          fail(field.column, fmt::format("word `{}` is not one of the 1-grams", field.text),
               "every word of a longer n-gram needs its own 1-gram entry");
        table.words.push_back(found->second);
      }
    }
    table.log10_probabilities.push_back(static_cast<float>(*probability));
    table.log10_backoffs.push_back(static_cast<float>(backoff));
    entry_lines_.push_back(line_);
  }

  void finish_section() {
    ArpaModel::NgramTable& table = model_.tables_.back();
    const Declaration& declared = declared_[static_cast<std::size_t>(table.n - 1)];
    const auto entries = static_cast<std::int64_t>(table.log10_probabilities.size());
    if (entries != declared.count)
      fail(1,
           fmt::format("\\{}-grams: has {} entries where \\data\\ declares {} (line {})", table.n, entries,
                       declared.count, declared.line),
           "correct the `ngram N=count` line; the file may be truncated");
    if (table.n == 1) return;  // ids are the entry numbers; duplicates were refused on reading
    const std::int32_t duplicate = table.build_index();
    if (duplicate >= 0)
      fail_at(entry_lines_[static_cast<std::size_t>(duplicate)], 1, fmt::format("duplicate {}-gram", table.n),
              "each n-gram appears once");
  }

  std::string path_;
  int line_ = 0;
  Stage stage_ = Stage::preamble;
  std::vector<Declaration> declared_;  // declared_[n - 1]: the order-n count
  std::vector<int> entry_lines_;       // the current section's entries' lines, for duplicates
  std::vector<Field> fields_;          // reused for every entry
  ArpaModel model_;
};

ArpaModel ArpaModel::load(const std::string& path) {
  io::refuse_special_file(path, "the language model");  // lm="/dev/zero" would never end
  std::ifstream input(path, std::ios::binary);
  if (!input)
    throw UserError({path, 0, 0}, "cannot open the language model",
                    "check the path and that the file is readable");
  return ArpaParser(path).parse(input);
}

std::int64_t ArpaModel::ngram_count(int n) const {
  if (n < 1 || n > order()) return 0;
  return static_cast<std::int64_t>(tables_[static_cast<std::size_t>(n - 1)].log10_probabilities.size());
}

std::int32_t ArpaModel::id_of(const std::string& word) const {
  const auto found = vocabulary_.find(word);
  return found != vocabulary_.end() ? found->second : unknown_id_;
}

double ArpaModel::log10_probability(std::span<const std::string> history, const std::string& word) const {
  const std::int32_t word_id = id_of(word);
  if (word_id < 0) return kUnknownWordLog10;

  // ids: the usable context, oldest first, then the word.
  std::array<std::int32_t, kInlineOrder> inline_ids{};
  std::vector<std::int32_t> heap_ids;
  std::span<std::int32_t> ids(inline_ids);
  if (order() > kInlineOrder) {
    heap_ids.resize(static_cast<std::size_t>(order()));
    ids = heap_ids;
  }
  const std::size_t most_context = std::min(history.size(), static_cast<std::size_t>(order() - 1));
  std::size_t context = 0;
  for (; context < most_context; ++context) {
    const std::int32_t id = id_of(history[history.size() - 1 - context]);
    if (id < 0) break;  // no n-gram spans a word the model does not know
    ids[most_context - 1 - context] = id;
  }
  const std::size_t first = most_context - context;  // ids[first, first + context) is the context
  ids[most_context] = word_id;

  double backoffs = 0;
  for (std::size_t length = context;; --length) {
    const std::size_t start = first + context - length;
    const NgramTable& table = tables_[length];
    const std::int32_t entry = table.find(ids.subspan(start, length + 1));
    if (entry >= 0) return table.log10_probabilities[static_cast<std::size_t>(entry)] + backoffs;
    if (length == 0) return kUnknownWordLog10;  // unreachable: every id has its 1-gram
    // Not seen after this context: pay the context's back-off weight (0 when the context is not a n-gram).
    const NgramTable& shorter = tables_[length - 1];
    const std::int32_t context_entry = shorter.find(ids.subspan(start, length));
    if (context_entry >= 0) backoffs += shorter.log10_backoffs[static_cast<std::size_t>(context_entry)];
  }
}

}  // namespace ntp::inlays
