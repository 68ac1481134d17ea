#include "svg_charts.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string_view>
#include <tuple>

#include "html.h"

namespace ntp::report::svg {

namespace {

using html::escape;

constexpr double kWidth = 960;
constexpr double kCharEm = 0.62;
// Baselines under a plot with a y axis: the x tick labels clear the lowest y tick label in the corner.
constexpr double kTickBelow = 18,
                 kAxisLabelBelow = 36;  // a wide sans-serif's mean advance per character, in em, rounded up

// About how wide `text` is drawn at `font_size` px: its characters (not UTF-8 bytes) times a mean advance.
double text_width(const std::string& text, double font_size = 12) {
  const auto characters = std::count_if(
      text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; });
  return static_cast<double>(characters) * font_size * kCharEm;
}

// The label cut to fit `width` px with an ellipsis; the tooltip keeps the whole name.
std::string fitted(const std::string& label, double width, double font_size = 12) {
  if (text_width(label, font_size) <= width) return label;
  std::string cut;
  for (const char c : label) {
    if ((static_cast<unsigned char>(c) & 0xc0) != 0x80 &&
        text_width(cut + "\u2026", font_size) + font_size * kCharEm > width)
      break;
    cut += c;
  }
  return cut + "\u2026";
}

// A label's box on the chart, to keep labels off each other.
struct Box {
  double left = 0, top = 0, right = 0, bottom = 0;
  bool overlaps(const Box& other) const {
    return left < other.right && other.left < right && top < other.bottom && other.top < bottom;
  }
  bool inside(const Box& area) const {
    return left >= area.left && right <= area.right && top >= area.top && bottom <= area.bottom;
  }
};

// The box of a text drawn at baseline y with the anchor at x.
Box text_box(double x, double y, const std::string& text, const char* anchor, double font_size) {
  const double width = text_width(text, font_size);
  const double left = std::string_view(anchor) == "end"      ? x - width
                      : std::string_view(anchor) == "middle" ? x - width / 2
                                                             : x;
  return {left, y - font_size, left + width, y + font_size * 0.3};
}

std::string open_svg(const std::string& kind, double height, const std::string& description,
                     Scale scale = Scale::linear) {
  return fmt::format(
      "<svg class=\"chart\" data-chart=\"{}\"{} width=\"{:.0f}\" "
      "height=\"{:.0f}\" viewBox=\"0 0 {:.0f} {:.0f}\" role=\"img\"><desc>{}</desc>\n",
      kind, scale == Scale::log ? " data-scale=\"log\"" : "", kWidth, height, kWidth, height,
      escape(description));
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

// A value axis for bars: linear from 0 to the largest value, or logarithmic over the decades around the
// positive values (a value at or below the lowest decade is drawn as a sliver).
struct ValueAxis {
  Scale scale = Scale::linear;
  double top = 1;
  LogAxis decades;
  double position(double value, double from, double to) const {
    if (scale == Scale::linear) return from + (to - from) * std::max(0.0, value) / top;
    return value <= decades.low ? from : decades.position(std::min(value, decades.high), from, to);
  }
};

ValueAxis value_axis(Scale scale, const std::vector<double>& values) {
  ValueAxis axis;
  axis.scale = scale;
  double smallest = INFINITY, largest = 0;
  for (const double value : values)
    if (value > 0) {
      smallest = std::min(smallest, value);
      largest = std::max(largest, value);
    }
  axis.top = largest > 0 ? largest : 1;
  axis.decades = largest > 0 ? log_axis(smallest, largest) : LogAxis{};
  return axis;
}

// The axis along x from `left` to `right` with vertical grid lines and its label under the ticks.
std::string value_axis_x(double left, double right, double top_y, double bottom_y, const ValueAxis& axis,
                         const std::string& label) {
  std::string svg;
  const auto tick = [&](double value) {
    const double x = axis.position(value, left, right);
    svg += line(x, top_y, x, bottom_y, "#e4e4e4");
    svg += text_at(x, bottom_y + 14, tick_text(value), "middle");
  };
  if (axis.scale == Scale::log) {
    for (double decade = axis.decades.low; decade <= axis.decades.high * 1.0001; decade *= 10)
      tick(decade);
  } else {
    const double step = nice_step(axis.top, 6);
    for (double value = 0; value <= axis.top * 1.0001; value += step)
      tick(value);
  }
  return svg + text_at((left + right) / 2, bottom_y + 30, label + (axis.scale == Scale::log ? " (log)" : ""),
                       "middle");
}

struct Legend {
  std::string svg;
  double height = 0;
};

// Entries flow left to right from `left` and wrap before `right`, each as wide as its own label, so that no
// label runs into the next or out of the chart. `baseline` is the first row's.
Legend legend(const std::vector<LegendEntry>& entries, double baseline, double left, double right) {
  constexpr double kRowHeight = 18, kSwatch = 16, kGap = 18;
  Legend drawn;
  double x = left, y = baseline;
  for (const LegendEntry& entry : entries) {
    const std::string label = fitted(entry.name, right - left - kSwatch);
    const double width = kSwatch + text_width(label);
    if (x > left && x + width > right) {
      x = left;
      y += kRowHeight;
    }
    drawn.svg +=
        fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"12\" height=\"12\" fill=\"{}\">{}</rect>\n", x,
                    y - 10, entry.colour, tooltip(entry.name));
    drawn.svg += text_at(x + kSwatch, y, label);
    x += width + kGap;
  }
  drawn.height = entries.empty() ? 0 : y - baseline + kRowHeight;
  return drawn;
}

std::vector<LegendEntry> palette_entries(const std::vector<std::string>& names) {
  std::vector<LegendEntry> entries;
  for (std::size_t i = 0; i < names.size(); ++i)
    entries.push_back({names[i], palette(i)});
  return entries;
}

// The widest of `texts` at 12 px, so a chart leaves room for its labels instead of cutting them.
double widest(const std::vector<std::string>& texts) {
  double width = 0;
  for (const std::string& text : texts)
    width = std::max(width, text_width(text));
  return width;
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

std::string with_log_switch(const std::string& linear_chart, const std::string& log_chart) {
  return "<div class=\"scales\"><label class=\"scale-switch\"><input type=\"checkbox\"> logarithmic scale "
         "(small values visible)</label>\n" +
         linear_chart + log_chart + "</div>\n";
}

std::string bar_chart(const std::vector<Bar>& bars, const std::string& axis_label, const std::string& kind,
                      Scale scale) {
  constexpr double kRow = 20, kTop = 8, kPlotLeast = 360;
  std::vector<std::string> labels, value_texts;
  std::vector<double> values;
  for (const Bar& bar : bars) {
    labels.push_back(bar.label);
    value_texts.push_back(bar.value_text);
    values.push_back(bar.value);
  }
  // The labels' column is as wide as the longest label, up to a third of the chart (longer ones are cut).
  const double left = std::clamp(widest(labels) + 14, 60.0, kWidth / 3);
  // The value texts follow the longest bar, so the plot ends where the longest text still fits.
  const double right = std::max(left + kPlotLeast, kWidth - 12 - widest(value_texts));
  const double bottom = kTop + kRow * static_cast<double>(bars.size());
  const ValueAxis axis = value_axis(scale, values);
  std::string svg = open_svg(kind, bottom + 40, axis_label, scale);
  svg += value_axis_x(left, right, kTop, bottom, axis, axis_label);
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const Bar& bar = bars[i];
    const double y = kTop + kRow * static_cast<double>(i);
    const double width = axis.position(bar.value, left, right) - left;
    const std::string hover = bar.tooltip.empty() ? bar.label + ": " + bar.value_text : bar.tooltip;
    svg += fmt::format("<g>{}", tooltip(hover));
    svg += text_at(left - 6, y + 14, fitted(bar.label, left - 12), "end");
    svg += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"14\" fill=\"{}\"/>", left,
                       y + 3, std::max(width, 1.0), bar.colour.empty() ? palette(0) : bar.colour);
    svg +=
        text_at(left + std::max(width, 1.0) + 6, y + 14, fitted(bar.value_text, kWidth - left - width - 12));
    svg += "</g>\n";
  }
  return svg + "</svg>\n";
}

