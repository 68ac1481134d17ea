// The ARPA language-model reader (inlays::ArpaModel::load), then a few look-ups in what it read.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "inlays/arpa_model.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = ntp::fuzz::write_input(data, size, "model.arpa");
  ntp::fuzz::expect_clean([&] {
    const ntp::inlays::ArpaModel model = ntp::inlays::ArpaModel::load(path);
    const std::vector<std::string> history{"<s>", "a", "b", "c"};
    for (const char* word : {"a", "b", "</s>", "<unk>", "unknown"})
      (void)model.log10_probability(history, word);
    for (int n = 0; n <= model.order() + 1; ++n)
      (void)model.ngram_count(n);
  });
  return 0;
}
