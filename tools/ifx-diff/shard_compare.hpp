// ifx-diff's comparison of one shard present in either backup or both: the fast ways first (the
// same files on disk, the same recorded SHA-256), then the digest of the unpacked data, and with
// --deep the points of each measurement.
#pragma once

#include "ifx-diff/diff.hpp"

namespace ifx::diff {

// The shard in each backup; nullptr where that backup does not hold it (not both).
struct ShardPair {
  const ShardInBackup* old_shard = nullptr;
  const ShardInBackup* new_shard = nullptr;
};

ShardDiff compare_shard(const Options& options, const BackupSet& old_set, const BackupSet& new_set,
                        const ShardPair& pair);

}  // namespace ifx::diff
