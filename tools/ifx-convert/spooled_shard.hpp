// One shard of the source, read and checked: its archives in order (a legacy shard's `.NN`
// increments, a portable chain's files, FORMATS.md §3.6, §3.8), every entry spooled to a scratch
// directory, checked there with ifx-verify's checks (a TSM index sits at the end of its file, so
// the check needs a seekable copy, §6.1) and kept under its file name, a later copy replacing an
// earlier one (§4.3). What is left is exactly the shard's files, ready to be written as one tar.
// Only this shard is on disk; memory stays that of one entry copy.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "ifx-verify/checks.hpp"
#include "ifx/format/io/scratch_directory.hpp"
#include "ifx/format/backup/backup_set.hpp"
#include "ifx/format/error.hpp"
#include "ifx/format/archive/shard_archive.hpp"

namespace ifx::convert::detail {

struct ShardTally {
  std::size_t archives = 0;  // archive files read
  std::size_t tsm_files = 0;
  std::size_t tombstones = 0;
};

class SpooledShard {
 public:
  // An empty scratch directory under `scratch_root` (a ScratchDirectory: removed with its files
  // on destruction, or by a later run after a kill).
  static Result<SpooledShard> create(const std::filesystem::path& scratch_root, std::uint64_t shard_id);
  SpooledShard(SpooledShard&& other) noexcept = default;
  SpooledShard& operator=(SpooledShard&&) = delete;

  // Reads every existing archive of `shard` to its end. Defects go to `sink` with the archive's
  // file name (inside the backup directory), the entry and the offset, exactly as ifx-verify
  // names them; `on_archive_read` gets each archive's on-disk size once it is read.
  void read(const BackupSet& set, const ShardInBackup& shard, bool quick, verify::detail::DefectSink& sink,
            verify::Checked& checked, const std::function<void(std::uint64_t)>& on_archive_read);

  // The shard's files after merging, in name order (= TSM generation order, §6.3), with the
  // mode and mtime of the entry they came from.
  const std::map<std::string, verify::detail::EntryOrigin>& files() const { return files_; }
  std::filesystem::path path_of(const std::string& file_name) const { return files_dir() / file_name; }
  const ShardTally& tally() const { return tally_; }

  // Writes the merged files as tar entries `<db>/<rp>/<id>/<file>` (§4.1). Does not finish().
  Result<void> write_to(ShardArchiveWriter& writer, const std::string& db, const std::string& rp,
                        std::uint64_t id) const;

 private:
  SpooledShard() = default;
  std::filesystem::path spool_path() const { return scratch_->path() / "spool"; }
  std::filesystem::path files_dir() const { return scratch_->path() / "files"; }
  void read_archive(const BackupSet& set, const ShardInBackup& shard, const ShardArchiveFile& archive, bool quick,
                    verify::detail::DefectSink& sink, verify::Checked& checked);
  void keep_entry(const ArchiveEntry& entry, verify::detail::EntryOrigin origin, bool quick,
                  verify::detail::DefectSink& sink, verify::Checked& checked);

  std::optional<ScratchDirectory> scratch_;
  std::map<std::string, verify::detail::EntryOrigin> files_;
  ShardTally tally_;
};

}  // namespace ifx::convert::detail
