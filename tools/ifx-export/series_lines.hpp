// The lines of one shard, series by series. The composite keys of a series are adjacent in key
// order (they share the prefix "<seriesKey>#!~#", docs/FORMATS.md §6.4) and sorted by field name, so
// a series is written by merging its fields' point streams by timestamp: one cursor and one
// decoded batch per field in memory, never the whole series.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ifx-export/output_sink.hpp"
#include "ifx/format/error.hpp"
#include "ifx/format/tsm/shard_points.hpp"

namespace ifx::exporter {

// Text on its way to the sink: handed over whenever it passes a threshold, so a long series
// never grows it beyond that plus one line.
class LineBuffer {
 public:
  explicit LineBuffer(OutputSink& sink, std::size_t flush_at = 1 << 20) : sink_(&sink), flush_at_(flush_at) {
    text_.reserve(flush_at + (64 << 10));
  }
  std::string& text() { return text_; }
  Result<void> flush_if_full() { return text_.size() >= flush_at_ ? flush() : Result<void>{}; }
  Result<void> flush();
  std::uint64_t bytes_produced() const { return produced_ + text_.size(); }

 private:
  OutputSink* sink_;
  std::size_t flush_at_;
  std::string text_;
  std::uint64_t produced_ = 0;
};

struct SeriesCounts {
  std::uint64_t points = 0;  // distinct timestamps written (0 in per-field mode)
  std::uint64_t values = 0;
  std::uint64_t lines = 0;
};

// Points outside [min, max] (both inclusive) are not written; blocks wholly outside are not
// even read.
struct ExportRange {
  std::int64_t min;
  std::int64_t max;
};

// Writes one series: `keys` are all its composite keys, in key order (so by field name). Default
// mode: one line per timestamp with every field that has a value then (§8.1 fields joined,
// sorted by key bytes). Per-field mode: one line per value, key by key (influx_inspect export).
Result<SeriesCounts> write_series(const tsm::ShardPoints& points, const std::vector<tsm::KeyInfo>& keys,
                                  ExportRange range, bool per_field, LineBuffer& out);

// Drops the blocks of `key` that lie wholly outside `range`; false when none is left.
bool restrict_to_range(tsm::KeyInfo& key, ExportRange range);

}  // namespace ifx::exporter
