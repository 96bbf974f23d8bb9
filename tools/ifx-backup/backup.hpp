// ifx-backup: the backups `influxd backup` makes (docs/FORMATS.md §2 legacy, §3 portable), from the
// same command lines, but each shard streamed straight into its archive, several shards at once
// over separate connections, every received archive checked (check/shard_check.hpp) before the
// backup calls itself done, retries that discard a failed attempt, `-start/-end` cut exactly at
// the bounds, and `--resume` after a crash. The operation is a function over an options struct
// so tests call it in-process; main.cpp only parses flags.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ifx/format/error.hpp"
#include "ifx/format/archive/shard_archive.hpp"
#include "ifx/net/snapshot/request.hpp"
#include "ifx/net/snapshot/snapshot_client.hpp"

namespace ifx::backup {

struct Options {
  std::string host = "localhost:8088";  // influxd backup's default -host
  std::filesystem::path dir;
  bool portable = false;
  std::optional<std::string> database;
  std::optional<std::string> retention_policy;
  std::optional<std::uint64_t> shard;
  std::optional<net::WireTime> since;                             // -since: files modified after it (§4.3)
  std::optional<net::WireTime> start;                             // -start: points at or after it, exactly
  std::optional<net::WireTime> end;                               // -end / -stop: points at or before it, exactly
  bool skip_errors = false;                                       // a shard that fails is reported and skipped (exit 3)
  unsigned jobs = 2;                                              // shards fetched at once, one connection each
  ArchiveCompression compression = ArchiveCompression::gzip;      // portable only
  int compress_level = ShardArchiveWriterOptions::kDefaultLevel;  // unless set: the compressor's default
  int compress_threads = 0;                                       // per archive; 0: cores / jobs (at least 1)
  bool resume = false;                                            // continue the interrupted portable backup in `dir`
  std::filesystem::path scratch_root;  // checks and -start/-end rewrites; empty: $TMPDIR or /tmp
  net::ClientOptions client;
  net::RetryPolicy retry;
  std::optional<std::int64_t> now_ns;  // the portable base name's time; unset: the wall clock
  // --repo: write a snapshot into this repository (backup/repository.hpp) instead of into `dir`:
  // a complete portable backup `REPO/<base>/`, sharing the archives of shards the server proves
  // unchanged since an earlier snapshot (reuse.cpp).
  std::filesystem::path repo;
  // The server's HTTP API, which the change test needs (its clock and file counts); unset: -host's
  // address with port 8086. Without it every shard is fetched.
  std::optional<std::string> http_url;
  std::chrono::milliseconds lock_wait{0};  // --lock-wait: how long to wait for the repository
  // --offline: the backup is made from a stopped server's directories (its meta store
  // `meta_dir/meta.db`, its shards under `data_dir`, their WAL under `wal_dir`), not asked of a
  // running one; the WAL's points go in as a TSM file per shard (shard/shard_on_disk.hpp).
  bool offline = false;
  std::filesystem::path meta_dir;
  std::filesystem::path data_dir;
  std::filesystem::path wal_dir;  // empty: <data_dir>/../wal when it exists
};

// What the backup was taken from, as listings and metrics name it: the -host address, or with
// --offline "offline:<data directory>".
std::string source_label(const Options& o);
// DIR "-": the backup is written to stdout as a stream (docs/FORMATS.md §3.13).
bool writes_stream(const Options& o);
// --offline: {"metadir", "datadir", "waldir"|null}, the manifest's and --json's `offline`; null
// otherwise.
nlohmann::ordered_json offline_dirs_json(const Options& o);

// What happened to one shard in scope.
enum class ShardStatus {
  written,  // fetched, written, checked
  adopted,  // --resume: the archive of the interrupted run passed the check and was kept
  reused,   // --repo: unchanged since an earlier snapshot, whose archive this one shares
  skipped,  // failed and left out (-skip-errors)
  failed,   // failed; the backup stopped
};
std::string_view to_string(ShardStatus s);
// The shard's archive is in the backup: written, adopted or reused.
bool in_backup(ShardStatus s);

struct ShardReport {
  std::string database;
  std::string retention_policy;
  std::uint64_t shard_id = 0;
  ShardStatus status = ShardStatus::failed;
  std::string file;                        // inside the backup directory; "" when nothing was written
  std::uint64_t tar_bytes = 0;             // uncompressed tar bytes (the manifest `size`, §3.4)
  std::uint64_t file_bytes = 0;            // on disk
  std::uint64_t received_bytes = 0;        // from the server (0 when adopted or out of -start/-end)
  std::optional<std::uint64_t> points;     // -start/-end: points kept after the cut
  bool fetched = true;                     // false: -start/-end range misses the shard group, nothing asked
  std::optional<std::uint64_t> tsm_files;  // TSM files in the archive, when known
  std::string reused_from;                 // reused: the snapshot (base) whose archive it shares
  std::optional<Error> error;
  // --offline: what the shard's WAL added (points, the TSM file that holds them, deleted ranges,
  // bytes a crash cut off the end of its segments) and what its directory held that a backup
  // leaves out.
  struct FromDisk {
    std::uint64_t wal_segments = 0;
    std::uint64_t wal_points = 0;
    std::string wal_tsm_file;
    std::uint64_t wal_deletes = 0;
    std::uint64_t wal_tail_bytes = 0;
    std::vector<std::string> left_out;
    bool deletions_applied = false;  // its tombstones applied to fresh TSM files (restores drop tombstones)
  };
  std::optional<FromDisk> from_disk;
  // --offline --skip-errors: damage that was left behind, each naming the file on disk, the
  // offset and the series; the shard holds everything else.
  std::vector<Error> losses;
  std::optional<std::uint64_t> points_lost;  // the points those losses took, when all are known
};

struct ScopeSummary {  // per database / retention policy, in backup order
  std::string database;
  std::string retention_policy;
  std::uint64_t shards = 0;   // in scope
  std::uint64_t written = 0;  // written or adopted
  std::uint64_t reused = 0;   // shared with an earlier snapshot (--repo)
  std::uint64_t skipped = 0;
  std::uint64_t file_bytes = 0;
};

struct Summary {
  Options options;
  std::string format;            // "portable" / "legacy"
  std::string base;              // portable base name
  std::string meta_file;         // `<base>.meta` or `meta.NN`
  std::uint64_t meta_bytes = 0;  // the raw meta blob
  std::string manifest_file;     // portable, when written
  std::string snapshot;          // --repo: the snapshot's directory once published
  // --repo: the server's clock read before the first shard was asked for (recorded in the
  // manifest as "server_time"; the next snapshot's change test starts from it)
  std::optional<std::int64_t> server_time_ns;
  std::vector<ShardReport> shards;  // in backup order (the info answer's order)
  std::vector<ScopeSummary> scopes;
  std::vector<std::string> removed;  // --resume: stale .pending / unchecked files removed
  std::vector<std::string> notes;    // plain words for the completeness report
  std::chrono::milliseconds elapsed{0};

