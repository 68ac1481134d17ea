#include "svg_charts.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "html.h"

namespace ntp::report::svg {

namespace {

using html::escape;

constexpr double kWidth = 960;
constexpr std::size_t kLabelChars = 30;

// Long layer names are cut for the axis; the tooltip keeps the whole name.
std::string short_label(const std::string& label) {
  if (label.size() <= kLabelChars) return label;
  return label.substr(0, kLabelChars - 1) + "\u2026";
}

std::string open_svg(const std::string& kind, double height, const std::string& description) {
  return fmt::format(
      "<svg class=\"chart\" data-chart=\"{}\" width=\"{:.0f}\" "
      "height=\"{:.0f}\" viewBox=\"0 0 {:.0f} {:.0f}\" role=\"img\"><desc>{}</desc>\n",
      kind, kWidth, height, kWidth, height, escape(description));
}

std::string text_at(double x, double y, const std::string& text, const char* anchor = "start",
                    const char* extra = "") {
  return fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"{}\"{}>{}</text>\n", x, y, anchor, extra,
                     escape(text));
}

std::string tooltip(const std::string& text) {
  return "<title>" + escape(text) + "</title>";
}

std::string line(double x1, double y1, double x2, double y2, const std::string& stroke,
                 const char* extra = "") {
  return fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\"{}/>\n", x1,
                     y1, x2, y2, stroke, extra);
}

// "0.25", "12", "1.5k": short tick labels.
std::string tick_text(double value) {
  if (value != 0 && (std::abs(value) >= 1e4 || std::abs(value) < 1e-3)) return fmt::format("{:.0e}", value);
  return fmt::format("{:.4g}", value);
}

// 1, 2 or 5 times a power of ten, giving about `count` steps over [0, top].
double nice_step(double top, int count) {
  if (top <= 0) return 1;
  const double raw = top / count;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double factor : {1.0, 2.0, 5.0})
    if (raw <= factor * power) return factor * power;
  return 10 * power;
}

// A linear value axis along x from `left` to `right`, for values 0..top, with vertical grid lines.
std::string value_axis_x(double left, double right, double top_y, double bottom_y, double top,
                         const std::string& label) {
  std::string svg;
  const double step = nice_step(top, 6);
  for (double value = 0; value <= top * 1.0001; value += step) {
    const double x = left + (right - left) * value / top;
    svg += line(x, top_y, x, bottom_y, "#e4e4e4");
    svg += text_at(x, bottom_y + 14, tick_text(value), "middle");
  }
  return svg + text_at((left + right) / 2, bottom_y + 30, label, "middle");
}

struct LogAxis {
  double low = 1, high = 10;  // decades, inclusive
  double position(double value, double from, double to) const {
    return from + (to - from) * (std::log10(value) - std::log10(low)) / (std::log10(high) - std::log10(low));
  }
};

LogAxis log_axis(double smallest, double largest) {
  LogAxis axis;
  axis.low = std::pow(10.0, std::floor(std::log10(smallest)));
  axis.high = std::pow(10.0, std::ceil(std::log10(largest)));
  if (axis.high <= axis.low) axis.high = axis.low * 10;
  return axis;
}

std::string legend(const std::vector<std::string>& names, double y, double left) {
  std::string svg;
  constexpr double kItemWidth = 180;
  const int per_row = std::max(1, static_cast<int>((kWidth - left) / kItemWidth));
  for (std::size_t i = 0; i < names.size(); ++i) {
    const double x = left + kItemWidth * static_cast<double>(static_cast<int>(i) % per_row);
    const double row_y = y + 18 * static_cast<double>(static_cast<int>(i) / per_row);
    svg += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"12\" height=\"12\" fill=\"{}\">{}</rect>\n",
                       x, row_y - 10, palette(i), tooltip(names[i]));
    svg += text_at(x + 16, row_y, short_label(names[i]));
  }
  return svg;
}

double legend_height(std::size_t count, double left) {
  const int per_row = std::max(1, static_cast<int>((kWidth - left) / 180));
  return 18 * std::ceil(static_cast<double>(count) / per_row);
}

}  // namespace

const std::string& palette(std::size_t index) {
  static const std::vector<std::string> colours = {"#4477aa", "#ee6677", "#228833", "#ccbb44",
                                                   "#66ccee", "#aa3377", "#bbbbbb", "#332288",
                                                   "#117733", "#999933", "#882255", "#44aa99"};
  return colours[index % colours.size()];
}

