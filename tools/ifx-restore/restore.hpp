// ifx-restore: every restore of the InfluxDB 1.8 backup documentation's "Restore data" section,
// safer than influxd.
//   * -portable / -online: the backup is verified first, an existing target database is refused
//     before anything changes (or, with --merge, the points are written into it over HTTP), the
//     meta is imported (docs/FORMATS.md §5.3), every file of every selected shard is uploaded with its
//     entries renamed (§1.6.5, §4.5; a manifest chain applied oldest → newest, §3.6), and the
//     restore returns only once the data answers a count query over HTTP. A failure after the
//     import drops the databases this run created, so the same command can simply run again.
//   * -metadir/-datadir: the offline legacy restore (§4.7) with shard directories named by the
//     numeric ID, refusing while an influxd uses the directories, replaced files moved aside.
// The operation is a function over an options struct so tests call it in-process; main.cpp only
// parses flags.
//
// Error codes beyond libformat's (error.hpp) and libnet's (snapshot_client.hpp):
//   usage            flags that do not fit together (exit 2)
//   not-in-backup    -db/-rp/-shard names something the backup does not hold
//   backup-damaged   verification found a defect; the message is the first defect (file, entry,
//                    offset) and nothing on the server was changed
//   target-exists    a target database already exists; nothing changed (use -newdb or --merge)
//   server-running   offline restore while an influxd uses the meta or data directory
//   http-*           see ifx/net/http/influx_http.hpp
//   restore-failed   a step after the meta import failed; the message says what was rolled back
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

namespace ifx::restore {

enum class Mode { Portable, Online, Offline };
enum class VerifyLevel { Full, Quick, None };

struct Options {
  Mode mode = Mode::Portable;
  std::filesystem::path backup_dir;
  std::string host = "localhost:8088";              // the snapshotter RPC (-host)
  std::optional<std::string> http_url;              // --http; default: -host's address with port 8086
  std::optional<std::string> database;              // -db
  std::optional<std::string> new_database;          // -newdb
  std::optional<std::string> retention_policy;      // -rp
  std::optional<std::string> new_retention_policy;  // -newrp
  std::optional<std::uint64_t> shard;               // -shard
  std::optional<std::int64_t> new_duration_ns;      // -newduration (0 = infinite)
  std::filesystem::path meta_dir;                   // offline -metadir
  std::filesystem::path data_dir;                   // offline -datadir
  bool merge = false;                               // --merge: write the points into an existing database over HTTP
  bool users = false;                               // --users
  bool cqs = false;                                 // --cqs
  bool dry_run = false;                             // --dry-run: verify and plan, change nothing
  VerifyLevel verify = VerifyLevel::Full;
  std::filesystem::path scratch_root;      // where shard tars are staged; empty = $TMPDIR or /tmp
  std::chrono::seconds wait_timeout{300};  // for the restored data to answer queries
  // Count every restored value on the server (count(*) per RP) and report the counts. Off by
  // default: on a large database the count takes the server longer than the restore itself.
  bool count_values = false;
  // --timeout: silence bound of every network step (RPC connect and reads, each HTTP exchange).
  // Unset: the RPC's own defaults (connect 10 s, read 120 s) and 60 s per HTTP exchange.
  std::optional<std::chrono::milliseconds> net_timeout;
  std::size_t merge_batch_points = 5000;
  // -j: shards staged and uploaded at once, one connection each. The server applies an upload
  // (files written and synced, the shard opened) before it closes the connection, mostly waiting
  // on its disk: on the bench data -j 1 took 2.4 s, -j 2 1.9 s, -j 4 1.43 s, -j 8 1.33-1.42 s.
  std::size_t jobs = 4;
  // Progress lines ("uploading shard 9 → 17 (2/5)"), or nothing when unset.
  std::function<void(const std::string&)> progress;
  // Test hook: called after each shard upload with its position; an error aborts the restore
  // as a real failure would (used to prove the rollback).
  std::function<Result<void>(std::size_t done)> after_shard_upload;
};

struct ShardOutcome {
  std::string source_database, source_retention_policy;
  std::uint64_t source_id = 0;
  std::string database, retention_policy;  // where it went
  std::uint64_t id = 0;                    // the server's new ID (offline: the same ID); 0: not known
  std::size_t archives = 0;                // files applied, oldest first
  std::size_t tsm_files = 0;
  std::uint64_t bytes = 0;          // tar bytes sent or written
  bool tombstones = false;          // the shard held .tombstone files
  bool tombstones_applied = false;  // … and deleted points stay deleted
  std::string status;               // "restored", "merged", "planned", "skipped: why"
  // --merge: the server's shards the values went into (its own, by their time range), lowest
  // first; `id` is the first of them.
  std::vector<std::uint64_t> merged_into = {};
};

struct MeasurementCount {
  std::string measurement;
  std::uint64_t values = 0;  // non-null field values the server counts (count(*))
};

struct RetentionPolicyOutcome {
  std::string name;
  std::size_t shards = 0;
  std::uint64_t values = 0;
  std::vector<MeasurementCount> measurements;
};

struct DatabaseOutcome {
  std::string source;
  std::string target;
  bool created = false;  // this run created it (and would drop it again on failure)
  std::vector<RetentionPolicyOutcome> retention_policies;
};

struct Report {
  Mode mode = Mode::Portable;
  bool counted = false;  // the values of databases[].retention_policies[] were counted (--count)
  std::string backup_dir;
  std::string format;    // "portable" / "legacy"
  std::string verified;  // "full", "quick", "skipped"
  bool dry_run = false;
  std::vector<DatabaseOutcome> databases;
  std::vector<ShardOutcome> shards;
  // --merge: field values sent over HTTP, one line each (the server joins a series' values at one
  // time into one point, so the points are fewer). JSON has it under "values_written" and, as
  // earlier versions named it, "points_written".
  std::uint64_t values_written = 0;
  std::vector<std::string> users;               // --users: users created / granted
  std::vector<std::string> continuous_queries;  // --cqs: CQs created
  std::vector<std::string> notes;               // what the user should know (skips, moved-aside paths)
  // Offline: where each replaced file or shard directory went. Meta files next to the original
  // with a suffix (influxd reads meta.db only); shard directories into a sibling of the data
  // directory, `<datadir>.ifx-replaced-<stamp>/<db>/<rp>/<id>`, because influxd tries to load
  // anything inside the data directory (logging "invalid shard ID" for a non-numeric name on every
  // start, or loading a tree there as a database with duplicate shard IDs).
  std::vector<std::string> moved_aside;
  double seconds = 0;
};

// Runs the restore. Failures come back as errors with a message a user can act on; when a
// failure happens after the server was changed, the message also says what was rolled back.
Result<Report> run(const Options& options);

nlohmann::ordered_json to_json(const Report& report);
std::string to_text(const Report& report);
std::string_view to_string(Mode m);

}  // namespace ifx::restore
