// A "\r"-rewritten status line on stderr for long runs: only when stderr is a terminal, at most
// every 250 ms, and only once `delay` has passed (short runs print nothing).
#pragma once

#include <chrono>
#include <string_view>

namespace ifx::cli {

class StatusLine {
 public:
  explicit StatusLine(std::chrono::milliseconds delay = std::chrono::milliseconds(0));
  // Shows `text` unless the last update was under 250 ms ago; `force` shows it anyway (e.g.
  // the last shard finished).
  void update(std::string_view text, bool force = false);
  // Ends the line with a newline if anything was shown.
  void end();

 private:
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_{};
  std::chrono::milliseconds delay_;
};

}  // namespace ifx::cli