const std::string& bound_colour(const std::string& bound_class) {
  static const std::map<std::string, std::string> colours = {
      {"compute", "#4477aa"}, {"memory", "#ee6677"}, {"front-end", "#ccbb44"}};
  static const std::string unknown = "#999999";
  const auto found = colours.find(bound_class);
  return found == colours.end() ? unknown : found->second;
}

std::string bar_chart(const std::vector<Bar>& bars, const std::string& axis_label, const std::string& kind) {
  constexpr double kLeft = 230, kRight = kWidth - 170, kRow = 20, kTop = 8;
  const double bottom = kTop + kRow * static_cast<double>(bars.size());
  double top = 0;
  for (const Bar& bar : bars)
    top = std::max(top, bar.value);
  if (top <= 0) top = 1;
  std::string svg = open_svg(kind, bottom + 40, axis_label);
  svg += value_axis_x(kLeft, kRight, kTop, bottom, top, axis_label);
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const Bar& bar = bars[i];
    const double y = kTop + kRow * static_cast<double>(i);
    const double width = std::max(0.0, (kRight - kLeft) * bar.value / top);
    const std::string hover = bar.tooltip.empty() ? bar.label + ": " + bar.value_text : bar.tooltip;
    svg += fmt::format("<g>{}", tooltip(hover));
    svg += text_at(kLeft - 6, y + 14, short_label(bar.label), "end");
    svg += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"14\" fill=\"{}\"/>", kLeft,
                       y + 3, std::max(width, 1.0), bar.colour.empty() ? palette(0) : bar.colour);
    svg += text_at(kLeft + width + 6, y + 14, bar.value_text);
    svg += "</g>\n";
  }
  return svg + "</svg>\n";
}

std::string histogram(const std::vector<double>& samples, const std::vector<Marker>& markers,
                      const std::string& axis_label) {
  constexpr double kLeft = 60, kRight = kWidth - 30, kTop = 24, kBottom = 200;
  std::string svg = open_svg("histogram", kBottom + 44, axis_label);
  if (samples.empty()) return svg + text_at(kLeft, kTop + 20, "no samples") + "</svg>\n";
  const auto [lowest, highest] = std::minmax_element(samples.begin(), samples.end());
  const double span = *highest - *lowest;
  // Bins by the square-root rule; the axis reaches a little past the extremes so no bar sits on an edge.
  const int bins =
      std::clamp(static_cast<int>(std::ceil(std::sqrt(static_cast<double>(samples.size())))), 1, 40);
  const double pad = span > 0 ? span * 0.05 : std::max(std::abs(*lowest) * 0.01, 1e-6);
  const double from = *lowest - pad, to = *highest + pad;
  const double bin_width = (to - from) / bins;
  std::vector<int> counts(static_cast<std::size_t>(bins), 0);
  for (const double sample : samples)
    ++counts[static_cast<std::size_t>(std::min(bins - 1, static_cast<int>((sample - from) / bin_width)))];
  const int most = *std::max_element(counts.begin(), counts.end());
  const auto x_of = [&](double value) { return kLeft + (kRight - kLeft) * (value - from) / (to - from); };
  const auto y_of = [&](double count) { return kBottom - (kBottom - kTop) * count / most; };
  const double count_step = std::max(1.0, nice_step(most, 4));
  for (double count = 0; count <= most; count += count_step) {
    svg += line(kLeft, y_of(count), kRight, y_of(count), "#e4e4e4");
    svg += text_at(kLeft - 6, y_of(count) + 4, tick_text(count), "end");
  }
  for (int bin = 0; bin < bins; ++bin) {
    const double left = from + bin_width * bin;
    const int count = counts[static_cast<std::size_t>(bin)];
    if (count == 0) continue;
    svg += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"#228833\">{}</rect>\n",
        x_of(left) + 0.5, y_of(count), std::max(1.0, x_of(left + bin_width) - x_of(left) - 1),
        kBottom - y_of(count),
        tooltip(fmt::format("{} samples in {:.4g}..{:.4g}", count, left, left + bin_width)));
  }
  for (int tick = 0; tick <= 4; ++tick) {
    const double value = from + (to - from) * tick / 4;
    svg += text_at(x_of(value), kBottom + 14, tick_text(value), "middle");
  }
  for (std::size_t i = 0; i < markers.size(); ++i) {
    const double x = x_of(markers[i].value);
    svg +=
        line(x, kTop - 8, x, kBottom, "#222", i == 0 ? " stroke-width=\"1.5\"" : " stroke-dasharray=\"4 3\"");
    svg += text_at(x + 3, kTop - 10 + 10 * static_cast<double>(i), markers[i].label);
  }
  svg += text_at((kLeft + kRight) / 2, kBottom + 32, axis_label, "middle");
  return svg + "</svg>\n";
}