std::string histogram(const std::vector<double>& samples, const std::vector<Marker>& markers,
                      const std::string& axis_label) {
  // Marker labels take up to three rows above the plot, each in the first row where it covers no other.
  constexpr double kLeft = 60, kRight = kWidth - 30, kLabelRow = 14, kLabelRows = 3;
  constexpr double kTop = 8 + kLabelRow * kLabelRows, kBottom = kTop + 176;
  std::string svg = open_svg("histogram", kBottom + kAxisLabelBelow + 12, axis_label);
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
    svg += text_at(x_of(value), kBottom + kTickBelow, tick_text(value), "middle");
  }
  std::vector<Box> placed;
  for (std::size_t i = 0; i < markers.size(); ++i) {
    const double x = x_of(markers[i].value);
    // Right of its line, or left of it where the label would run past the plot.
    const bool leftwards = x + 3 + text_width(markers[i].label) > kRight;
    const char* anchor = leftwards ? "end" : "start";
    const double label_x = leftwards ? x - 3 : x + 3;
    double row_y = 8 + kLabelRow;
    for (int row = 0; row < kLabelRows; ++row, row_y += kLabelRow) {
      const Box box = text_box(label_x, row_y, markers[i].label, anchor, 12);
      if (std::none_of(placed.begin(), placed.end(), [&](const Box& other) { return box.overlaps(other); })) {
        placed.push_back(box);
        break;
      }
    }
    svg += line(x, row_y - 10, x, kBottom, "#222",
                i == 0 ? " stroke-width=\"1.5\"" : " stroke-dasharray=\"4 3\"");
    svg += text_at(label_x, row_y, markers[i].label, anchor);
  }
  svg += text_at((kLeft + kRight) / 2, kBottom + kAxisLabelBelow, axis_label, "middle");
  return svg + "</svg>\n";
}

