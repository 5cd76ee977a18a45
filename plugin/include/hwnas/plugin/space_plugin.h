#pragma once
/// Header-only helper for writing a search-space plugin in C++.
///
/// Subclass hwnas::spaces::SearchSpace as for a built-in space, link hwnas::spaces statically into a SHARED
/// library, and add one line to one source file:
///
///     HWNAS_EXPORT_SPACES(MySpace, OtherSpace)       // each default-constructible
///
/// or, when the spaces need arguments, a function returning them:
///
///     std::vector<std::unique_ptr<hwnas::spaces::SearchSpace>> make_my_spaces();
///     HWNAS_EXPORT_SPACE_FACTORY("my_plugin", "1.0", make_my_spaces)
///
/// With HWNAS_EXPORT_SPACES the plugin's name and version come from the macros HWNAS_PLUGIN_NAME and
/// HWNAS_PLUGIN_VERSION when defined (e.g. by target_compile_definitions), else the host shows the
/// library's file name and version "0".
///
/// The generated `hwnas_plugin_entry` (see plugin_abi.h) wraps every call in try/catch: an exception
/// thrown by the space crosses the boundary as its what() text, never as an exception.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hwnas/core/graph_json.h"
#include "hwnas/plugin/plugin_abi.h"
#include "hwnas/spaces/search_space.h"

