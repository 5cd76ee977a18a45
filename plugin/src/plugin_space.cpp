#include "plugin_space.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstring>

#include "hwnas/core/error.h"
#include "hwnas/core/graph_json.h"

namespace hwnas::plugin::detail {
namespace {

// Every member up to `reserved` belongs to the first revision of v1, so a v1 space table has at least this.
constexpr std::size_t kMinSpaceTableSize = offsetof(HwnasSpaceV1, reserved);
constexpr int kMaxInputRank = 8;

}  // namespace

bool is_valid_registry_name(const char* name) {
  if (name == nullptr || *name == '\0') return false;
  for (const char* c = name; *c; ++c)
    if (!std::isalnum(static_cast<unsigned char>(*c)) && *c != '_' && *c != '-' && *c != '.') return false;
  return true;
}

HwnasSpaceV1 checked_space_table(const PluginLibrary& library, const HwnasSpaceV1* table, int index) {
  const auto bad = [&](const std::string& what) {
    fail("plugin '{}' ({}): space table {} is malformed: {}", library.name, library.path.string(), index, what);
  };
  if (table == nullptr) bad("null pointer");
  if (table->struct_size < kMinSpaceTableSize)
    bad(fmt::format("struct_size {} is below the {} bytes of ABI v1", table->struct_size, kMinSpaceTableSize));
  HwnasSpaceV1 copy{};
  std::memcpy(static_cast<void*>(&copy), table, std::min<std::size_t>(table->struct_size, sizeof copy));
  if (!is_valid_registry_name(copy.name))
    bad(fmt::format("name '{}' is not a valid space name (letters, digits, '_', '-', '.')",
                    copy.name ? copy.name : "(null)"));
  if (!copy.input_shape || !copy.to_string || !copy.from_string || !copy.to_graph_json)
    bad(fmt::format("space '{}' lacks a required function (input_shape, to_string, from_string, to_graph_json)",
                    copy.name));
  if (copy.num_genes < 0 || (copy.num_genes > 0 && copy.gene_choices == nullptr))
    bad(fmt::format("space '{}' has {} genes and {} gene_choices", copy.name, copy.num_genes,
                    copy.gene_choices ? "an array of" : "no"));
  for (std::int32_t i = 0; i < copy.num_genes; ++i)
    if (copy.gene_choices[i] < 1)
      bad(fmt::format("space '{}': gene {} has {} choices (at least 1 needed)", copy.name, i, copy.gene_choices[i]));
  return copy;
}

PluginSpace::PluginSpace(std::shared_ptr<const PluginLibrary> library, const HwnasSpaceV1& table)
    : library_(std::move(library)),
      table_(table),
      name_(table.name),
      description_(table.description ? table.description : ""),
      choices_(table.gene_choices, table.gene_choices + table.num_genes) {}

template <typename Call>
void PluginSpace::call(const char* what, Call&& c) const {
  char error[HWNAS_PLUGIN_ERROR_CAPACITY] = "";
  const int status = c(error, sizeof error);
  if (status == HWNAS_PLUGIN_OK) return;
  error[sizeof error - 1] = '\0';  // do not trust the plugin to terminate it
  fail("plugin '{}', space '{}': {} failed: {}", library_->name, name_, what,
       error[0] ? std::string(error) : fmt::format("status {} and no message", status));
}

std::vector<std::int32_t> PluginSpace::genes_in(const spaces::Arch& arch, const char* what) const {
  // The plugin writes and reads exactly num_genes entries, so the length is checked on this side.
  if (arch.genes.size() != choices_.size())
    fail("{}: {}: architecture has {} genes, expected {}", name_, what, arch.genes.size(), choices_.size());
  return {arch.genes.begin(), arch.genes.end()};
}

spaces::Arch PluginSpace::genes_out(const std::vector<std::int32_t>& genes, const char* what) const {
  for (std::size_t i = 0; i < genes.size(); ++i)
    if (genes[i] < 0 || genes[i] >= choices_[i])
      fail("plugin '{}', space '{}': {} returned gene {} = {}, outside 0..{}", library_->name, name_, what, i, genes[i],
           choices_[i] - 1);
  return spaces::Arch{{genes.begin(), genes.end()}};
}

std::string PluginSpace::take_string(char* text) const {
  if (text == nullptr) return {};
  std::string out(text);
  library_->table.free_string(text);
  return out;
}

core::Shape PluginSpace::input_shape(std::int64_t batch) const {
  std::int64_t dims[kMaxInputRank] = {};
  std::int32_t rank = 0;
  call("input_shape", [&](char* e, std::size_t n) {
    return table_.input_shape(table_.handle, batch, dims, kMaxInputRank, &rank, e, n);
  });
  if (rank < 1 || rank > kMaxInputRank)
    fail("plugin '{}', space '{}': input_shape returned rank {}", library_->name, name_, rank);
  return core::Shape(dims, dims + rank);
}

std::string PluginSpace::to_string(const spaces::Arch& arch) const {
  const auto genes = genes_in(arch, "to_string");
  char* text = nullptr;
  call("to_string", [&](char* e, std::size_t n) {
    return table_.to_string(table_.handle, genes.data(), static_cast<std::int32_t>(genes.size()), &text, e, n);
  });
  return take_string(text);
}

spaces::Arch PluginSpace::from_string(std::string_view text) const {
  const std::string owned(text);  // NUL-terminated for the C side
  std::vector<std::int32_t> genes(choices_.size(), 0);
  call("from_string", [&](char* e, std::size_t n) {
    return table_.from_string(table_.handle, owned.c_str(), genes.data(), static_cast<std::int32_t>(genes.size()), e,
                              n);
  });
  return genes_out(genes, "from_string");
}

core::Graph PluginSpace::to_graph(const spaces::Arch& arch, std::int64_t batch) const {
  const auto genes = genes_in(arch, "to_graph");
  char* json = nullptr;
  call("to_graph", [&](char* e, std::size_t n) {
    return table_.to_graph_json(table_.handle, genes.data(), static_cast<std::int32_t>(genes.size()), batch, &json, e,
                                n);
  });
  const std::string text = take_string(json);
  try {
    core::Graph graph = core::graph_from_json(text);  // re-infers and checks every shape
    if (graph.outputs().size() != 1) fail("the graph has {} outputs, expected 1 (the logits)", graph.outputs().size());
    return graph;
  } catch (const Error& e) {
    fail("plugin '{}', space '{}': to_graph returned a graph hwnas rejects: {}", library_->name, name_, e.what());
  }
}

void PluginSpace::validate(const spaces::Arch& arch) const {
  SearchSpace::validate(arch);  // length and ranges, before anything crosses
  if (!table_.validate) return;
  const auto genes = genes_in(arch, "validate");
  call("validate", [&](char* e, std::size_t n) {
    return table_.validate(table_.handle, genes.data(), static_cast<std::int32_t>(genes.size()), e, n);
  });
}

spaces::Arch PluginSpace::sample(spaces::Rng& rng) const {
  if (!table_.sample) return SearchSpace::sample(rng);
  const std::uint64_t seed = rng();
  std::vector<std::int32_t> genes(choices_.size(), 0);
  call("sample", [&](char* e, std::size_t n) {
    return table_.sample(table_.handle, seed, genes.data(), static_cast<std::int32_t>(genes.size()), e, n);
  });
  return genes_out(genes, "sample");
}

spaces::Arch PluginSpace::mutate(const spaces::Arch& arch, spaces::Rng& rng) const {
  if (!table_.mutate) return SearchSpace::mutate(arch, rng);
  const auto in = genes_in(arch, "mutate");
  const std::uint64_t seed = rng();
  std::vector<std::int32_t> genes(choices_.size(), 0);
  call("mutate", [&](char* e, std::size_t n) {
    return table_.mutate(table_.handle, in.data(), seed, genes.data(), static_cast<std::int32_t>(genes.size()), e, n);
  });
  return genes_out(genes, "mutate");
}

spaces::Arch PluginSpace::crossover(const spaces::Arch& a, const spaces::Arch& b, spaces::Rng& rng) const {
  if (!table_.crossover) return SearchSpace::crossover(a, b, rng);
  const auto ga = genes_in(a, "crossover");
  const auto gb = genes_in(b, "crossover");
  const std::uint64_t seed = rng();
  std::vector<std::int32_t> genes(choices_.size(), 0);
  call("crossover", [&](char* e, std::size_t n) {
    return table_.crossover(table_.handle, ga.data(), gb.data(), seed, genes.data(),
                            static_cast<std::int32_t>(genes.size()), e, n);
  });
  return genes_out(genes, "crossover");
}

}  // namespace hwnas::plugin::detail
