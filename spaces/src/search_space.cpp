#include "hwnas/spaces/search_space.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hwnas/core/error.h"

namespace hwnas::spaces {

std::size_t ArchHash::operator()(const Arch& arch) const {
  std::size_t h = 1469598103934665603ull;  // FNV-1a over the genes
  for (int g : arch.genes) {
    h ^= static_cast<std::size_t>(g) + 0x9e3779b97f4a7c15ull;
    h *= 1099511628211ull;
  }
  return h;
}

void SearchSpace::validate(const Arch& arch) const {
  const auto choices = gene_choices();
  if (arch.genes.size() != choices.size())
    fail("{}: architecture has {} genes, expected {}", name(), arch.genes.size(), choices.size());
  for (std::size_t i = 0; i < choices.size(); ++i)
    if (arch.genes[i] < 0 || arch.genes[i] >= choices[i])
      fail("{}: gene {} is {}, expected 0..{}", name(), i, arch.genes[i], choices[i] - 1);
}

void SearchSpace::piece_keys(const Arch&, std::vector<std::string>& keys) const { keys.clear(); }

core::Graph SearchSpace::piece_graph(const Arch&, std::size_t index, std::int64_t) const {
  fail("{}: the space does not cut its networks into pieces (asked for piece {})", name(), index);
}

core::Graph SearchSpace::chain_of_pieces(std::string name, const core::Shape& input, std::size_t first,
                                         std::size_t last, const PieceAppender& append_piece) {
  core::Graph g(std::move(name));
  core::NodeId x = g.input(input, "input");
  for (std::size_t piece = first; piece < last; ++piece) x = append_piece(g, x, piece);
  g.mark_output(x);
  return g;
}

bool SearchSpace::is_active(const Arch&, int) const { return true; }

Arch SearchSpace::normalize(const Arch& arch) const { return arch; }

Arch SearchSpace::sample(Rng& rng) const {
  Arch arch;
  for (int n : gene_choices()) arch.genes.push_back(std::uniform_int_distribution<int>(0, n - 1)(rng));
  return normalize(arch);
}

Arch SearchSpace::mutate(const Arch& arch, Rng& rng) const {
  const auto choices = gene_choices();
  const Arch before = normalize(arch);
  std::vector<int> candidates;
  for (std::size_t i = 0; i < choices.size(); ++i)
    if (choices[i] > 1 && is_active(before, static_cast<int>(i))) candidates.push_back(static_cast<int>(i));
  if (candidates.empty()) return before;
  Arch out = before;
  const auto gene = static_cast<std::size_t>(
      candidates[std::uniform_int_distribution<std::size_t>(0, candidates.size() - 1)(rng)]);
  // Draw among the other values so the mutant always differs in exactly this gene.
  const int shift = std::uniform_int_distribution<int>(1, choices[gene] - 1)(rng);
  out.genes[gene] = (before.genes[gene] + shift) % choices[gene];
  // Genes the change brings to life were normalized to 0: give them a fresh value, not always the first.
  for (std::size_t i = 0; i < choices.size(); ++i)
    if (!is_active(before, static_cast<int>(i)) && is_active(out, static_cast<int>(i)))
      out.genes[i] = std::uniform_int_distribution<int>(0, choices[i] - 1)(rng);
  return normalize(out);
}

Arch SearchSpace::crossover(const Arch& a, const Arch& b, Rng& rng) const {
  HWNAS_ASSERT(a.genes.size() == b.genes.size());
  Arch child = a;
  std::bernoulli_distribution coin(0.5);
  for (std::size_t i = 0; i < child.genes.size(); ++i)
    if (coin(rng)) child.genes[i] = b.genes[i];
  return normalize(child);
}

double SearchSpace::size() const {
  double n = 1;
  for (int c : gene_choices()) n *= c;
  return n;
}

std::vector<Arch> SearchSpace::enumerate() const {
  HWNAS_CHECK(is_enumerable(), "{}: {:.3g} architectures are too many to enumerate", name(), size());
  const auto choices = gene_choices();
  std::vector<Arch> all;
  all.reserve(static_cast<std::size_t>(size()));
  Arch current{std::vector<int>(choices.size(), 0)};
  while (true) {
    all.push_back(current);
    std::size_t i = choices.size();
    while (i > 0) {  // increment the mixed-radix counter, last gene fastest
      --i;
      if (++current.genes[i] < choices[i]) break;
      current.genes[i] = 0;
      if (i == 0) return all;
    }
    if (choices.empty()) return all;
  }
}

void reject_unknown_options(const std::string& space, const SpaceOptions& options,
                            const std::vector<std::string>& known) {
  for (const auto& [key, value] : options)
    if (std::find(known.begin(), known.end(), key) == known.end())
      fail("search space '{}' has no option '{}' (valid: {})", space, key, fmt::join(known, ", "));
}

std::unique_ptr<SearchSpace> make_space(const std::string& name, const SpaceOptions& options) {
  return space_registry().create(name, options);
}

}  // namespace hwnas::spaces