namespace hwnas::plugin::detail {

/// Copies `message` into the caller's buffer, truncated and NUL-terminated.
inline void write_error(char* error, std::size_t error_size, std::string_view message) {
  if (error == nullptr || error_size == 0) return;
  const std::size_t n = std::min(message.size(), error_size - 1);
  std::memcpy(error, message.data(), n);
  error[n] = '\0';
}

/// Runs `body`, turning any exception into HWNAS_PLUGIN_ERROR plus its message.
template <typename Body>
int guarded(char* error, std::size_t error_size, Body&& body) noexcept {
  try {
    body();
    return HWNAS_PLUGIN_OK;
  } catch (const std::exception& e) {
    write_error(error, error_size, e.what());
  } catch (...) {
    write_error(error, error_size, "unknown exception (not derived from std::exception)");
  }
  return HWNAS_PLUGIN_ERROR;
}

inline char* copy_string(const std::string& text) {
  char* out = new char[text.size() + 1];
  std::memcpy(out, text.c_str(), text.size() + 1);
  return out;
}

inline void free_string(char* text) { delete[] text; }

/// One exported space with the strings and arrays its C table points to.
struct SpaceSlot {
  std::unique_ptr<spaces::SearchSpace> space;
  std::string name;
  std::string description;
  std::vector<std::int32_t> gene_choices;
  HwnasSpaceV1 table{};
};

struct PluginState {
  std::string name;
  std::string version;
  std::vector<std::unique_ptr<SpaceSlot>> slots;
  std::vector<const HwnasSpaceV1*> tables;
};

/// The plugin's tables, built on the first entry call. The export macros define one per plugin in an
/// anonymous namespace: a function-local static in this (inline, template) code could be merged across
/// plugins by the dynamic linker (GNU unique symbols), so each plugin would see the first one's spaces.
struct PluginHolder {
  std::mutex mutex;
  PluginState* state = nullptr;  // never freed: hwnas does not unload plugins
};

inline const spaces::SearchSpace& space_of(void* handle) {
  if (handle == nullptr) throw std::invalid_argument("null space handle");
  return *static_cast<SpaceSlot*>(handle)->space;
}

inline spaces::Arch arch_of(void* handle, const std::int32_t* genes, std::int32_t num_genes) {
  const auto& slot = *static_cast<SpaceSlot*>(handle);
  if (genes == nullptr && num_genes > 0) throw std::invalid_argument("null gene array");
  if (num_genes != static_cast<std::int32_t>(slot.gene_choices.size()))
    throw std::invalid_argument("gene array has " + std::to_string(num_genes) + " entries, expected " +
                                std::to_string(slot.gene_choices.size()));
  return spaces::Arch{std::vector<int>(genes, genes + num_genes)};
}

inline void write_genes(void* handle, const spaces::Arch& arch, std::int32_t* genes_out, std::int32_t num_genes) {
  const auto& slot = *static_cast<SpaceSlot*>(handle);
  if (genes_out == nullptr && num_genes > 0) throw std::invalid_argument("null output gene array");
  if (num_genes != static_cast<std::int32_t>(slot.gene_choices.size()) || arch.genes.size() != slot.gene_choices.size())
    throw std::invalid_argument("gene array has " + std::to_string(num_genes) + " entries, the space returned " +
                                std::to_string(arch.genes.size()) + ", expected " +
                                std::to_string(slot.gene_choices.size()));
  std::copy(arch.genes.begin(), arch.genes.end(), genes_out);
}

// The C functions of the table. Captureless, noexcept, and every one goes through guarded().

inline int space_input_shape(void* h, std::int64_t batch, std::int64_t* dims, std::int32_t capacity, std::int32_t* rank,
                             char* error, std::size_t error_size) {
  return guarded(error, error_size, [&] {
    const core::Shape shape = space_of(h).input_shape(batch);
    if (rank == nullptr || (dims == nullptr && capacity > 0)) throw std::invalid_argument("null shape output");
    if (static_cast<std::int32_t>(shape.size()) > capacity)
      throw std::invalid_argument("input shape has rank " + std::to_string(shape.size()) + ", buffer holds " +
                                  std::to_string(capacity));
    std::copy(shape.begin(), shape.end(), dims);
    *rank = static_cast<std::int32_t>(shape.size());
  });
}

inline int space_to_string(void* h, const std::int32_t* genes, std::int32_t num_genes, char** out, char* error,
                           std::size_t error_size) {
  return guarded(error, error_size, [&] {
    if (out == nullptr) throw std::invalid_argument("null output string");
    *out = copy_string(space_of(h).to_string(arch_of(h, genes, num_genes)));
  });
}

inline int space_from_string(void* h, const char* text, std::int32_t* genes_out, std::int32_t num_genes, char* error,
                             std::size_t error_size) {
  return guarded(error, error_size, [&] {
    if (text == nullptr) throw std::invalid_argument("null architecture text");
    write_genes(h, space_of(h).from_string(text), genes_out, num_genes);
  });
}

inline int space_to_graph_json(void* h, const std::int32_t* genes, std::int32_t num_genes, std::int64_t batch,
                               char** out, char* error, std::size_t error_size) {
  return guarded(error, error_size, [&] {
    if (out == nullptr) throw std::invalid_argument("null output string");
    *out = copy_string(core::to_json(space_of(h).to_graph(arch_of(h, genes, num_genes), batch), -1));
  });
}

inline int space_validate(void* h, const std::int32_t* genes, std::int32_t num_genes, char* error,
                          std::size_t error_size) {
  return guarded(error, error_size, [&] { space_of(h).validate(arch_of(h, genes, num_genes)); });
}

inline int space_sample(void* h, std::uint64_t seed, std::int32_t* genes_out, std::int32_t num_genes, char* error,
                        std::size_t error_size) {
  return guarded(error, error_size, [&] {
    spaces::Rng rng(seed);
    write_genes(h, space_of(h).sample(rng), genes_out, num_genes);
  });
}

inline int space_mutate(void* h, const std::int32_t* genes, std::uint64_t seed, std::int32_t* genes_out,
                        std::int32_t num_genes, char* error, std::size_t error_size) {
  return guarded(error, error_size, [&] {
    spaces::Rng rng(seed);
    write_genes(h, space_of(h).mutate(arch_of(h, genes, num_genes), rng), genes_out, num_genes);
  });
}

inline int space_crossover(void* h, const std::int32_t* a, const std::int32_t* b, std::uint64_t seed,
                           std::int32_t* genes_out, std::int32_t num_genes, char* error, std::size_t error_size) {
  return guarded(error, error_size, [&] {
    spaces::Rng rng(seed);
    const auto& space = space_of(h);
    write_genes(h, space.crossover(arch_of(h, a, num_genes), arch_of(h, b, num_genes), rng), genes_out, num_genes);
  });
}

/// Builds the tables once into `holder`; a later call returns the same tables.
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
    std::vector<std::unique_ptr<spaces::SearchSpace>> made = factory();
    for (auto& space : made) {
      if (!space) throw std::invalid_argument("the plugin's space factory returned a null space");
      auto slot = std::make_unique<SpaceSlot>();
      slot->name = space->name();
      slot->description = space->description();
      for (int c : space->gene_choices()) slot->gene_choices.push_back(c);
      slot->space = std::move(space);
      HwnasSpaceV1& t = slot->table;
      t.struct_size = sizeof(HwnasSpaceV1);
      t.handle = slot.get();
      t.name = slot->name.c_str();
      t.description = slot->description.c_str();
      t.num_genes = static_cast<std::int32_t>(slot->gene_choices.size());
      t.gene_choices = slot->gene_choices.data();
      t.input_shape = &space_input_shape;
      t.to_string = &space_to_string;
      t.from_string = &space_from_string;
      t.to_graph_json = &space_to_graph_json;
      t.validate = &space_validate;
      t.sample = &space_sample;
      t.mutate = &space_mutate;
      t.crossover = &space_crossover;
      built->tables.push_back(&slot->table);
      built->slots.push_back(std::move(slot));
    }
    holder.state = built.release();
  });
  if (status != HWNAS_PLUGIN_OK) return status;
  const PluginState* state = holder.state;

  HwnasPluginV1 table{};
  table.abi_version = HWNAS_PLUGIN_ABI_VERSION;
  table.name = state->name.c_str();
  table.version = state->version.c_str();
  table.num_spaces = static_cast<std::int32_t>(state->tables.size());
  table.spaces = state->tables.data();
  table.free_string = &free_string;
  // Write no more than the host's struct holds, and tell it how much that was.
  const std::size_t size = std::min<std::size_t>(out->struct_size, sizeof(HwnasPluginV1));
  table.struct_size = static_cast<std::uint32_t>(size);
  std::memcpy(static_cast<void*>(out), &table, size);
  return HWNAS_PLUGIN_OK;
}

