#include "hwnas/predictors/training/latency_correction_fit.h"

#include <Eigen/Dense>
#include <fmt/ranges.h>

#include "hwnas/core/error.h"
#include "hwnas/core/statistics.h"

namespace hwnas::predictors {

CorrectionFitReport fit_latency_correction(const PredictorSet& set, const std::vector<MeasuredNetwork>& all_networks) {
  if (all_networks.size() < 3)
    fail("fitting the per-model correction needs at least 3 measured networks, got {}", all_networks.size());
  CorrectionFitReport report;
  std::vector<double> all_sums, ratios;
  for (const MeasuredNetwork& net : all_networks) {
    double sum = 0;
    for (double ms : set.kernel_latencies(net.kernels)) sum += ms;
    all_sums.push_back(sum);
    ratios.push_back(net.measured_ms / sum);
  }
  const double median_ratio = core::median(ratios);
  std::vector<const MeasuredNetwork*> networks;
  std::vector<double> sums, truth;
  for (std::size_t i = 0; i < all_networks.size(); ++i) {
    const double off = ratios[i] / median_ratio;
    if (!(off <= CorrectionFitReport::kMaxRatioFromMedian && off >= 1 / CorrectionFitReport::kMaxRatioFromMedian)) {
      report.excluded.push_back(all_networks[i].key);
      continue;
    }
    networks.push_back(&all_networks[i]);
    sums.push_back(all_sums[i]);
    truth.push_back(all_networks[i].measured_ms);
  }
  if (networks.size() < 3)
    fail("fitting the per-model correction needs at least 3 measured networks whose measured / kernel-sum ratio is "
         "within {}x of the median, got {} (left out: {})",
         CorrectionFitReport::kMaxRatioFromMedian, networks.size(), fmt::join(report.excluded, ", "));
  const auto n = static_cast<Eigen::Index>(networks.size());
  const bool scale_only = networks.size() < CorrectionFitReport::kMinNetworksForAllTerms;
  Eigen::MatrixXd a(n, 3);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    // Dividing each row by the measured latency makes the residual a relative error.
    a.row(i) << sums[k] / truth[k], static_cast<double>(networks[k]->kernels.size()) / truth[k], 1.0 / truth[k];
  }
  // The scale alone is sum(r) / sum(r^2) over positive ratios r, so always positive. The three terms can
  // trade the scale away on networks whose kernel sums do not track their latency, and a set whose scale
  // is not positive predicts nothing; it then keeps the scale alone.
  const Eigen::VectorXd scale = a.leftCols(1).colPivHouseholderQr().solve(Eigen::VectorXd::Ones(n));
  report.correction = {scale[0], 0.0, 0.0};
  if (!scale_only) {
    const Eigen::VectorXd x = a.colPivHouseholderQr().solve(Eigen::VectorXd::Ones(n));
    if (x[0] > 0) report.correction = {x[0], x[1], x[2]};
  }
  report.networks = networks.size();
  std::vector<double> corrected;
  for (std::size_t i = 0; i < networks.size(); ++i)
    corrected.push_back(report.correction.apply(sums[i], networks[i]->kernels.size()));
  report.before = accuracy_report(sums, truth);
  report.after = accuracy_report(corrected, truth);
  return report;
}

}  // namespace hwnas::predictors
