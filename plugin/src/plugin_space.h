#pragma once
// The host side of one plugin space: a SearchSpace whose every call goes through the plugin's C table.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "hwnas/plugin/plugin_abi.h"
#include "hwnas/spaces/search_space.h"

namespace hwnas::plugin::detail {

/// A loaded plugin library. Shared by its spaces; the library itself is never unloaded.
struct PluginLibrary {
  std::filesystem::path path;
  std::string name;  ///< for messages: the plugin's name, or the file name
  void* handle = nullptr;
  HwnasPluginV1 table{};  ///< the host's copy (fields the plugin did not write are zero)
};

/// True for a non-empty name of letters, digits, '_', '-', '.' (space and objective kind names).
bool is_valid_registry_name(const char* name);

/// Checks the table of space `index` of `library` and returns the host's copy of it; throws hwnas::Error
/// naming the plugin and what is malformed.
HwnasSpaceV1 checked_space_table(const PluginLibrary& library, const HwnasSpaceV1* table, int index);

class PluginSpace final : public spaces::SearchSpace {
 public:
  PluginSpace(std::shared_ptr<const PluginLibrary> library, const HwnasSpaceV1& table);

  std::string name() const override { return name_; }
  std::string description() const override { return description_; }
  std::vector<int> gene_choices() const override { return choices_; }
  core::Shape input_shape(std::int64_t batch = 1) const override;
  std::string to_string(const spaces::Arch& arch) const override;
  spaces::Arch from_string(std::string_view text) const override;
  core::Graph to_graph(const spaces::Arch& arch, std::int64_t batch = 1) const override;
  void validate(const spaces::Arch& arch) const override;
  spaces::Arch sample(spaces::Rng& rng) const override;
  spaces::Arch mutate(const spaces::Arch& arch, spaces::Rng& rng) const override;
  spaces::Arch crossover(const spaces::Arch& a, const spaces::Arch& b, spaces::Rng& rng) const override;

 private:
  /// Runs one C call with an error buffer; throws hwnas::Error prefixed with plugin, space and call.
  template <typename Call>
  void call(const char* what, Call&& c) const;
  std::vector<std::int32_t> genes_in(const spaces::Arch& arch, const char* what) const;
  spaces::Arch genes_out(const std::vector<std::int32_t>& genes, const char* what) const;
  std::string take_string(char* text) const;

  std::shared_ptr<const PluginLibrary> library_;
  HwnasSpaceV1 table_;
  std::string name_;
  std::string description_;
  std::vector<int> choices_;
};

}  // namespace hwnas::plugin::detail
