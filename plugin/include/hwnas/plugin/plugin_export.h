#pragma once
/// The entry point of a C++ plugin and the macros that export it. Included by space_plugin.h and
/// objective_plugin.h (include either; both give every macro):
///
///     HWNAS_EXPORT_SPACES(SpaceA, SpaceB)                 // spaces only
///     HWNAS_EXPORT_OBJECTIVES(ObjectiveA)                 // objective kinds only
///     HWNAS_EXPORT_PLUGIN(hwnas::plugin::Spaces<SpaceA>, hwnas::plugin::Objectives<ObjectiveA>)
///     HWNAS_EXPORT_SPACE_FACTORY("name", "1.0", fn)       // fn() -> vector<unique_ptr<SearchSpace>>
///     HWNAS_EXPORT_PLUGIN_FACTORY("name", "1.0", fn)      // fn() -> hwnas::plugin::PluginContents
///
/// Use exactly one per plugin. Without a factory, the plugin's name and version come from the macros
/// HWNAS_PLUGIN_NAME / HWNAS_PLUGIN_VERSION (e.g. set by target_compile_definitions).

#include "hwnas/plugin/objective_plugin.h"
#include "hwnas/plugin/space_plugin.h"

namespace hwnas::plugin::detail {

struct PluginState {
  std::string name;
  std::string version;
  std::vector<std::unique_ptr<SpaceSlot>> space_slots;
  std::vector<const HwnasSpaceV1*> space_tables;
  std::vector<std::unique_ptr<ObjectiveSlot>> objective_slots;
  std::vector<const HwnasObjectiveV1*> objective_tables;
};

/// The plugin's tables, built on the first entry call. The export macros define one per plugin in an
/// anonymous namespace: a function-local static in this (inline, template) code could be merged across
/// plugins by the dynamic linker (GNU unique symbols), so each plugin would see the first one's tables.
struct PluginHolder {
  std::mutex mutex;
  PluginState* state = nullptr;  // never freed: hwnas does not unload plugins
};

/// Builds the tables once into `holder` from factory() (a PluginContents); a later call returns the same
/// tables.
template <typename Factory>
int plugin_entry(PluginHolder& holder, std::uint32_t host_abi_version, HwnasPluginV1* out, char* error,
                 std::size_t error_size, const char* name, const char* version, Factory&& factory) noexcept {
  if (out == nullptr) {
    write_error(error, error_size, "null plugin table");
    return HWNAS_PLUGIN_BAD_ARGUMENT;
  }
  out->abi_version = HWNAS_PLUGIN_ABI_VERSION;  // always reported, so the host can name it
  if (host_abi_version != HWNAS_PLUGIN_ABI_VERSION) {
    write_error(error, error_size,
                "plugin built for hwnas plugin ABI " + std::to_string(HWNAS_PLUGIN_ABI_VERSION) + ", host speaks " +
                    std::to_string(host_abi_version));
    return HWNAS_PLUGIN_ABI_MISMATCH;
  }
  const int status = guarded(error, error_size, [&] {
    const std::lock_guard<std::mutex> lock(holder.mutex);
    if (holder.state != nullptr) return;
    auto built = std::make_unique<PluginState>();
    // Constructed, not assigned from a char*: GCC 12 warns falsely (-Wrestrict) on the inlined assignment.
    built->name = std::string(name != nullptr ? name : "");
    built->version = std::string(version != nullptr ? version : "0");
    PluginContents made = factory();
    for (auto& space : made.spaces) {
      if (!space) throw std::invalid_argument("the plugin's factory returned a null space");
      auto slot = std::make_unique<SpaceSlot>();
      slot->space = std::move(space);
      fill_space_table(*slot);
      built->space_tables.push_back(&slot->table);
      built->space_slots.push_back(std::move(slot));
    }
    for (auto& objective : made.objectives) {
      if (!objective) throw std::invalid_argument("the plugin's factory returned a null objective");
      auto slot = std::make_unique<ObjectiveSlot>();
      slot->objective = std::move(objective);
      fill_objective_table(*slot);
      built->objective_tables.push_back(&slot->table);
      built->objective_slots.push_back(std::move(slot));
    }
    holder.state = built.release();
  });
  if (status != HWNAS_PLUGIN_OK) return status;
  const PluginState* state = holder.state;

  HwnasPluginV1 table{};
  table.abi_version = HWNAS_PLUGIN_ABI_VERSION;
  table.name = state->name.c_str();
  table.version = state->version.c_str();
  table.num_spaces = static_cast<std::int32_t>(state->space_tables.size());
  table.spaces = state->space_tables.data();
  table.free_string = &free_string;
  table.num_objectives = static_cast<std::int32_t>(state->objective_tables.size());
  table.objectives = state->objective_tables.data();
  // Write no more than the host's struct holds, and tell it how much that was.
  const std::size_t size = std::min<std::size_t>(out->struct_size, sizeof(HwnasPluginV1));
  table.struct_size = static_cast<std::uint32_t>(size);
  std::memcpy(static_cast<void*>(out), &table, size);
  return HWNAS_PLUGIN_OK;
}

/// Adds default-constructed members of one type list (Spaces<...> or Objectives<...>) to `out`.
template <typename... T>
void add_to(PluginContents& out, Spaces<T...>) {
  (out.spaces.push_back(std::make_unique<T>()), ...);
}
template <typename... T>
void add_to(PluginContents& out, Objectives<T...>) {
  (out.objectives.push_back(std::make_unique<T>()), ...);
}

template <typename... Lists>
PluginContents make_contents() {
  PluginContents out;
  (add_to(out, Lists{}), ...);
  return out;
}

template <typename Factory>
PluginContents spaces_only(Factory&& factory) {
  PluginContents out;
  out.spaces = factory();
  return out;
}

}  // namespace hwnas::plugin::detail

