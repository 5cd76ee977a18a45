#include "plugin_objective.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "hwnas/core/error.h"

namespace hwnas::plugin::detail {
namespace {

// Every member up to `reserved` belongs to revision 2 of v1, where objectives appeared.
constexpr std::size_t kMinObjectiveTableSize = offsetof(HwnasObjectiveV1, reserved);

std::string message_of(const char* error, int status) {
  return error[0] ? std::string(error) : fmt::format("status {} and no message", status);
}

class PluginObjective final : public search::Objective {
 public:
  PluginObjective(std::shared_ptr<const PluginLibrary> library, const HwnasObjectiveV1& table, std::string name,
                  search::Direction direction, std::string options_json)
      : library_(std::move(library)),
        table_(table),
        name_(std::move(name)),
        direction_(direction),
        options_json_(std::move(options_json)) {}

  std::string name() const override { return name_; }
  search::Direction direction() const override { return direction_; }
  std::string description() const override {
    const std::string what = table_.description && *table_.description ? table_.description : table_.name;
    return fmt::format("{} (plugin {})", what, library_->name);
  }
  bool thread_safe() const override { return table_.thread_safe != 0; }

  std::vector<double> evaluate(const std::vector<spaces::Arch>& archs,
                               const spaces::SearchSpace& space) const override {
    std::vector<double> out(archs.size(), search::kUnavailable);
    if (archs.empty()) return out;
    std::vector<std::string> texts;
    texts.reserve(archs.size());
    for (const auto& arch : archs) texts.push_back(space.to_string(arch));
    std::vector<const char*> pointers;
    pointers.reserve(texts.size());
    for (const auto& t : texts) pointers.push_back(t.c_str());
    const std::string space_name = space.name();
    // int32 counts at the boundary: split (absurdly) large batches.
    constexpr std::size_t kMaxChunk = 1u << 30;
    for (std::size_t first = 0; first < pointers.size(); first += kMaxChunk) {
      const std::size_t n = std::min(kMaxChunk, pointers.size() - first);
      char error[HWNAS_PLUGIN_ERROR_CAPACITY] = "";
      const int status = table_.evaluate(table_.handle, space_name.c_str(), pointers.data() + first,
                                         static_cast<std::int32_t>(n), options_json_.c_str(), out.data() + first,
                                         error, sizeof error);
      error[sizeof error - 1] = '\0';  // do not trust the plugin to terminate it
      if (status != HWNAS_PLUGIN_OK)
        fail("plugin '{}', objective '{}' (kind {}): evaluate failed: {}", library_->name, name_, table_.name,
             message_of(error, status));
    }
    return out;
  }

 private:
  std::shared_ptr<const PluginLibrary> library_;
  HwnasObjectiveV1 table_;
  std::string name_;
  search::Direction direction_;
  std::string options_json_;
};

}  // namespace

const char* default_direction_name(std::int32_t direction) {
  switch (direction) {
    case HWNAS_DIRECTION_MINIMIZE: return "minimize";
    case HWNAS_DIRECTION_MAXIMIZE: return "maximize";
    default: return "none";
  }
}

HwnasObjectiveV1 checked_objective_table(const PluginLibrary& library, const HwnasObjectiveV1* table, int index) {
  const auto bad = [&](const std::string& what) {
    fail("plugin '{}' ({}): objective table {} is malformed: {}", library.name, library.path.string(), index, what);
  };
  if (table == nullptr) bad("null pointer");
  if (table->struct_size < kMinObjectiveTableSize)
    bad(fmt::format("struct_size {} is below the {} bytes of ABI v1", table->struct_size, kMinObjectiveTableSize));
  HwnasObjectiveV1 copy{};
  std::memcpy(static_cast<void*>(&copy), table, std::min<std::size_t>(table->struct_size, sizeof copy));
  if (!is_valid_registry_name(copy.name))
    bad(fmt::format("name '{}' is not a valid objective kind name (letters, digits, '_', '-', '.')",
                    copy.name ? copy.name : "(null)"));
  if (!copy.evaluate) bad(fmt::format("objective kind '{}' has no evaluate function", copy.name));
  if (copy.default_direction != HWNAS_DIRECTION_NONE && copy.default_direction != HWNAS_DIRECTION_MINIMIZE &&
      copy.default_direction != HWNAS_DIRECTION_MAXIMIZE)
    bad(fmt::format("objective kind '{}' has default_direction {} (valid: -1 none, 0 minimize, 1 maximize)",
                    copy.name, copy.default_direction));
  return copy;
}

search::ObjectiveRegistry::Factory objective_factory(std::shared_ptr<const PluginLibrary> library,
                                                     const HwnasObjectiveV1& table) {
  return [library = std::move(library), table](const search::ObjectiveSpec& spec,
                                               const search::ObjectiveContext& context)
             -> std::unique_ptr<search::Objective> {
    const std::string who = fmt::format("plugin '{}', objective '{}' (kind {})", library->name, spec.name, table.name);
    search::Direction direction = search::Direction::kMinimize;
    if (spec.direction) {
      direction = *spec.direction;
    } else if (table.default_direction == HWNAS_DIRECTION_NONE) {
      fail("{}: the kind has no default direction; set `direction: minimize` or `direction: maximize`", who);
    } else {
      direction = table.default_direction == HWNAS_DIRECTION_MAXIMIZE ? search::Direction::kMaximize
                                                                      : search::Direction::kMinimize;
    }
    // Every option goes to the plugin, which alone knows which it takes (it checks them below).
    nlohmann::json options = nlohmann::json::object();
    for (const auto& [key, entry] : spec.options.entries()) options[key] = spec.options.get_string(key, "");
    std::string options_json = options.dump();
    const std::string space_name = context.space.name();
    if (table.check_options) {
      char error[HWNAS_PLUGIN_ERROR_CAPACITY] = "";
      const int status =
          table.check_options(table.handle, space_name.c_str(), options_json.c_str(), error, sizeof error);
      error[sizeof error - 1] = '\0';
      if (status != HWNAS_PLUGIN_OK) fail("{}: {}", who, message_of(error, status));
    }
    return std::make_unique<PluginObjective>(library, table, spec.name, direction, std::move(options_json));
  };
}

}  // namespace hwnas::plugin::detail