std::string stacked_shares(const std::vector<StackRow>& rows,
                           const std::vector<LegendEntry>& legend_entries) {
  constexpr double kRow = 28, kTop = 8, kPartFont = 11;
  std::vector<std::string> row_labels;
  for (const StackRow& row : rows)
    row_labels.push_back(row.label);
  // Row labels (runs, sweep points) keep up to a third of the width; longer ones are cut.
  const double left = std::min(widest(row_labels), kWidth / 3) + 14, right = kWidth - 20;
  const double bars_bottom = kTop + kRow * static_cast<double>(rows.size());
  std::map<std::string, std::string> colour_of;
  for (const LegendEntry& entry : legend_entries)
    colour_of.emplace(entry.name, entry.colour);
  const Legend drawn_legend = legend(legend_entries, bars_bottom + 24, left, right);
  std::string svg = open_svg("stacked", bars_bottom + 16 + drawn_legend.height, "share of time per layer");
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const double y = kTop + kRow * static_cast<double>(r);
    svg += text_at(left - 6, y + 16, fitted(rows[r].label, left - 12), "end");
    double x = left;
    for (const Part& part : rows[r].parts) {
      const double width = (right - left) * std::max(0.0, part.share);
      const auto found = colour_of.find(part.name);
      const std::string& colour = !part.colour.empty()       ? part.colour
                                  : found == colour_of.end() ? "#dddddd"
                                                             : found->second;
      svg += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"20\" fill=\"{}\" stroke=\"#fff\" "
          "stroke-width=\"1\">{}</rect>\n",
          x, y + 2, width, colour, tooltip(fmt::format("{}: {:.1f}%", part.name, part.share * 100)));
      // Its name and share where they fit, else its share, else only the tooltip.
      const std::string share = fmt::format("{:.0f}%", part.share * 100);
      const std::string named = part.name + " " + share;
      const std::string label = text_width(named, kPartFont) + 8 < width   ? named
                                : text_width(share, kPartFont) + 8 < width ? share
                                                                           : "";
      if (!label.empty()) svg += text_at(x + width / 2, y + 16, label, "middle", " font-size=\"11\"");
      x += width;
    }
  }
  return svg + drawn_legend.svg + "</svg>\n";
}

