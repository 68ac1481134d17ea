// The HTML reports in a real browser: Debian's chromium renders them headless, a screenshot shows that each
// chart drew its marks, the laid-out page shows that no two labels of a chart overlap and none is cut off,
// and a local proxy that every request must pass shows that the page fetched nothing.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <png.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "html_structure.h"
#include "process.h"

namespace {

using ntp::test::example;
using ntp::test::run_ntp;
using ntp::test::temporary;

std::string find_chromium() {
  for (const char* path : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"})
    if (std::filesystem::exists(path)) return path;
  return "";
}

// An HTTP proxy on a loopback port that answers every request with 502 and remembers its first line
// ("GET http://host/path" or "CONNECT host:443"), so a test sees each request the browser made.
class RecordingProxy {
 public:
  RecordingProxy() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    ::bind(listener_, reinterpret_cast<sockaddr*>(&address), length);
    ::listen(listener_, 16);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~RecordingProxy() {
    stopping_ = true;
    thread_.join();
    ::close(listener_);
  }
  RecordingProxy(const RecordingProxy&) = delete;
  RecordingProxy& operator=(const RecordingProxy&) = delete;

  int port() const { return port_; }
  std::vector<std::string> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  void clear() {
    std::lock_guard lock(mutex_);
    requests_.clear();
  }

 private:
  void serve() {
    while (!stopping_) {
      pollfd waiting{listener_, POLLIN, 0};
      if (::poll(&waiting, 1, 100) <= 0) continue;
      const int connection = ::accept(listener_, nullptr, nullptr);
      if (connection < 0) continue;
      pollfd readable{connection, POLLIN, 0};
      char buffer[2048] = {};
      const ssize_t got =
          ::poll(&readable, 1, 2000) > 0 ? ::recv(connection, buffer, sizeof buffer - 1, 0) : 0;
      const std::string request(buffer, got > 0 ? static_cast<std::size_t>(got) : 0);
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request.substr(0, request.find('\r')));
      }
      const char reply[] = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      ::send(connection, reply, sizeof reply - 1, MSG_NOSIGNAL);
      ::close(connection);
    }
  }

  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_ = false;
  std::mutex mutex_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

struct Screenshot {
  int width = 0, height = 0;
  std::vector<std::uint8_t> rgba;
  // Pixels within `tolerance` per channel of "#rrggbb" in the rows [top, bottom).
  int count(const std::string& colour, int top, int bottom, int tolerance = 3) const {
    const int red = std::stoi(colour.substr(1, 2), nullptr, 16);
    const int green = std::stoi(colour.substr(3, 2), nullptr, 16);
    const int blue = std::stoi(colour.substr(5, 2), nullptr, 16);
    int matches = 0;
    for (int y = std::max(0, top); y < std::min(height, bottom); ++y)
      for (int x = 0; x < width; ++x) {
        const std::uint8_t* pixel = &rgba[(static_cast<std::size_t>(y) * width + x) * 4];
        if (std::abs(pixel[0] - red) <= tolerance && std::abs(pixel[1] - green) <= tolerance &&
            std::abs(pixel[2] - blue) <= tolerance)
          ++matches;
      }
    return matches;
  }
};

Screenshot read_png(const std::filesystem::path& path) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  Screenshot shot;
  if (png_image_begin_read_from_file(&image, path.c_str()) == 0) return shot;
  image.format = PNG_FORMAT_RGBA;
  shot.rgba.resize(PNG_IMAGE_SIZE(image));
  if (png_image_finish_read(&image, nullptr, shot.rgba.data(), 0, nullptr) == 0) return shot;
  shot.width = static_cast<int>(image.width);
  shot.height = static_cast<int>(image.height);
  return shot;
}

