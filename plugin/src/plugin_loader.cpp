// Loading plugin libraries and YAML space files, and the process-wide list of what is loaded.

#include "hwnas/plugin/plugin_loader.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <utility>

#include "hwnas/core/error.h"
#include "hwnas/plugin/plugin_abi.h"
#include "hwnas/plugin/yaml_space.h"
#include "hwnas/spaces/search_space.h"
#include "hwnas/search/objective.h"
#include "plugin_objective.h"
#include "plugin_space.h"
#include "yaml_space_spec.h"

namespace hwnas::plugin {
namespace {

namespace fs = std::filesystem;

// Everything up to free_string is the first revision of v1; later members may be absent (zero).
constexpr std::size_t kMinPluginTableSize = offsetof(HwnasPluginV1, free_string) + sizeof(void (*)(char*));
// Revision 2 (objectives): a table this large carries num_objectives and objectives.
constexpr std::size_t kObjectivesTableSize = offsetof(HwnasPluginV1, objectives) + sizeof(void*);

struct LoadedState {
  std::mutex mutex;
  std::vector<LoadedPlugin> loaded;
};

LoadedState& state() {
  static LoadedState s;
  return s;
}

const LoadedPlugin* find_loaded(const fs::path& canonical) {
  for (const auto& p : state().loaded)
    if (p.path == canonical) return &p;
  return nullptr;
}

/// Who already registered `space`: a loaded plugin or YAML file, else a built-in.
std::string owner_of(const std::string& space) {
  for (const auto& p : state().loaded)
    if (std::find(p.spaces.begin(), p.spaces.end(), space) != p.spaces.end())
      return fmt::format("{} '{}' ({})", p.kind == SourceKind::kYaml ? "YAML space file" : "plugin", p.name,
                         p.path.string());
  return "a built-in space";
}

/// Throws unless every name is free in the registry and unique in the list.
void check_names_free(const std::vector<std::string>& names, const std::string& who) {
  auto& registry = spaces::space_registry();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (registry.contains(names[i]))
      fail("{}: search space '{}' is already registered by {}; rename the space", who, names[i], owner_of(names[i]));
    if (std::find(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(i), names[i]) !=
        names.begin() + static_cast<std::ptrdiff_t>(i))
      fail("{}: declares search space '{}' twice", who, names[i]);
  }
}

/// Who already registered objective kind `kind`: a loaded plugin, else a built-in (or the host program).
std::string objective_owner_of(const std::string& kind) {
  for (const auto& p : state().loaded)
    if (std::find(p.objectives.begin(), p.objectives.end(), kind) != p.objectives.end())
      return fmt::format("plugin '{}' ({})", p.name, p.path.string());
  return "a built-in objective kind";
}

/// Throws unless every objective kind is free in the registry and unique in the list.
void check_objective_kinds_free(const std::vector<std::string>& kinds, const std::string& who) {
  auto& registry = search::objective_registry();
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    if (registry.contains(kinds[i]))
      fail("{}: objective kind '{}' is already registered by {}; rename the kind", who, kinds[i],
           objective_owner_of(kinds[i]));
    if (std::find(kinds.begin(), kinds.begin() + static_cast<std::ptrdiff_t>(i), kinds[i]) !=
        kinds.begin() + static_cast<std::ptrdiff_t>(i))
      fail("{}: declares objective kind '{}' twice", who, kinds[i]);
  }
}

/// Closes the library unless released (a library that failed to load must not stay mapped).
struct LibraryHandle {
  void* handle = nullptr;
  ~LibraryHandle() {
    if (handle) dlclose(handle);
  }
  void* release() { return std::exchange(handle, nullptr); }
};

fs::path existing_canonical(const fs::path& path, const char* what) {
  std::error_code ec;
  if (!fs::exists(path, ec)) fail("{} '{}' does not exist", what, path.string());
  if (fs::is_directory(path, ec)) fail("{} '{}' is a directory, not a file", what, path.string());
  return fs::canonical(path);
}

}  // namespace

