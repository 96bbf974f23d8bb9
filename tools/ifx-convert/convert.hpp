// ifx-convert: any backup ifxkit reads — legacy with `.NN` increments and dotted names,
// portable with manifest chains and zstd archives — rewritten as one backup in the layout a stock
// influxd 1.6.7 restores:
//   * portable (the default, docs/FORMATS.md §3.8): `<base>.meta`, one `<base>.s<id>.tar.gz` per shard
//     holding the shard's increments merged (a later same-named entry wins), `<base>.manifest`;
//     `influxd restore -portable` takes it;
//   * legacy (`--to legacy`, for OSS 1.0–1.4, §2): `meta.00` and `<db>.<rp>.<%05d id>.00` raw
//     tars; `influxd restore -online` and the offline restore take it.
// The source is verified as it is read, by the checks ifx-verify runs (check/shard_check.hpp:
// every TSM block's CRC, the blocks decoded unless quick). A damaged source is refused with the defect (file, entry, offset),
// or with skip_errors the damaged shard is left out and reported. Everything is written into
// `DEST.pending` and renamed to DEST at the end. The operation is a function over an options
// struct so tests call it in-process; main.cpp only parses flags.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ifx/format/check/shard_check.hpp"
#include "ifx/format/backup/backup_set.hpp"
#include "ifx/format/error.hpp"
#include "ifx/format/archive/shard_archive.hpp"

namespace ifx::convert {

enum class TargetFormat { portable, legacy };
std::string_view to_string(TargetFormat f);

struct Progress {
  std::size_t shards_done = 0;
  std::size_t shards_total = 0;
  std::uint64_t bytes_read = 0;   // on-disk bytes of the source archives read so far
  std::uint64_t bytes_total = 0;  // on-disk bytes of the selected shards' archives
};

struct Options {
  std::filesystem::path source_dir;
  std::filesystem::path dest_dir;
  TargetFormat to = TargetFormat::portable;
  std::optional<std::string> database;          // only shards of this database
  std::optional<std::string> retention_policy;  // only shards of this RP
  std::optional<std::uint64_t> shard;           // only this shard
  bool skip_errors = false;                     // leave a damaged shard out (and say so) instead of refusing
  bool force = false;                           // replace a non-empty DEST_DIR (once the new one is complete)
  bool quick = false;                           // check CRCs only, do not decode TSM blocks
  ArchiveCompression compression = ArchiveCompression::gzip;  // portable target: gzip or zstd
  int level = ShardArchiveWriterOptions::kDefaultLevel;       // unless set: the compressor's default
  unsigned threads = 0;                                       // compression threads, 0 = number of cores
  std::filesystem::path scratch_root;                         // where one shard is spooled; empty = $TMPDIR or /tmp
  // Portable base name time (Unix ns). Unset: the source backup's own time (its newest base
  // name, or a legacy meta.NN's mtime), so the name still says when the data was backed up.
  std::optional<std::int64_t> base_time_ns;
  std::function<void(const Progress&)> progress;  // called before and after each shard
};

struct ConvertedShard {
  std::string database;
  std::string retention_policy;
  std::uint64_t shard_id = 0;
  std::string file;                 // written file name inside DEST_DIR
  std::size_t source_archives = 0;  // archives merged (increments, chain files)
  std::size_t entries = 0;          // tar entries written
  std::size_t tsm_files = 0;
  std::size_t tombstones = 0;
  std::uint64_t tar_bytes = 0;   // uncompressed tar bytes written (the manifest `size`)
  std::uint64_t file_bytes = 0;  // on-disk bytes written
};

struct SkippedShard {
  std::string database;
  std::string retention_policy;
  std::uint64_t shard_id = 0;
  std::vector<Error> defects;  // why: the check's defects (file, entry, offset)
};

struct Report {
  std::filesystem::path source_dir;
  std::filesystem::path dest_dir;
  BackupFormat source_format = BackupFormat::Portable;
  TargetFormat target = TargetFormat::portable;
  std::string meta_file;      // in DEST_DIR: `<base>.meta` or `meta.00`
  std::string manifest_file;  // portable: `<base>.manifest`; legacy: ""
  std::vector<ConvertedShard> shards;
  std::vector<SkippedShard> skipped;  // only with skip_errors
  // Defects of the directory as a whole (not of one shard) let through by skip_errors.
  std::vector<Error> tolerated_defects;
  // Things the user should know that are not damage: names a stock legacy restore cannot
  // split, shards the stock offline restore misplaces, filters that matched nothing.
  std::vector<std::string> warnings;
  check::Checked checked;
  std::uint64_t bytes_written = 0;
  double seconds = 0;

  // 0: everything converted; 3 (cli::kPartial): something was skipped or tolerated.
  int exit_code() const;
};

// Converts. Fails with "usage" when DEST_DIR is not empty without force, is or lies inside the
// source (or contains it), or a leftover DEST_DIR.pending is in the way; with open_backup_set's
// error when the source has no usable meta store; with the first defect (ifx-verify's code,
// file, entry, offset) when the source is damaged and skip_errors is off; "io" when writing
// fails. After a failure DEST_DIR is as before and DEST_DIR.pending is gone.
Result<Report> run(const Options& options);

// {"converted": true, "source", "source_format", "destination", "format", "meta_file", "manifest_file",
//  "shards": [{"database","retention_policy","shard_id","file","source_archives","entries",
//              "tsm_files","tombstones","tar_bytes","file_bytes"}],
//  "skipped": [{"database","retention_policy","shard_id","defects":[error]}],
//  "tolerated_defects": [error], "warnings": [s], "checked": {files, archives, tsm_files, blocks,
//  points, bytes}, "bytes_written", "seconds", "exit_code"}; error = {code,file,entry,offset,message}.
nlohmann::ordered_json to_json(const Report& report);
// What was written, what was skipped and why, the warnings.
std::string to_text(const Report& report);

}  // namespace ifx::convert