std::string stacked_shares(const std::vector<StackRow>& rows, const std::vector<std::string>& legend_names) {
  constexpr double kLeft = 170, kRight = kWidth - 20, kRow = 28, kTop = 8;
  const double bars_bottom = kTop + kRow * static_cast<double>(rows.size());
  std::map<std::string, std::size_t> colour_of;
  for (std::size_t i = 0; i < legend_names.size(); ++i)
    colour_of.emplace(legend_names[i], i);
  std::string svg = open_svg("stacked", bars_bottom + 16 + legend_height(legend_names.size(), kLeft),
                             "share of time per layer");
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const double y = kTop + kRow * static_cast<double>(r);
    svg += text_at(kLeft - 6, y + 16, short_label(rows[r].label), "end");
    double x = kLeft;
    for (const Part& part : rows[r].parts) {
      const double width = (kRight - kLeft) * std::max(0.0, part.share);
      const auto found = colour_of.find(part.name);
      const std::string& colour = found == colour_of.end() ? "#dddddd" : palette(found->second);
      svg += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"20\" fill=\"{}\" stroke=\"#fff\" "
          "stroke-width=\"0.5\">{}</rect>\n",
          x, y + 2, width, colour, tooltip(fmt::format("{}: {:.1f}%", part.name, part.share * 100)));
      if (width > 44)
        svg += text_at(x + width / 2, y + 16, fmt::format("{:.0f}%", part.share * 100), "middle");
      x += width;
    }
  }
  return svg + legend(legend_names, bars_bottom + 24, kLeft) + "</svg>\n";
}

std::string grouped_bars(const std::vector<BarGroup>& groups, const std::vector<std::string>& series,
                         const std::string& axis_label) {
  constexpr double kLeft = 230, kRight = kWidth - 120, kBar = 12, kGap = 8;
  const double legend_rows = legend_height(series.size(), kLeft);
  const double top_y = 8 + legend_rows + 4;
  const double group_height = kBar * static_cast<double>(series.size()) + kGap;
  const double bottom = top_y + group_height * static_cast<double>(groups.size());
  double top = 0;
  for (const BarGroup& group : groups)
    for (const double value : group.values)
      top = std::max(top, value);
  if (top <= 0) top = 1;
  std::string svg = open_svg("grouped", bottom + 40, axis_label);
  svg += legend(series, 20, kLeft);
  svg += value_axis_x(kLeft, kRight, top_y, bottom, top, axis_label);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const double y = top_y + group_height * static_cast<double>(g);
    svg += text_at(kLeft - 6, y + group_height / 2 + 2, short_label(groups[g].label), "end");
    for (std::size_t s = 0; s < groups[g].values.size() && s < series.size(); ++s) {
      const double value = groups[g].values[s];
      if (value < 0) continue;
      const double width = std::max(1.0, (kRight - kLeft) * value / top);
      const double bar_y = y + kBar * static_cast<double>(s);
      svg += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\">{}</rect>\n", kLeft,
          bar_y, width, kBar - 1, palette(s),
          tooltip(fmt::format("{} on {}: {:.4g}", groups[g].label, series[s], value)));
      svg += text_at(kLeft + width + 4, bar_y + kBar - 2, tick_text(value), "start", " font-size=\"10\"");
    }
  }
  return svg + "</svg>\n";
}

