#include "hwnas/search/table_objective.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hwnas/core/error.h"
#include "hwnas/core/csv.h"
#include "hwnas/core/text.h"

namespace hwnas::search {

namespace {

// Architecture at position `index` of SearchSpace::enumerate() (gene 0 most significant).
spaces::Arch arch_from_enumeration_index(std::int64_t index, const std::vector<int>& choices) {
  spaces::Arch arch{std::vector<int>(choices.size(), 0)};
  for (std::size_t i = choices.size(); i-- > 0;) {
    arch.genes[i] = static_cast<int>(index % choices[i]);
    index /= choices[i];
  }
  return arch;
}

using ValueMap = std::unordered_map<spaces::Arch, double, spaces::ArchHash>;

ValueMap load_table(const TableObjectiveOptions& options, const spaces::SearchSpace& space) {
  ValueMap values;
  const core::CsvTable table = core::read_csv(options.file);
  const std::string file = options.file.string();
  const int key_col = table.require_column(options.key);
  const int value_col = table.require_column(options.column);
  const auto choices = space.gene_choices();
  const double space_size = space.size();
  std::unordered_map<spaces::Arch, int, spaces::ArchHash> line_of;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const auto& row = table.rows[r];
    const int line = table.lines[r];
    spaces::Arch arch;
    if (options.key_format == KeyFormat::kString) {
      try {
        arch = space.from_string(row[key_col]);
      } catch (const Error& e) {
        fail("{}:{}: key '{}' is not a {} architecture: {}", file, line, row[key_col], space.name(), e.what());
      }
    } else {
      const auto index = core::detail::parse_int(row[key_col]);
      if (!index || *index < 0 || static_cast<double>(*index) >= space_size)
        fail("{}:{}: key '{}' is not an index in [0, {})", file, line, row[key_col], space_size);
      arch = arch_from_enumeration_index(*index, choices);
    }
    const std::string_view cell = core::detail::trim(row[value_col]);
    if (cell.empty() || cell == "nan" || cell == "NaN") continue;  // no value: treated as missing
    const auto value = core::detail::parse_double(cell);
    if (!value) fail("{}:{}: column {} is '{}', expected a number", file, line, options.column, cell);
    auto [it, inserted] = values.emplace(arch, *value);
    if (!inserted && it->second != *value)
      fail("{}:{}: architecture '{}' already has {} = {} on line {}", file, line, row[key_col],
           options.column, it->second, line_of[arch]);
    line_of.emplace(arch, line);
  }
  return values;
}

// The first line of a CSV file (its header), to pick the key column before loading.
std::vector<std::string> read_header(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) fail("cannot read CSV file '{}'", file.string());
  std::string line;
  std::getline(in, line);
  return core::parse_csv(line + "\n", file).header;
}

}  // namespace

TableObjective::TableObjective(std::string name, Direction direction, TableObjectiveOptions options,
                               const spaces::SearchSpace& space)
    : name_(std::move(name)), direction_(direction), options_(std::move(options)) {
  if (options_.key.empty()) {
    const auto header = read_header(options_.file);
    for (const char* candidate : {"arch", "arch_str", "arch_ops"})
      if (std::find(header.begin(), header.end(), candidate) != header.end()) {
        options_.key = candidate;
        break;
      }
    if (options_.key.empty())
      fail("{}: no key column (arch, arch_str or arch_ops); name it with the option 'key'", options_.file.string());
  }
  // Process-wide cache of loaded tables (see the header).
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const ValueMap>> cache;
  std::error_code ec;
  const auto canonical = std::filesystem::canonical(options_.file, ec);
  const auto size = std::filesystem::file_size(options_.file, ec);
  const auto mtime = std::filesystem::last_write_time(options_.file, ec).time_since_epoch().count();
  const std::string cache_key =
      fmt::format("{}|{}|{}|{}|{}|{}|{}|{}", canonical.string(), size, mtime, options_.key, options_.column,
                  options_.key_format == KeyFormat::kIndex ? "index" : "string", space.name(),
                  fmt::join(space.gene_choices(), ","));
  {
    std::lock_guard lock(mutex);
    if (auto it = cache.find(cache_key); it != cache.end()) {
      values_ = it->second;
      return;
    }
  }
  auto loaded = std::make_shared<const ValueMap>(load_table(options_, space));
  std::lock_guard lock(mutex);
  values_ = cache.emplace(cache_key, std::move(loaded)).first->second;
}

std::string TableObjective::description() const {
  return fmt::format("column {} of {} ({} architectures)", options_.column, options_.file.filename().string(),
                     values_->size());
}

double TableObjective::lookup(const spaces::Arch& arch) const {
  auto it = values_->find(arch);
  return it == values_->end() ? kUnavailable : it->second;
}

std::vector<double> TableObjective::evaluate(const std::vector<spaces::Arch>& archs,
                                             const spaces::SearchSpace& space) const {
  std::vector<double> out;
  out.reserve(archs.size());
  for (const auto& arch : archs) {
    const double v = lookup(arch);
    if (!is_available(v) && options_.missing == MissingPolicy::kError)
      fail("objective '{}': architecture {} is not in {} (set `missing: unavailable` to record such "
           "architectures as unavailable instead)",
           name_, space.to_string(arch), options_.file.string());
    out.push_back(v);
  }
  return out;
}

void register_table_objective(ObjectiveRegistry& registry) {
  registry.add(
      "table",
      [](const ObjectiveSpec& spec, const ObjectiveContext& context) -> std::unique_ptr<Objective> {
        const core::Options& o = spec.options;
        if (!spec.direction)
          fail("{}objective '{}' of kind table needs `direction: minimize` or `direction: maximize`",
               o.source().empty() ? std::string() : fmt::format("{}:{}: ", o.source(), spec.line), spec.name);
        TableObjectiveOptions options;
        const std::string file = o.require_string("file");
        options.file = core::resolve_input_path(file, context.base_dir, o.where("file") + "option 'file'");
        options.column = o.require_string("column");
        options.key = o.get_string("key", "");
        options.key_format =
            o.get_choice("key_format", "string", {"string", "index"}) == "index" ? KeyFormat::kIndex : KeyFormat::kString;
        options.missing = o.get_choice("missing", "error", {"error", "unavailable"}) == "unavailable"
                              ? MissingPolicy::kUnavailable
                              : MissingPolicy::kError;
        o.reject_unknown();
        return std::make_unique<TableObjective>(spec.name, *spec.direction, std::move(options), context.space);
      },
      "values looked up in a CSV table (options: file, column, key, key_format, missing)");
}

}  // namespace hwnas::search
