// One shard of the backup turned into the single plain tar an upload sends (docs/FORMATS.md §1.6.5,
// §4.5): every archive of the shard applied oldest → newest (a later same-named file wins, §3.6,
// §4.3), entries renamed to `<db>/<rp>/<new id>/<file>`.
//
// The fast path streams entry by entry from the archives into the staged tar (memory stays
// bounded, nothing unpacked). It falls back to unpacking the shard when a file name repeats
// (influxd writes each uploaded entry to `<name>.tmp` opened without O_TRUNC, so a later shorter
// copy in the same tar would leave the tail of the earlier one: the tar must name every file once)
// or when the shard holds tombstones, which the server drops on upload (§4.5) and which must
// therefore be applied before: deleted points stay deleted.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "ifx/format/backup/backup_set.hpp"
#include "ifx/format/error.hpp"

namespace ifx::restore {

struct ShardTarget {
  std::string database;
  std::string retention_policy;
  std::uint64_t shard_id = 0;
};

struct StagedShard {
  std::filesystem::path tar;  // plain tar, removed by the destructor
  std::uint64_t bytes = 0;    // its size
  std::size_t archives = 0;   // backup files applied
  std::size_t tsm_files = 0;
  bool tombstones = false;          // the shard held .tombstone files
  bool tombstones_applied = false;  // their deletions are materialised in the staged TSM files

  StagedShard() = default;
  StagedShard(StagedShard&&) noexcept;
  StagedShard& operator=(StagedShard&&) noexcept;
  ~StagedShard();
};

// Writes the staged tar under `scratch_dir` (which must exist).
Result<StagedShard> stage_shard(const BackupSet& set, const ShardInBackup& shard, const ShardTarget& target,
                                const std::filesystem::path& scratch_dir);

}  // namespace ifx::restore
