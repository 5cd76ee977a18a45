#pragma once
/// SIGINT/SIGTERM handling for a running search. While an InterruptGuard is alive, these signals only
/// set a flag that the engine polls between batches (it then checkpoints and returns cleanly); a
/// second signal restores the default action and re-raises it, ending the process at once.
/// The flag is process-wide: run one search at a time when signal handling is on.

namespace hwnas::search {

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
  /// Asks the running search to stop as a signal would (async-signal-safe).
  static void request();

 private:
  bool installed_ = false;
};

}  // namespace hwnas::search
