// Human output shared by the tools: sizes in KiB/MiB, times in RFC 3339, durations as InfluxQL
// writes them, and aligned tables.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ifx::cli {

// 512 B, 1.5 KiB, 23.0 MiB, 1.20 GiB
std::string format_bytes(std::uint64_t bytes);
// Unix nanoseconds as RFC 3339 in UTC with the fraction trimmed (Go's RFC3339Nano):
// 0 → 1970-01-01T00:00:00Z, -1 → 1969-12-31T23:59:59.999999999Z.
std::string format_rfc3339(std::int64_t unix_ns);
// Durations as SHOW RETENTION POLICIES prints them: 0 → "0s" (infinite), 168h0m0s, 1h30m0s.
std::string format_go_duration(std::int64_t ns);

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
