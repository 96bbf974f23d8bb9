// A shard as a server keeps it on disk (docs/FORMATS.md §4.2, §6, §11): its directory
// `<data-dir>/<db>/<rp>/<id>/` (TSM files, their tombstones, and files a backup leaves out: the
// tsi1 `index/`, `fields.idx`, `.tmp` leftovers of a compaction) and its WAL directory
// `<wal-dir>/<db>/<rp>/<id>/` (segments `_NNNNN.wal`). Turned into the tar entries of a shard
// archive, the way influxd's own backup would send it after flushing its cache: the TSM files
// and tombstones as they are, plus the WAL's points as one new TSM file that wins over them.
// That lets a stopped, killed or broken server be backed up from its directories.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ifx/format/archive/shard_archive.hpp"
#include "ifx/format/error.hpp"
#include "ifx/format/tsm/shard_points.hpp"
#include "ifx/format/wal/wal_segment.hpp"

namespace ifx {

// Where one shard lies; either directory may be missing (a shard written to but never flushed
// has only its WAL; one whose WAL segments were all compacted away only its data).
struct ShardOnDisk {
  std::string database;
  std::string retention_policy;
  std::uint64_t id = 0;
  std::optional<std::filesystem::path> data_dir;
  std::optional<std::filesystem::path> wal_dir;
};

// Every `<db>/<rp>/<id>/` directory under `data_dir` and (when given) `wal_dir`, the id a decimal
// name, merged by (db, rp, id) and sorted so. Other entries (influxd's `_series/` per database,
// stray files) are not shards and are skipped. "io" when `data_dir` cannot be read.
Result<std::vector<ShardOnDisk>> find_shards_on_disk(const std::filesystem::path& data_dir,
                                                     const std::optional<std::filesystem::path>& wal_dir);

struct ShardFromDiskOptions {
  std::optional<tsm::TimeRange> keep;  // only these points, cut exactly; nullopt: everything
  // false: the first damaged TSM file, block, tombstone or WAL entry fails the shard. true: what
  // can be read is kept, every loss is reported (`losses`).
  bool salvage = false;
  wal::WalLimits wal_limits;
};

struct ShardFromDisk {
  std::uint64_t tsm_files = 0;   // TSM files in the archive, the WAL's included
  std::uint64_t tombstones = 0;  // tombstone files in the archive
  std::uint64_t wal_segments = 0;
  std::uint64_t wal_points = 0;         // points the WAL's TSM file holds (after its deletes)
  std::uint64_t wal_keys = 0;           // its keys
  std::uint64_t wal_deletes = 0;        // deleted ranges in the WAL, applied to every TSM file too
  std::string wal_tsm_file;             // the name of the WAL's TSM file; "" when the WAL held no point
  std::uint64_t wal_tail_bytes = 0;     // bytes after the last complete entry of cut-short segments
  std::optional<std::uint64_t> points;  // `keep` or deletions applied: the points kept
  bool deletions_applied = false;       // tombstones applied and the shard's TSM files rewritten
  std::uint64_t source_bytes = 0;       // bytes of the files read (TSM, tombstones, WAL)
  std::vector<std::string> left_out;    // names in the shard directory not in a backup, sorted
  // salvage: what was lost, each naming the file on disk, its offset and the series (and the
  // points when known)
  std::vector<Error> losses;
  std::uint64_t points_lost = 0;  // of the losses, the points counted
  bool points_lost_known = true;  // false when some loss hid its count
};

// Writes the shard's entries (`<db>/<rp>/<id>/<file>`, §4.1, in name order) into `writer`; does
// not finish() it. Every file is checked before it goes in (TSM: header, index, every block's
// CRC; tombstones: every record): the server's, so a damaged one is named by its path on disk and
// offset; those written here (the WAL's, salvaged copies, rewritten shards) read back. Like a
// shard received from a running server, whose tar is checked on its way into the archive, the
// archive then holds only checked bytes, and its SHA-256 in the manifest covers the rest.
// The WAL (segments in influxd's replay order, wal/wal_replay.hpp) becomes
// `<highest generation + 1>-000000001.tsm`; its deleted ranges are added to the tombstones of
// every TSM file holding those keys (wal_replay.hpp says why that is right). When the shard has
// tombstones (its own or the WAL's), or with `keep`, its points are written as fresh TSM files
// instead, deletions applied and cut to `keep`: a restore by influxd drops tombstone files
// (docs/FORMATS.md §4.5), so only points that are gone stay gone. The fast path of the rewrite
// copies every block no deletion touches as it is.
// Scratch files (the WAL's TSM file, salvaged copies, tombstones with the WAL's deletes) go to a
// directory under `scratch_root`, removed before returning.
// Errors: "tsm-header", "tsm-index", "tsm-block-crc", "tsm-block-decode", "tombstone-invalid",
// "wal-invalid" naming the file on disk (without salvage), "io".
Result<ShardFromDisk> write_shard_from_disk(const ShardOnDisk& shard, ShardArchiveWriter& writer,
                                            const std::filesystem::path& scratch_root,
                                            const ShardFromDiskOptions& options = {});

}  // namespace ifx
