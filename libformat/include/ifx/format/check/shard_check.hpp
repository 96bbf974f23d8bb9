// The check of one shard: its archives read in order on the one walk of shard/shard_files.hpp
// (a legacy shard's .NN increments, a portable manifest chain's files, docs/FORMATS.md §3.6,
// §3.8), each entry unpacked to a scratch directory so the TSM reader can seek (the index is at
// the end, §6.1) and checked there, a later copy replacing an earlier one. Every copy of every
// TSM file is checked, superseded ones too: their bytes are part of the backup. An archive that
// fails ends with its defect and the next one is read. Only this shard is on disk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ifx/format/backup/backup_set.hpp"
#include "ifx/format/check/defect_sink.hpp"
#include "ifx/format/shard/shard_files.hpp"

namespace ifx::check {

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

struct ShardCheckOptions {
  bool quick = false;                  // structure and CRCs only: TSM blocks are not decoded
  std::filesystem::path scratch_root;  // where the shard is unpacked; empty: default_scratch_root()
  std::size_t max_defects_per_entry = 100;
  // Keep the shard's files (after merging) in ShardCheck::files for the caller to write out;
  // otherwise they are removed before the check returns.
  bool keep_files = false;
  // After each archive was read, with its on-disk size (progress).
  std::function<void(std::uint64_t file_bytes)> on_archive_read;
};

struct ShardCheck {
  Checked checked;
  std::vector<Error> defects;
  std::vector<std::string> notes;  // defects past the cap
  // Entry names an archive holds more than once (legal, §4.4): one note for a whole backup
  // (duplicate_entries_note), not one per archive.
  std::vector<EntryOrigin> duplicate_entries;
  std::uint64_t data_blocks = 0;       // TSM blocks found (a database "holds data")
  std::uint64_t tar_bytes = 0;         // uncompressed tar bytes of the archives read
  std::optional<UnpackedShard> files;  // keep_files: the shard's files, each entry's mode and mtime

  bool valid() const { return defects.empty(); }
};

// Checks the given archives of one shard (entries must name `expect`'s shard; a manifest `size`
// must equal the tar's length, §3.4). `archives` that are `missing` are skipped: a missing file is
// a defect of the backup as a whole (backup_check.hpp).
ShardCheck check_shard_archives(const std::vector<ShardArchiveSource>& archives, const ShardExpectation& expect,
                                const ShardCheckOptions& options);
// The same for a shard of a backup.
ShardCheck check_shard(const BackupSet& set, const ShardInBackup& shard, const ShardCheckOptions& options);

// The one note for every duplicate entry name found: how many, in how many archives, the first
// few named. Nothing when there are none.
std::optional<std::string> duplicate_entries_note(const std::vector<EntryOrigin>& duplicates);

}  // namespace ifx::check