std::string grouped_bars(const std::vector<BarGroup>& groups, const std::vector<std::string>& series,
                         const std::string& axis_label, Scale scale) {
  constexpr double kRight = kWidth - 80, kBar = 12, kGap = 8;
  std::vector<std::string> labels;
  for (const BarGroup& group : groups)
    labels.push_back(group.label);
  const double left = std::clamp(widest(labels) + 14, 60.0, kWidth / 3);  // as in bar_chart
  const Legend drawn_legend = legend(palette_entries(series), 20, left, kWidth - 10);
  const double top_y = 8 + drawn_legend.height + 4;
  const double group_height = kBar * static_cast<double>(series.size()) + kGap;
  const double bottom = top_y + group_height * static_cast<double>(groups.size());
  std::vector<double> values;
  for (const BarGroup& group : groups)
    values.insert(values.end(), group.values.begin(), group.values.end());
  const ValueAxis axis = value_axis(scale, values);
  std::string svg = open_svg("grouped", bottom + 40, axis_label, scale);
  svg += drawn_legend.svg;
  svg += value_axis_x(left, kRight, top_y, bottom, axis, axis_label);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const double y = top_y + group_height * static_cast<double>(g);
    svg += text_at(left - 6, y + group_height / 2 + 2, fitted(groups[g].label, left - 12), "end");
    for (std::size_t s = 0; s < groups[g].values.size() && s < series.size(); ++s) {
      const double value = groups[g].values[s];
      if (value < 0) continue;
      const double width = std::max(1.0, axis.position(value, left, kRight) - left);
      const double bar_y = y + kBar * static_cast<double>(s);
      svg += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\">{}</rect>\n", left,
          bar_y, width, kBar - 1, palette(s),
          tooltip(fmt::format("{} on {}: {:.4g}", groups[g].label, series[s], value)));
      svg += text_at(left + width + 4, bar_y + kBar - 2, tick_text(value), "start", " font-size=\"10\"");
    }
  }
  return svg + "</svg>\n";
}

