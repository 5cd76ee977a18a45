#pragma once
/// glibc's allocator policy for a program that runs LibTorch data passes over many networks in one
/// process (`hwnas proxies`, bench/proxy_bench).

namespace hwnas::core {

/// Keeps freed blocks of up to 32 MiB in the heap for reuse instead of handing them back to the kernel.
/// By default glibc maps a large block afresh and lets go of it when freed, so every pass faults its
/// activations in again page by page (10 NB201 cells, 11 proxies at batch 64, one process, two runs:
/// 452k page faults and 22.1/29.1 s, against 245k and 16.0/23.2 s with this policy). Not for a command
/// that measures latency: a platform's kernels must allocate as the deployed engine does. Warns on
/// stderr if glibc refuses the settings.
void reuse_freed_memory();

}  // namespace hwnas::core
