// A digest of the data one shard of a backup holds: its TSM and tombstone files as the shard
// directory would have them after its archives are unpacked in order (a later same-named entry
// winning, docs/FORMATS.md §3.6, §3.8), independent of how the archives were compressed, which
// tar headers they carry and how a chain split them. Two backups whose shard gives the same digest
// restore the same files. Streamed: one entry's bytes pass through the hash a chunk at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "ifx/format/backup/backup_set.hpp"
#include "ifx/format/error.hpp"

namespace ifx {

struct ShardDataDigest {
  // SHA-256 (64 hex digits) over each `.tsm` and `.tombstone` file in name order (generation
  // order, §6.3): its name, its length and the SHA-256 of its bytes. Other files of the shard
  // (index files the engine rebuilds) play no part.
  std::string sha256;
  std::size_t files = 0;    // the files it covers
  std::uint64_t bytes = 0;  // their unpacked length
};

// Reads every archive of `shard` to its end (the reader's checks apply; a missing archive is
// "file-missing") and hashes the data files' bytes as they come.
Result<ShardDataDigest> digest_shard_data(const BackupSet& set, const ShardInBackup& shard);

}  // namespace ifx