// Renders a page headless through the proxy and returns its screenshot.
Screenshot render(const std::string& chromium, const std::filesystem::path& page, int width, int height,
                  const RecordingProxy& proxy) {
  const auto png = temporary("shot.png");
  const auto profile = temporary("profile");
  std::filesystem::remove(png);
  const auto result = ntp::test::run_program(
      "/usr/bin/timeout",
      {"120", chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
       "--disable-background-networking", "--user-data-dir=" + profile.string(),
       "--proxy-server=http://127.0.0.1:" + std::to_string(proxy.port()), "--proxy-bypass-list=<-loopback>",
       "--window-size=" + std::to_string(width) + "," + std::to_string(height),
       "--screenshot=" + png.string(), "file://" + page.string()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  Screenshot shot = read_png(png);
  std::filesystem::remove(png);
  std::filesystem::remove_all(profile);
  return shot;
}

// Requests the page itself caused: those naming a host that the page names. The browser's own background
// requests (its update and time services) name hosts no report contains.
std::vector<std::string> requests_from(const std::string& page, const std::vector<std::string>& requests) {
  std::vector<std::string> caused;
  for (const std::string& request : requests) {
    const auto space = request.find(' ');
    std::string target = space == std::string::npos ? request : request.substr(space + 1);
    if (const auto scheme = target.find("://"); scheme != std::string::npos)
      target = target.substr(scheme + 3);
    const std::string host = target.substr(0, target.find_first_of(":/ "));
    if (!host.empty() && page.find(host) != std::string::npos) caused.push_back(request);
  }
  return caused;
}

// Each chart of a report alone in a 960 x 640 cell of one page, in the report's own style, so that one
// screenshot shows what each chart drew.
std::vector<std::string> lay_out_charts(const std::string& report, const std::filesystem::path& grid) {
  const auto style_begin = report.find("<style>");
  const std::string style = report.substr(style_begin, report.find("</style>") + 8 - style_begin);
  std::string page = "<!DOCTYPE html><html><head><meta charset=\"utf-8\">" + style + "</head><body>";
  std::vector<std::string> kinds;
  for (auto at = report.find("<svg class=\"chart\""); at != std::string::npos;
       at = report.find("<svg class=\"chart\"", at + 1)) {
    const std::string chart = report.substr(at, report.find("</svg>", at) + 6 - at);
    const auto kind_at = chart.find("data-chart=\"") + 12;
    kinds.push_back(chart.substr(kind_at, chart.find('"', kind_at) - kind_at));
    page += "<div style=\"position:absolute;left:0;top:" + std::to_string(640 * (kinds.size() - 1)) +
            "px;width:960px;height:640px;overflow:hidden\">" + chart + "</div>";
  }
  std::ofstream(grid) << page << "</body></html>";
  return kinds;
}

// The page with a script at its end that first measures whether the page fits the window's width (into
// <pre id="width">), then ticks each log-scale checkbox, writing which drawings were
// shown before and after into <pre id="switches">; then shows every chart (the log drawings too) and
// measures each <text> of each chart as laid out: pairs whose boxes overlap by more than the tolerance
// (text boxes include the line's leading, so rows 14 px apart touch), and labels reaching outside their
// chart. It writes what it found, or "none", into <pre id="labels">.
std::string with_label_probe(const std::string& report) {
  const std::string probe =
      R"probe(<pre id="width"></pre><pre id="switches"></pre><pre id="labels"></pre><script>
const page = document.documentElement;
const excess = page.scrollWidth - page.clientWidth;
document.getElementById("width").textContent = excess <= 0 ? "fits" : "wider than the window by " + excess;
const shown = scales => [...scales.querySelectorAll("svg.chart")]
                            .filter(chart => getComputedStyle(chart).display != "none")
                            .map(chart => chart.dataset.scale || "linear").join(" ");
document.getElementById("switches").textContent = [...document.querySelectorAll("div.scales")].map(scales => {
  const unchecked = shown(scales);
  scales.querySelector("input").click();
  return unchecked + " then " + shown(scales);
}).join("\n");
document.head.insertAdjacentHTML("beforeend",
    "<style>svg.chart { display: block !important; max-width: none !important; }</style>");
const found = [];
document.querySelectorAll("svg.chart").forEach((chart, index) => {
  const name = "chart " + index + " (" + chart.dataset.chart + (chart.dataset.scale ? " log" : "") + ")";
  const frame = chart.getBoundingClientRect();
  const labels = [...chart.querySelectorAll("text")]
                     .map(text => [text.textContent, text.getBoundingClientRect()])
                     .filter(([, box]) => box.width > 0);
  for (const [text, box] of labels)
    if (box.left < frame.left - 1 || box.right > frame.right + 1 || box.top < frame.top - 1 ||
        box.bottom > frame.bottom + 1)
      found.push(name + ": '" + text + "' is cut off");
  labels.forEach(([text, box], i) => labels.slice(i + 1).forEach(([other, next]) => {
    const wide = Math.min(box.right, next.right) - Math.max(box.left, next.left);
    const high = Math.min(box.bottom, next.bottom) - Math.max(box.top, next.top);
    if (wide > 1 && high > 3) found.push(name + ": '" + text + "' overlaps '" + other + "'");
  }));
});
document.getElementById("labels").textContent = found.length ? found.join("\n") : "none";
</script>)probe";
  const auto end = report.rfind("</body>");
  return report.substr(0, end) + probe + report.substr(end);
}

struct ProbeResult {
  std::string width;     // "fits", or by how much the page is wider than the window
  std::string switches;  // "linear then log" per log-scale switch
  std::string labels;    // "none", or a line per problem
};

// What the probe found in a page, loaded through the proxy.
ProbeResult probe_page(const std::string& chromium, const std::string& report, const RecordingProxy& proxy) {
  const auto probed = temporary("probed.html");
  const auto profile = temporary("probe-profile");
  std::ofstream(probed) << with_label_probe(report);
  const auto result = ntp::test::run_program(
      "/usr/bin/timeout",
      {"120", chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
       "--disable-background-networking", "--user-data-dir=" + profile.string(),
       "--proxy-server=http://127.0.0.1:" + std::to_string(proxy.port()), "--proxy-bypass-list=<-loopback>",
       "--window-size=1200,2000", "--dump-dom", "file://" + probed.string()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::filesystem::remove(probed);
  std::filesystem::remove_all(profile);
  std::size_t at = 0;
  ProbeResult found;
  found.width = ntp::test::between(result.out, "<pre id=\"width\">", "</pre>", at);
  found.switches = ntp::test::between(result.out, "<pre id=\"switches\">", "</pre>", at);
  found.labels = ntp::test::between(result.out, "<pre id=\"labels\">", "</pre>", at);
  if (at == std::string::npos) found.labels = "no probe result in the page";
  return found;
}

// A sweep document over precision, batch and hidden from the two saved runs (a report is a view of the
// document, so its points need not have run at those values): lines against batch and hidden, one per
// combination of the other axes, and eight runs compared.
std::filesystem::path saved_sweep(const std::filesystem::path& small, const std::filesystem::path& large) {
  const auto record_of = [](const std::filesystem::path& path) {
    return nlohmann::json::parse(ntp::test::slurp(path));
  };
  const nlohmann::json records[] = {record_of(small), record_of(large)};
  nlohmann::json sweep = {{"schema", "ntp.sweep/1"},
                          {"topology_file", "deepspeech-v0.1.xml"},
                          {"command_line", "ntp sweep deepspeech-v0.1.xml"},
                          {"axes",
                           {{{"name", "precision"}, {"values", {"fp32", "bf16"}}},
                            {{"name", "batch"}, {"values", {"16", "4"}}},
                            {{"name", "hidden"}, {"values", {"64", "96"}}}}},
                          {"points_total", 8},
                          {"points", nlohmann::json::array()}};
  for (const std::string precision : {"fp32", "bf16"})
    for (const std::string batch : {"16", "4"})
      for (const std::size_t hidden : {0, 1}) {
        const std::string size = hidden == 0 ? "64" : "96";
        sweep["points"].push_back(
            {{"index", sweep["points"].size()},
             {"label", "precision=" + precision + " batch=" + batch + " hidden=" + size},
             {"params", {{"precision", precision}, {"batch", batch}, {"hidden", size}}},
             {"status", "ok"},
             {"seconds", 1.0},
             {"record", records[hidden]}});
      }
  const auto path = temporary("sweep.json");
  std::ofstream(path) << sweep.dump();
  return path;
}

// The marks each kind of chart must have drawn, as colour -> fewest pixels; a run's page colours layers by
// their bound everywhere, a comparison's by the layer.
std::map<std::string, int> expected_marks(const std::string& kind, bool run_page) {
  if (kind == "histogram") return {{"#228833", 300}};
  if (kind == "bars") return {{"#ee6677", 100}};  // the BiLSTM, memory bound
  if (kind == "ops") return {{"#4477aa", 100}};   // the op types' time
  if (kind == "icicle")
    return {{"#cccccc", 300}, {"#4477aa", 300}};  // the whole graph, and the top-level module with most time
  if (kind == "roofline") return {{"#333333", 150}};  // the roof
  if (kind == "stacked")  // the BiLSTM's share, memory bound; or the largest layer's, the palette's first
    return {{run_page ? "#ee6677" : "#4477aa", 200}};
  if (kind == "grouped")
    return {{"#4477aa", 100}, {"#ee6677", 100}};  // the baseline's and the other run's bars
  return {};
}

TEST(HtmlRender, ChartsDrawInChromiumAndThePageFetchesNothing) {
  const std::string chromium = find_chromium();
  if (chromium.empty()) GTEST_SKIP() << "no chromium here (scripts/install-deps.sh installs Debian's)";
  const auto record = ntp::test::saved_small_run("64", 9);
  const auto other = ntp::test::saved_small_run("96", 9);
  ASSERT_FALSE(record.empty() || other.empty());
  const auto run_page = temporary("run.html");
  const auto compare_page = temporary("compare.html");
  const auto sweep = saved_sweep(record, other);
  const auto sweep_page = temporary("sweep.html");
  ASSERT_EQ(run_ntp({"report", record.string(), "-o", run_page.string()}).exit_code, 0);
  ASSERT_EQ(
      run_ntp({"compare", record.string(), other.string(), "--format", "html", "-o", compare_page.string()})
          .exit_code,
      0);
  ASSERT_EQ(run_ntp({"report", sweep.string(), "-o", sweep_page.string()}).exit_code, 0);
  // A tune record `ntp tune` wrote (small-cnn over onednn fp32 and int8), kept as a seed of the records
  // fuzzer.
  const auto tune_page = temporary("tune.html");
  ASSERT_EQ(run_ntp({"report", NTP_SOURCE_DIR "/tests/fuzz/corpus/records/tune-small-cnn.json", "-o",
                     tune_page.string()})
                .exit_code,
            0);
  RecordingProxy proxy;

  // The sweep's charts: time with error bars and items/s against batch, lines in natural order (batch=4
  // before batch=16), and a grid of names only drawn as a bar per point.
  const std::string sweep_text = ntp::test::slurp(sweep_page);
  const std::string sweep_structure = ntp::test::html_structure(sweep_text);
  for (const char* part : {"section time-batch\nchart lines\nsection throughput-batch\nchart lines",
                           "section shares-batch\nchart lines\nsection time-hidden\nchart lines"})
    EXPECT_NE(sweep_structure.find(part), std::string::npos) << part << "\n" << sweep_structure;
  EXPECT_EQ(ntp::test::count_of(sweep_text, "class=\"spread\""), 16u);  // both time charts, every point
  EXPECT_NE(sweep_text.find("error bars: p25 to p75 of each point&#39;s samples"), std::string::npos);
  const auto hidden_chart = sweep_text.find("data-chart=\"lines\"", sweep_text.find("id=\"time-hidden\""));
  EXPECT_LT(sweep_text.find("precision=fp32 batch=4<", hidden_chart),
            sweep_text.find("precision=fp32 batch=16<", hidden_chart));
  nlohmann::json names_only = nlohmann::json::parse(ntp::test::slurp(sweep));
  names_only["axes"] = nlohmann::json::array({names_only["axes"][0]});
  names_only["points"] = nlohmann::json::array({names_only["points"][0], names_only["points"][4]});
  std::ofstream(sweep) << names_only.dump();
  const auto names_page = run_ntp({"report", sweep.string()});
  ASSERT_EQ(names_page.exit_code, 0) << names_page.err;
  EXPECT_NE(ntp::test::html_structure(names_page.out).find("section time-points\nchart points, bars 2"),
            std::string::npos)
      << ntp::test::html_structure(names_page.out);

  // No two labels of a chart overlap, and none is cut off by its chart's edge; the page is no wider than the
  // window (the sweep's table of eight runs is); each checkbox swaps the
  // linear drawing for the log one (the run: op types and layers; a comparison, sweep or tune: layers); the
  // page, loaded whole with the probe (which fetches nothing itself), asks for nothing through the proxy.
  for (const auto& page : {run_page, compare_page, sweep_page, tune_page}) {
    proxy.clear();
    const std::string text = ntp::test::slurp(page);
    const ProbeResult probed = probe_page(chromium, text, proxy);
    EXPECT_EQ(probed.labels, "none") << page;
    EXPECT_EQ(probed.width, "fits") << page;  // wide tables scroll in their own box
    EXPECT_EQ(probed.switches, page == run_page ? "linear then log\nlinear then log" : "linear then log")
        << page;
    EXPECT_EQ(requests_from(text, proxy.requests()), std::vector<std::string>{}) << page;
  }

  // The detector works: a page with an external image is caught asking for it.
  const auto probe = temporary("probe.html");
  const std::string probe_text =
      "<html><body><img src=\"http://ntp-render-probe.invalid/x.png\"></body></html>";
  std::ofstream(probe) << probe_text;
  render(chromium, probe, 400, 300, proxy);
  EXPECT_EQ(requests_from(probe_text, proxy.requests()).size(), 1u);

  for (const auto& page : {run_page, compare_page}) {
    const std::string text = ntp::test::slurp(page);
    const auto grid = temporary("grid.html");
    const std::vector<std::string> kinds = lay_out_charts(text, grid);
    ASSERT_GE(kinds.size(), 2u);
    if (page == run_page) {  // the run's aggregated views are there to be drawn
      EXPECT_NE(std::find(kinds.begin(), kinds.end(), "ops"), kinds.end());
      EXPECT_NE(std::find(kinds.begin(), kinds.end(), "icicle"), kinds.end());
    }
    const Screenshot charts = render(chromium, grid, 960, 640 * static_cast<int>(kinds.size()), proxy);
    ASSERT_EQ(charts.height, 640 * static_cast<int>(kinds.size()));
    for (std::size_t i = 0; i < kinds.size(); ++i) {
      const int top = 640 * static_cast<int>(i);
      for (const auto& [colour, fewest] : expected_marks(kinds[i], page == run_page))
        EXPECT_GE(charts.count(colour, top, top + 640), fewest)
            << kinds[i] << " chart " << i << " in " << page;
      EXPECT_LT(charts.count("#ffffff", top, top + 640), 960 * 640) << kinds[i] << " chart is blank";
    }
    std::filesystem::remove(grid);
  }
  for (const auto& path : {record, other, run_page, compare_page, sweep, sweep_page, tune_page, probe})
    std::filesystem::remove(path);
}

}  // namespace
