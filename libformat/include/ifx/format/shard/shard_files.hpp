// The files of one shard in a backup: its archives (a legacy shard's `.NN` increments, or the
// files of a portable manifest chain) read in order, a later same-named entry replacing an
// earlier one (FORMATS.md §3.8, §4.3). Either just scanned (names and sizes), or unpacked into a
// scratch directory so the TSM reader can seek (a TSM index sits at the end of its file, §6.1).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ifx/format/backup/backup_set.hpp"
#include "ifx/format/io/scratch_directory.hpp"
#include "ifx/format/error.hpp"
#include "ifx/format/archive/shard_archive.hpp"

namespace ifx {

struct ShardScan {
  std::uint64_t archive_bytes = 0;  // on-disk bytes of all its archive files
  std::uint64_t tar_bytes = 0;      // uncompressed tar bytes of all its archive files
  std::vector<std::string> files;   // distinct entry file names after merging, sorted
  std::size_t tsm_files = 0;
  std::size_t tombstones = 0;
  std::vector<std::string> duplicate_entries;  // names seen twice inside one archive (§4.4)
};

// Reads every archive of `shard` to its end (all checks of ShardArchiveReader apply) without
// writing anything. Missing archive files are "file-missing".
Result<ShardScan> scan_shard(const BackupSet& set, const ShardInBackup& shard);

namespace detail {
struct ShardUnpacker;  // shard_files.cpp: the one unpacking loop behind both unpack overloads
}

// A shard unpacked into a fresh directory under `scratch_root` (a ScratchDirectory: removed when
// this object goes away, or by a later run when the process was killed); dir() holds the
// shard's files and nothing else.
class UnpackedShard {
 public:
  static Result<UnpackedShard> unpack(const BackupSet& set, const ShardInBackup& shard,
                                      const std::filesystem::path& scratch_root);
  // The same for archive files that belong to no BackupSet, e.g. the tar a backup tool just
  // received from influxd (raw, gzip or zstd: detected by magic). `archives` oldest first; each
  // entry must name the shard `expect` describes ("unsafe-path" otherwise). A path that does not
  // exist is "file-missing". Errors name the archive path as given.
  static Result<UnpackedShard> unpack_archives(const std::vector<std::filesystem::path>& archives,
                                               ShardExpectation expect,
                                               const std::filesystem::path& scratch_root);
  UnpackedShard(UnpackedShard&&) noexcept = default;
  UnpackedShard& operator=(UnpackedShard&&) noexcept = default;

  const std::filesystem::path& dir() const { return dir_; }
  const ShardScan& scan() const { return scan_; }
  // `.tsm` files in name order, which is generation order (`%09d-%09d.tsm`, §6.3): a later file
  // wins over an earlier one on the same key and timestamp.
  std::vector<std::filesystem::path> tsm_paths() const;
  // The tombstone file of a TSM file (same stem + `.tombstone`, §6.6), if the shard has one.
  std::optional<std::filesystem::path> tombstone_for(const std::filesystem::path& tsm) const;

 private:
  friend struct detail::ShardUnpacker;
  UnpackedShard() = default;
  std::optional<ScratchDirectory> scratch_;
  std::filesystem::path dir_;  // scratch_'s path
  ShardScan scan_;
};

// $TMPDIR, or /tmp.
std::filesystem::path default_scratch_root();

}  // namespace ifx
