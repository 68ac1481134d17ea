// Charts for the HTML reports, drawn as inline SVG: no script, no external file, readable offline and in
// any browser. Every label is escaped here, so callers pass names from topologies as they are.
// Each chart is one <svg class="chart" data-chart="KIND"> element, which the report tests look for.
#pragma once

#include <string>
#include <vector>

namespace ntp::report::svg {

// The colours charts use: a palette for runs and layers (colour-blind safe), and one per bound class.
const std::string& palette(std::size_t index);
const std::string& bound_colour(const std::string& bound_class);  // compute, memory, front-end, unknown

// A value axis: linear from 0, or logarithmic in decades, where a layer 100x smaller than the largest
// still shows.
enum class Scale { linear, log };

// Two drawings of one chart, the linear shown and the logarithmic behind a checkbox: CSS only (the page
// has no script), and a browser without :has() shows both.
std::string with_log_switch(const std::string& linear_chart, const std::string& log_chart);

struct LegendEntry {
  std::string name;
  std::string colour;
};

struct Bar {
  std::string label;
  double value = 0;
  std::string value_text;  // printed after the bar ("12.3 ms, 45%")
  std::string colour;
  std::string tooltip;  // "" = the label and value text
};
// Horizontal bars, one per row, scaled to the largest value; `kind` names the chart in data-chart.
std::string bar_chart(const std::vector<Bar>& bars, const std::string& axis_label,
                      const std::string& kind = "bars", Scale scale = Scale::linear);

struct Marker {
  std::string label;  // "median", "p99"
  double value = 0;
};
// A histogram of samples (bins by the square-root rule) with vertical markers.
std::string histogram(const std::vector<double>& samples, const std::vector<Marker>& markers,
                      const std::string& axis_label);

struct Part {
  std::string name;
  double share = 0;    // of the row's 100%
  std::string colour;  // "" = its name's colour in the legend
};
struct StackRow {
  std::string label;
  std::vector<Part> parts;
};
// One 100% bar per row, each part labelled where its name or share fits; a part without a colour of its own
// takes its name's colour in `legend`, the same in every row.
std::string stacked_shares(const std::vector<StackRow>& rows, const std::vector<LegendEntry>& legend);

struct BarGroup {
  std::string label;
  std::vector<double> values;  // one per series; negative: missing
};
// Per group (a layer), one bar per series (a run), coloured by series, with a legend.
std::string grouped_bars(const std::vector<BarGroup>& groups, const std::vector<std::string>& series,
                         const std::string& axis_label, Scale scale = Scale::linear);

struct RoofPoint {
  std::string label;
  double intensity = 0;  // FLOP per byte
  double gflops = 0;     // attained GFLOP/s
  std::string colour;
  double weight = 0;  // its share of the time: the heaviest points are labelled first
};
// Log-log roofline: the machine's roof min(peak, bandwidth x intensity) and each layer under it. A label that
// would cover another label or point is left out and its name listed under the chart.
std::string roofline(const std::vector<RoofPoint>& points, double peak_gflops, double gbytes_per_second);

struct LinePoint {
  double x = 0, y = 0;
  double low = 0, high = 0;  // the spread drawn as an error bar where low < high
};
struct Series {
  std::string name;
  std::vector<LinePoint> points;  // in x order
};
// Lines over a numeric x (logarithmic when it spans more than 10x), one per series, with a legend under the
// plot; `spread_label` ("p25-p75 of the samples") names the error bars in the legend.
std::string line_chart(const std::vector<Series>& series, const std::string& x_label,
                       const std::string& y_label, const std::string& spread_label = "");

struct IcicleCell {
  std::string label;
  std::string tooltip;
  int level = 0;     // its row: 0 at the top (the whole)
  double start = 0;  // where it begins, as a share of the whole width
  double width = 0;  // its share of the whole width
  std::string colour;
};
// An icicle: a hierarchy as rows of cells, each level under its parent and as wide as its share; a cell's
// label is drawn where it fits, its tooltip always. Cells narrower than half a pixel are left out.
std::string icicle(const std::vector<IcicleCell>& cells, const std::string& description);

}  // namespace ntp::report::svg
