#include "hwnas/predictors/training/latency_correction_fit.h"

#include <Eigen/Dense>

#include "hwnas/core/error.h"

namespace hwnas::predictors {

CorrectionFitReport fit_latency_correction(const PredictorSet& set, const std::vector<MeasuredNetwork>& networks) {
  if (networks.size() < 3)
    fail("fitting the per-model correction needs at least 3 measured networks, got {}", networks.size());
  const auto n = static_cast<Eigen::Index>(networks.size());
  const bool scale_only = networks.size() < CorrectionFitReport::kMinNetworksForAllTerms;
  std::vector<double> sums, truth;
  Eigen::MatrixXd a(n, 3);
  for (Eigen::Index i = 0; i < n; ++i) {
    const MeasuredNetwork& net = networks[static_cast<std::size_t>(i)];
    double sum = 0;
    for (double ms : set.kernel_latencies(net.kernels)) sum += ms;
    sums.push_back(sum);
    truth.push_back(net.measured_ms);
    // Dividing each row by the measured latency makes the residual a relative error.
    a.row(i) << sum / net.measured_ms, static_cast<double>(net.kernels.size()) / net.measured_ms, 1.0 / net.measured_ms;
  }
  CorrectionFitReport report;
  if (scale_only) {
    const Eigen::VectorXd x = a.leftCols(1).colPivHouseholderQr().solve(Eigen::VectorXd::Ones(n));
    report.correction = {x[0], 0.0, 0.0};
  } else {
    const Eigen::VectorXd x = a.colPivHouseholderQr().solve(Eigen::VectorXd::Ones(n));
    report.correction = {x[0], x[1], x[2]};
  }
  report.networks = networks.size();
  std::vector<double> corrected;
  for (std::size_t i = 0; i < networks.size(); ++i)
    corrected.push_back(report.correction.apply(sums[i], networks[i].kernels.size()));
  report.before = accuracy_report(sums, truth);
  report.after = accuracy_report(corrected, truth);
  return report;
}

}  // namespace hwnas::predictors
