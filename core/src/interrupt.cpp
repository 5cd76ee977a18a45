#include "hwnas/core/interrupt.h"

#include <atomic>
#include <csignal>

namespace hwnas::core {

namespace {

std::atomic<bool> g_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal flag must be lock-free");

struct sigaction g_old_int, g_old_term;

extern "C" void on_signal(int signal) {
  if (g_requested.exchange(true)) {  // second signal: give up waiting, die as the default action says
    std::signal(signal, SIG_DFL);
    std::raise(signal);
  }
}

}  // namespace

InterruptGuard::InterruptGuard(bool install) {
  g_requested = false;
  if (!install) return;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, &g_old_int);
  sigaction(SIGTERM, &action, &g_old_term);
  installed_ = true;
}

InterruptGuard::~InterruptGuard() {
  if (!installed_) return;
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
}

bool InterruptGuard::requested() { return g_requested.load(); }

void InterruptGuard::request() { g_requested.store(true); }

}  // namespace hwnas::core
