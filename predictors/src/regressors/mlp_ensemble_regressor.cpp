#include "hwnas/predictors/regressors/mlp_ensemble_regressor.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "hwnas/core/error.h"
#include "hwnas/predictors/regressors/accuracy.h"
#include "hwnas/predictors/regressors/kernel_domain.h"

namespace hwnas::predictors {
namespace {

// Member i's seed. Not seed + i, which would make member 1 of seed s the same fit as member 0 of seed
// s + 1; with seed 0 the members are the single MLPs of seeds 0..4 (regressor_bench's ensemble).
std::uint64_t member_seed(std::uint64_t seed, int member) {
  return seed * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(member);
}

// Runs `step` on every member under its own seed; the summary adds up their epochs and seconds.
template <class Step>
FitSummary train_each(std::vector<MlpRegressor>& members, const FitOptions& options, Step step) {
  FitSummary total;
  for (std::size_t m = 0; m < members.size(); ++m) {
    FitOptions member_options = options;
    member_options.seed = member_seed(options.seed, static_cast<int>(m));
    const FitSummary fit = step(members[m], member_options);
    total.epochs += fit.epochs;
    total.best_epoch += fit.best_epoch;
    total.seconds += fit.seconds;
  }
  return total;
}

}  // namespace

MlpEnsembleRegressor::MlpEnsembleRegressor(MlpEnsembleOptions options) : options_(std::move(options)) {
  HWNAS_CHECK(options_.members >= 1, "an MLP ensemble needs at least one member, got {}", options_.members);
}

FitSummary MlpEnsembleRegressor::fit(const KernelDataset& train, const KernelDataset& validation,
                                     const FitOptions& options) {
  std::vector<MlpRegressor> members(static_cast<std::size_t>(options_.members), MlpRegressor(options_.member));
  FitSummary summary = train_each(members, options, [&](MlpRegressor& member, const FitOptions& member_options) {
    return member.fit(train, validation, member_options);
  });
  members_ = std::move(members);
  summary.validation_mape = ensemble_mape(train, validation);
  return summary;
}

FitSummary MlpEnsembleRegressor::fine_tune(const KernelDataset& train, const KernelDataset& validation,
                                           const FitOptions& options, const MlpOptions& schedule) {
  HWNAS_CHECK(fitted(), "MLP ensemble fine-tuning needs a trained ensemble to start from");
  std::vector<MlpRegressor> members = members_;
  FitSummary summary = train_each(members, options, [&](MlpRegressor& member, const FitOptions& member_options) {
    return member.fine_tune(train, validation, member_options, schedule);
  });
  members_ = std::move(members);
  summary.validation_mape = ensemble_mape(train, validation);
  return summary;
}

double MlpEnsembleRegressor::ensemble_mape(const KernelDataset& train, const KernelDataset& validation) const {
  const KernelDataset check = validation_within_reach(train, validation);
  return accuracy_report(predict_batch(check.x), check.latency_ms).mape;
}

void MlpEnsembleRegressor::predict_into(std::span<const FeatureVector> x, std::span<double> out) const {
  HWNAS_CHECK(fitted(), "MLP ensemble used before fit() or load");
  HWNAS_ASSERT(x.size() == out.size(), "{} inputs, {} outputs", x.size(), out.size());
  std::vector<double> log_sum(x.size(), 0.0), member_out(x.size());
  for (const auto& member : members_) {
    member.predict_into(x, member_out);
    for (std::size_t i = 0; i < x.size(); ++i) log_sum[i] += std::log(member_out[i]);
  }
  const double inv = 1.0 / static_cast<double>(members_.size());
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = std::exp(log_sum[i] * inv);
}

nlohmann::json MlpEnsembleRegressor::to_json() const {
  HWNAS_CHECK(fitted(), "cannot serialise an unfitted MLP ensemble");
  nlohmann::json members = nlohmann::json::array();
  for (const auto& member : members_) members.push_back(member.to_json());
  return {{"members", std::move(members)}};
}

void MlpEnsembleRegressor::load_state(const nlohmann::json& state, const std::string& what) {
  const auto& members_json = state.at("members");
  if (!members_json.is_array() || members_json.empty())
    fail("{}: an MLP ensemble needs a non-empty \"members\" array", what);
  std::vector<MlpRegressor> members;
  for (std::size_t m = 0; m < members_json.size(); ++m)
    members.emplace_back().load_state(members_json[m], fmt::format("{} (ensemble member {})", what, m));
  options_.members = static_cast<int>(members.size());
  options_.member = members.front().options();
  members_ = std::move(members);
}

}  // namespace hwnas::predictors