std::string roofline(const std::vector<RoofPoint>& points, double peak_gflops, double gbytes_per_second) {
  constexpr double kLeft = 70, kRight = kWidth - 30, kTop = 20, kBottom = 380, kPointFont = 10;
  const double ridge = peak_gflops / gbytes_per_second;
  double least_intensity = ridge / 10, most_intensity = ridge * 10;
  double least_gflops = peak_gflops / 100, most_gflops = peak_gflops * 1.5;
  std::vector<const RoofPoint*> drawn;
  for (const RoofPoint& point : points) {
    if (point.intensity <= 0 || point.gflops <= 0) continue;
    drawn.push_back(&point);
    least_intensity = std::min(least_intensity, point.intensity);
    most_intensity = std::max(most_intensity, point.intensity);
    least_gflops = std::min(least_gflops, point.gflops);
    most_gflops = std::max(most_gflops, point.gflops);
  }
  const LogAxis x_axis = log_axis(least_intensity, most_intensity);
  const LogAxis y_axis = log_axis(least_gflops, most_gflops);
  const auto x_of = [&](double intensity) { return x_axis.position(intensity, kLeft, kRight); };
  const auto y_of = [&](double gflops) { return y_axis.position(gflops, kBottom, kTop); };
  std::string plot;
  for (double decade = x_axis.low; decade <= x_axis.high * 1.0001; decade *= 10) {
    plot += line(x_of(decade), kTop, x_of(decade), kBottom, "#e4e4e4");
    plot += text_at(x_of(decade), kBottom + kTickBelow, tick_text(decade), "middle");
  }
  for (double decade = y_axis.low; decade <= y_axis.high * 1.0001; decade *= 10) {
    plot += line(kLeft, y_of(decade), kRight, y_of(decade), "#e4e4e4");
    plot += text_at(kLeft - 6, y_of(decade) + 4, tick_text(decade), "end");
  }
  // The roof: bandwidth-limited left of the ridge, compute-limited right of it.
  const double start = std::max(x_axis.low, y_axis.low / gbytes_per_second);
  plot += fmt::format(
      "<polyline class=\"roof\" points=\"{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}\" fill=\"none\" "
      "stroke=\"#333333\" stroke-width=\"2.5\">{}</polyline>\n",
      x_of(start), y_of(start * gbytes_per_second), x_of(ridge), y_of(peak_gflops), kRight, y_of(peak_gflops),
      tooltip(fmt::format("roof: {:.4g} GFLOP/s peak, {:.4g} GB/s, ridge {:.3g} FLOP/byte", peak_gflops,
                          gbytes_per_second, ridge)));
  // Labels already placed, and the points themselves: a point label may cover neither.
  std::vector<Box> taken;
  const std::string peak_text = fmt::format("{:.0f} GFLOP/s, ridge {:.3g} FLOP/byte", peak_gflops, ridge);
  const bool peak_leftwards = x_of(ridge) + 4 + text_width(peak_text) > kRight;
  const double peak_x = peak_leftwards ? kRight : x_of(ridge) + 4;
  plot += text_at(peak_x, y_of(peak_gflops) - 6, peak_text, peak_leftwards ? "end" : "start");
  taken.push_back(text_box(peak_x, y_of(peak_gflops) - 6, peak_text, peak_leftwards ? "end" : "start", 12));
  const std::string bandwidth_text = fmt::format("{:.1f} GB/s", gbytes_per_second);
  const double bandwidth_y = y_of(start * gbytes_per_second) - 6;
  plot += text_at(x_of(start) + 4, bandwidth_y, bandwidth_text, "start", " font-size=\"11\"");
  taken.push_back(text_box(x_of(start) + 4, bandwidth_y, bandwidth_text, "start", 11));
  for (const RoofPoint* point : drawn) {
    const double x = x_of(point->intensity), y = y_of(point->gflops);
    taken.push_back({x - 6, y - 6, x + 6, y + 6});
  }
  // The heaviest points are labelled first, each right, left, above or below its point, wherever the label
  // stays in the plot and covers nothing already there; a point with no such place is named under the chart.
  std::vector<const RoofPoint*> by_weight = drawn;
  std::stable_sort(by_weight.begin(), by_weight.end(),
                   [](const RoofPoint* a, const RoofPoint* b) { return a->weight > b->weight; });
  std::map<const RoofPoint*, std::string> labels;
  std::vector<std::string> unlabelled;
  const Box plot_area{kLeft, kTop - 14, kWidth - 4, kBottom};
  for (const RoofPoint* point : by_weight) {
    const double x = x_of(point->intensity), y = y_of(point->gflops);
    const std::string label = fitted(point->label, 200, kPointFont);
    bool placed = false;
    for (const auto& [label_x, label_y, anchor] :
         {std::tuple{x + 9, y + 4, "start"}, std::tuple{x - 9, y + 4, "end"}, std::tuple{x, y - 9, "middle"},
          std::tuple{x, y + 17, "middle"}}) {
      const Box box = text_box(label_x, label_y, label, anchor, kPointFont);
      if (!box.inside(plot_area) ||
          std::any_of(taken.begin(), taken.end(), [&](const Box& other) { return box.overlaps(other); }))
        continue;
      taken.push_back(box);
      labels[point] = text_at(label_x, label_y, label, anchor, " font-size=\"10\"");
      placed = true;
      break;
    }
    if (!placed) unlabelled.push_back(point->label);
  }
  for (const RoofPoint* point : drawn) {
    const double x = x_of(point->intensity), y = y_of(point->gflops);
    plot += fmt::format("<g><circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"6\" fill=\"{}\" stroke=\"#222\"/>{}", x,
                        y, point->colour,
                        tooltip(fmt::format("{}: {:.3g} FLOP/byte, {:.4g} GFLOP/s", point->label,
                                            point->intensity, point->gflops)));
    plot += labels[point] + "</g>\n";
  }
  plot += text_at((kLeft + kRight) / 2, kBottom + kAxisLabelBelow,
                  "arithmetic intensity (FLOP per byte, log)", "middle");
  plot += fmt::format(
      "<text x=\"16\" y=\"{:.1f}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {:.1f})\">attained "
      "GFLOP/s (log)</text>\n",
      (kTop + kBottom) / 2, (kTop + kBottom) / 2);
  // The heaviest of the points left unlabelled, named in lines under the axis; a large model's many small
  // layers are counted, not listed (every point's tooltip names it).
  constexpr std::size_t kNamedUnlabelled = 8;
  double note_y = kBottom + kAxisLabelBelow + 20;
  if (!unlabelled.empty()) {
    std::vector<std::string> words;
    for (std::size_t i = 0; i < unlabelled.size() && i < kNamedUnlabelled; ++i)
      words.push_back(" " + fitted(unlabelled[i], kWidth / 2) + ",");
    if (unlabelled.size() > kNamedUnlabelled)
      words.push_back(
          fmt::format(" and {} more; hover a point for its name", unlabelled.size() - kNamedUnlabelled));
    else
      words.back().pop_back();
    std::string note = "not labelled, to keep labels apart:";
    for (const std::string& word : words) {
      if (text_width(note + word) > kWidth - 2 * kLeft) {
        plot += text_at(kLeft, note_y, note);
        note.clear();
        note_y += 18;
      }
      note += word;
    }
    plot += text_at(kLeft, note_y, note);
  }
  return open_svg("roofline", note_y + (unlabelled.empty() ? -8 : 10),
                  "roofline: attained GFLOP/s against arithmetic intensity under this machine's ceilings") +
         plot + "</svg>\n";
}

