// A shard's points rewritten as fresh TSM files: what the engine would return (newest file wins,
// tombstones applied, docs/FORMATS.md §6.2, §6.6), optionally cut to a time range. Tools need it where
// influxd's own files are not exact enough: `-start/-end` exports keep whole blocks (§4.4), and an
// online restore drops tombstones so deleted points would come back (§4.5, §6.6).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include "ifx/format/error.hpp"
#include "ifx/format/archive/shard_archive.hpp"
#include "ifx/format/shard/shard_files.hpp"
#include "ifx/format/tsm/shard_points.hpp"

namespace ifx {

struct ShardRewriteOptions {
  std::optional<tsm::TimeRange> keep;             // inclusive on both ends; nullopt: all time
  std::size_t max_points_per_block = 1000;        // docs/FORMATS.md §6.3 (re-encoded blocks only)
  std::uint64_t max_tsm_file_bytes = 2ull << 30;  // start the next file past this (§6.3)
};

struct ShardRewriteResult {
  std::vector<std::filesystem::path> tsm_files;  // in generation order
  std::uint64_t keys = 0;                        // distinct keys written (a key split across files counts once)
  std::uint64_t blocks = 0;                      // blocks written, copied ones included
  std::uint64_t blocks_copied = 0;               // blocks copied encoded, without decoding their values
  std::uint64_t points = 0;                      // points written
};

// The shard's points (newest file wins, tombstones applied, only `keep`) as fresh TSM files
// 000000001-000000001.tsm, 000000002-000000001.tsm, … in `out_dir` (existing, empty); no
// tombstone file. A key with nothing left is dropped; a shard with nothing left gives no file.
//
// Fast path: a block that overlaps no other block of its key (in any file), meets none of its
// file's deleted ranges and lies wholly inside `keep` is copied encoded after its CRC and its
// first/last timestamps are checked (values are not decoded). Everything else is decoded,
// merged, filtered and re-encoded in blocks of `max_points_per_block`.
//
// Files are written as NAME.pending, fsynced and renamed; on failure every file this call
// created is removed. Errors: "invalid-argument" (out_dir not an empty directory, bad options),
// the reader's "tsm-header", "tsm-index", "tsm-block-crc", "tsm-block-decode", "tsm-time-range",
// "tombstone-invalid", and "io".
Result<ShardRewriteResult> rewrite_shard_points(std::vector<tsm::TsmFileRef> files,
                                                const std::filesystem::path& out_dir,
                                                const ShardRewriteOptions& options = {});

// For the tools: the shard as tar entries `<db>/<rp>/<id>/<file>` into `writer` (docs/FORMATS.md
// §4.1, in file-name order): the rewritten TSM files plus every other file of the shard except
// `.tombstone` and the old `.tsm` files. The rewrite happens in a scratch directory under
// `scratch_root`, removed afterwards. Does not call writer.finish(): the caller owns the archive.
Result<ShardRewriteResult> write_rewritten_shard(const UnpackedShard& shard, std::string_view db, std::string_view rp,
                                                 std::uint64_t id, ShardArchiveWriter& writer,
                                                 const std::filesystem::path& scratch_root,
                                                 const ShardRewriteOptions& options = {});

}  // namespace ifx
