// The official NAS-Bench-201 architecture index. NB201's `meta_archs` list was made by enumerating all
// cells lexicographically (CellStructure.gen_all) and shuffling them with Python's `random.seed(88)`,
// `random.shuffle` (exps/NAS-Bench-201/main.py). We replay CPython's generator bit for bit: MT19937 seeded
// by init_by_array({88}) (what random.seed does with a small int) and shuffle's `_randbelow`, which draws
// k = bit_length(n) top bits of one 32-bit output and retries while the value is >= n.
#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <random>
#include <vector>

#include "hwnas/core/error.h"
#include "hwnas/spaces/nb201.h"

namespace hwnas::spaces {
namespace {

// A seed sequence whose generate() yields the state of CPython's init_by_array(key). std::mt19937 copies
// those 624 words as its state verbatim (the all-zero special case cannot occur: word 0 is 0x80000000) and
// then generates and tempers exactly like CPython's genrand_uint32.
class InitByArray {
 public:
  using result_type = std::uint32_t;
  explicit InitByArray(std::vector<std::uint32_t> key) : key_(std::move(key)) {}

  template <typename It>
  void generate(It begin, It end) const {
    constexpr std::size_t n = 624;
    HWNAS_ASSERT(static_cast<std::size_t>(end - begin) == n && !key_.empty());
    std::array<std::uint32_t, n> mt{};
    mt[0] = 19650218u;  // init_genrand(19650218)
    for (std::size_t i = 1; i < n; ++i)
      mt[i] = 1812433253u * (mt[i - 1] ^ (mt[i - 1] >> 30)) + static_cast<std::uint32_t>(i);
    std::size_t i = 1, j = 0;
    for (std::size_t k = std::max(n, key_.size()); k > 0; --k) {
      mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1664525u)) + key_[j] + static_cast<std::uint32_t>(j);
      if (++i >= n) {
        mt[0] = mt[n - 1];
        i = 1;
      }
      if (++j >= key_.size()) j = 0;
    }
    for (std::size_t k = n - 1; k > 0; --k) {
      mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1566083941u)) - static_cast<std::uint32_t>(i);
      if (++i >= n) {
        mt[0] = mt[n - 1];
        i = 1;
      }
    }
    mt[0] = 0x80000000u;  // MSB is 1, assuring a non-zero initial array
    std::copy(mt.begin(), mt.end(), begin);
  }

 private:
  std::vector<std::uint32_t> key_;
};

// CPython's Random._randbelow_with_getrandbits(n) for 2 <= n < 2^32.
std::uint32_t python_randbelow(std::mt19937& gen, std::uint32_t n) {
  const int k = std::bit_width(n);
  std::uint32_t r = static_cast<std::uint32_t>(gen()) >> (32 - k);
  while (r >= n) r = static_cast<std::uint32_t>(gen()) >> (32 - k);
  return r;
}

struct IndexTables {
  std::array<int, kNb201NumArchs> pre_of_index{};  // official index -> gen_all position
  std::array<int, kNb201NumArchs> index_of_pre{};
};

const IndexTables& index_tables() {
  static const IndexTables tables = [] {
    IndexTables t;
    for (int i = 0; i < kNb201NumArchs; ++i) t.pre_of_index[static_cast<std::size_t>(i)] = i;
    InitByArray seed({88});
    std::mt19937 gen(seed);
    // random.shuffle: for i in reversed(range(1, n)): j = randbelow(i + 1); swap(x[i], x[j])
    for (std::uint32_t i = kNb201NumArchs - 1; i >= 1; --i)
      std::swap(t.pre_of_index[i], t.pre_of_index[python_randbelow(gen, i + 1)]);
    for (int i = 0; i < kNb201NumArchs; ++i)
      t.index_of_pre[static_cast<std::size_t>(t.pre_of_index[static_cast<std::size_t>(i)])] = i;
    return t;
  }();
  return tables;
}

}  // namespace

int nb201_pre_index(const Arch& arch) {
  if (arch.genes.size() != kNb201NumEdges)
    fail("nb201: architecture has {} genes, expected {}", arch.genes.size(), kNb201NumEdges);
  int code = 0;
  for (std::size_t e = 0; e < arch.genes.size(); ++e) {
    const int op = arch.genes[e];
    if (op < 0 || op >= kNb201NumOps) fail("nb201: gene {} is {}, expected 0..{}", e, op, kNb201NumOps - 1);
    code = code * kNb201NumOps + op;
  }
  return code;
}

Arch nb201_arch_from_pre_index(int pre_index) {
  if (pre_index < 0 || pre_index >= kNb201NumArchs)
    fail("nb201: pre-shuffle index {} out of range 0..{}", pre_index, kNb201NumArchs - 1);
  Arch arch{std::vector<int>(kNb201NumEdges)};
  for (int e = kNb201NumEdges - 1; e >= 0; --e) {
    arch.genes[static_cast<std::size_t>(e)] = pre_index % kNb201NumOps;
    pre_index /= kNb201NumOps;
  }
  return arch;
}

Arch nb201_arch_from_index(int index) {
  if (index < 0 || index >= kNb201NumArchs)
    fail("nb201: architecture index {} out of range 0..{}", index, kNb201NumArchs - 1);
  return nb201_arch_from_pre_index(index_tables().pre_of_index[static_cast<std::size_t>(index)]);
}

int nb201_index_of(const Arch& arch) {
  return index_tables().index_of_pre[static_cast<std::size_t>(nb201_pre_index(arch))];
}

}  // namespace hwnas::spaces
