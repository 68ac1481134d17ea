// HTML reports: their structure against golden files (every figure masked, since timings differ from run to
// run), names from topologies escaped, and bad input refused.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "html_structure.h"
#include "process.h"

namespace {

using ntp::test::example;
using ntp::test::run_ntp;
using ntp::test::temporary;

TEST(HtmlReport, RunReportMatchesItsGoldenStructure) {
  const auto html = temporary("run.html");
  const auto result = run_ntp({"run", example("deepspeech-v0.1.xml"), "--backend", "reference", "--set",
                               "hidden=64", "--set", "frames=16", "--warmup", "1", "--iterations", "6",
                               "--format", "html", "-o", html.string(), "--no-db"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string page = ntp::test::slurp(html);
  ntp::test::expect_golden_structure(page, "run_report.txt");
  ntp::test::expect_self_contained(page);
  std::filesystem::remove(html);
}

TEST(HtmlReport, ComparisonReportMatchesItsGoldenStructure) {
  const auto small = ntp::test::saved_small_run("64");
  const auto large = ntp::test::saved_small_run("96");
  const auto html = temporary("compare.html");
  const auto result =
      run_ntp({"compare", small.string(), large.string(), "--format", "html", "-o", html.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string page = ntp::test::slurp(html);
  ntp::test::expect_golden_structure(page, "compare_report.txt");
  ntp::test::expect_self_contained(page);
  // `ntp report` writes the same page from a saved comparison as compare --format html does.
  const auto saved = temporary("compare.json");
  ASSERT_EQ(run_ntp({"compare", small.string(), large.string(), "--format", "json", "-o", saved.string()})
                .exit_code,
            0);
  const auto reported = run_ntp({"report", saved.string()});
  ASSERT_EQ(reported.exit_code, 0) << reported.err;
  EXPECT_EQ(ntp::test::html_structure(reported.out), ntp::test::html_structure(page));
  for (const auto& path : {small, large, html, saved})
    std::filesystem::remove(path);
}

TEST(HtmlReport, NamesFromTheTopologyAreEscaped) {
  const auto saved = ntp::test::saved_small_run("64");
  nlohmann::json record = nlohmann::json::parse(ntp::test::slurp(saved));
  const std::string hostile = "<script>alert('x')</script>&\"fc\"";
  record["topology"]["name"] = hostile;
  record["nodes"][0]["name"] = hostile;
  record["segments"] = nlohmann::json::array();
  std::ofstream(saved) << record.dump();
  const auto result = run_ntp({"report", saved.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out.find("<script"), std::string::npos);
  EXPECT_EQ(result.out.find("'x'"), std::string::npos);
  EXPECT_NE(result.out.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;fc&quot;"),
            std::string::npos);
  std::filesystem::remove(saved);
}

TEST(HtmlReport, ReportRefusesWhatItCannotRead) {
  const auto missing =
      run_ntp({"report", temporary("nowhere.json").string(), "-o", temporary("x.html").string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("cannot read the file"), std::string::npos) << missing.err;
  EXPECT_FALSE(std::filesystem::exists(temporary("x.html")));
  const auto foreign = temporary("foreign.json");
  std::ofstream(foreign) << R"({"schema": "ntp.inspect/1"})";
  const auto refused = run_ntp({"report", foreign.string()});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find(foreign.string() + ":1:1: error: not an NTP result this command reads"),
            std::string::npos)
      << refused.err;
  std::filesystem::remove(foreign);
}

}  // namespace
