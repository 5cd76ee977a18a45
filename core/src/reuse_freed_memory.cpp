#include "hwnas/core/reuse_freed_memory.h"

#include <malloc.h>

#include <climits>
#include <cstdio>

#include <fmt/format.h>

namespace hwnas::core {

void reuse_freed_memory() {
  // 32 MiB is the largest mmap threshold glibc accepts on 64-bit; setting either value also turns off
  // glibc's own threshold adjustment, which is why both are set (the trim threshold alone leaves the
  // mmap threshold at its 128 KiB start, and every activation is mapped afresh).
  constexpr int kMmapThreshold = 32 << 20;
  if (mallopt(M_MMAP_THRESHOLD, kMmapThreshold) != 1 || mallopt(M_TRIM_THRESHOLD, INT_MAX) != 1)
    fmt::print(stderr, "hwnas: warning: glibc refused the allocator thresholds (mallopt); passes run slower\n");
}

}  // namespace hwnas::core
