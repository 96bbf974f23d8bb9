// ifx-diff: what differs between two backups (portable or legacy, a snapshot of a repository or
// its latest): databases, retention policies and shards added, removed or changed. A shard is
// compared by the data it restores to, not by its archive bytes (two backups of the same data
// differ in base names, compression and tar headers): the manifests' SHA-256 or the same file on
// disk decide at once when they can, the unpacked TSM data's digest otherwise; --deep counts and
// hashes the points of what differs, per measurement. The operation is a function over an options
// struct so tests call it in-process; main.cpp only parses flags.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ifx/format/backup/backup_set.hpp"
#include "ifx/format/error.hpp"

namespace ifx::diff {

// Exit codes, as diff(1) has them: 0 the backups hold the same, 1 they differ, 2 a usage error
// (cli::kUsage), and 3 when a backup or one of its shards could not be read, so the answer is
// not known.
inline constexpr int kExitSame = 0;
inline constexpr int kExitDiffer = 1;
inline constexpr int kExitUnreadable = 3;

struct Options {
  // Each: a backup directory (portable or legacy), a snapshot REPO/<base>, REPO/latest, or a
  // repository REPO itself (its latest snapshot).
  std::filesystem::path old_backup;
  std::filesystem::path new_backup;
  bool deep = false;  // per-measurement series, points and values of the shards that differ
  std::optional<std::string> database;
  std::optional<std::string> retention_policy;
  std::optional<std::uint64_t> shard;
  unsigned jobs = 0;                   // shards compared at once; 0: the number of cores
  std::filesystem::path scratch_root;  // where --deep unpacks a shard; empty: $TMPDIR or /tmp
};

// (The order is that of the names and counters in diff.cpp.)
enum class Status { added, removed, changed, unchanged, unreadable };
std::string_view to_string(Status s);

// What decided a shard's status.
enum class Evidence {
  none,      // added, removed, or unreadable: nothing to compare
  inode,     // every archive the same file (a snapshot sharing the other's archive by hard link)
  manifest,  // every archive recorded with the same SHA-256 and size by both manifests
  content,   // the digests of the unpacked TSM and tombstone files (shard/shard_digest.hpp)
};
std::string_view to_string(Evidence e);

struct MeasurementDiff {
  std::string name;
  Status status = Status::unchanged;
  std::uint64_t old_series = 0, new_series = 0;
  std::uint64_t old_points = 0, new_points = 0;
  bool values_differ = false;  // the value digests differ (shard/shard_stats.hpp)
};

struct ShardDiff {
  std::string database;
  std::string retention_policy;
  std::uint64_t shard_id = 0;
  Status status = Status::unchanged;
  Evidence how = Evidence::none;
  std::vector<MeasurementDiff> measurements;  // --deep, for shards not unchanged; by name
  std::optional<Error> error;                 // unreadable: why
  std::string error_in;                       // unreadable: "old" or "new"
};

struct RetentionPolicyDiff {
  std::string name;
  Status status = Status::unchanged;
  std::vector<std::string> differences;  // its settings, e.g. "duration 168h0m0s → 336h0m0s"
};

struct DatabaseDiff {
  std::string name;
  Status status = Status::unchanged;
  std::vector<std::string> differences;                 // default retention policy, continuous queries
  std::vector<RetentionPolicyDiff> retention_policies;  // by name
};

// One of the two backups: what was named and what was read.
struct Side {
  std::filesystem::path given;
  std::filesystem::path dir;  // the backup directory read (a repository: its latest snapshot)
  BackupSet set;
};

struct StatusCounts {
  std::size_t added = 0, removed = 0, changed = 0, unchanged = 0, unreadable = 0;
  void add(Status s);
};

struct Report {
  Options options;
  Side old_side;
  Side new_side;
  std::vector<DatabaseDiff> databases;  // within the filters, by name
  std::vector<ShardDiff> shards;        // within the filters, by database, RP and shard ID
  double elapsed_seconds = 0;

  // Every shard read (none unreadable).
  bool complete() const;
  // Complete, and nothing added, removed or changed.
  bool same() const;
};

// kExitSame, kExitDiffer or kExitUnreadable.
int exit_code(const Report& report);

// Opens both backups and compares what the filters select. Fails when a backup cannot be opened
// at all (no usable meta; "io" for a path that is no directory) or a filter names what neither
// backup holds ("not-in-backup"); an unreadable shard is reported in its ShardDiff.
Result<Report> run(const Options& options);

// {"tool": "ifx-diff", "old", "new", "deep", "filters", "same", "complete", "summary",
//  "databases", "shards", "elapsed_seconds"} (README "ifx-diff").
nlohmann::ordered_json to_json(const Report& report);
// What differs, nested database → retention policy → shard → measurement, then the counts.
std::string to_text(const Report& report);

}  // namespace ifx::diff
