#include "hwnas/devices/platform.h"

#include "hwnas/devices/libtorch_platform.h"
#include "hwnas/devices/opencv_platform.h"

namespace hwnas::devices {

Measurement Platform::measure(const core::Graph& graph, const ProfileOptions& options) {
  return measure_interleaved(*this, {graph}, options).front();
}

PlatformRegistry& platform_registry() {
  static PlatformRegistry registry = [] {
    PlatformRegistry r("platform");
    r.add("libtorch-cpu-t1",
          [] { return make_libtorch_platform({.name = "libtorch-cpu-t1", .engine = nn::Engine::kEager, .threads = 1}); },
          "LibTorch eager mode, 1 intra-op thread");
    r.add("libtorch-cpu-t2",
          [] { return make_libtorch_platform({.name = "libtorch-cpu-t2", .engine = nn::Engine::kEager, .threads = 2}); },
          "LibTorch eager mode, 2 intra-op threads");
    r.add("torchscript-cpu-t1",
          [] {
            return make_libtorch_platform(
                {.name = "torchscript-cpu-t1", .engine = nn::Engine::kTorchScript, .threads = 1});
          },
          "TorchScript frozen + optimize_for_inference (conv-bn folding, oneDNN; a kernel that runs inside a network's "
          "oneDNN group is timed on oneDNN inputs), 1 intra-op thread");
    r.add("opencv-cpu-t1", [] { return make_opencv_platform({.name = "opencv-cpu-t1", .threads = 1}); },
          "OpenCV DNN (nets built layer by layer, OpenCV's CPU backend and layer fusion), 1 thread");
    return r;
  }();
  return registry;
}

std::unique_ptr<Platform> make_platform(const std::string& name) { return platform_registry().create(name); }

}  // namespace hwnas::devices
