// docs/limits.md and include/ntp/limits.h list the same limits, and the topology parser enforces its own at
// once with the element over the limit named (issue 16).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "ntp/limits.h"
#include "ntp/topology.h"

namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

std::set<std::string> names_matching(const std::string& text, const std::regex& pattern) {
  std::set<std::string> names;
  for (auto match = std::sregex_iterator(text.begin(), text.end(), pattern); match != std::sregex_iterator();
       ++match)
    names.insert((*match)[1]);
  return names;
}

TEST(Limits, TheDocumentListsEveryLimitOfTheHeaderAndNoOther) {
  const std::filesystem::path source(NTP_SOURCE_DIR);
  const auto in_header = names_matching(read_text(source / "include/ntp/limits.h"),
                                        std::regex(R"(inline constexpr [^=]* (k\w+) =)"));
  const auto in_document =
      names_matching(read_text(source / "docs/limits.md"), std::regex(R"(\n\| `(k\w+)` \|)"));
  EXPECT_GE(in_header.size(), 9U);
  EXPECT_EQ(in_header, in_document);
}

// A topology of `count` copies of `element`, after one input.
std::string topology_of(const std::string& element, std::size_t count) {
  std::string text = "<topology name=\"many\">\n<input name=\"x\" shape=\"1,4\"/>\n";
  text.reserve(text.size() + count * (element.size() + 1));
  for (std::size_t i = 0; i < count; ++i)
    text += element + "\n";
  return text + "</topology>\n";
}

TEST(Limits, OneLayerOrParameterOverTheLimitIsRefusedAtOnce) {
  const auto layers = ntp::parse_topology(topology_of("<layer/>", ntp::limits::kMaxLayers + 1), "many.xml");
  ASSERT_FALSE(layers.ok());
  EXPECT_EQ(layers.error().message, "more than 1000000 layers");
  EXPECT_EQ(layers.error().where.line, static_cast<int>(ntp::limits::kMaxLayers) + 3) << "the first one over";
  EXPECT_NE(layers.error().hint.find("docs/limits.md"), std::string::npos);

  const auto params =
      ntp::parse_topology(topology_of("<param/>", ntp::limits::kMaxParameters + 1), "many.xml");
  ASSERT_FALSE(params.ok());
  EXPECT_EQ(params.error().message, "more than 100000 parameters");
  // At the limit the count is no error: the first <param/> fails for its missing name instead.
  const auto at_limit = ntp::parse_topology(topology_of("<param/>", ntp::limits::kMaxParameters), "many.xml");
  ASSERT_FALSE(at_limit.ok());
  EXPECT_EQ(at_limit.error().message.find("more than"), std::string::npos) << at_limit.error().message;
}

}  // namespace