template <typename... Spaces>
std::vector<std::unique_ptr<spaces::SearchSpace>> make_spaces() {
  std::vector<std::unique_ptr<spaces::SearchSpace>> out;
  (out.push_back(std::make_unique<Spaces>()), ...);
  return out;
}

}  // namespace hwnas::plugin::detail

#ifndef HWNAS_PLUGIN_NAME
#define HWNAS_PLUGIN_NAME ""
#endif
#ifndef HWNAS_PLUGIN_VERSION
#define HWNAS_PLUGIN_VERSION "0"
#endif

/// Exports the plugin entry point for a function `factory` returning
/// std::vector<std::unique_ptr<hwnas::spaces::SearchSpace>>. Use once per plugin.
#define HWNAS_EXPORT_SPACE_FACTORY(plugin_name, plugin_version, factory)                                            \
  namespace {                                                                                                       \
  ::hwnas::plugin::detail::PluginHolder hwnas_plugin_holder_;                                                       \
  }                                                                                                                 \
  extern "C" HWNAS_PLUGIN_EXPORT int hwnas_plugin_entry(uint32_t host_abi_version, HwnasPluginV1* out, char* error, \
                                                        size_t error_size) {                                        \
    return ::hwnas::plugin::detail::plugin_entry(hwnas_plugin_holder_, host_abi_version, out, error, error_size,    \
                                                 plugin_name, plugin_version, [] { return factory(); });            \
  }

/// Exports the plugin entry point for default-constructible SearchSpace subclasses. Use once per plugin.
#define HWNAS_EXPORT_SPACES(...)                                      \
  HWNAS_EXPORT_SPACE_FACTORY(HWNAS_PLUGIN_NAME, HWNAS_PLUGIN_VERSION, \
                             (::hwnas::plugin::detail::make_spaces<__VA_ARGS__>))