const char* source_kind_name(SourceKind kind) { return kind == SourceKind::kYaml ? "yaml" : "shared library"; }

LoadedPlugin load_plugin(const fs::path& path) {
  const fs::path canonical = existing_canonical(path, "plugin");
  const std::lock_guard<std::mutex> lock(state().mutex);
  if (const auto* loaded = find_loaded(canonical)) return *loaded;
  const std::string where = path.string();

  dlerror();  // clear any stale message
  LibraryHandle library{dlopen(canonical.c_str(), RTLD_NOW | RTLD_LOCAL)};
  if (!library.handle) {
    const char* message = dlerror();
    fail("plugin '{}' is not a loadable shared library: {}", where, message ? message : "dlopen failed");
  }
  void* symbol = dlsym(library.handle, HWNAS_PLUGIN_ENTRY_SYMBOL);
  if (!symbol)
    fail(
        "'{}' is not an hwnas plugin: it exports no '{}' function (use HWNAS_EXPORT_SPACES from "
        "hwnas/plugin/space_plugin.h)",
        where, HWNAS_PLUGIN_ENTRY_SYMBOL);
  HwnasPluginEntryFn entry = nullptr;
  static_assert(sizeof entry == sizeof symbol);
  std::memcpy(&entry, &symbol, sizeof entry);  // object pointer -> function pointer, as POSIX allows

  auto lib = std::make_shared<detail::PluginLibrary>();
  lib->path = canonical;
  lib->table.struct_size = sizeof(HwnasPluginV1);
  char error[HWNAS_PLUGIN_ERROR_CAPACITY] = "";
  const int status = entry(HWNAS_PLUGIN_ABI_VERSION, &lib->table, error, sizeof error);
  error[sizeof error - 1] = '\0';
  // A plugin reports its ABI version even when it refuses ours; 0 means it never got that far.
  if (lib->table.abi_version != HWNAS_PLUGIN_ABI_VERSION && lib->table.abi_version != 0)
    fail("plugin '{}' was built for hwnas plugin ABI {}, this hwnas speaks {}: rebuild it against this hwnas", where,
         lib->table.abi_version, HWNAS_PLUGIN_ABI_VERSION);
  if (status != HWNAS_PLUGIN_OK)
    fail("plugin '{}' failed to start: {}", where, error[0] ? std::string(error) : fmt::format("status {}", status));
  if (lib->table.abi_version == 0) fail("plugin '{}' did not report its plugin ABI version", where);

  const HwnasPluginV1& t = lib->table;
  const auto bad = [&](const std::string& what) { fail("plugin '{}' returned a malformed table: {}", where, what); };
  if (t.struct_size < kMinPluginTableSize || t.struct_size > sizeof(HwnasPluginV1))
    bad(fmt::format("struct_size {} (expected {}..{})", t.struct_size, kMinPluginTableSize, sizeof(HwnasPluginV1)));
  if (!t.free_string) bad("no free_string function");
  if (t.num_spaces < 0 || (t.num_spaces > 0 && t.spaces == nullptr))
    bad(fmt::format("{} spaces and {} space array", t.num_spaces, t.spaces ? "a" : "no"));
  // A table of the first revision ends before the objective members: the plugin adds no objectives.
  const std::int32_t num_objectives = t.struct_size >= kObjectivesTableSize ? t.num_objectives : 0;
  if (num_objectives < 0 || (num_objectives > 0 && t.objectives == nullptr))
    bad(fmt::format("{} objectives and {} objective array", num_objectives, t.objectives ? "an" : "no"));
  std::string stem = canonical.stem().string();
  if (stem.rfind("lib", 0) == 0 && stem.size() > 3) stem = stem.substr(3);
  lib->name = t.name && *t.name ? t.name : stem;

  std::vector<HwnasSpaceV1> tables;
  std::vector<std::string> names;
  for (std::int32_t i = 0; i < t.num_spaces; ++i) {
    tables.push_back(detail::checked_space_table(*lib, t.spaces[i], i));
    names.emplace_back(tables.back().name);
  }
  std::vector<HwnasObjectiveV1> objective_tables;
  std::vector<std::string> kinds;
  for (std::int32_t i = 0; i < num_objectives; ++i) {
    objective_tables.push_back(detail::checked_objective_table(*lib, t.objectives[i], i));
    kinds.emplace_back(objective_tables.back().name);
  }
  check_names_free(names, fmt::format("plugin '{}' ({})", lib->name, where));
  check_objective_kinds_free(kinds, fmt::format("plugin '{}' ({})", lib->name, where));

  lib->handle = library.release();  // from here on the library stays loaded for the life of the process
  auto& registry = spaces::space_registry();
  for (const auto& table : tables) {
    const std::string name = table.name;
    registry.add(
        name,
        [lib, table, name](const spaces::SpaceOptions& options) -> std::unique_ptr<spaces::SearchSpace> {
          if (!options.empty())
            fail("search space '{}' (from plugin '{}') takes no options, got '{}'", name, lib->name,
                 options.begin()->first);
          return std::make_unique<detail::PluginSpace>(lib, table);
        },
        table.description ? table.description : "");
  }
  auto& objectives = search::objective_registry();
  for (const auto& table : objective_tables)
    objectives.add(table.name, detail::objective_factory(lib, table),
                   fmt::format("{} (plugin {}, default direction {})",
                               table.description && *table.description ? table.description : table.name, lib->name,
                               detail::default_direction_name(table.default_direction)));

  LoadedPlugin info;
  info.path = canonical;
  info.kind = SourceKind::kSharedLibrary;
  info.name = lib->name;
  info.version = t.version ? t.version : "";
  info.abi_version = t.abi_version;
  info.spaces = names;
  info.objectives = kinds;
  state().loaded.push_back(info);
  return info;
}

