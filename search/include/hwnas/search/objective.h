#pragma once
/// Objectives: named, directed functions of an architecture (accuracy, latency, FLOPs, ...).
///
/// Thread safety: the engine may call evaluate() on several threads at once, each with a different
/// batch, whenever thread_safe() is true (the default). An objective must then only read shared state,
/// or lock it. Whatever the batching, the value of an architecture must depend on that architecture
/// alone (not on the batch it came in, nor on call order): this is what makes a search reproducible
/// with any number of threads.

#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hwnas/core/data_dir.h"
#include "hwnas/core/registry.h"
#include "hwnas/core/options.h"
#include "hwnas/spaces/search_space.h"

namespace hwnas::search {

enum class Direction { kMinimize, kMaximize };

/// "minimize" / "maximize".
std::string_view direction_name(Direction direction);
/// Parses "minimize"/"min"/"maximize"/"max"; throws hwnas::Error naming the text.
Direction direction_from_name(std::string_view text);

/// A value to minimize: `value` itself when minimizing, `-value` when maximizing.
inline double minimization_key(double value, Direction direction) {
  return direction == Direction::kMinimize ? value : -value;
}

/// Value marking an architecture an objective cannot score (e.g. absent from a table).
inline constexpr double kUnavailable = std::numeric_limits<double>::quiet_NaN();
inline bool is_available(double value) { return !std::isnan(value); }

class Objective {
 public:
  virtual ~Objective() = default;

  /// The objective's name in the config ("accuracy", "latency"); CSV column and constraint name.
  virtual std::string name() const = 0;
  virtual Direction direction() const = 0;
  /// One line saying what is computed ("column pixel3_ms of nb201_latency.csv"), for reports.
  virtual std::string description() const { return name(); }
  /// Values of `archs` in order, one per arch; kUnavailable (NaN) marks an arch this objective cannot
  /// score. Throws hwnas::Error on a user error (the engine stops the search and reports it).
  virtual std::vector<double> evaluate(const std::vector<spaces::Arch>& archs,
                                       const spaces::SearchSpace& space) const = 0;
  /// False when evaluate() must not run concurrently with itself: the engine then calls it once per
  /// batch, from one thread at a time.
  virtual bool thread_safe() const { return true; }
};

/// An objective as configured: `options` holds the kind-specific keys (file, column, ...).
struct ObjectiveSpec {
  std::string name;
  std::string kind;
  std::optional<Direction> direction;  ///< absent: the kind's default (an error for kinds that have none)
  core::Options options;
  int line = 0;  ///< config line of the entry, for messages
};

/// What an objective factory may use besides its spec.
struct ObjectiveContext {
  const spaces::SearchSpace& space;
  /// Relative paths in options resolve against this directory first (the config's), then the data dir.
  std::filesystem::path base_dir;
  /// The config's target device (a predictor set name or directory), or empty.
  std::string target{};
};

using ObjectiveRegistry = core::Registry<Objective, const ObjectiveSpec&, const ObjectiveContext&>;

/// The registry of objective kinds. Built-ins: "flops" (MFLOPs), "params" (millions of parameters),
/// "table" (a CSV lookup). Modules above search (the latency predictor) and plugins add kinds at run
/// time with objective_registry().add(kind, factory), before a search starts.
ObjectiveRegistry& objective_registry();

/// Creates the objective of `spec`, checking that its name and direction came out as configured.
std::unique_ptr<Objective> make_objective(const ObjectiveSpec& spec, const ObjectiveContext& context);

}  // namespace hwnas::search
