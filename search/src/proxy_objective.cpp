#include "hwnas/search/proxy_objective.h"

#include <cmath>

#include <fmt/format.h>

#include "hwnas/predictors/proxies/proxy_table.h"
#include "hwnas/predictors/proxies/zero_cost_proxies.h"

namespace hwnas::search {

ProxyObjective::ProxyObjective(std::string name, std::string proxy, Direction direction, std::int64_t batch,
                               std::uint64_t seed, const spaces::SearchSpace& space)
    : name_(std::move(name)), proxy_(std::move(proxy)), direction_(direction), batch_(batch), seed_(seed) {
  const predictors::ProxyOptions table_options;
  if (batch_ != table_options.batch_size || seed_ != table_options.seed) return;
  auto table = predictors::shipped_proxy_table(space);
  if (!table || table->scores.empty() || !table->scores.front().contains(proxy_)) return;
  for (std::size_t r = 0; r < table->archs.size(); ++r) table_row_.emplace(table->archs[r], r);
  table_ = std::move(table);
}

std::string ProxyObjective::description() const {
  return fmt::format("zero-cost proxy {} at initialisation (batch {}, seed {}{})", proxy_, batch_, seed_,
                     table_ ? fmt::format("; {} candidates precomputed in the shipped table", table_->archs.size()) : "");
}

std::vector<double> ProxyObjective::evaluate(const std::vector<spaces::Arch>& archs,
                                             const spaces::SearchSpace& space) const {
  predictors::ProxyOptions options;
  options.batch_size = batch_;
  options.seed = seed_;
  options.proxies = {proxy_};
  std::vector<double> out;
  out.reserve(archs.size());
  for (const auto& arch : archs) {
    const auto row = table_ ? table_row_.find(arch) : table_row_.end();
    const double value = row != table_row_.end() ? table_->scores[row->second].at(proxy_)
                                                 : predictors::compute_proxies(space.to_graph(arch, 1), options).at(proxy_);
    // A cell cut off from its input (NB201's all-`none` paths) scores -inf/NaN: unavailable, not best.
    out.push_back(std::isfinite(value) ? value : kUnavailable);
  }
  return out;
}

void register_proxy_objective(ObjectiveRegistry& registry) {
  registry.add(
      "proxy",
      [](const ObjectiveSpec& spec, const ObjectiveContext& context) -> std::unique_ptr<Objective> {
        const std::string proxy = spec.options.get_choice("proxy", "naswot", predictors::proxy_names());
        const std::int64_t batch = spec.options.get_int("batch", predictors::ProxyOptions{}.batch_size, 2);
        const auto seed = static_cast<std::uint64_t>(spec.options.get_int("seed", 0, 0));
        return std::make_unique<ProxyObjective>(spec.name, proxy, spec.direction.value_or(Direction::kMaximize), batch,
                                                seed, context.space);
      },
      "a zero-cost proxy of the untrained network (options: proxy, batch, seed), training-free accuracy");
}

}  // namespace hwnas::search