std::string line_chart(const std::vector<Series>& series, const std::string& x_label,
                       const std::string& y_label, const std::string& spread_label) {
  constexpr double kLeft = 70, kRight = kWidth - 30, kTop = 16, kBottom = 280;
  double least_x = INFINITY, most_x = -INFINITY, most_y = 0;
  for (const Series& one : series)
    for (const LinePoint& point : one.points) {
      least_x = std::min(least_x, point.x);
      most_x = std::max(most_x, point.x);
      most_y = std::max({most_y, point.y, point.high});
    }
  std::vector<std::string> names;
  for (const Series& one : series)
    names.push_back(one.name);
  const Legend drawn_legend = legend(palette_entries(names), kBottom + 58, kLeft, kWidth - 10);
  const double spread_y = kBottom + 58 + drawn_legend.height;
  const double height = spread_y + (spread_label.empty() ? -8 : 10);
  std::string svg = open_svg("lines", height, y_label + " against " + x_label);
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
  // x ticks at the swept values themselves, each where it clears the one before.
  std::vector<double> xs;
  for (const Series& one : series)
    for (const LinePoint& point : one.points)
      xs.push_back(point.x);
  std::sort(xs.begin(), xs.end());
  xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
  double ticks_end = -INFINITY;
  for (const double x : xs) {
    const Box box = text_box(x_of(x), kBottom + kTickBelow, tick_text(x), "middle", 12);
    if (box.left < ticks_end + 4) continue;
    svg += text_at(x_of(x), kBottom + kTickBelow, tick_text(x), "middle");
    ticks_end = box.right;
  }
  for (std::size_t s = 0; s < series.size(); ++s) {
    std::string points;
    for (const LinePoint& point : series[s].points)
      points += fmt::format("{:.1f},{:.1f} ", x_of(point.x), y_of(point.y));
    svg += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>\n", points,
                       palette(s));
    for (const LinePoint& point : series[s].points) {
      const double x = x_of(point.x);
      std::string hover = fmt::format("{}: {} = {:.4g}, {:.4g}", series[s].name, x_label, point.x, point.y);
      if (point.low < point.high) {
        hover += fmt::format(" ({}: {:.4g} to {:.4g})", spread_label, point.low, point.high);
        svg += fmt::format(
            "<path class=\"spread\" "
            "d=\"M{0:.1f},{1:.1f}V{2:.1f}M{3:.1f},{1:.1f}H{4:.1f}M{3:.1f},{2:.1f}H{4:.1f}\" "
            "stroke=\"{5}\" stroke-width=\"1.5\" fill=\"none\"/>\n",
            x, y_of(point.low), y_of(point.high), x - 4, x + 4, palette(s));
      }
      svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4\" fill=\"{}\">{}</circle>\n", x,
                         y_of(point.y), palette(s), tooltip(hover));
    }
  }
  svg += text_at((kLeft + kRight) / 2, kBottom + kAxisLabelBelow, x_label + (logarithmic ? " (log)" : ""),
                 "middle");
  svg += fmt::format(
      "<text x=\"16\" y=\"{:.1f}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {:.1f})\">{}</text>\n",
      (kTop + kBottom) / 2, (kTop + kBottom) / 2, escape(y_label));
  svg += drawn_legend.svg;
  if (!spread_label.empty()) svg += text_at(kLeft, spread_y, "error bars: " + spread_label);
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
