// Human output shared by the tools: sizes in KiB/MiB and aligned tables. Times and durations
// InfluxDB itself prints are printed as Go prints them, by libformat's text/rfc3339.hpp and
// text/go_duration.hpp; ages ("7d19h") by text::format_human_duration there, because libformat's
// checks put them into their messages too.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ifx::cli {

// 512 B, 1.5 KiB, 23.0 MiB, 1.20 GiB
std::string format_bytes(std::uint64_t bytes);

// A table printed with every column padded to its widest cell; numbers right-aligned.
class Table {
 public:
  explicit Table(std::vector<std::string> headers, std::vector<bool> right_aligned = {});
  void add_row(std::vector<std::string> cells);
  bool empty() const { return rows_.empty(); }
  std::string render(const std::string& indent = "") const;

 private:
  std::vector<std::string> headers_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace ifx::cli
