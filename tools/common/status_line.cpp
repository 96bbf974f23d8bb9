#include "common/status_line.hpp"

#include <unistd.h>

#include <iostream>

namespace ifx::cli {

StatusLine::StatusLine(std::chrono::milliseconds delay)
    : enabled_(::isatty(2) == 1), start_(std::chrono::steady_clock::now()), delay_(delay) {}

void StatusLine::update(std::string_view text, bool force) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - start_ < delay_) return;
  if (!force && now - last_ < std::chrono::milliseconds(250)) return;
  last_ = now;
  shown_ = true;
  std::cerr << '\r' << text << "   " << std::flush;
}

void StatusLine::end() {
  if (shown_) std::cerr << "\n";
}

}  // namespace ifx::cli
