// The pieces of ifx-backup's operation, shared by its source files only (not a public API).
#pragma once

#include <atomic>
#include <map>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "ifx-backup/backup.hpp"
#include "ifx/format/backup/backup_writer.hpp"
#include "ifx/format/backup/file_names.hpp"
#include "ifx/format/backup/repository.hpp"
#include "ifx/format/check/shard_check.hpp"
#include "ifx/format/meta/meta_store.hpp"
#include "ifx/format/archive/shard_archive.hpp"
#include "ifx/format/shard/shard_files.hpp"
#include "ifx/format/shard/shard_on_disk.hpp"
#include "ifx/format/tsm/shard_points.hpp"
#include "ifx/net/snapshot/snapshot_client.hpp"

namespace ifx::backup::detail {

// One shard the backup must hold, with where the meta store places it.
struct PlannedShard {
  std::string database;
  std::string retention_policy;
  std::uint64_t shard_id = 0;
  // -start/-end: false when the shard group's [start, end) misses the range, so the shard can
  // hold no point in it and is written as an empty archive without asking the server.
  bool overlaps_range = true;
};

// ---- plan.cpp ---------------------------------------------------------------------------------
// Checks the flag combinations influxd checks (and a few more), in plain words: "usage".
Result<void> check_options(const Options& o);
// The inclusive range of -start/-end (a missing bound is the end of int64 time); nullopt without.
std::optional<tsm::TimeRange> keep_range(const Options& o);
// Where the shards come from, for the plan: a running server (its info requests, §1.3 types 3
// and 4) or a stopped one's directories (offline.cpp).
struct ShardSource {
  std::string name;  // for messages: "localhost:8088", or the data directory
  // The shards of database `db` ("": every database), only retention policy `rp` when given.
  std::function<Result<std::vector<net::ShardPath>>(const std::string& db, const std::optional<std::string>& rp)> list;
  // Whether the shard exists there (-shard N); the meta store may list shards a node lacks.
  std::function<bool(std::uint64_t shard_id)> holds = [](std::uint64_t) { return true; };
};
ShardSource server_shards(net::SnapshotClient& client);

// ---- offline.cpp ------------------------------------------------------------------------------
// --offline: a stopped server's meta store and the shards it has directories for.
struct OfflineSource {
  std::string name;       // the data directory, for messages
  std::string meta_blob;  // meta.db as it is: a meta.Data blob (§5)
  meta::MetaData meta;
  std::map<std::uint64_t, ShardOnDisk> shards;  // those the meta store lists, by ID
  std::vector<std::string> notes;
  ShardSource source() const;  // valid while this object lives
};
// Checks the directories (fills o.wal_dir when it is found beside the data directory), refuses
// while a process holds them ("server-running"), reads meta.db and finds the shards.
Result<OfflineSource> open_offline(Options& o);

// docs/FORMATS.md §1.9, §2.5, §3.5: which shards, in the order influxd would fetch them. Unknown
// names are found in `meta` first, so the message can list what exists ("invalid-argument").
Result<std::vector<PlannedShard>> plan_shards(const Options& o, const ShardSource& source, const meta::MetaData& meta);

// ---- archive_check.cpp ------------------------------------------------------------------------
// The check of one shard archive in `dir` (tar complete, every TSM block's CRC, the tar length
// equal to `tar_bytes` when given). The first defect comes back as the error, the count of the
// others in its message; else what was read (the TSM files among it). `open_archive` replaces how
// the file is opened (unset: by its path).
using ArchiveOpener = std::function<Result<ShardArchiveReader>(ShardArchiveReaderOptions)>;
Result<check::Checked> check_archive(const std::filesystem::path& dir, const std::string& file_name,
                                     const PlannedShard& shard, std::optional<std::uint64_t> tar_bytes,
                                     const std::filesystem::path& scratch_root, ArchiveOpener open_archive = {});
// The uncompressed tar length of an archive read to its end (all reader checks apply).
Result<std::uint64_t> tar_length(const std::filesystem::path& path, const PlannedShard& shard);

// ---- stream_check.cpp -------------------------------------------------------------------------
// check_archive() on the received tar while it is being written: start(), feed() every chunk,
// finish() for the verdict once the stream ended (its first defect, as check_archive gives it,
// the file named "received.tar"). Destroying an unfinished check stops it.
class StreamCheck {
 public:
  static Result<std::unique_ptr<StreamCheck>> start(const PlannedShard& shard,
                                                    const std::filesystem::path& scratch_root);
  ~StreamCheck();
  Result<void> feed(std::span<const std::uint8_t> bytes);
  Result<check::Checked> finish();

