#pragma once
/// The LibTorch platforms: a graph run by LibTorch on this CPU with an engine and an intra-op thread
/// count. The built-in names are registered in platform_registry(); others (more threads, say) can be
/// made here.

#include <memory>
#include <string>

#include "hwnas/devices/platform.h"
#include "hwnas/nn/runnable_graph.h"

namespace hwnas::devices {

struct LibTorchPlatformOptions {
  std::string name;  ///< registry name, e.g. "libtorch-cpu-t4"
  nn::Engine engine = nn::Engine::kEager;  ///< eager, or frozen + optimize_for_inference TorchScript
  int threads = 1;        ///< intra-op threads
  std::uint64_t seed = 0; ///< seeds the weights and input of every prepared graph
};

/// A LibTorch platform; throws hwnas::Error when threads < 1 or the name is empty.
std::unique_ptr<Platform> make_libtorch_platform(const LibTorchPlatformOptions& options);

}  // namespace hwnas::devices
