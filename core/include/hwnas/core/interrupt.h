#pragma once
/// SIGINT/SIGTERM handling for long work (a search, a profiling campaign). While an InterruptGuard is
/// alive, these signals only set a flag that the work polls between batches (it then saves its state
/// and returns cleanly); a second signal restores the default action and re-raises it, ending the
/// process at once. The flag is process-wide: run one such job at a time when signal handling is on.

namespace hwnas::core {

class InterruptGuard {
 public:
  /// Installs the handlers when `install`; clears the flag either way.
  explicit InterruptGuard(bool install = true);
  /// Restores the previous handlers.
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  /// True once a signal arrived (or request() was called).
  static bool requested();
  /// Asks the running job to stop as a signal would (async-signal-safe).
  static void request();

 private:
  bool installed_ = false;
};

}  // namespace hwnas::core