 private:
  explicit StreamCheck(int write_end) : write_end_(write_end) {}
  void close_write_end();
  int write_end_;
  std::thread checker_;
  Result<check::Checked> verdict_;
};

// ---- shard_job.cpp ----------------------------------------------------------------------------
// Where the shard archives go, and whether archives an interrupted run left there may be kept.
struct Destination {
  BackupWriter& writer;
  bool resume = false;
};

struct JobContext {
  const Options& options;
  std::optional<net::SnapshotClient> client;  // one per worker (each request is its own connection); unset offline
  const OfflineSource* offline = nullptr;     // --offline: the shards are read from here
  const Destination& destination;
  std::filesystem::path scratch_root;
  std::optional<tsm::TimeRange> range;
  std::atomic<std::uint64_t>& received;  // all workers' bytes from the server, for progress
};

// Fetches, writes and checks one shard with retries (a failed attempt's file is removed before
// the next); -start/-end fetches the whole shard (type 0, never the export with its §4.4.1 bug)
// and cuts it at the bounds. Never throws; a failure is in the report's `error`.
ShardReport run_shard_job(JobContext& ctx, const PlannedShard& shard);

// ---- resume.cpp -------------------------------------------------------------------------------
// The base of the interrupted portable backup in `dir`: the newest base with any file
// (`<base>.meta`, an archive, a .pending) but no `<base>.manifest`. "" when `dir` is missing or
// holds no portable backup at all (the run died before writing: start a new one);
// "invalid-argument" when every backup there is complete.
Result<std::string> find_resumable_base(const std::filesystem::path& dir);
// A backup into a directory that already holds one of the other format, or an interrupted
// portable one (without --resume), would leave files no manifest lists: refused ("usage"),
// saying what to do. What influxd does is allowed (a portable chain, legacy increments).
Result<void> check_target_directory(const Options& o);
// Removes what the interrupted run left that the resumed one will not keep: `<base>.*.pending`,
// the old `<base>.meta` (written again from the server, with the shard list it goes with), and
// every shard archive of the base for which `keep(name)` is false. Returns the names removed.
std::vector<std::string> clean_resumed_base(const std::filesystem::path& dir, const std::string& base,
                                            const std::function<bool(const PortableFileName&)>& keep);

// ---- reuse.cpp -------------------------------------------------------------------------------
// --repo: which planned shards the server proves unchanged since the newest snapshot holding
// them (the argument is in reuse.cpp); those are linked from it into `writer` and recorded.
struct ReuseOutcome {
  std::vector<bool> fetch;                     // per plan index: still to be fetched
  std::map<std::size_t, ShardReport> reports;  // the reused ones, by plan index
  std::optional<std::int64_t> server_time_ns;  // the server's clock before any shard was asked for
  std::vector<std::string> notes;
};
ReuseOutcome reuse_unchanged(const Options& o, Repository& repo, const meta::MetaData& meta,
                             const std::vector<PlannedShard>& plan, net::SnapshotClient& client, BackupWriter& writer,
                             std::atomic<std::uint64_t>& received);

// ---- render.cpp -------------------------------------------------------------------------------
std::vector<ScopeSummary> summarize_scopes(const std::vector<ShardReport>& shards);

}  // namespace ifx::backup::detail
