#include "hwnas/core/progress.h"

#include <unistd.h>

namespace hwnas::core {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

ProgressLine::ProgressLine(bool enabled, double min_interval_seconds, std::FILE* stream,
                           double log_max_silence_seconds)
    : stream_(stream),
      enabled_(enabled && stream != nullptr),
      terminal_(stream != nullptr && ::isatty(::fileno(stream)) == 1),
      min_interval_(min_interval_seconds),
      log_max_silence_(log_max_silence_seconds),
      last_(std::chrono::steady_clock::now()) {}

ProgressLine::~ProgressLine() { finish(); }

bool ProgressLine::due() const {
  if (!enabled_) return false;
  if (!drawn_) return true;
  return seconds_since(last_) >= (terminal_ ? min_interval_ : kLogIntervalSeconds);
}

bool ProgressLine::due(std::size_t done, std::size_t total) const {
  if (!enabled_) return false;
  if (done >= total) return true;
  if (terminal_) return due();
  return done * 10 / total > last_tenth_ || seconds_since(last_) >= log_max_silence_;
}

void ProgressLine::update(std::string_view text, bool force) {
  if (force ? enabled_ : due()) show(text);
}

void ProgressLine::update(std::string_view text, std::size_t done, std::size_t total) {
  if (!due(done, total)) return;
  show(text);
  last_tenth_ = done >= total ? 0 : done * 10 / total;
}

void ProgressLine::show(std::string_view text) {
  if (terminal_) {
    // Pad with spaces over a longer previous line, then return to column 0 for the next redraw.
    const std::size_t pad = last_width_ > text.size() ? last_width_ - text.size() : 0;
    std::fprintf(stream_, "\r%.*s%*s", static_cast<int>(text.size()), text.data(), static_cast<int>(pad), "");
    last_width_ = text.size();
  } else {
    std::fprintf(stream_, "%.*s\n", static_cast<int>(text.size()), text.data());
  }
  std::fflush(stream_);
  drawn_ = true;
  last_ = std::chrono::steady_clock::now();
}

void ProgressLine::finish() {
  if (enabled_ && terminal_ && last_width_ > 0) {
    std::fputc('\n', stream_);
    std::fflush(stream_);
  }
  drawn_ = false;  // the next work shows its first update at once
  last_width_ = 0;
  last_tenth_ = 0;
}

}  // namespace hwnas::core
