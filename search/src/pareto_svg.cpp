#include "hwnas/search/pareto_svg.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace hwnas::search {

namespace {

constexpr double kWidth = 820, kHeight = 560;
constexpr double kLeft = 90, kRight = 30, kTop = 56, kBottom = 64;

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

struct Axis {
  double lo = 0, hi = 1;
  double step = 0.2;
  int decimals = 1;

  // Pads [min, max] by 5% and picks a 1-2-5 tick step giving about 6 ticks.
  static Axis fit(double min, double max) {
    Axis a;
    if (!(min <= max)) min = 0, max = 1;
    if (max - min < 1e-12 * std::max(1.0, std::abs(max))) {
      const double half = std::max(std::abs(max) * 0.05, 0.5);
      min -= half;
      max += half;
    }
    const double pad = 0.05 * (max - min);
    a.lo = min - pad;
    a.hi = max + pad;
    const double raw = (a.hi - a.lo) / 6;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    const double r = raw / magnitude;
    a.step = (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10) * magnitude;
    a.decimals = std::max(0, static_cast<int>(-std::floor(std::log10(a.step) + 1e-9)));
    return a;
  }

  std::vector<double> ticks() const {
    std::vector<double> out;
    for (double t = std::ceil(lo / step) * step; t <= hi + 1e-9 * step; t += step)
      out.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
    return out;
  }
  std::string label(double t) const { return fmt::format("{:.{}f}", t, decimals); }
};

}  // namespace

