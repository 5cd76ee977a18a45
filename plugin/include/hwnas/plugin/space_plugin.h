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
///
/// A plugin that also exports objective kinds uses HWNAS_EXPORT_PLUGIN (see objective_plugin.h) instead:
/// a plugin has one entry point, so one export macro.

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
#include "hwnas/plugin/plugin_guard.h"
#include "hwnas/spaces/search_space.h"

namespace hwnas::plugin::detail {

/// One exported space with the strings and arrays its C table points to.
struct SpaceSlot {
  std::unique_ptr<spaces::SearchSpace> space;
  std::string name;
  std::string description;
  std::vector<std::int32_t> gene_choices;
  HwnasSpaceV1 table{};
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

/// Fills the C table of `slot` (after its space is set).
inline void fill_space_table(SpaceSlot& slot) {
  const spaces::SearchSpace& space = *slot.space;
  slot.name = space.name();
  slot.description = space.description();
  slot.gene_choices.clear();
  for (int c : space.gene_choices()) slot.gene_choices.push_back(c);
  HwnasSpaceV1& t = slot.table;
  t.struct_size = sizeof(HwnasSpaceV1);
  t.handle = &slot;
  t.name = slot.name.c_str();
  t.description = slot.description.c_str();
  t.num_genes = static_cast<std::int32_t>(slot.gene_choices.size());
  t.gene_choices = slot.gene_choices.data();
  t.input_shape = &space_input_shape;
  t.to_string = &space_to_string;
  t.from_string = &space_from_string;
  t.to_graph_json = &space_to_graph_json;
  t.validate = &space_validate;
  t.sample = &space_sample;
  t.mutate = &space_mutate;
  t.crossover = &space_crossover;
}

}  // namespace hwnas::plugin::detail

// The entry point and the export macros (HWNAS_EXPORT_SPACES, HWNAS_EXPORT_SPACE_FACTORY, ...).
#include "hwnas/plugin/plugin_export.h"
