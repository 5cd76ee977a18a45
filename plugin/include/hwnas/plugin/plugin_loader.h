#pragma once
/// Loading user search spaces and objective kinds into this process: plugin shared libraries (see
/// plugin_abi.h, space_plugin.h and objective_plugin.h) and YAML-declared spaces (see yaml_space.h). Each
/// loaded space is registered in spaces::space_registry(), so every command that takes `--space NAME` can
/// use it; each objective kind in search::objective_registry(), so a search config can name it as `kind:`.
///
/// Loaded libraries stay loaded until the process exits (spaces created from them may live anywhere).
/// Loading is serialized by a mutex; registering is not meant to race with space lookups, so load
/// plugins at start-up, before a search spawns threads.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace hwnas::plugin {

enum class SourceKind {
  kSharedLibrary,  ///< a plugin library exporting hwnas_plugin_entry
  kYaml,           ///< a YAML-declared space
};

/// One loaded plugin library or YAML space file, as `hwnas plugins` lists it.
struct LoadedPlugin {
  std::filesystem::path path;  ///< canonical path of the file
  SourceKind kind = SourceKind::kSharedLibrary;
  std::string name;     ///< the plugin's own name (the file name when it gives none); a YAML file: its space name
  std::string version;  ///< the plugin's version; empty for YAML
  std::uint32_t abi_version = 0;    ///< plugin ABI version it was built with; 0 for YAML
  std::vector<std::string> spaces;  ///< names it registered in spaces::space_registry(), in its order
  /// objective kinds it registered in search::objective_registry(), in its order (none for YAML)
  std::vector<std::string> objectives;
};

/// Loads a plugin shared library: dlopen (RTLD_NOW | RTLD_LOCAL), looks up `hwnas_plugin_entry`, checks
/// the ABI version and the tables, then registers one adapter space per plugin space and one objective
/// kind per plugin objective. Loading a file that is already loaded returns its first result. Nothing is
/// registered unless every space and objective kind can be.
/// Throws hwnas::Error, one line naming the path, when the file does not exist, is not a shared library
/// (with dlopen's message), exports no entry point ("... is not an hwnas plugin"), was built for another
/// ABI version ("built for hwnas plugin ABI N, this hwnas speaks M"), fails to start (its message), or
/// declares a space or objective kind whose name is already taken (naming the built-in or the plugin that
/// has it).
LoadedPlugin load_plugin(const std::filesystem::path& path);

/// Parses a YAML space file (yaml_space.h) and registers it under its `name`. Idempotent per file.
/// Throws hwnas::Error as load_yaml_space does, or when the name is already taken.
LoadedPlugin register_yaml_space(const std::filesystem::path& path);

/// Loads `path` by its extension: `.yaml` / `.yml` -> register_yaml_space, anything else -> load_plugin.
/// This is what `--plugin PATH`, HWNAS_PLUGINS and a search config's `plugins:` list go through.
LoadedPlugin load_space_source(const std::filesystem::path& path);

/// Loads every entry of a ':'-separated list of paths (empty entries are skipped), in order.
std::vector<LoadedPlugin> load_space_sources(const std::string& path_list);

/// load_space_sources() of the environment variable `variable` (HWNAS_PLUGINS); nothing when it is unset.
std::vector<LoadedPlugin> load_space_sources_from_env(const char* variable = "HWNAS_PLUGINS");

/// Every plugin and YAML space file loaded in this process, in load order.
std::vector<LoadedPlugin> loaded_plugins();

/// "shared library" or "yaml".
const char* source_kind_name(SourceKind kind);

}  // namespace hwnas::plugin
