#pragma once
// Profiler settings for tests that check behaviour, not precision: few samples and a short warm-up.

#include "hwnas/devices/profiler.h"

namespace hwnas::test {

inline devices::ProfileOptions quick_profile_options() {
  devices::ProfileOptions o;
  o.warmup_runs = 2;
  o.min_warmup_ms = 1;
  o.repeats = 5;
  o.rounds = 2;
  o.max_remeasure = 0;
  o.min_sample_ms = 0.2;
  return o;
}

/// One warm-up run and two rounds of four samples per graph, never re-measured for its spread: measuring
/// n graphs interleaved activates a test::SpinPlatform exactly 3n times (1 warm-up + 2 blocks each), so
/// tests can time a host slowdown to the activation.
inline devices::ProfileOptions exact_activation_profile() {
  devices::ProfileOptions o;
  o.warmup_runs = 1;
  o.min_warmup_ms = 0;
  o.repeats = 4;
  o.rounds = 2;
  o.min_sample_ms = 0.1;
  o.max_rel_spread = 100;
  return o;
}

}  // namespace hwnas::test
