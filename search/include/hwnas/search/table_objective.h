#pragma once
/// A lookup objective: per-architecture values read from a CSV file (benchmark accuracies, measured
/// latencies). The table is loaded once; evaluate() only reads it (thread-safe).
///
/// core::Options (kind "table"):
///   file    (required) CSV path; relative paths resolve against the config's directory, then the data dir.
///   column  (required) the value column, e.g. cifar10_test_acc, pixel3_ms.
///   key     the key column; default: the first of `arch`, `arch_str`, `arch_ops` in the header.
///   key_format  `string` (default): the space's string form (parsed with space.from_string, so any
///           spelling the space accepts matches) | `index`: the architecture's position in
///           SearchSpace::enumerate() order (mixed radix, gene 0 most significant).
///   missing `error` (default): evaluating an architecture absent from the table throws hwnas::Error
///           naming it and the file | `unavailable`: its value is kUnavailable, the candidate is recorded
///           but is never feasible, never on the Pareto front and never "best" (use this with partial
///           tables such as fbnet_latency.csv, which holds 5000 of the 9^22 FBNet architectures).
/// A row with an empty or `nan` value counts as missing. Two rows with the same key and different
/// values are an error naming both lines.
///
/// Loaded tables are cached for the life of the process, keyed by file (path, size, modification
/// time), key and value columns, key format and space (name and gene choices), so repeated searches do
/// not parse the same CSV again.

#include <filesystem>
#include <memory>
#include <string>
#include <unordered_map>

#include "hwnas/search/objective.h"

namespace hwnas::search {

enum class KeyFormat { kString, kIndex };
enum class MissingPolicy { kError, kUnavailable };

struct TableObjectiveOptions {
  std::filesystem::path file;
  std::string column;
  std::string key;  ///< empty: auto-detect
  KeyFormat key_format = KeyFormat::kString;
  MissingPolicy missing = MissingPolicy::kError;
};

class TableObjective : public Objective {
 public:
  /// Loads the table now; throws hwnas::Error naming the file and line of any bad row.
  TableObjective(std::string name, Direction direction, TableObjectiveOptions options,
                 const spaces::SearchSpace& space);

  std::string name() const override { return name_; }
  Direction direction() const override { return direction_; }
  std::string description() const override;
  std::vector<double> evaluate(const std::vector<spaces::Arch>& archs,
                               const spaces::SearchSpace& space) const override;

  /// Number of architectures with a value.
  std::size_t size() const { return values_->size(); }
  /// The value of `arch`, or kUnavailable when the table has none.
  double lookup(const spaces::Arch& arch) const;

 private:
  std::string name_;
  Direction direction_;
  TableObjectiveOptions options_;
  std::shared_ptr<const std::unordered_map<spaces::Arch, double, spaces::ArchHash>> values_;
};

void register_table_objective(ObjectiveRegistry& registry);

}  // namespace hwnas::search
