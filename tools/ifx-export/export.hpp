// ifx-export: a backup's points as line protocol, read straight from the backup without a
// server. Overwrites resolved (newest TSM file wins, docs/FORMATS.md §6.2), tombstones
// applied (§6.6), -start/-end exact to the nanosecond, canonical formatting of §8, optional
// `influx -import` framing (§8.4). The operation is a function over an options struct so tests
// call it in-process; main.cpp only parses flags.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ifx-export/output_sink.hpp"
#include "ifx/format/error.hpp"

namespace ifx::exporter {

struct Options {
  std::filesystem::path backup_dir;
  std::optional<std::string> database;
  std::optional<std::string> retention_policy;
  std::optional<std::uint64_t> shard;
  std::int64_t start_ns = std::numeric_limits<std::int64_t>::min();  // inclusive
  std::int64_t end_ns = std::numeric_limits<std::int64_t>::max();    // inclusive
  bool per_field = false;              // one line per field value (influx_inspect export) instead of per point
  bool header = false;                 // # DDL / # DML / # CONTEXT-… framing for `influx -import`
  std::filesystem::path scratch_root;  // where one shard at a time is unpacked; empty: $TMPDIR or /tmp
};

struct ScopeCounts {
  std::string database;
  std::string retention_policy;
  std::uint64_t shards = 0;  // shards read
  std::uint64_t series = 0;  // series with a value in range, counted once per shard
  std::uint64_t points = 0;  // distinct (series, timestamp); 0 with per_field
  std::uint64_t values = 0;  // field values written
  std::uint64_t lines = 0;   // data lines written
};

struct Progress {
  std::uint64_t shards_done = 0;
  std::uint64_t shards_total = 0;
  std::uint64_t values = 0;
  std::uint64_t bytes = 0;  // line protocol bytes produced (before compression)
};

struct Summary {
  Options options;
  std::uint64_t shards = 0;
  std::uint64_t series = 0;
  std::uint64_t points = 0;
  std::uint64_t values = 0;
  std::uint64_t lines = 0;
  std::uint64_t bytes = 0;            // line protocol bytes produced (framing included)
  std::uint64_t output_bytes = 0;     // bytes written to the destination (after gzip)
  std::vector<ScopeCounts> scopes;    // per database / retention policy, in backup order
  std::vector<std::string> warnings;  // backup problems that did not stop the export
};

// Called every few thousand lines while exporting; the caller decides what to show.
using ProgressCallback = std::function<void(const Progress&)>;

// Writes the export into `sink` (it does not call sink.finish(): the caller does, so a failed
// export leaves a file sink uncommitted). Fails on the first unreadable shard or write error; the
// error names the backup file, the entry (db/rp/id/file) and the offset where known.
Result<Summary> run(const Options& options, OutputSink& sink, const ProgressCallback& progress = {});

// The whole command: the output opened (`out` "-" is stdout; a file is written as FILE.pending and
// renamed once complete, so a failed export leaves none), gzip around it when asked, the export
// run into it, the output finished; `output_bytes` filled in.
Result<Summary> export_to(const Options& options, const std::string& out, bool gzip,
                          const ProgressCallback& progress = {});

// {"backup", "per_field", "start", "end", "shards", "series", "points", "values",
//  "lines", "bytes", "output_bytes", "scopes": [{"database", "retention_policy", "shards",
//  "series", "points", "values", "lines"}], "warnings": [...]}; "points" null with per_field.
nlohmann::ordered_json to_json(const Summary& summary);

}  // namespace ifx::exporter
