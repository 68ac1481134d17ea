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

// The op-type bars and the module icicle follow the names; the module table shows --depth levels.
TEST(HtmlReport, OpTypeAndModuleChartsFollowTheNodeNames) {
  const auto topology = ntp::test::hierarchical_topology();
  const auto html = temporary("modules.html");
  const auto result =
      run_ntp({"run", topology.string(), "--backend", "reference", "--warmup", "1", "--iterations", "3",
               "--format", "html", "-o", html.string(), "--depth", "1", "--no-db"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string page = ntp::test::slurp(html);
  ntp::test::expect_self_contained(page);
  const std::string structure = ntp::test::html_structure(page);
  // Five op types (fc, tanh, relu, layernorm, softmax), a bar each (on a linear and a log axis); the icicle;
  // the top-level modules only.
  const auto op_types = structure.find(
      "section op-types\nchart ops, bars 5\nchart ops (log), bars 5\ntable (ranked) op | nodes | total ms | "
      "share | FLOPs | bytes, "
      "rows 5\n");
  const auto modules = structure.find(
      "section modules\nchart icicle\ntable (ranked) module | level | nodes | total ms | share, rows 3\n");
  EXPECT_NE(op_types, std::string::npos) << structure;
  EXPECT_NE(modules, std::string::npos) << structure;  // 3 rows: encoder, head, probs
  EXPECT_NE(page.find("<td>encoder</td>"), std::string::npos);
  EXPECT_EQ(page.find("<td>encoder/layer.0</td>"), std::string::npos) << "--depth 1 shows one level";
  // The icicle holds the whole tree whatever the depth: every module's cell says its path and time.
  const auto icicle_begin = page.find("data-chart=\"icicle\"");
  const std::string icicle = page.substr(icicle_begin, page.find("</svg>", icicle_begin) - icicle_begin);
  for (const char* cell : {"<title>all nodes: ", "<title>encoder: ", "<title>encoder/layer.0: ",
                           "<title>encoder/layer.1/fc: ", "<title>head: "})
    EXPECT_NE(icicle.find(cell), std::string::npos) << cell;
  std::filesystem::remove(html);
  std::filesystem::remove(topology);
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