  bool complete() const;  // every shard written, adopted or reused, nothing salvaged
  int exit_code() const;  // 0 complete, 3 partial (-skip-errors: a shard left out or salvaged), 1 a shard failed
};

struct Progress {
  std::uint64_t shards_done = 0;
  std::uint64_t shards_total = 0;
  std::uint64_t bytes = 0;  // received from the server so far (all shards, ongoing ones too)
  std::chrono::milliseconds elapsed{0};
  const ShardReport* finished = nullptr;  // set when a shard just finished
};
using ProgressCallback = std::function<void(const Progress&)>;

// Runs the backup. Fails (nothing or only complete, checked files left; never a manifest) on a
// usage problem ("usage"), an unreachable server, an unknown database / retention policy / shard
// ("invalid-argument", naming what exists), or a shard that fails without -skip-errors (the
// Summary is then lost, the error says what to do: run again with --resume). With -skip-errors a failed shard is in the Summary.
Result<Summary> run(const Options& options, const ProgressCallback& progress = {});

// --metrics FILE (metrics.cpp): the run's outcome, a failure included, written for
// node_exporter's textfile collector; `elapsed` is how long run() took.
void write_metrics(const std::filesystem::path& file, const Options& options, const Result<Summary>& outcome,
                   std::chrono::duration<double> elapsed);

// {"backup_dir", "format", "host", "base", "meta": {"file", "bytes"}, "manifest",
//  "scope": {"database","retention_policy","shard","start","end","since"},
//  "shards": [{"database","retention_policy","shard","status","file","tar_bytes","file_bytes",
//              "received_bytes","points","error"}],
//  "scopes": [{"database","retention_policy","shards","written","skipped","file_bytes"}],
//  "removed": [...], "notes": [...], "complete", "elapsed_ms"}
nlohmann::ordered_json to_json(const Summary& summary);
// The completeness report for people: a table per db/rp, the notes, the verdict.
std::string to_text(const Summary& summary);

}  // namespace ifx::backup
