#pragma once
/// A training-free accuracy objective: one zero-cost proxy (predictors/proxies) of each candidate at
/// initialisation, for spaces without a benchmark table. Higher is better for every proxy the spec
/// defines, so the default direction is maximize.
///
/// ```yaml
/// objectives:
///   - {name: score, kind: proxy, proxy: naswot, batch: 64, seed: 0}
/// ```
/// Cost: one forward (and, for gradient proxies, a backward) at `batch` per candidate, on one core
/// (bench/proxy_bench --breakdown, NB201 at batch 64): naswot ~0.2 s, the gradient proxies ~0.6 s, grasp
/// ~2.5 s. At the default batch and seed, a candidate whose proxy the shipped table of its space holds
/// (data/proxies/, predictors::shipped_proxy_table) is looked up instead: the same value, computed
/// ahead. Candidates are scored one at a time (the proxies pin LibTorch's process-wide thread count),
/// so thread_safe() is false.

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "hwnas/search/objective.h"

namespace hwnas::predictors {
struct ProxyTable;
}

namespace hwnas::search {

class ProxyObjective final : public Objective {
 public:
  /// `space` is the one the candidates will come from: its shipped table is used when batch and seed are
  /// the table's and it has the proxy.
  ProxyObjective(std::string name, std::string proxy, Direction direction, std::int64_t batch, std::uint64_t seed,
                 const spaces::SearchSpace& space);
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
  std::shared_ptr<const predictors::ProxyTable> table_;                   // null: compute every candidate
  std::unordered_map<spaces::Arch, std::size_t, spaces::ArchHash> table_row_;  // arch -> row of table_
};

/// Registers kind "proxy" (options: proxy (default naswot; any of predictors::proxy_names()), batch
/// (default 64, the shipped tables'), seed (default 0)).
void register_proxy_objective(ObjectiveRegistry& registry);

}  // namespace hwnas::search