#ifndef HWNAS_PLUGIN_NAME
#define HWNAS_PLUGIN_NAME ""
#endif
#ifndef HWNAS_PLUGIN_VERSION
#define HWNAS_PLUGIN_VERSION "0"
#endif

/// Exports the plugin entry point for a function `factory` returning hwnas::plugin::PluginContents.
#define HWNAS_EXPORT_PLUGIN_FACTORY(plugin_name, plugin_version, factory)                                           \
  namespace {                                                                                                       \
  ::hwnas::plugin::detail::PluginHolder hwnas_plugin_holder_;                                                       \
  }                                                                                                                 \
  extern "C" HWNAS_PLUGIN_EXPORT int hwnas_plugin_entry(uint32_t host_abi_version, HwnasPluginV1* out, char* error, \
                                                        size_t error_size) {                                        \
    return ::hwnas::plugin::detail::plugin_entry(hwnas_plugin_holder_, host_abi_version, out, error, error_size,    \
                                                 plugin_name, plugin_version, [] { return factory(); });            \
  }

/// Exports the plugin entry point for a function `factory` returning
/// std::vector<std::unique_ptr<hwnas::spaces::SearchSpace>>.
#define HWNAS_EXPORT_SPACE_FACTORY(plugin_name, plugin_version, factory) \
  HWNAS_EXPORT_PLUGIN_FACTORY(plugin_name, plugin_version,               \
                              [] { return ::hwnas::plugin::detail::spaces_only([] { return factory(); }); })

/// Exports the plugin entry point for type lists hwnas::plugin::Spaces<...> and hwnas::plugin::Objectives<...>
/// (in any order, each at most once or more) of default-constructible classes.
#define HWNAS_EXPORT_PLUGIN(...)                                      \
  HWNAS_EXPORT_PLUGIN_FACTORY(HWNAS_PLUGIN_NAME, HWNAS_PLUGIN_VERSION, \
                              (::hwnas::plugin::detail::make_contents<__VA_ARGS__>))

/// Exports the plugin entry point for default-constructible SearchSpace subclasses.
#define HWNAS_EXPORT_SPACES(...) HWNAS_EXPORT_PLUGIN(::hwnas::plugin::Spaces<__VA_ARGS__>)

/// Exports the plugin entry point for default-constructible PluginObjective subclasses.
#define HWNAS_EXPORT_OBJECTIVES(...) HWNAS_EXPORT_PLUGIN(::hwnas::plugin::Objectives<__VA_ARGS__>)