std::string pareto_svg(const SearchResult& r) {
  const bool two = r.objectives.size() >= 2;
  const std::size_t yj = 0, xj = 1;
  auto x_of = [&](const Evaluated& c) { return two ? c.values[xj] : static_cast<double>(c.index); };
  auto y_of = [&](const Evaluated& c) { return c.values[yj]; };
  const std::string x_name = two ? r.objectives[xj].name : std::string("evaluation");
  const std::string x_label =
      two ? fmt::format("{} ({})", x_name, direction_name(r.objectives[xj].direction)) : "evaluation (order)";
  const std::string y_label = r.objectives.empty()
                                  ? std::string("objective")
                                  : fmt::format("{} ({})", r.objectives[yj].name, direction_name(r.objectives[yj].direction));

  double x_min = std::numeric_limits<double>::infinity(), x_max = -x_min, y_min = x_min, y_max = -x_min;
  std::size_t plotted = 0;
  for (const auto& c : r.candidates) {
    if (!c.available()) continue;
    ++plotted;
    x_min = std::min(x_min, x_of(c));
    x_max = std::max(x_max, x_of(c));
    y_min = std::min(y_min, y_of(c));
    y_max = std::max(y_max, y_of(c));
  }
  // Constraint bounds on the plotted objectives, drawn as dashed lines when within the data's reach.
  struct Bound { bool on_x; double value; std::string text; };
  std::vector<Bound> bounds;
  for (const auto& c : r.constraints) {
    const bool on_y = !r.objectives.empty() && c.objective == r.objectives[yj].name;
    const bool on_x = two && c.objective == x_name;
    if (on_y || on_x) bounds.push_back({on_x, c.bound, c.to_string()});
  }
  if (plotted == 0) x_min = 0, x_max = 1, y_min = 0, y_max = 1;
  for (const auto& b : bounds) {  // widen the axes a little to show a nearby bound, not a far one
    double& lo = b.on_x ? x_min : y_min;
    double& hi = b.on_x ? x_max : y_max;
    const double span = std::max(hi - lo, 1e-12);
    if (b.value >= lo - 0.5 * span && b.value <= hi + 0.5 * span) {
      lo = std::min(lo, b.value);
      hi = std::max(hi, b.value);
    }
  }
  const Axis ax = Axis::fit(x_min, x_max), ay = Axis::fit(y_min, y_max);
  const double pw = kWidth - kLeft - kRight, ph = kHeight - kTop - kBottom;
  auto px = [&](double x) { return kLeft + (x - ax.lo) / (ax.hi - ax.lo) * pw; };
  auto py = [&](double y) { return kTop + (ay.hi - y) / (ay.hi - ay.lo) * ph; };

  std::string s;
  s += fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n",
      kWidth, kHeight);
  s += fmt::format("<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"white\"/>\n", kWidth, kHeight);
  s += fmt::format("<text x=\"{}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">{}</text>\n",
                   kWidth / 2,
                   xml_escape(fmt::format("{} / {}: {} evaluated, {} feasible, {} on the Pareto front", r.space,
                                          r.strategy, r.candidates.size(), r.feasible_count, r.pareto.size())));
  // Grid, ticks and tick labels.
  s += "<g stroke=\"#e6e6e6\" stroke-width=\"1\">\n";
  for (double t : ax.ticks()) s += fmt::format("<line x1=\"{0:.2f}\" y1=\"{1}\" x2=\"{0:.2f}\" y2=\"{2}\"/>\n", px(t), kTop, kTop + ph);
  for (double t : ay.ticks()) s += fmt::format("<line x1=\"{1}\" y1=\"{0:.2f}\" x2=\"{2}\" y2=\"{0:.2f}\"/>\n", py(t), kLeft, kLeft + pw);
  s += "</g>\n<g stroke=\"#333\" stroke-width=\"1\">\n";
  s += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\"/>\n", kLeft, kTop + ph, kLeft + pw);
  s += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>\n", kLeft, kTop, kTop + ph);
  for (double t : ax.ticks()) s += fmt::format("<line x1=\"{0:.2f}\" y1=\"{1}\" x2=\"{0:.2f}\" y2=\"{2}\"/>\n", px(t), kTop + ph, kTop + ph + 5);
  for (double t : ay.ticks()) s += fmt::format("<line x1=\"{1}\" y1=\"{0:.2f}\" x2=\"{2}\" y2=\"{0:.2f}\"/>\n", py(t), kLeft - 5, kLeft);
  s += "</g>\n<g fill=\"#333\">\n";
  for (double t : ax.ticks())
    s += fmt::format("<text x=\"{:.2f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", px(t), kTop + ph + 19, ax.label(t));
  for (double t : ay.ticks())
    s += fmt::format("<text x=\"{}\" y=\"{:.2f}\" text-anchor=\"end\">{}</text>\n", kLeft - 8, py(t) + 4, ay.label(t));
  s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"13\">{}</text>\n", kLeft + pw / 2,
                   kHeight - 18, xml_escape(x_label));
  s += fmt::format("<text x=\"22\" y=\"{0}\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 22 {0})\">{1}</text>\n",
                   kTop + ph / 2, xml_escape(y_label));
  s += "</g>\n";
  // Constraint bounds.
  for (const auto& b : bounds) {
    if (b.on_x ? (b.value < ax.lo || b.value > ax.hi) : (b.value < ay.lo || b.value > ay.hi)) continue;
    if (b.on_x)
      s += fmt::format("<line x1=\"{0:.2f}\" y1=\"{1}\" x2=\"{0:.2f}\" y2=\"{2}\" stroke=\"#1f77b4\" stroke-dasharray=\"6 4\"/>\n"
                       "<text x=\"{3:.2f}\" y=\"{4}\" fill=\"#1f77b4\">{5}</text>\n",
                       px(b.value), kTop, kTop + ph, px(b.value) + 4, kTop + 14, xml_escape(b.text));
    else
      s += fmt::format("<line x1=\"{1}\" y1=\"{0:.2f}\" x2=\"{2}\" y2=\"{0:.2f}\" stroke=\"#1f77b4\" stroke-dasharray=\"6 4\"/>\n"
                       "<text x=\"{3}\" y=\"{4:.2f}\" fill=\"#1f77b4\" text-anchor=\"end\">{5}</text>\n",
                       py(b.value), kLeft, kLeft + pw, kLeft + pw - 4, py(b.value) - 4, xml_escape(b.text));
  }
  // Every available candidate, grey; infeasible ones lighter and hollow.
  s += "<g>\n";
  for (const auto& c : r.candidates) {
    if (!c.available()) continue;
    if (c.feasible())
      s += fmt::format("<circle cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"2.6\" fill=\"#8c8c8c\" fill-opacity=\"0.6\"/>\n", px(x_of(c)), py(y_of(c)));
    else
      s += fmt::format("<circle cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"2.6\" fill=\"none\" stroke=\"#c4c4c4\"/>\n", px(x_of(c)), py(y_of(c)));
  }
  s += "</g>\n";
  // The front, joined in x order, on top.
  std::vector<std::size_t> front = r.pareto;
  std::stable_sort(front.begin(), front.end(), [&](std::size_t a, std::size_t b) {
    return x_of(r.candidates[a]) < x_of(r.candidates[b]);
  });
  if (front.size() > 1) {
    s += "<polyline fill=\"none\" stroke=\"#d62728\" stroke-width=\"1.6\" points=\"";
    for (std::size_t k = 0; k < front.size(); ++k)
      s += fmt::format("{}{:.2f},{:.2f}", k ? " " : "", px(x_of(r.candidates[front[k]])), py(y_of(r.candidates[front[k]])));
    s += "\"/>\n";
  }
  s += "<g fill=\"#d62728\" stroke=\"white\" stroke-width=\"1\">\n";
  for (std::size_t i : front) {
    const Evaluated& c = r.candidates[i];
    std::string values;
    for (std::size_t j = 0; j < r.objectives.size(); ++j)
      values += fmt::format("{}{}={}", j ? ", " : "", r.objectives[j].name, c.values[j]);
    s += fmt::format("<circle cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"4.5\"><title>{}</title></circle>\n", px(x_of(c)),
                     py(y_of(c)), xml_escape(fmt::format("#{} {} ({})", c.index, c.arch_string, values)));
  }
  s += "</g>\n";
  // Legend (swatches are rects so the circle count stays one per point), in the plot corner that
  // covers the fewest points; bottom right first on ties.
  constexpr double kLegendW = 162, kLegendH = 62;
  const std::array<std::pair<double, double>, 4> corners{{{kLeft + pw - kLegendW - 8, kTop + ph - kLegendH - 8},
                                                          {kLeft + pw - kLegendW - 8, kTop + 8},
                                                          {kLeft + 8, kTop + ph - kLegendH - 8},
                                                          {kLeft + 8, kTop + 8}}};
  std::size_t best_corner = 0, fewest = std::numeric_limits<std::size_t>::max();
  for (std::size_t k = 0; k < corners.size(); ++k) {
    std::size_t covered = 0;
    for (const auto& c : r.candidates) {
      if (!c.available()) continue;
      const double x = px(x_of(c)), y = py(y_of(c));
      covered += x >= corners[k].first - 4 && x <= corners[k].first + kLegendW + 4 && y >= corners[k].second - 4 &&
                 y <= corners[k].second + kLegendH + 4;
    }
    if (covered < fewest) fewest = covered, best_corner = k;
  }
  const double lx = corners[best_corner].first, ly = corners[best_corner].second;
  s += fmt::format(
      "<g font-size=\"12\">\n"
      "<rect x=\"{0}\" y=\"{1}\" width=\"162\" height=\"62\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>\n"
      "<rect x=\"{2}\" y=\"{3}\" width=\"7\" height=\"7\" fill=\"#8c8c8c\"/><text x=\"{4}\" y=\"{5}\">feasible</text>\n"
      "<rect x=\"{2}\" y=\"{6}\" width=\"7\" height=\"7\" fill=\"none\" stroke=\"#c4c4c4\"/><text x=\"{4}\" y=\"{7}\">infeasible</text>\n"
      "<rect x=\"{2}\" y=\"{8}\" width=\"8\" height=\"8\" fill=\"#d62728\"/><text x=\"{4}\" y=\"{9}\">Pareto front (feasible)</text>\n"
      "</g>\n",
      lx, ly, lx + 10, ly + 10, lx + 24, ly + 17, ly + 28, ly + 35, ly + 45, ly + 53);
  if (plotted == 0)
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#999\">no available values to plot</text>\n",
                     kLeft + pw / 2, kTop + ph / 2);
  s += "</svg>\n";
  return s;
}

}  // namespace hwnas::search