std::string roofline(const std::vector<RoofPoint>& points, double peak_gflops, double gbytes_per_second) {
  constexpr double kLeft = 70, kRight = kWidth - 30, kTop = 20, kBottom = 380;
  const double ridge = peak_gflops / gbytes_per_second;
  double least_intensity = ridge / 10, most_intensity = ridge * 10;
  double least_gflops = peak_gflops / 100, most_gflops = peak_gflops * 1.5;
  for (const RoofPoint& point : points) {
    if (point.intensity <= 0 || point.gflops <= 0) continue;
    least_intensity = std::min(least_intensity, point.intensity);
    most_intensity = std::max(most_intensity, point.intensity);
    least_gflops = std::min(least_gflops, point.gflops);
    most_gflops = std::max(most_gflops, point.gflops);
  }
  const LogAxis x_axis = log_axis(least_intensity, most_intensity);
  const LogAxis y_axis = log_axis(least_gflops, most_gflops);
  const auto x_of = [&](double intensity) { return x_axis.position(intensity, kLeft, kRight); };
  const auto y_of = [&](double gflops) { return y_axis.position(gflops, kBottom, kTop); };
  std::string svg =
      open_svg("roofline", kBottom + 44,
               "roofline: attained GFLOP/s against arithmetic intensity under this machine's ceilings");
  for (double decade = x_axis.low; decade <= x_axis.high * 1.0001; decade *= 10) {
    svg += line(x_of(decade), kTop, x_of(decade), kBottom, "#e4e4e4");
    svg += text_at(x_of(decade), kBottom + 14, tick_text(decade), "middle");
  }
  for (double decade = y_axis.low; decade <= y_axis.high * 1.0001; decade *= 10) {
    svg += line(kLeft, y_of(decade), kRight, y_of(decade), "#e4e4e4");
    svg += text_at(kLeft - 6, y_of(decade) + 4, tick_text(decade), "end");
  }
  // The roof: bandwidth-limited left of the ridge, compute-limited right of it.
  const double start = std::max(x_axis.low, y_axis.low / gbytes_per_second);
  svg += fmt::format(
      "<polyline class=\"roof\" points=\"{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}\" fill=\"none\" "
      "stroke=\"#333333\" stroke-width=\"2.5\">{}</polyline>\n",
      x_of(start), y_of(start * gbytes_per_second), x_of(ridge), y_of(peak_gflops), kRight, y_of(peak_gflops),
      tooltip(fmt::format("roof: {:.4g} GFLOP/s peak, {:.4g} GB/s, ridge {:.3g} FLOP/byte", peak_gflops,
                          gbytes_per_second, ridge)));
  svg += text_at(x_of(ridge) + 4, y_of(peak_gflops) - 6,
                 fmt::format("{:.0f} GFLOP/s, ridge {:.3g} FLOP/byte", peak_gflops, ridge));
  svg += text_at(x_of(start) + 4, y_of(start * gbytes_per_second) - 6,
                 fmt::format("{:.1f} GB/s", gbytes_per_second), "start", " font-size=\"11\"");
  for (const RoofPoint& point : points) {
    if (point.intensity <= 0 || point.gflops <= 0) continue;
    const double x = x_of(point.intensity), y = y_of(point.gflops);
    svg += fmt::format("<g><circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"6\" fill=\"{}\" stroke=\"#222\"/>{}", x, y,
                       point.colour,
                       tooltip(fmt::format("{}: {:.3g} FLOP/byte, {:.4g} GFLOP/s", point.label,
                                           point.intensity, point.gflops)));
    svg += text_at(x + 8, y + 4, short_label(point.label), "start", " font-size=\"10\"") + "</g>\n";
  }
  svg += text_at((kLeft + kRight) / 2, kBottom + 32, "arithmetic intensity (FLOP per byte, log)", "middle");
  svg += fmt::format(
      "<text x=\"16\" y=\"{:.1f}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {:.1f})\">attained "
      "GFLOP/s (log)</text>\n",
      (kTop + kBottom) / 2, (kTop + kBottom) / 2);
  return svg + "</svg>\n";
}

