#pragma once
// A fake platform for tests of measuring logic: its graphs busy-wait (or sleep) for a set time, so what
// the profiler and the store should see is known exactly.

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "hwnas/core/graph.h"
#include "hwnas/devices/platform.h"

namespace hwnas::test {

// A platform whose graphs busy-wait (or sleep): `base_us` per run, and with `jitter` every other block
// (activate() starts a block) twice as slow, like a machine whose load comes and goes. Counts
// activations and runs.
class SpinPlatform final : public devices::Platform {
 public:
  struct Counters {
    int activations = 0;
    long runs = 0;
    int preparations = 0;
  };
  struct Behaviour {
    double base_us = 20;
    bool jitter = false;
    bool sleep = false;            // sleep instead of spinning: wall time passes, CPU time does not
    bool single_threaded = false;  // what the prepared graphs report
    int slower_after_activations = -1;  // >= 0: past this many activations, every run takes `slowdown` x longer
    double slowdown = 1.0;              // (the whole host turning slower, as when a neighbour starts)
    int faster_after_activations = -1;  // >= 0: ... until past this many (the neighbour has stopped)
    int jitter_until_activations = -1;  // >= 0: `jitter` only up to this many activations (bursty load ends)
    int slow_preparations_every = 0;    // > 0: preparations 0, k, 2k, ... (counted over all graphs) run `slow_preparation_factor`
    double slow_preparation_factor = 1.0;  // x slower (tensors that landed badly in memory)
  };
  explicit SpinPlatform(Behaviour behaviour) : behaviour_(behaviour) {}
  std::string name() const override { return "spin"; }
  devices::PlatformFingerprint fingerprint() const override { return {.platform = "spin"}; }
  std::unique_ptr<devices::PreparedGraph> prepare(const core::Graph&) override {
    const int index = counters.preparations++;
    const bool slow = behaviour_.slow_preparations_every > 0 && index % behaviour_.slow_preparations_every == 0;
    return std::make_unique<Prepared>(behaviour_, counters, slow ? behaviour_.slow_preparation_factor : 1.0);
  }
  Counters counters;

 private:
  class Prepared final : public devices::PreparedGraph {
   public:
    Prepared(Behaviour behaviour, Counters& counters, double placement)
        : behaviour_(behaviour), counters_(counters), placement_(placement) {}
    void activate() override {
      ++counters_.activations;
      const bool jitter_now = behaviour_.jitter && (behaviour_.jitter_until_activations < 0 ||
                                                    counters_.activations <= behaviour_.jitter_until_activations);
      slow_ = jitter_now && !slow_;
    }
    bool single_threaded() const override { return behaviour_.single_threaded; }
    void run(int iterations) override {
      const bool host_slower =
          behaviour_.slower_after_activations >= 0 && counters_.activations > behaviour_.slower_after_activations &&
          (behaviour_.faster_after_activations < 0 || counters_.activations <= behaviour_.faster_after_activations);
      const double us =
          behaviour_.base_us * iterations * placement_ * (slow_ ? 2.0 : 1.0) * (host_slower ? behaviour_.slowdown : 1.0);
      const auto duration = std::chrono::duration<double, std::micro>(us);
      if (behaviour_.sleep) {
        std::this_thread::sleep_for(duration);
      } else {
        const auto until = std::chrono::steady_clock::now() + duration;
        while (std::chrono::steady_clock::now() < until) {
        }
      }
      counters_.runs += iterations;
    }

   private:
    Behaviour behaviour_;
    Counters& counters_;
    double placement_;  // this preparation's own speed factor
    bool slow_ = false;
  };
  Behaviour behaviour_;
};

/// A graph to hand a SpinPlatform, which runs any graph the same.
inline core::Graph tiny_graph() {
  core::Graph g;
  g.mark_output(g.unary(core::OpKind::kRelu, g.input({1, 4})));
  return g;
}

}  // namespace hwnas::test
