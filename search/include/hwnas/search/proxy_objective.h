#pragma once
/// A training-free accuracy objective: one zero-cost proxy (predictors/proxies) of each candidate at
/// initialisation, for spaces without a benchmark table. Higher is better for every proxy the spec
/// defines, so the default direction is maximize.
///
/// ```yaml
/// objectives:
///   - {name: score, kind: proxy, proxy: naswot, batch: 32, seed: 0}
/// ```
/// Cost: one forward (and, for gradient proxies, a backward) at `batch` per candidate: about a second
/// for NB201 at batch 32 on one core (bench/proxy_bench). Candidates are scored one at a time (the
/// proxies pin LibTorch's process-wide thread count), so thread_safe() is false.

#include <string>
#include <vector>

#include "hwnas/search/objective.h"

namespace hwnas::search {

class ProxyObjective final : public Objective {
 public:
  ProxyObjective(std::string name, std::string proxy, Direction direction, std::int64_t batch, std::uint64_t seed);
  std::string name() const override { return name_; }
  Direction direction() const override { return direction_; }
  std::string description() const override;
  std::vector<double> evaluate(const std::vector<spaces::Arch>& archs,
                               const spaces::SearchSpace& space) const override;
  bool thread_safe() const override { return false; }

 private:
  std::string name_;
  std::string proxy_;
  Direction direction_;
  std::int64_t batch_;
  std::uint64_t seed_;
};

/// Registers kind "proxy" (options: proxy (default naswot; any of predictors::proxy_names()), batch
/// (default 32), seed (default 0)).
void register_proxy_objective(ObjectiveRegistry& registry);

}  // namespace hwnas::search
