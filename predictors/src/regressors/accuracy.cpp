#include "hwnas/predictors/regressors/accuracy.h"

#include <cmath>

#include <fmt/format.h>

#include "hwnas/core/error.h"

namespace hwnas::predictors {

std::string AccuracyReport::to_string() const {
  return fmt::format("n={} rmse={:.4g}ms mape={:.2f}% ±5%={:.1f}% ±10%={:.1f}%", count, rmse_ms, 100 * mape,
                     100 * within_5, 100 * within_10);
}

AccuracyReport accuracy_report(std::span<const double> predicted, std::span<const double> truth) {
  HWNAS_CHECK(predicted.size() == truth.size(), "accuracy_report: {} predictions for {} true latencies",
              predicted.size(), truth.size());
  AccuracyReport r;
  r.count = truth.size();
  if (truth.empty()) return r;
  double squared = 0, relative = 0;
  std::size_t in5 = 0, in10 = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    HWNAS_CHECK(truth[i] > 0, "accuracy_report: true latency #{} is {} (must be positive)", i, truth[i]);
    const double error = predicted[i] - truth[i];
    const double rel = std::abs(error) / truth[i];
    squared += error * error;
    relative += rel;
    // A hair of tolerance so that an exactly-5% error (up to rounding) counts as within 5%.
    in5 += rel <= 0.05 + 1e-12;
    in10 += rel <= 0.10 + 1e-12;
  }
  const auto n = static_cast<double>(truth.size());
  r.rmse_ms = std::sqrt(squared / n);
  r.mape = relative / n;
  r.within_5 = static_cast<double>(in5) / n;
  r.within_10 = static_cast<double>(in10) / n;
  return r;
}

}  // namespace hwnas::predictors
