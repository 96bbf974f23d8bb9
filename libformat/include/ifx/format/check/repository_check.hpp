// The check of a snapshot repository (docs/FORMATS.md §3.12): every complete snapshot checked as
// the backup it is (backup_check.hpp), the archives snapshots share by hard link read once
// (read_once.hpp), and the repository's own state: `latest` must name the newest complete
// snapshot; snapshots being written or removed are reported, not checked.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "ifx/format/backup/repository.hpp"
#include "ifx/format/check/backup_check.hpp"

namespace ifx::check {

struct RepositoryCheckOptions {
  std::filesystem::path repository_dir;
  // Applied to every snapshot (backup_dir is set per snapshot). max_age_ns and expect_databases
  // apply to the newest snapshot only: they ask whether the repository is current, and an old
  // snapshot is old by design and may predate a database.
  BackupCheckOptions backup;
  bool latest_only = false;  // check the newest complete snapshot alone
};

struct SnapshotCheck {
  Snapshot snapshot;
  BackupCheckReport report;
};

struct RepositoryCheckReport {
  RepositoryCheckOptions options;
  std::vector<SnapshotCheck> snapshots;  // oldest first
  // Defects of the repository itself (`latest-invalid`), and snapshots that could not be
  // checked at all (their error, `file` naming the snapshot).
  std::vector<Error> defects;
  std::vector<std::string> notes;  // pending and half-removed snapshots, an older `latest`
  // File reads skipped because the same inode was hashed or checked clean earlier in the run.
  std::uint64_t reads_skipped = 0;
  std::uint64_t bytes_skipped = 0;

  bool valid() const;
  bool incomplete() const;  // some file could not be read ("io")
  Checked checked() const;  // the snapshots' sum
  std::size_t defect_count() const;
};

// Fails only on a usage problem or when the directory is not a readable repository.
Result<RepositoryCheckReport> check_repository(const RepositoryCheckOptions& options);

}  // namespace ifx::check
