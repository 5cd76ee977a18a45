#include "hwnas/search/measure_top.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "hwnas/core/csv.h"
#include "hwnas/core/error.h"
#include "hwnas/core/progress.h"
#include "hwnas/devices/platform.h"
#include "hwnas/search/checkpoint.h"
#include "hwnas/search/report.h"

namespace hwnas::search {

std::vector<std::size_t> select_top(const SearchResult& result, std::size_t count) {
  std::vector<std::size_t> out;
  for (std::size_t i : result.pareto) {
    if (out.size() >= count) return out;
    if (result.candidates[i].feasible()) out.push_back(i);
  }
  std::vector<std::size_t> others;
  for (const auto& c : result.candidates)
    if (c.feasible() && std::find(out.begin(), out.end(), c.index) == out.end()) others.push_back(c.index);
  if (!result.objectives.empty()) {
    const Direction direction = result.objectives[0].direction;
    std::stable_sort(others.begin(), others.end(), [&](std::size_t a, std::size_t b) {
      return better_on(result.candidates[a], result.candidates[b], 0, direction);
    });
  }
  for (std::size_t i : others) {
    if (out.size() >= count) break;
    out.push_back(i);
  }
  return out;
}

MeasureTopReport measure_top(const SearchResult& result, const spaces::SearchSpace& space,
                             const MeasureTopOptions& options) {
  devices::validate(options.profile);
  MeasureTopReport report;
  report.platform = options.platform;
  for (std::size_t j = 0; j < result.objectives.size(); ++j)
    if (result.objectives[j].name == "latency") report.latency_objective = j;

  const std::vector<std::size_t> chosen = select_top(result, options.count);
  if (chosen.empty()) return report;
  auto platform = devices::make_platform(options.platform);
  std::vector<core::Graph> graphs;
  graphs.reserve(chosen.size());
  for (std::size_t i : chosen) graphs.push_back(space.to_graph(result.candidates[i].arch, options.batch));

  core::ProgressLine progress(options.progress);
  const auto on_progress = [&](std::size_t done, std::size_t total) {
    progress.update(fmt::format("measuring {} candidates on {}: {}/{} blocks", chosen.size(), options.platform, done,
                                total),
                    done, total);
  };
  std::vector<devices::Measurement> measured;
  try {
    measured = devices::measure_interleaved(*platform, graphs, options.profile, on_progress);
  } catch (...) {
    progress.finish();
    throw;
  }
  progress.finish();
  HWNAS_CHECK(measured.size() == chosen.size(), "profiler returned {} measurements for {} graphs", measured.size(),
              chosen.size());

  double sum_abs = 0;
  std::size_t within = 0;
  for (std::size_t k = 0; k < chosen.size(); ++k) {
    report.rows.push_back({chosen[k], measured[k].median_ms, measured[k].spread});
    if (!report.latency_objective) continue;
    const double predicted = result.candidates[chosen[k]].values[*report.latency_objective];
    if (!is_available(predicted) || !(measured[k].median_ms > 0)) continue;
    const double error = std::abs(predicted - measured[k].median_ms) / measured[k].median_ms;
    sum_abs += error;
    if (error <= 0.10) ++within;
    ++report.compared;
  }
  if (report.compared > 0) {
    report.mape_percent = 100.0 * sum_abs / static_cast<double>(report.compared);
    report.within_10_percent = static_cast<double>(within) / static_cast<double>(report.compared);
  }
  return report;
}

MeasureTopReport measure_top(const SearchResult& result, const SearchConfig& config,
                             const MeasureTopOptions& options) {
  const auto space = spaces::make_space(config.space, config.space_options);
  MeasureTopReport report = measure_top(result, *space, options);
  ensure_directory(result.out_dir);
  write_file_atomic(result.out_dir / "measured.csv", measured_csv(result, report));
  return report;
}

std::string measured_csv(const SearchResult& result, const MeasureTopReport& report) {
  std::vector<std::string> header{"arch"};
  for (const auto& o : result.objectives) header.push_back(o.name);
  header.push_back("measured_ms");
  header.push_back("spread");
  std::string out = core::csv_line(header);
  for (const auto& row : report.rows) {
    const Evaluated& c = result.candidates[row.index];
    std::vector<std::string> fields{c.arch_string};
    for (double v : c.values) fields.push_back(format_value(v));
    fields.push_back(format_value(row.measured_ms));
    fields.push_back(format_value(row.spread));
    out += core::csv_line(fields);
  }
  return out;
}

std::string measure_summary(const SearchResult& result, const MeasureTopReport& report) {
  if (report.rows.empty()) return "no feasible candidate to measure\n";
  std::string out = fmt::format("measured {} candidate{} on {}:\n", report.rows.size(),
                                report.rows.size() == 1 ? "" : "s", report.platform);
  if (report.latency_objective) {
    out += fmt::format("  {:>12} {:>12} {:>8} {:>7}  arch\n", "predicted_ms", "measured_ms", "error", "spread");
    for (const auto& row : report.rows) {
      const Evaluated& c = result.candidates[row.index];
      const double predicted = c.values[*report.latency_objective];
      const std::string error =
          is_available(predicted) && row.measured_ms > 0
              ? fmt::format("{:+.1f}%", 100.0 * (predicted - row.measured_ms) / row.measured_ms)
              : "-";
      out += fmt::format("  {:>12} {:>12.4g} {:>8} {:>6.1f}%  {}\n",
                         is_available(predicted) ? fmt::format("{:.4g}", predicted) : "-", row.measured_ms, error,
                         100.0 * row.spread, c.arch_string);
    }
    if (report.compared > 0)
      out += fmt::format(
          "predicted latency vs measured on {}: MAPE {:.1f}%, within +-10%: {}/{} ({:.0f}%) (meaningful only when "
          "the latency objective predicts {})\n",
          report.platform, report.mape_percent,
          static_cast<std::size_t>(std::lround(report.within_10_percent * static_cast<double>(report.compared))),
          report.compared, 100.0 * report.within_10_percent, report.platform);
    else
      out += "no predicted latency to compare (the latency objective could not score these candidates)\n";
  } else {
    out += fmt::format("  {:>12} {:>7}  arch\n", "measured_ms", "spread");
    for (const auto& row : report.rows)
      out += fmt::format("  {:>12.4g} {:>6.1f}%  {}\n", row.measured_ms, 100.0 * row.spread,
                         result.candidates[row.index].arch_string);
    out += "(no objective named `latency`: nothing to compare the measurements with)\n";
  }
  return out;
}

}  // namespace hwnas::search
