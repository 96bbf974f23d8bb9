// What a snapshot repository's files take (docs/FORMATS.md §3.12): snapshots share archives by
// hard link, so a file is known by its inode; the sum of every snapshot's sizes (logical) is more
// than what the disk holds (each inode once). One walk for ifx-inspect's listing, ifx-prune's
// bytes freed and the metrics.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "ifx/format/backup/repository.hpp"

namespace ifx {

// A regular file directly inside a snapshot directory.
struct SnapshotFile {
  dev_t device = 0;
  ino_t inode = 0;
  std::uint64_t size = 0;
  std::uint64_t links = 0;  // st_nlink: names it has anywhere
};

// The snapshot's regular files (unreadable entries are left out).
std::vector<SnapshotFile> snapshot_files(const Snapshot& snapshot);

struct SnapshotUsage {
  std::uint64_t logical_bytes = 0;  // every file of the snapshot
  std::uint64_t added_bytes = 0;    // files (inodes) no older snapshot holds: what it cost
};

struct RepositoryUsage {
  std::vector<SnapshotUsage> snapshots;  // as `snapshots`, oldest first
  std::uint64_t logical_bytes = 0;       // the snapshots' sum
  std::uint64_t on_disk_bytes = 0;       // each inode once
};

RepositoryUsage repository_usage(const std::vector<Snapshot>& snapshots);

}  // namespace ifx
