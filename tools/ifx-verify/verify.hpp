// ifx-verify: proves a backup directory restorable, byte by byte (issue 4). Every manifest, meta
// file and shard archive is read to its end; every TSM block's CRC is checked and (unless quick)
// the block decoded and its time range compared with the index. Checking keeps going after a
// defect and reports all of them. The operation is a function over an options struct so tests
// call it in-process; main.cpp only parses flags.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ifx/format/archive/shard_archive.hpp"
#include "ifx/format/error.hpp"

namespace ifx::verify {

struct Options {
  std::filesystem::path backup_dir;
  bool quick = false;  // structure and CRCs only: TSM blocks are not decoded
  std::optional<std::string> database;
  std::optional<std::string> retention_policy;
  std::optional<std::uint64_t> shard;
  std::optional<std::int64_t> max_age_ns;    // "backup-too-old" when the newest backup is older
  std::vector<std::string> expect_databases; // "db-missing" / "db-empty"
  unsigned jobs = 0;                         // shards checked in parallel; 0 = number of cores
  std::filesystem::path scratch_root;        // where a shard is spooled; empty = $TMPDIR or /tmp
  std::optional<std::int64_t> now_ns;        // "now" for --max-age; unset = the wall clock
  std::size_t max_defects_per_entry = 100;   // further defects of one archive entry are counted
  // How a shard archive is opened; unset: ShardArchiveReader::open. ifx-backup's stream check
  // passes one that reads the tar from a pipe as it arrives.
  std::function<Result<ShardArchiveReader>(const std::filesystem::path&, ShardArchiveReaderOptions)> open_archive;
};

// What was read. `bytes` counts the on-disk bytes of every file read in the backup directory.
struct Checked {
  std::uint64_t files = 0;      // manifests, meta files and archives read
  std::uint64_t archives = 0;   // shard archive files read
  std::uint64_t tsm_files = 0;  // TSM entries checked (every copy, also superseded ones)
  std::uint64_t blocks = 0;     // TSM blocks whose CRC was checked
  std::uint64_t points = 0;     // values decoded (0 with quick)
  std::uint64_t bytes = 0;

  Checked& operator+=(const Checked& o);
};

struct Report {
  Options options;
  Checked checked;
  // Each defect: code (README table), file (name inside the backup directory), entry (path inside
  // the archive, "" when none), offset (inside the entry for TSM/tombstone problems, inside the
  // tar stream for tar problems, inside the file for compression and meta problems).
  std::vector<Error> defects;
  // Not defects: duplicate entry names (legal, influxd's export writes them), shards of the meta
  // that this backup does not hold when it records no scope, defects left unlisted past the cap.
  std::vector<std::string> notes;

  bool valid() const { return defects.empty(); }
  // 0 valid, 1 defects, 2 an I/O error kept us from reading something (README "Exit codes").
  int exit_code() const;
};

// Checks the backup. Fails only on a usage problem (e.g. --expect-db outside the -db filter) or
// when the directory cannot be read at all ("io"); everything wrong with the backup itself, an
// unreadable meta included, is a defect in the report.
Result<Report> run(const Options& options);

// {"valid", "backup", "checked": {...}, "defects": [{"code","file","entry","offset","message"}]}
nlohmann::ordered_json to_json(const Report& report);
// One line per defect, the notes, what was checked, the verdict.
std::string to_text(const Report& report);

}  // namespace ifx::verify
