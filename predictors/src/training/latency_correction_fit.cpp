#include "hwnas/predictors/training/latency_correction_fit.h"

#include <cmath>
#include <map>

#include <Eigen/Dense>
#include <fmt/ranges.h>

#include "hwnas/core/error.h"
#include "hwnas/core/statistics.h"

namespace hwnas::predictors {
namespace {

/// A fitted network as the fit sees it: what its kernels predicted alone sum to, per type.
struct Row {
  double measured_ms = 0;
  double n_kernels = 0;
  double sum_ms = 0;                     ///< over all its kernels
  std::map<std::string, double> type_ms;  ///< over its kernels of each type
};

using Rows = std::vector<const Row*>;

/// Least squares with each row divided by the network's measured latency, so the residual is a
/// relative error, against a target of ones.
Eigen::VectorXd solve_relative(const Eigen::MatrixXd& a) {
  return a.colPivHouseholderQr().solve(Eigen::VectorXd::Ones(a.rows()));
}

/// One scale for every type, plus overhead and constant unless `scale_only`.
LatencyCorrection fit_one_scale(const Rows& rows, bool scale_only) {
  const auto n = static_cast<Eigen::Index>(rows.size());
  Eigen::MatrixXd a(n, 3);
  for (Eigen::Index i = 0; i < n; ++i) {
    const Row& r = *rows[static_cast<std::size_t>(i)];
    a.row(i) << r.sum_ms / r.measured_ms, r.n_kernels / r.measured_ms, 1.0 / r.measured_ms;
  }
  // The scale alone is sum(r) / sum(r^2) over positive ratios r, so always positive. The three terms can
  // trade the scale away on networks whose kernel sums do not track their latency, and a set whose scale
  // is not positive predicts nothing; it then keeps the scale alone.
  LatencyCorrection c{solve_relative(a.leftCols(1))[0], 0.0, 0.0, {}};
  if (!scale_only) {
    const Eigen::VectorXd x = solve_relative(a);
    if (x[0] > 0) c = {x[0], x[1], x[2], {}};
  }
  return c;
}

/// The one-scale fit's scale for every kernel type, and a scale of its own for each of `types`, with
/// overhead and constant refitted: unknowns δ_t, overhead and constant of latency = Σ_k s·ms_k +
/// Σ_t δ_t·ms_t + overhead·n + constant, s being fit_one_scale()'s scale, with the penalty
/// ridge·|rows|·Σ δ_t² on the types' departures from s. A kernel type the networks fitted on do not show
/// is thus predicted with the scale of networks in general. A type whose scale s + δ_t comes out
/// negative is held at 0 and the rest refitted, most negative first.
LatencyCorrection fit_type_scales(const Rows& rows, const std::vector<std::string>& types, double ridge) {
  const double scale = fit_one_scale(rows, false).scale;
  std::vector<std::string> free = types, held_at_zero;
  for (;;) {
    const auto n = static_cast<Eigen::Index>(rows.size());
    const auto t = static_cast<Eigen::Index>(free.size());
    Eigen::MatrixXd a = Eigen::MatrixXd::Zero(n + t, t + 2);
    Eigen::VectorXd target = Eigen::VectorXd::Zero(n + t);
    for (Eigen::Index i = 0; i < n; ++i) {
      const Row& r = *rows[static_cast<std::size_t>(i)];
      auto ms_of = [&](const std::string& type) {
        const auto it = r.type_ms.find(type);
        return it == r.type_ms.end() ? 0.0 : it->second;
      };
      double at_common_scale = r.sum_ms;
      for (const auto& type : held_at_zero) at_common_scale -= ms_of(type);
      target[i] = 1.0 - scale * at_common_scale / r.measured_ms;
      for (Eigen::Index j = 0; j < t; ++j) a(i, j) = ms_of(free[static_cast<std::size_t>(j)]) / r.measured_ms;
      a(i, t) = r.n_kernels / r.measured_ms;
      a(i, t + 1) = 1.0 / r.measured_ms;
    }
    const double penalty = std::sqrt(ridge * static_cast<double>(n));
    for (Eigen::Index j = 0; j < t; ++j) a(n + j, j) = penalty;
    const Eigen::VectorXd x = a.colPivHouseholderQr().solve(target);

    Eigen::Index most_negative = -1;
    for (Eigen::Index j = 0; j < t; ++j)
      if (scale + x[j] < 0 && (most_negative < 0 || x[j] < x[most_negative])) most_negative = j;
    if (most_negative >= 0) {
      const auto it = free.begin() + most_negative;
      held_at_zero.push_back(*it);
      free.erase(it);
      continue;
    }
    LatencyCorrection c{scale, x[t], x[t + 1], {}};
    for (Eigen::Index j = 0; j < t; ++j) c.type_scales[free[static_cast<std::size_t>(j)]] = scale + x[j];
    for (const auto& type : held_at_zero) c.type_scales[type] = 0.0;
    return c;
  }
}

double corrected_ms(const LatencyCorrection& c, const Row& r) {
  double scaled = 0;
  for (const auto& [type, ms] : r.type_ms) scaled += c.scale_of(type) * ms;
  return c.apply(scaled, static_cast<std::size_t>(r.n_kernels));
}

/// MAPE of `fit` over the rows, each predicted by a fit on the folds it is not in.
template <typename Fit>
double cross_validated_mape(const Rows& rows, Fit fit) {
  double error = 0;
  for (std::size_t fold = 0; fold < CorrectionFitReport::kFolds; ++fold) {
    Rows train, test;
    for (std::size_t i = 0; i < rows.size(); ++i) (i % CorrectionFitReport::kFolds == fold ? test : train).push_back(rows[i]);
    const LatencyCorrection c = fit(train);
    for (const Row* r : test) error += std::abs(corrected_ms(c, *r) / r->measured_ms - 1);
  }
  return error / static_cast<double>(rows.size());
}

/// Kernel types occurring in at least kMinNetworksPerTypeScale of the rows.
std::vector<std::string> frequent_types(const Rows& rows) {
  std::map<std::string, std::size_t> count;
  for (const Row* r : rows)
    for (const auto& [type, ms] : r->type_ms) ++count[type];
  std::vector<std::string> types;
  for (const auto& [type, n] : count)
    if (n >= CorrectionFitReport::kMinNetworksPerTypeScale) types.push_back(type);
  return types;
}

}  // namespace

std::string CorrectionFitReport::type_scales_verdict() const {
  if (std::isnan(cv_mape_one_scale)) return "";
  if (correction.type_scales.empty())
    return fmt::format("one scale for every kernel type: per-type scales cross-validate at MAPE {:.2f}% against its "
                       "{:.2f}% ({} folds), not {:.0f}% better",
                       100 * cv_mape_type_scales, 100 * cv_mape_one_scale, kFolds, 100 * (1 - kMaxCvRatio));
  return fmt::format("per-type scales: cross-validated MAPE {:.2f}% against {:.2f}% with one scale ({} folds, ridge {:g})",
                     100 * cv_mape_type_scales, 100 * cv_mape_one_scale, kFolds, ridge);
}

CorrectionFitReport fit_latency_correction(const PredictorSet& set, const std::vector<MeasuredNetwork>& all_networks) {
  if (all_networks.size() < 3)
    fail("fitting the per-model correction needs at least 3 measured networks, got {}", all_networks.size());
  CorrectionFitReport report;
  std::vector<Row> all_rows;
  std::vector<double> ratios;
  for (const MeasuredNetwork& net : all_networks) {
    Row row{net.measured_ms, static_cast<double>(net.kernels.size()), 0.0, {}};
    const auto ms = set.kernel_latencies(net.kernels);
    for (std::size_t k = 0; k < ms.size(); ++k) {
      row.sum_ms += ms[k];
      row.type_ms[net.kernels[k].type] += ms[k];
    }
    ratios.push_back(net.measured_ms / row.sum_ms);
    all_rows.push_back(std::move(row));
  }
  const double median_ratio = core::median(ratios);
  Rows rows;
  for (std::size_t i = 0; i < all_networks.size(); ++i) {
    const double off = ratios[i] / median_ratio;
    if (!(off <= CorrectionFitReport::kMaxRatioFromMedian && off >= 1 / CorrectionFitReport::kMaxRatioFromMedian))
      report.excluded.push_back(all_networks[i].key);
    else
      rows.push_back(&all_rows[i]);
  }
  if (rows.size() < 3)
    fail("fitting the per-model correction needs at least 3 measured networks whose measured / kernel-sum ratio is "
         "within {}x of the median, got {} (left out: {})",
         CorrectionFitReport::kMaxRatioFromMedian, rows.size(), fmt::join(report.excluded, ", "));

  const bool scale_only = rows.size() < CorrectionFitReport::kMinNetworksForAllTerms;
  report.correction = fit_one_scale(rows, scale_only);
  const std::vector<std::string> types = frequent_types(rows);
  if (rows.size() >= CorrectionFitReport::kMinNetworksForTypeScales && !types.empty()) {
    report.cv_mape_one_scale = cross_validated_mape(
        rows, [](const Rows& train) { return fit_one_scale(train, false); });
    report.cv_mape_type_scales = std::numeric_limits<double>::infinity();
    for (double ridge : CorrectionFitReport::kRidges) {
      const double cv = cross_validated_mape(rows, [&](const Rows& train) { return fit_type_scales(train, types, ridge); });
      if (cv < report.cv_mape_type_scales) {
        report.cv_mape_type_scales = cv;
        report.ridge = ridge;
      }
    }
    if (report.cv_mape_type_scales < CorrectionFitReport::kMaxCvRatio * report.cv_mape_one_scale)
      report.correction = fit_type_scales(rows, types, report.ridge);
  }

  report.networks = rows.size();
  std::vector<double> sums, corrected, truth;
  for (const Row* r : rows) {
    sums.push_back(r->sum_ms);
    corrected.push_back(corrected_ms(report.correction, *r));
    truth.push_back(r->measured_ms);
  }
  report.before = accuracy_report(sums, truth);
  report.after = accuracy_report(corrected, truth);
  return report;
}

}  // namespace hwnas::predictors
