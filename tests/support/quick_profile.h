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

}  // namespace hwnas::test
