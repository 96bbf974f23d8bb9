// The check of a whole backup directory, byte by byte: every manifest, meta file and shard
// archive read to its end; every TSM block's CRC checked and (unless quick) the block decoded and
// its time range compared with the index; the directory against its manifests and naming rules;
// the shards against the meta store and the scope the backup records; recorded SHA-256s; and what
// CI expects of a backup (its age, the databases it must hold). Checking keeps going after a
// defect and reports all of them, in a stable order: directory first, then shards in meta order,
// then the expectations. Shards are checked in parallel, one shard on scratch disk per job.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ifx/format/backup/backup_set.hpp"
#include "ifx/format/check/defect_sink.hpp"
#include "ifx/format/check/shard_check.hpp"

namespace ifx::check {

class ReadOnce;  // check/read_once.hpp

struct BackupCheckOptions {
  std::filesystem::path backup_dir;
  bool quick = false;                           // structure and CRCs only: TSM blocks are not decoded
  std::optional<std::string> database;          // only this database's shards
  std::optional<std::string> retention_policy;  // only this retention policy's shards
  std::optional<std::uint64_t> shard;           // only this shard
  std::optional<std::int64_t> max_age_ns;       // "backup-too-old" when the newest backup is older
  std::vector<std::string> expect_databases;    // "db-missing" / "db-empty"
  unsigned jobs = 0;                            // shards checked in parallel; 0 = number of cores
  std::filesystem::path scratch_root;           // where a shard is unpacked; empty = default
  std::optional<std::int64_t> now_ns;           // "now" for max_age; unset = the wall clock
  std::size_t max_defects_per_entry = 100;      // further defects of one archive entry are counted
  // Files already read in this run, by inode (check/read_once.hpp): the caller's, shared by the
  // checks of several backups that hard-link the same archives; null: every file is read.
  ReadOnce* read_once = nullptr;
  // A legacy backup holding some but not all live shards of a database: "shard-missing" instead
  // of a warning (legacy backups record no scope, so a lost archive is otherwise only a warning).
  bool expect_complete = false;

  // The shard lies inside the database / retention policy / shard filters.
  bool selects(const std::string& db, const std::string& rp, std::uint64_t shard_id) const;
};

struct BackupCheckReport {
  BackupCheckOptions options;
  Checked checked;
  // Each defect: code (docs' defect table), file (name inside the backup directory), entry (path
  // inside the archive, "" when none), offset (inside the entry for TSM/tombstone problems, inside
  // the tar stream for tar problems, inside the file for compression and meta problems).
  std::vector<Error> defects;
  // Not defects: duplicate entry names (legal, influxd's export writes them), shards of the meta
  // that this backup does not hold when it records no scope, defects left unlisted past the cap.
  std::vector<std::string> notes;
  // Not defects either, but likely a problem: a legacy backup missing some shards of a database
  // it holds (a defect with expect_complete).
  std::vector<std::string> warnings;

  bool valid() const { return defects.empty(); }
  // Some file could not be read at all (a defect with code "io"): the check is incomplete.
  bool incomplete() const;
};

// Checks the backup. Fails only on a usage problem (an expected database outside the database
// filter: "usage") or when the directory cannot be read at all ("io"); everything wrong with the
// backup itself, an unreadable meta included, is a defect in the report.
Result<BackupCheckReport> check_backup(const BackupCheckOptions& options);

// The same for a backup stream (docs/FORMATS.md §3.13): `backup_dir` is "-" (stdin) or a file
// (a saved stream, backup.tar). Read once, in order, each shard archive spooled to scratch space
// (one at a time) and checked as in a directory; the manifest at the end is then held against
// what came: every file it lists present with its SHA-256 and tar size, nothing else in the
// stream. A stream cut short (no manifest, a truncated entry) is "tar-truncated"; names that are
// no backup file, or not plain file names, are "file-unexpected" / "unsafe-path". check_backup
// calls it for such a `backup_dir`.
Result<BackupCheckReport> check_backup_stream(const BackupCheckOptions& options);

// The checks of the directory as a whole, without reading shard archives: what open_backup_set
// found, files nothing accounts for, the manifests' entries, every meta file, legacy increment
// chains, recorded SHA-256s, and the shards against the meta store and the recorded scope
// (docs/FORMATS.md §2, §3, §5.3). ifx-convert applies these before converting.
void check_backup_level(const BackupSet& set, const BackupCheckOptions& options, DefectSink& sink, Checked& checked);

// Files whose manifest entry records "sha256" must still hash to it (selected shards only).
void check_recorded_sha256(const BackupSet& set, const BackupCheckOptions& options, DefectSink& sink);
// max_age: the newest backup in the directory is recent enough.
void check_freshness(const BackupSet& set, const BackupCheckOptions& options, DefectSink& sink);
// expect_databases: each is in the meta store and holds data (`blocks_per_database`: TSM blocks
// the shard checks found).
void check_expected_databases(const BackupSet& set, const BackupCheckOptions& options,
                              const std::map<std::string, std::uint64_t>& blocks_per_database, DefectSink& sink);

}  // namespace ifx::check
