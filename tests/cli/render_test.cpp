// The HTML reports in a real browser: Debian's chromium renders them headless, a screenshot shows that each
// chart drew its marks, and a local proxy that every request must pass shows that the page fetched nothing.
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
#include <thread>

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
  ASSERT_EQ(run_ntp({"report", record.string(), "-o", run_page.string()}).exit_code, 0);
  ASSERT_EQ(
      run_ntp({"compare", record.string(), other.string(), "--format", "html", "-o", compare_page.string()})
          .exit_code,
      0);
  RecordingProxy proxy;

  // The detector works: a page with an external image is caught asking for it.
  const auto probe = temporary("probe.html");
  const std::string probe_text =
      "<html><body><img src=\"http://ntp-render-probe.invalid/x.png\"></body></html>";
  std::ofstream(probe) << probe_text;
  render(chromium, probe, 400, 300, proxy);
  EXPECT_EQ(requests_from(probe_text, proxy.requests()).size(), 1u);

  for (const auto& page : {run_page, compare_page}) {
    proxy.clear();
    const std::string text = ntp::test::slurp(page);
    const Screenshot shot = render(chromium, page, 1100, 4000, proxy);
    ASSERT_GT(shot.width, 0) << "no screenshot of " << page;
    EXPECT_EQ(requests_from(text, proxy.requests()), std::vector<std::string>{}) << page;

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
  for (const auto& path : {record, other, run_page, compare_page, probe})
    std::filesystem::remove(path);
}

}  // namespace
