#include "hwnas/core/progress.h"

#include <cstdio>

#include <unistd.h>

namespace hwnas::core {

ProgressLine::ProgressLine(bool enabled, double min_interval_seconds)
    : enabled_(enabled && ::isatty(STDERR_FILENO) == 1), min_interval_(min_interval_seconds) {}

ProgressLine::~ProgressLine() { finish(); }

bool ProgressLine::due() const {
  if (!enabled_) return false;
  if (!drawn_) return true;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - last_).count() >= min_interval_;
}

void ProgressLine::update(std::string_view text, bool force) {
  if (!enabled_ || (!force && !due())) return;
  // Pad with spaces over a longer previous line, then return to column 0 for the next redraw.
  const std::size_t pad = last_width_ > text.size() ? last_width_ - text.size() : 0;
  std::fprintf(stderr, "\r%.*s%*s", static_cast<int>(text.size()), text.data(), static_cast<int>(pad), "");
  std::fflush(stderr);
  last_width_ = text.size();
  drawn_ = true;
  last_ = std::chrono::steady_clock::now();
}

void ProgressLine::finish() {
  if (enabled_ && drawn_) {
    std::fputc('\n', stderr);
    std::fflush(stderr);
  }
  drawn_ = false;
  last_width_ = 0;
}

}  // namespace hwnas::core
