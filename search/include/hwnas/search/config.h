#pragma once
/// The search configuration: YAML read in one place (parse_config) into plain structs.
///
/// ```yaml
/// space: nb201                      # registered search space
/// space_options: {dataset: cifar10} # passed to the space (it rejects keys it does not know)
/// objectives:                       # at least one; values are reported in this order
///   - name: accuracy                # CSV column / constraint name: letters, digits, _ . -
///     kind: table                   # objective kind (objective_registry()); other keys are its options
///     direction: maximize           # minimize | maximize (optional for kinds with a default)
///     file: tables/nb201_accuracy.csv
///     column: cifar10_test_acc
/// constraints: ["latency <= 5"]     # objective <= number | objective >= number
/// strategy: {name: evolution, options: {population_size: 64}}   # or just `strategy: random`
/// budget: {evaluations: 1000, seconds: 0}   # 0 = no limit; at least one must be positive
/// seed: 1                           # default 0
/// threads: 2                        # evaluation threads; default 0 = all cores (results do not depend on it)
/// output: runs/nb201                # output directory (the CLI's --out overrides it)
/// plugins: [libmyspace.so]          # shared libraries to load (kept for the plugin loader)
/// target: libtorch-cpu-t1           # device: default predictor set of `predictor` objectives (name or directory)
/// base_dir: /abs/dir                # where relative paths resolve; default: the config file's directory
/// ```
/// Unknown keys are errors naming the key and its line; so are values of the wrong type.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "hwnas/search/constraint.h"
#include "hwnas/search/objective.h"
#include "hwnas/core/options.h"
#include "hwnas/spaces/search_space.h"

namespace hwnas::search {

struct StrategySpec {
  std::string name;
  core::Options options;
  int line = 0;
};

struct BudgetSpec {
  std::uint64_t evaluations = 0;  ///< 0 = unlimited
  double seconds = 0;             ///< wall clock; 0 = unlimited
};

struct SearchConfig {
  std::string space;
  int space_line = 0;
  spaces::SpaceOptions space_options;
  std::vector<ObjectiveSpec> objectives;
  std::vector<Constraint> constraints;
  StrategySpec strategy;
  BudgetSpec budget;
  std::uint64_t seed = 0;
  std::size_t threads = 0;  ///< 0 = std::thread::hardware_concurrency()
  std::string output;
  std::vector<std::string> plugins;
  std::string target;
  std::filesystem::path base_dir;  ///< relative paths (table files, plugins) resolve here first
  std::string source;              ///< the config file, for messages (not a key)

  std::vector<std::string> objective_names() const;
};

/// Reads a config file; relative paths in it resolve against its directory unless it sets base_dir.
SearchConfig load_config(const std::filesystem::path& file);
/// Parses config text; `source` names it in messages.
SearchConfig parse_config(std::string_view yaml, const std::string& source = "<config>",
                          const std::filesystem::path& base_dir = {});

/// The config as YAML (every key, defaults filled in, base_dir absolute); parse_config() of it gives
/// back an equal config.
std::string to_yaml(const SearchConfig& config);

/// YAML of the settings that decide a search's result (space, objectives, constraints, strategy,
/// seed); a checkpoint only resumes under an equal fingerprint. Budget, threads and output may change.
std::string result_fingerprint(const SearchConfig& config);

/// "file.yaml:12: " (or "" when neither is known), for prefixing messages.
std::string config_location(const SearchConfig& config, int line);

}  // namespace hwnas::search
