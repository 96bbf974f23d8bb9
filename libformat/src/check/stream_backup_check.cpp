// check_backup_stream (backup_check.hpp): the stream read once by backup/backup_stream.hpp, each
// shard archive checked by the same shard check a directory gets while it lies spooled, then the
// stream's own defects (names, order, cut, the manifest against what came) and the expectations
// (--max-age, --expect-db) over the BackupSet the stream gave.
#include <map>

#include "ifx/format/backup/backup_stream.hpp"
#include "ifx/format/check/backup_check.hpp"
#include "ifx/format/check/defect_sink.hpp"
#include "ifx/format/check/shard_check.hpp"

namespace ifx::check {

Result<BackupCheckReport> check_backup_stream(const BackupCheckOptions& options) {
  BackupCheckReport report;
  report.options = options;
  DefectSink sink(options.max_defects_per_entry);
  std::map<std::string, std::uint64_t> blocks_per_database;
  const std::filesystem::path scratch = options.scratch_root.empty() ? default_scratch_root() : options.scratch_root;

  BackupStreamVisitor visitor;
  visitor.wanted = [&](const ShardExpectation& where) {
    return !where.db || options.selects(*where.db, *where.rp, *where.shard_id);
  };
  visitor.on_shard_archive = [&](const std::string& name, const ShardExpectation& where,
                                 const std::filesystem::path& path) -> std::optional<std::uint64_t> {
    ShardCheckOptions so;
    so.quick = options.quick;
    so.scratch_root = scratch;
    so.max_defects_per_entry = options.max_defects_per_entry;
    ShardArchiveSource source;
    source.path = path;
    source.name = name;
    ShardCheck checked = check_shard_archives({source}, where, so);
    report.checked += checked.checked;
    if (where.db) blocks_per_database[*where.db] += checked.data_blocks;
    for (auto& d : checked.defects) sink.add(std::move(d));
    for (auto& n : checked.notes) sink.note(std::move(n));
    if (!checked.valid()) return std::nullopt;
    return checked.tar_bytes;
  };
  auto read = read_backup_stream(options.backup_dir, scratch, visitor);
  if (!read) return std::unexpected(std::move(read.error()));
  report.checked.files += read->files;
  report.checked.bytes += read->small_bytes;
  for (auto& d : read->defects) sink.add(std::move(d));
  if (!read->set.manifest_files.empty() && !read->set.meta_file.empty()) {
    check_expected_databases(read->set, options, blocks_per_database, sink);
    check_freshness(read->set, options, sink);
  }
  sink.finish();
  report.defects = std::move(sink.defects());
  report.notes = std::move(sink.notes());
  return report;
}

}  // namespace ifx::check