std::string line_chart(const std::vector<Series>& series, const std::string& x_label,
                       const std::string& y_label) {
  constexpr double kLeft = 70, kRight = kWidth - 200, kTop = 16, kBottom = 280;
  double least_x = INFINITY, most_x = -INFINITY, most_y = 0;
  for (const Series& one : series)
    for (const auto& [x, y] : one.points) {
      least_x = std::min(least_x, x);
      most_x = std::max(most_x, x);
      most_y = std::max(most_y, y);
    }
  std::string svg = open_svg("lines", kBottom + 44, y_label + " against " + x_label);
  if (!std::isfinite(least_x)) return svg + text_at(kLeft, kTop + 20, "no points") + "</svg>\n";
  const bool logarithmic = least_x > 0 && most_x / least_x > 10;
  if (most_x <= least_x) {
    least_x -= 1;
    most_x += 1;
  }
  if (most_y <= 0) most_y = 1;
  const LogAxis x_log = log_axis(least_x > 0 ? least_x : 1, most_x);
  const auto x_of = [&](double x) {
    return logarithmic ? x_log.position(x, kLeft, kRight)
                       : kLeft + (kRight - kLeft) * (x - least_x) / (most_x - least_x);
  };
  const double y_top = most_y * 1.1;
  const auto y_of = [&](double y) { return kBottom - (kBottom - kTop) * y / y_top; };
  const double y_step = nice_step(y_top, 5);
  for (double y = 0; y <= y_top; y += y_step) {
    svg += line(kLeft, y_of(y), kRight, y_of(y), "#e4e4e4");
    svg += text_at(kLeft - 6, y_of(y) + 4, tick_text(y), "end");
  }
  // x ticks at the swept values themselves.
  std::vector<double> xs;
  for (const Series& one : series)
    for (const auto& point : one.points)
      xs.push_back(point.first);
  std::sort(xs.begin(), xs.end());
  xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
  for (const double x : xs)
    svg += text_at(x_of(x), kBottom + 14, tick_text(x), "middle");
  for (std::size_t s = 0; s < series.size(); ++s) {
    std::string points;
    for (const auto& [x, y] : series[s].points)
      points += fmt::format("{:.1f},{:.1f} ", x_of(x), y_of(y));
    svg += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>\n", points,
                       palette(s));
    for (const auto& [x, y] : series[s].points)
      svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4\" fill=\"{}\">{}</circle>\n", x_of(x),
                         y_of(y), palette(s),
                         tooltip(fmt::format("{}: {} = {:.4g}, {:.4g}", series[s].name, x_label, x, y)));
    svg += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"12\" height=\"12\" fill=\"{}\"/>",
                       kRight + 16, kTop + 18 * static_cast<double>(s), palette(s));
    svg += text_at(kRight + 32, kTop + 18 * static_cast<double>(s) + 10, short_label(series[s].name));
  }
  svg += text_at((kLeft + kRight) / 2, kBottom + 32, x_label + (logarithmic ? " (log)" : ""), "middle");
  svg += fmt::format(
      "<text x=\"16\" y=\"{:.1f}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {:.1f})\">{}</text>\n",
      (kTop + kBottom) / 2, (kTop + kBottom) / 2, escape(y_label));
  return svg + "</svg>\n";
}

std::string icicle(const std::vector<IcicleCell>& cells, const std::string& description) {
  constexpr double kLeft = 10, kRight = kWidth - 10, kRow = 24, kTop = 4;
  constexpr double kCharWidth = 7;  // about, at the page's 12 px sans-serif
  int levels = 0;
  for (const IcicleCell& cell : cells)
    levels = std::max(levels, cell.level + 1);
  std::string svg = open_svg("icicle", kTop + kRow * levels + 8, description);
  for (const IcicleCell& cell : cells) {
    const double x = kLeft + (kRight - kLeft) * cell.start;
    const double width = (kRight - kLeft) * cell.width;
    if (width < 0.5) continue;
    const double y = kTop + kRow * cell.level;
    svg += fmt::format(
        "<g><rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\" stroke=\"#fff\" "
        "stroke-width=\"1\"/>{}",
        x, y, width, kRow - 1, cell.colour, tooltip(cell.tooltip.empty() ? cell.label : cell.tooltip));
    // The label where at least a few characters fit, cut to the cell.
    const auto fits = static_cast<std::size_t>((width - 8) / kCharWidth);
    if (fits >= 3) {
      const std::string label =
          cell.label.size() <= fits ? cell.label : cell.label.substr(0, fits - 1) + "\u2026";
      svg += text_at(x + 4, y + 16, label, "start", " font-size=\"11\"");
    }
    svg += "</g>\n";
  }
  return svg + "</svg>\n";
}

}  // namespace ntp::report::svg
