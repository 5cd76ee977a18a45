#pragma once
/// A one-line progress display on stderr, redrawn at most a few times per second, shown only when
/// enabled and stderr is a terminal.

#include <chrono>
#include <string>
#include <string_view>

namespace hwnas::core {

class ProgressLine {
 public:
  explicit ProgressLine(bool enabled, double min_interval_seconds = 0.25);
  ~ProgressLine();

  bool enabled() const { return enabled_; }
  /// True when an update now would be drawn (use it to skip building the text).
  bool due() const;
  /// Redraws the line with `text` if due (or `force`).
  void update(std::string_view text, bool force = false);
  /// Ends the line (newline) if anything was drawn.
  void finish();

 private:
  bool enabled_;
  double min_interval_;
  bool drawn_ = false;
  std::size_t last_width_ = 0;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace hwnas::core
