#pragma once
/// Progress of long work, in the style its stream can show. On a terminal: one line, redrawn at most
/// every `min_interval_seconds`. Anywhere else (a log file, CI, `nohup`): plain lines, one each time the
/// work passes another tenth of its total or has been silent for 5 minutes, and for work without a known
/// total one every 30 s, so a log shows a multi-hour run moving without being flooded by it.

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string_view>

namespace hwnas::core {

class ProgressLine {
 public:
  /// Seconds between two lines of work without a known total, when the stream is not a terminal.
  static constexpr double kLogIntervalSeconds = 30;
  /// The longest a log stays silent while work with a known total moves: a tenth of a multi-hour run
  /// (FBNet's grasp column, 6 h on two cores) would otherwise leave it still for over half an hour.
  static constexpr double kLogMaxSilenceSeconds = 300;

  /// Shows nothing when `enabled` is false (a --quiet run). `stream` being a terminal picks the style.
  explicit ProgressLine(bool enabled, double min_interval_seconds = 0.25, std::FILE* stream = stderr,
                        double log_max_silence_seconds = kLogMaxSilenceSeconds);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  bool enabled() const { return enabled_; }
  bool terminal() const { return terminal_; }

  /// Whether an update now would be shown (use it to skip building the text): for work without a known
  /// total, and for `done` of `total`. Completion (done >= total) is always shown.
  bool due() const;
  bool due(std::size_t done, std::size_t total) const;
  /// Shows `text` if due (or `force`).
  void update(std::string_view text, bool force = false);
  /// Shows `text`, the progress of `done` of `total`, if due. After a completion a new total starts
  /// afresh, so one line can follow several stages in turn.
  void update(std::string_view text, std::size_t done, std::size_t total);
  /// Ends the redrawn line (newline) if anything was drawn.
  void finish();

 private:
  void show(std::string_view text);

  std::FILE* stream_;
  bool enabled_;
  bool terminal_;
  double min_interval_;
  double log_max_silence_;
  bool drawn_ = false;          // something was shown since the start or the last finish()
  std::size_t last_width_ = 0;  // terminal: width of the line on screen
  std::size_t last_tenth_ = 0;  // log: tenths of the current total already written
  std::chrono::steady_clock::time_point last_;  // when a line was last shown (or the line was made)
};

}  // namespace hwnas::core
