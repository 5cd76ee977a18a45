#pragma once
/// Accuracy of latency predictions, in the metrics the nn-Meter and LitePred papers report.

#include <cstddef>
#include <span>
#include <string>

namespace hwnas::predictors {

struct AccuracyReport {
  std::size_t count = 0;   ///< number of predictions compared
  double rmse_ms = 0;      ///< sqrt(mean((pred - true)^2)), milliseconds
  double mape = 0;         ///< mean(|pred - true| / true), a fraction (0.03 = 3%)
  double within_5 = 0;     ///< share of predictions with |pred - true| / true <= 0.05, in [0, 1]
  double within_10 = 0;    ///< share with |pred - true| / true <= 0.10, in [0, 1]

  /// "n=120 rmse=0.0123ms mape=2.10% ±5%=93.3% ±10%=99.2%".
  std::string to_string() const;
};

/// Compares predictions with true latencies (both milliseconds, true > 0). Throws hwnas::Error if the
/// lengths differ or a true latency is not positive. An empty input gives a report with count 0.
AccuracyReport accuracy_report(std::span<const double> predicted, std::span<const double> truth);

}  // namespace hwnas::predictors
