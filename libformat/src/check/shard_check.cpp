#include "ifx/format/tsm/tsm_file_names.hpp"
#include "ifx/format/check/shard_check.hpp"

#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ifx/format/check/tsm_check.hpp"
#include "ifx/format/io/scratch_directory.hpp"

namespace ifx::check {
namespace fs = std::filesystem;

Checked& Checked::operator+=(const Checked& o) {
  files += o.files;
  archives += o.archives;
  tsm_files += o.tsm_files;
  blocks += o.blocks;
  points += o.points;
  bytes += o.bytes;
  return *this;
}

ShardCheck check_shard_archives(const std::vector<ShardArchiveSource>& archives, const ShardExpectation& expect,
                                const ShardCheckOptions& options) {
  ShardCheck out;
  DefectSink sink(options.max_defects_per_entry);
  std::vector<ShardArchiveSource> present;
  for (const auto& a : archives)
    if (!a.missing) present.push_back(a);

  UnpackOptions unpack;
  unpack.keep_going = true;
  unpack.scratch_prefix = "ifx-check";
  unpack.on_file = [&](const fs::path& path, const UnpackedFile& file) {
    const EntryOrigin origin{file.archive, file.entry};
    const std::string name = path.filename().string();
    if (tsm::is_tsm_file(name)) {
      ++out.checked.tsm_files;
      TsmTally tally;
      check_tsm_file(path, origin, options.quick, tally, sink);
      out.checked.blocks += tally.blocks;
      out.checked.points += tally.points;
      out.data_blocks += tally.blocks;
    } else if (tsm::is_tombstone_file(name)) {
      check_tombstone_file(path, origin, sink);
    }
  };
  unpack.on_archive_end = [&](const ShardArchiveSource& source, const ArchiveRead& read) {
    ++out.checked.archives;
    ++out.checked.files;
    out.tar_bytes += read.tar_bytes;
    out.checked.bytes += read.file_bytes;
    if (options.on_archive_read) options.on_archive_read(read.file_bytes);
    if (read.error) {  // the reader is finished after an error: go on with the next archive
      sink.add(*read.error);
      return;
    }
    for (const auto& name : read.duplicate_names) out.duplicate_entries.push_back({source.name, name});
    // §3.4: the manifest's `size` is the uncompressed tar length, trailer included.
    if (source.manifest_size && *source.manifest_size != read.tar_bytes)
      sink.add(defect(ErrorCode::size_mismatch, source.name, "", std::nullopt,
                      fmt::format("{} says the tar inside {} is {} bytes; it is {} bytes", source.manifest, source.name,
                                  *source.manifest_size, read.tar_bytes)));
  };
  auto unpacked = UnpackedShard::unpack(
      present, expect, options.scratch_root.empty() ? default_scratch_root() : options.scratch_root, unpack);
  if (!unpacked) {
    sink.add(std::move(unpacked.error()));  // the scratch space itself failed
  } else {
    std::vector<std::pair<fs::path, EntryOrigin>> tsm_files;
    for (const auto& [name, file] : unpacked->files())  // name order = generation order (§6.3)
      if (tsm::is_tsm_file(name))
        tsm_files.emplace_back(unpacked->path_of(name), EntryOrigin{file.archive, file.entry});
    check_type_conflicts(tsm_files, sink);
    if (options.keep_files) out.files.emplace(std::move(*unpacked));
  }
  sink.finish();
  out.defects = std::move(sink.defects());
  out.notes = std::move(sink.notes());
  return out;
}

std::optional<std::string> duplicate_entries_note(const std::vector<EntryOrigin>& duplicates) {
  if (duplicates.empty()) return std::nullopt;
  constexpr std::size_t kListed = 5;
  std::set<std::string> archives;
  std::vector<std::string> listed;
  for (const auto& d : duplicates) {
    archives.insert(d.file);
    if (listed.size() < kListed) listed.push_back(fmt::format("{}: {}", d.file, d.entry));
  }
  return fmt::format(
      "{} entr{} in {} archive{} occur{} more than once; the later copy wins (influxd's export writes such "
      "duplicates, docs/FORMATS.md §4.4): {}{}",
      duplicates.size(), duplicates.size() == 1 ? "y" : "ies", archives.size(), archives.size() == 1 ? "" : "s",
      duplicates.size() == 1 ? "s" : "", fmt::join(listed, ", "),
      duplicates.size() > kListed ? fmt::format(" and {} more", duplicates.size() - kListed) : "");
}

ShardCheck check_shard(const BackupSet& set, const ShardInBackup& shard, const ShardCheckOptions& options) {
  return check_shard_archives(shard_archive_sources(set, shard), shard_expectation(shard), options);
}

}  // namespace ifx::check
