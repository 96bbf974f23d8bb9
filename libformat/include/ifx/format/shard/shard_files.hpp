// The files of one shard in a backup: its archives (a legacy shard's `.NN` increments, or the
// files of a portable manifest chain) read in order, a later same-named entry replacing an
// earlier one (docs/FORMATS.md §3.6, §3.8, §4.3). One walk reads them (for_each_shard_entry);
// on it the shard is either just scanned (names and sizes), or unpacked into a scratch directory
// so the TSM reader can seek (a TSM index sits at the end of its file, §6.1), and the checks of
// check/ read it the same way.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ifx/format/archive/shard_archive.hpp"
#include "ifx/format/backup/backup_set.hpp"
#include "ifx/format/error.hpp"
#include "ifx/format/io/scratch_directory.hpp"

namespace ifx {

// One archive of a shard, as the walk reads it.
struct ShardArchiveSource {
  std::filesystem::path path;
  std::string name;  // what errors call it: the file name inside the backup (or the path given)
  std::optional<std::uint64_t> manifest_size;  // portable: the manifest's tar size (§3.4)
  std::string manifest;                        // portable: the manifest that lists it
  std::optional<Error> missing;                // the file does not exist ("file-missing")
  // How to open it; unset: ShardArchiveReader::open(path). (A tar can be read from a pipe.)
  std::function<Result<ShardArchiveReader>(ShardArchiveReaderOptions)> open;
};

// The archives of `shard` in `set`, oldest first, and the shard every entry must name.
std::vector<ShardArchiveSource> shard_archive_sources(const BackupSet& set, const ShardInBackup& shard);
ShardExpectation shard_expectation(const ShardInBackup& shard);
// Archive files that belong to no BackupSet (a tar just received from influxd), named by their
// path, oldest first; a path that does not exist is "file-missing".
std::vector<ShardArchiveSource> shard_archive_sources(const std::vector<std::filesystem::path>& paths);

// How the reading of one archive ended.
struct ArchiveRead {
  std::uint64_t tar_bytes = 0;               // uncompressed bytes read (the whole tar when it ended cleanly)
  std::uint64_t file_bytes = 0;              // on-disk size of the archive file (0 when not a file)
  std::vector<std::string> duplicate_names;  // entries named twice in this archive (§4.4)
  std::optional<Error> error;                // what ended it early, named after the archive
};

struct ShardEntryVisitor {
  // Each entry, with the reader positioned at its data (which it may read or leave). false
  // stops the walk without an error. An error names its own file if it set one other than the
  // archive's path (a scratch file it wrote); otherwise it is named after the archive.
  std::function<Result<bool>(ShardArchiveReader&, const ArchiveEntry&, const ShardArchiveSource&)> on_entry;
  // After each archive (missing ones included when keep_going), however it ended.
  std::function<void(const ShardArchiveSource&, const ArchiveRead&)> on_archive_end;
  // false: the first error stops the walk and is returned. true: an error ends its archive only
  // (on_archive_end reports it) and the walk goes on with the next.
  bool keep_going = false;
};

// Reads every archive to its end (all checks of ShardArchiveReader apply: entries must name the
// expected shard). Returns false when on_entry stopped the walk.
Result<bool> for_each_shard_entry(const std::vector<ShardArchiveSource>& archives, const ShardExpectation& expect,
                                  const ShardEntryVisitor& visitor);

struct ShardScan {
  std::uint64_t archive_bytes = 0;  // on-disk bytes of all its archive files
  std::uint64_t tar_bytes = 0;      // uncompressed tar bytes of all its archive files
  std::vector<std::string> files;   // distinct entry file names after merging, sorted
  std::size_t tsm_files = 0;
  std::size_t tombstones = 0;
  std::vector<std::string> duplicate_entries;  // names seen twice inside one archive (§4.4)
};

// Reads every archive of `shard` to its end without writing anything. Missing archive files are
// "file-missing".
Result<ShardScan> scan_shard(const BackupSet& set, const ShardInBackup& shard);

// Where a file of an unpacked shard came from: the entry that wrote its current copy.
struct UnpackedFile {
  std::string archive;     // the archive's name (ShardArchiveSource::name)
  std::string entry;       // the tar entry's full name
  std::uint32_t mode = 0;  // the entry's permission bits
  std::int64_t mtime = 0;  // the entry's modification time, Unix seconds
};

struct UnpackOptions {
  // Each file right after it was written (a later copy of a name is seen again): `path` is where
  // it lies now. The checks read it there.
  std::function<void(const std::filesystem::path& path, const UnpackedFile& file)> on_file;
  std::function<void(const ShardArchiveSource&, const ArchiveRead&)> on_archive_end;
  bool keep_going = false;                   // as ShardEntryVisitor::keep_going
  std::string scratch_prefix = "ifx-shard";  // the scratch directory's name starts with it
};

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
                                               ShardExpectation expect, const std::filesystem::path& scratch_root);
  // Both of the above are this: every entry of every archive written to dir() under its file
  // name, a later copy replacing an earlier one.
  static Result<UnpackedShard> unpack(const std::vector<ShardArchiveSource>& archives, const ShardExpectation& expect,
                                      const std::filesystem::path& scratch_root, const UnpackOptions& options);
  UnpackedShard(UnpackedShard&&) noexcept = default;
  UnpackedShard& operator=(UnpackedShard&&) noexcept = default;

  const std::filesystem::path& dir() const { return dir_; }
  const ShardScan& scan() const { return scan_; }
  // Every file, in name order, with the entry its copy came from.
  const std::map<std::string, UnpackedFile>& files() const { return files_; }
  std::filesystem::path path_of(const std::string& file_name) const { return dir_ / file_name; }
  // `.tsm` files in name order, which is generation order (`%09d-%09d.tsm`, §6.3): a later file
  // wins over an earlier one on the same key and timestamp.
  std::vector<std::filesystem::path> tsm_paths() const;
  // The tombstone file of a TSM file (same stem + `.tombstone`, §6.6), if the shard has one.
  std::optional<std::filesystem::path> tombstone_for(const std::filesystem::path& tsm) const;

  // The files as tar entries `<db>/<rp>/<id>/<file>` (§4.1) in name order, each with the mode and
  // mtime of the entry it came from. Does not finish() the writer.
  Result<void> write_to(ShardArchiveWriter& writer, std::string_view db, std::string_view rp, std::uint64_t id) const;

 private:
  UnpackedShard() = default;
  std::optional<ScratchDirectory> scratch_;
  std::filesystem::path dir_;  // scratch_'s path
  ShardScan scan_;
  std::map<std::string, UnpackedFile> files_;
};

}  // namespace ifx
