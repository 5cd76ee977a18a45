#pragma once
/// Platforms: something on this host that runs a graph and can be timed (LibTorch eager with T
/// threads, frozen TorchScript, OpenCV DNN, ...). Built-ins are registered explicitly in platform_registry().

#include <memory>
#include <string>

#include "hwnas/core/graph.h"
#include "hwnas/core/registry.h"
#include "hwnas/devices/fingerprint.h"
#include "hwnas/devices/profiler.h"

namespace hwnas::devices {

/// A graph realised on a platform (weights, input, compiled code), ready to run again and again.
class PreparedGraph {
 public:
  virtual ~PreparedGraph() = default;
  /// Puts the calling thread in the platform's state (e.g. its intra-op thread count); the profiler
  /// calls it before every block of timed runs, since other platforms may have changed that state.
  virtual void activate() {}
  /// Runs `iterations` inferences back to back.
  virtual void run(int iterations) = 0;
  /// True when run() does all its work on the calling thread (one intra-op thread), so the calling
  /// thread's CPU time is the run's latency without the time other processes held the CPU.
  virtual bool single_threaded() const { return false; }
};

class Platform {
 public:
  virtual ~Platform() = default;
  /// Registry name ("libtorch-cpu-t1").
  virtual std::string name() const = 0;
  /// The platform's identity on this host; the same on every call.
  virtual PlatformFingerprint fingerprint() const = 0;
  /// Builds the graph for this platform; throws hwnas::Error naming the node it cannot realise.
  virtual std::unique_ptr<PreparedGraph> prepare(const core::Graph& graph) = 0;
  /// Latency of one graph: prepare() then the profiler (measure_interleaved over this one graph).
  virtual Measurement measure(const core::Graph& graph, const ProfileOptions& options);
};

using PlatformRegistry = core::Registry<Platform>;

/// The platforms measurable on this host: libtorch-cpu-t1, libtorch-cpu-t2, torchscript-cpu-t1,
/// opencv-cpu-t1 (and any a plugin adds at run time).
PlatformRegistry& platform_registry();

/// Creates a platform by name; throws hwnas::Error listing the valid names.
std::unique_ptr<Platform> make_platform(const std::string& name);

}  // namespace hwnas::devices
