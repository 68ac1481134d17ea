// The corpus of bad command lines (tests/cli/bad/*.case, format in its README): each exits with code 2
// and its expected error, without output, an internal error or a file left behind.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "process.h"

namespace {

namespace fs = std::filesystem;

const fs::path kCorpus = fs::path(NTP_SOURCE_DIR) / "tests/cli/bad";

struct BadCase {
  std::vector<std::string> arguments;
  std::string error;
};

std::string expanded(std::string text, const fs::path& tmp) {
  const std::vector<std::pair<std::string, std::string>> placeholders = {
      {"{examples}", (fs::path(NTP_SOURCE_DIR) / "examples").string()},
      {"{files}", (kCorpus / "files").string()},
      {"{tmp}", tmp.string()},
      {"{fifo}", (tmp / "fifo.npy").string()}};
  for (const auto& [name, value] : placeholders)
    for (auto at = text.find(name); at != std::string::npos; at = text.find(name, at + value.size()))
      text.replace(at, name.size(), value);
  return text;
}

BadCase read_case(const fs::path& path, const fs::path& tmp) {
  std::ifstream file(path);
  BadCase bad;
  for (std::string line; std::getline(file, line);) {
    if (line.rfind("args: ", 0) == 0) {
      std::istringstream words(expanded(line.substr(6), tmp));
      for (std::string word; words >> word;)
        bad.arguments.push_back(word);
    } else if (line.rfind("error: ", 0) == 0) {
      bad.error = expanded(line.substr(7), tmp);
    }
  }
  return bad;
}

std::vector<fs::path> corpus() {
  std::vector<fs::path> cases;
  for (const auto& entry : fs::directory_iterator(kCorpus))
    if (entry.path().extension() == ".case") cases.push_back(entry.path());
  std::sort(cases.begin(), cases.end());
  return cases;
}

class BadCommandLine : public testing::TestWithParam<fs::path> {};

TEST_P(BadCommandLine, IsRefusedWithItsErrorAndLeavesNothingBehind) {
  const fs::path tmp = fs::temp_directory_path() / ("ntp-bad-" + std::to_string(::getpid()));
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  ASSERT_EQ(::mkfifo((tmp / "fifo.npy").c_str(), 0600), 0);
  const BadCase bad = read_case(GetParam(), tmp);
  ASSERT_FALSE(bad.arguments.empty()) << GetParam() << " has no args line";
  ASSERT_FALSE(bad.error.empty()) << GetParam() << " has no error line";

  const auto result = ntp::test::run_ntp(bad.arguments);
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find(bad.error), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("internal error"), std::string::npos) << result.err;
  EXPECT_LT(std::count(result.err.begin(), result.err.end(), '\n'), 8) << result.err;
  EXPECT_EQ(result.out, "");
  std::vector<std::string> left;
  for (const auto& entry : fs::directory_iterator(tmp))
    if (entry.path().filename() != "fifo.npy") left.push_back(entry.path().filename().string());
  EXPECT_TRUE(left.empty()) << "left behind: " << testing::PrintToString(left);
  fs::remove_all(tmp);
}

INSTANTIATE_TEST_SUITE_P(Corpus, BadCommandLine, testing::ValuesIn(corpus()),
                         [](const testing::TestParamInfo<fs::path>& param) {
                           return param.param.stem().string();
                         });

TEST(BadCommandLineCorpus, HasACaseForEachClassOfIssue16) {
  std::set<int> classes;
  for (const fs::path& path : corpus()) {
    std::smatch match;
    const std::string text = ntp::test::slurp(path);
    if (std::regex_search(text, match, std::regex(R"(^# Class (\d))"))) classes.insert(std::stoi(match[1]));
  }
  EXPECT_EQ(classes, (std::set<int>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

}  // namespace