LoadedPlugin register_yaml_space(const fs::path& path) {
  const fs::path canonical = existing_canonical(path, "YAML space file");
  const std::lock_guard<std::mutex> lock(state().mutex);
  if (const auto* loaded = find_loaded(canonical)) return *loaded;
  auto parsed = load_yaml_space(path);
  auto spec = static_cast<const detail::YamlSpace&>(*parsed).spec();
  check_names_free({spec->name}, fmt::format("YAML space file '{}'", path.string()));
  spaces::space_registry().add(
      spec->name,
      [spec](const spaces::SpaceOptions& options) -> std::unique_ptr<spaces::SearchSpace> {
        if (!options.empty())
          fail("search space '{}' (from {}) takes no options, got '{}'", spec->name, spec->source,
               options.begin()->first);
        return std::make_unique<detail::YamlSpace>(spec);
      },
      spec->description);
  LoadedPlugin info;
  info.path = canonical;
  info.kind = SourceKind::kYaml;
  info.name = spec->name;
  info.spaces = {spec->name};
  state().loaded.push_back(info);
  return info;
}

LoadedPlugin load_space_source(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".yaml" || ext == ".yml" ? register_yaml_space(path) : load_plugin(path);
}

std::vector<LoadedPlugin> load_space_sources(const std::string& path_list) {
  std::vector<LoadedPlugin> out;
  std::size_t start = 0;
  while (start <= path_list.size()) {
    const std::size_t end = std::min(path_list.find(':', start), path_list.size());
    if (end > start) out.push_back(load_space_source(path_list.substr(start, end - start)));
    start = end + 1;
  }
  return out;
}

std::vector<LoadedPlugin> load_space_sources_from_env(const char* variable) {
  const char* value = std::getenv(variable);
  if (value == nullptr) return {};
  return load_space_sources(value);
}

std::vector<LoadedPlugin> loaded_plugins() {
  const std::lock_guard<std::mutex> lock(state().mutex);
  return state().loaded;
}

}  // namespace hwnas::plugin
