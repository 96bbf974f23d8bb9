// ifx-verify's shard check of one archive: the compression stream and trailer, the tar to its
// end-of-archive marker, entry names of this shard only, every TSM block's CRC-32 (quick mode:
// not decoded). Run on the received tar as it arrives (stream_check.cpp), on archives written
// from scratch (-start/-end cuts, empty shards) and on those an interrupted run left (--resume).
#include <fmt/format.h>

#include "ifx-backup/steps.hpp"
#include "ifx-verify/checks.hpp"
#include "ifx/format/backup/backup_set.hpp"

namespace ifx::backup::detail {

Result<void> check_archive(const std::filesystem::path& dir, const std::string& file_name,
                           const PlannedShard& shard, std::optional<std::uint64_t> tar_bytes,
                           const std::filesystem::path& scratch_root, ArchiveOpener open_archive) {
  BackupSet set;
  set.dir = dir;
  ShardInBackup in_backup;
  in_backup.database = shard.database;
  in_backup.retention_policy = shard.retention_policy;
  in_backup.shard_id = shard.shard_id;
  ShardArchiveFile archive;
  archive.file_name = file_name;
  archive.manifest_size = tar_bytes;
  archive.manifest = "the bytes written";
  in_backup.archives.push_back(std::move(archive));

  verify::Options vo;
  vo.backup_dir = dir;
  vo.quick = true;  // structure and every block's CRC; decoding is ifx-verify's full run
  vo.scratch_root = scratch_root;
  vo.max_defects_per_entry = 5;
  vo.open_archive = std::move(open_archive);
  auto outcome = verify::detail::check_shard(set, in_backup, vo);
  if (outcome.defects.empty()) return {};
  Error first = std::move(outcome.defects.front());
  if (outcome.defects.size() > 1)
    first.message += fmt::format(" (and {} more defect{})", outcome.defects.size() - 1,
                                 outcome.defects.size() == 2 ? "" : "s");
  return std::unexpected(std::move(first));
}

Result<std::uint64_t> tar_length(const std::filesystem::path& path, const PlannedShard& shard) {
  ShardArchiveReaderOptions ro;
  ro.expect = ShardExpectation{shard.database, shard.retention_policy, shard.shard_id};
  auto reader = ShardArchiveReader::open(path, ro);
  if (!reader) return std::unexpected(std::move(reader.error()));
  ArchiveEntry entry;
  while (true) {
    auto more = reader->next(entry);  // skips each entry's data; the end is checked fully
    if (!more) return std::unexpected(std::move(more.error()));
    if (!*more) break;
  }
  return reader->uncompressed_bytes();
}

}  // namespace ifx::backup::detail
