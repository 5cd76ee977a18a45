#include "hwnas/search/engine.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "hwnas/core/error.h"
#include "hwnas/search/checkpoint.h"
#include "hwnas/search/constraint.h"
#include "hwnas/core/interrupt.h"
#include "hwnas/search/objective.h"
#include "hwnas/core/progress.h"
#include "hwnas/search/report.h"
#include "hwnas/search/strategy.h"
#include "hwnas/core/thread_pool.h"

namespace hwnas::search {

namespace {

using Clock = std::chrono::steady_clock;

// Runs `make`, prefixing a user error with the config location of what it builds (unless it has one).
template <typename Fn>
auto at_config_line(const SearchConfig& config, int line, Fn make) {
  try {
    return make();
  } catch (const Error& e) {
    const std::string message = e.what();
    if (!config.source.empty() && message.rfind(config.source, 0) == 0) throw;
    throw Error(config_location(config, line) + message);
  }
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<long long>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

class Engine {
 public:
  Engine(const SearchConfig& config, const RunOptions& options) : config_(config), options_(options) {
    out_dir_ = !options.out_dir.empty() ? options.out_dir : std::filesystem::path(config.output);
    if (out_dir_.empty())
      fail("{}no output directory: set `output:` in the config or pass --out", config_location(config, 0));
    config_.output = out_dir_.string();
    space_ = at_config_line(config_, config_.space_line,
                            [&] { return spaces::make_space(config_.space, config_.space_options); });
    const ObjectiveContext context{*space_, config_.base_dir, config_.target};
    for (const auto& spec : config_.objectives) {
      objectives_.push_back(at_config_line(config_, spec.line, [&] { return make_objective(spec, context); }));
      names_.push_back(spec.name);
      directions_.push_back(objectives_.back()->direction());
    }
    constraints_ = ConstraintSet(config_.constraints, names_);
    const StrategyContext strategy_context{*space_, names_, directions_, config_.seed};
    strategy_ = at_config_line(config_, config_.strategy.line, [&] {
      return make_strategy(config_.strategy.name, config_.strategy.options, strategy_context);
    });
    threads_ = config_.threads ? config_.threads : std::max(1u, std::thread::hardware_concurrency());
    result_.space = space_->name();
    result_.strategy = config_.strategy.name;
    for (std::size_t j = 0; j < objectives_.size(); ++j)
      result_.objectives.push_back({names_[j], directions_[j], objectives_[j]->description()});
    result_.constraints = config_.constraints;
    result_.out_dir = out_dir_;
  }

  SearchResult run() {
    const std::filesystem::path checkpoint_file = out_dir_ / "checkpoint.json";
    if (options_.resume) {
      load(checkpoint_file);
    } else if (std::filesystem::exists(checkpoint_file) && !options_.quiet) {
      fmt::print(stderr, "note: starting afresh in {} (its checkpoint will be replaced; --resume continues it)\n",
                 out_dir_.string());
    }
    ensure_directory(out_dir_);
    core::ThreadPool pool(threads_);
    core::InterruptGuard guard(options_.handle_signals);
    core::ProgressLine progress(!options_.quiet);
    start_ = Clock::now();
    std::size_t last_checkpoint = 0;
    try {
      while (true) {
        if (auto stop = should_stop()) {
          result_.stop_reason = *stop;
          break;
        }
        round(pool);
        if (progress.due()) progress.update(progress_text());
        if (options_.checkpoint_every && result_.candidates.size() - last_checkpoint >= options_.checkpoint_every) {
          save(checkpoint_file);
          last_checkpoint = result_.candidates.size();
        }
      }
    } catch (...) {
      progress.finish();
      if (!result_.candidates.empty()) save(checkpoint_file);  // keep what was evaluated
      throw;
    }
    progress.update(progress_text(), true);
    progress.finish();
    result_.seconds = elapsed();
    finalize(result_);
    save(checkpoint_file);
    write_reports(result_, config_, out_dir_);
    if (result_.interrupted() && !options_.quiet)
      fmt::print(stderr, "interrupted after {} evaluations; checkpoint written to {} (resume to continue)\n",
                 result_.candidates.size(), checkpoint_file.string());
    return std::move(result_);
  }

 private:
  double elapsed() const { return elapsed_before_ + std::chrono::duration<double>(Clock::now() - start_).count(); }

  std::optional<StopReason> should_stop() const {
    const std::size_t done = result_.candidates.size();
    if (core::InterruptGuard::requested()) return StopReason::kInterrupted;
    if (config_.budget.evaluations && done >= config_.budget.evaluations) return StopReason::kEvaluationBudget;
    if (config_.budget.seconds > 0 && elapsed() >= config_.budget.seconds) return StopReason::kTimeBudget;
    if (static_cast<double>(done) >= space_->size()) return StopReason::kExhausted;
    if (stalled_rounds_ >= options_.max_stalled_rounds) return StopReason::kStalled;
    return std::nullopt;
  }

  // One ask / evaluate / tell round.
  void round(core::ThreadPool& pool) {
    std::size_t n = strategy_->batch_size();
    if (config_.budget.evaluations) n = std::min<std::size_t>(n, config_.budget.evaluations - result_.candidates.size());
    n = std::max<std::size_t>(n, 1);
    const std::vector<spaces::Arch> asked = strategy_->ask(n);
    HWNAS_CHECK(asked.size() == n, "strategy '{}' proposed {} architectures, asked for {}", strategy_->name(),
                asked.size(), n);
    std::vector<std::size_t> slot(asked.size());
    std::vector<spaces::Arch> fresh;
    const std::size_t first = result_.candidates.size();
    for (std::size_t i = 0; i < asked.size(); ++i) {
      try {
        space_->validate(asked[i]);
      } catch (const Error& e) {
        fail("strategy '{}' proposed an invalid architecture: {}", strategy_->name(), e.what());
      }
      auto [it, inserted] = cache_.emplace(asked[i], first + fresh.size());
      if (inserted) fresh.push_back(asked[i]);
      slot[i] = it->second;
    }
    const auto values = evaluate(fresh, pool);
    for (std::size_t k = 0; k < fresh.size(); ++k) {
      Evaluated e;
      e.arch = fresh[k];
      e.arch_string = space_->to_string(fresh[k]);
      e.values = values[k];
      e.violation = constraints_.violation(e.values);
      e.index = first + k;
      if (e.feasible() && (!best_ || better(e, result_.candidates[*best_]))) best_ = e.index;
      result_.candidates.push_back(std::move(e));
    }
    stalled_rounds_ = fresh.empty() ? stalled_rounds_ + 1 : 0;
    std::vector<Evaluated> results;
    results.reserve(asked.size());
    for (std::size_t s : slot) results.push_back(result_.candidates[s]);
    strategy_->tell(results);
  }

  // Values of `archs` (one vector per arch), from the resumed checkpoint where possible.
  std::vector<std::vector<double>> evaluate(const std::vector<spaces::Arch>& archs, core::ThreadPool& pool) {
    const std::size_t m = objectives_.size();
    std::vector<std::vector<double>> out(archs.size(), std::vector<double>(m));
    std::vector<spaces::Arch> todo;
    std::vector<std::size_t> todo_at;
    for (std::size_t k = 0; k < archs.size(); ++k) {
      auto it = preloaded_.find(archs[k]);
      if (it != preloaded_.end()) {
        out[k] = it->second;
      } else {
        todo.push_back(archs[k]);
        todo_at.push_back(k);
      }
    }
    if (todo.empty()) return out;
    auto store = [&](std::size_t j, std::size_t begin, const std::vector<spaces::Arch>& chunk) {
      const std::vector<double> v = objectives_[j]->evaluate(chunk, *space_);
      HWNAS_CHECK(v.size() == chunk.size(), "objective '{}' returned {} values for {} architectures", names_[j],
                  v.size(), chunk.size());
      for (std::size_t k = 0; k < v.size(); ++k) out[todo_at[begin + k]][j] = v[k];
    };
    const std::size_t chunks = std::min(pool.size(), todo.size());
    pool.parallel_for(chunks, [&](std::size_t c) {
      const std::size_t begin = c * todo.size() / chunks, end = (c + 1) * todo.size() / chunks;
      const std::vector<spaces::Arch> chunk(todo.begin() + begin, todo.begin() + end);
      for (std::size_t j = 0; j < m; ++j)
        if (objectives_[j]->thread_safe()) store(j, begin, chunk);
    });
    for (std::size_t j = 0; j < m; ++j)
      if (!objectives_[j]->thread_safe()) store(j, 0, todo);
    return out;
  }

  // Lexicographic on minimization keys (objective 0 first), as finalize() ranks the best.
  bool better(const Evaluated& a, const Evaluated& b) const {
    return minimization_keys(a.values, directions_) < minimization_keys(b.values, directions_);
  }

  std::string progress_text() const {
    const std::size_t done = result_.candidates.size();
    const double run_seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    const double rate = run_seconds > 0 ? static_cast<double>(done) / run_seconds : 0;
    std::string text = config_.budget.evaluations ? fmt::format("search {}/{}", done, config_.budget.evaluations)
                                                  : fmt::format("search {}", done);
    if (best_) {
      const Evaluated& b = result_.candidates[*best_];
      text += fmt::format(" | best {}={:.4g}", names_[0], b.values[0]);
      for (std::size_t j = 1; j < names_.size() && j < 3; ++j) text += fmt::format(" {}={:.4g}", names_[j], b.values[j]);
    } else {
      text += " | no feasible yet";
    }
    double eta = std::numeric_limits<double>::infinity();
    if (config_.budget.evaluations && rate > 0)
      eta = static_cast<double>(config_.budget.evaluations - std::min<std::size_t>(done, config_.budget.evaluations)) / rate;
    if (config_.budget.seconds > 0) eta = std::min(eta, std::max(0.0, config_.budget.seconds - elapsed()));
    text += fmt::format(" | {:.0f} evals/s | ETA {}", rate, format_duration(eta));
    return text;
  }

  void load(const std::filesystem::path& file) {
    const Checkpoint checkpoint = read_checkpoint(file);
    if (checkpoint.fingerprint != result_fingerprint(config_))
      fail("cannot resume from '{}': it was written for a different search (space, objectives, constraints, "
           "strategy or seed changed); only budget, threads and output may differ",
           file.string());
    for (const auto& e : checkpoint.evaluations) {
      HWNAS_CHECK(e.values.size() == objectives_.size(), "checkpoint '{}' holds {} values per architecture, expected {}",
                  file.string(), e.values.size(), objectives_.size());
      preloaded_.emplace(e.arch, e.values);
    }
    elapsed_before_ = checkpoint.elapsed_seconds;
  }

  void save(const std::filesystem::path& file) const {
    Checkpoint checkpoint;
    checkpoint.fingerprint = result_fingerprint(config_);
    checkpoint.elapsed_seconds = elapsed();
    for (const auto& c : result_.candidates) checkpoint.evaluations.push_back({c.arch, c.values});
    ensure_directory(out_dir_);
    write_checkpoint(file, checkpoint);
    write_file_atomic(out_dir_ / "candidates.csv", candidates_csv(result_));
  }

  SearchConfig config_;
  RunOptions options_;
  std::filesystem::path out_dir_;
  std::unique_ptr<spaces::SearchSpace> space_;
  std::vector<std::unique_ptr<Objective>> objectives_;
  std::vector<std::string> names_;
  std::vector<Direction> directions_;
  ConstraintSet constraints_;
  std::unique_ptr<Strategy> strategy_;
  std::size_t threads_ = 1;
  SearchResult result_;
  std::unordered_map<spaces::Arch, std::size_t, spaces::ArchHash> cache_;
  std::unordered_map<spaces::Arch, std::vector<double>, spaces::ArchHash> preloaded_;
  std::optional<std::size_t> best_;
  std::size_t stalled_rounds_ = 0;
  double elapsed_before_ = 0;
  Clock::time_point start_;
};

}  // namespace

SearchResult run_search(const SearchConfig& config, const RunOptions& options) {
  Engine engine(config, options);
  return engine.run();
}

}  // namespace hwnas::search
