// The corpus of bad topologies: each file in bad/ states the error it must produce, at which line and
// column, and (optionally) a hint, in its leading comment.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "ntp/topology.h"

namespace {

struct Expectation {
  int line = 0;
  int column = 0;
  std::string message;
  std::string hint;
};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

Expectation expectation_of(const std::string& text) {
  Expectation expected;
  std::smatch match;
  if (std::regex_search(text, match, std::regex(R"(expect-error: (\d+):(\d+): ([^\n]*?)\s*(-->)?\n)"))) {
    expected.line = std::stoi(match[1]);
    expected.column = std::stoi(match[2]);
    expected.message = match[3];
  }
  if (std::regex_search(text, match, std::regex(R"(expect-hint: ([^\n]*?)\s*(-->)?\n)")))
    expected.hint = match[1];
  return expected;
}

std::vector<std::filesystem::path> corpus() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::filesystem::path(NTP_SOURCE_DIR) / "tests/topology/bad"))
    if (entry.path().extension() == ".xml") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

class BadTopology : public testing::TestWithParam<std::filesystem::path> {};

TEST_P(BadTopology, GivesItsExpectedErrorAtItsLocation) {
  const std::string text = read_file(GetParam());
  const Expectation expected = expectation_of(text);
  ASSERT_FALSE(expected.message.empty()) << GetParam() << " has no expect-error line";
  const auto result = ntp::parse_topology(text, GetParam().filename().string());
  ASSERT_FALSE(result.ok()) << GetParam() << " was accepted";
  const ntp::Diagnostic& error = result.error();
  EXPECT_EQ(error.where.file, GetParam().filename().string());
  EXPECT_EQ(error.where.line, expected.line) << error.to_string();
  EXPECT_EQ(error.where.column, expected.column) << error.to_string();
  EXPECT_NE(error.message.find(expected.message), std::string::npos) << error.to_string();
  EXPECT_NE(error.hint.find(expected.hint), std::string::npos) << error.to_string();
}

INSTANTIATE_TEST_SUITE_P(Corpus, BadTopology, testing::ValuesIn(corpus()),
                         [](const testing::TestParamInfo<std::filesystem::path>& param) {
                           return param.param.stem().string();
                         });

TEST(BadTopologyCorpus, IsNotEmpty) {
  EXPECT_GE(corpus().size(), 30U);
}

TEST(LoadTopology, MissingFileIsAnErrorNamingThePath) {
  const auto result = ntp::load_topology("/nonexistent/dir/model.xml");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().where.file, "/nonexistent/dir/model.xml");
  EXPECT_NE(result.error().message.find("cannot open"), std::string::npos);
}

TEST(LoadTopology, UnknownOverrideIsAnErrorWithSuggestion) {
  ntp::LoadOptions options;
  options.overrides = {{"hiden", "4"}};
  const auto result = ntp::parse_topology(
      R"(<topology name="t"><param name="hidden" value="8"/><input name="x" shape="2,3"/>)"
      R"(<layer name="a" type="fc" units="${hidden}"/></topology>)",
      "t.xml", options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().where.file, "<command line>");
  EXPECT_EQ(result.error().hint, "did you mean 'hidden'?");
}

}  // namespace
