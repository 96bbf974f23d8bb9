#include "ifx-convert/spooled_shard.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace ifx::convert::detail {
namespace fs = std::filesystem;
using verify::detail::DefectSink;
using verify::detail::EntryOrigin;

namespace {

Error relocated_to_archive(Error e, const ShardArchiveFile& archive) {
  e.file = archive.file_name;  // the reader names the full path; defects name the file in the backup
  return e;
}

// Copies the current entry's data to `dest` with the entry's mode and mtime, so the tar header
// written from the copy later (ShardArchiveWriter::add_file) carries the original ones (§4.1).
Result<void> spool_entry(ShardArchiveReader& reader, const ArchiveEntry& entry, const fs::path& dest) {
  int fd = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return fail("io", fmt::format("cannot write the scratch file {}: {}", dest.string(), std::strerror(errno)));
  auto copied = reader.copy_to_fd(fd, dest);
  if (copied) {
    ::fchmod(fd, static_cast<mode_t>(entry.mode & 07777u));
    const struct timespec times[2] = {{entry.mtime, 0}, {entry.mtime, 0}};
    ::futimens(fd, times);
  }
  ::close(fd);
  if (!copied) return std::unexpected(std::move(copied.error()));
  return {};
}

}  // namespace

Result<SpooledShard> SpooledShard::create(const fs::path& scratch_root, std::uint64_t shard_id) {
  auto scratch = ScratchDirectory::create(scratch_root, fmt::format("ifx-convert-{}", shard_id));
  if (!scratch) return std::unexpected(std::move(scratch.error()));
  SpooledShard s;
  s.scratch_.emplace(std::move(*scratch));
  std::error_code ec;
  fs::create_directory(s.files_dir(), ec);
  if (ec) return fail("io", fmt::format("cannot create {}: {}", s.files_dir().string(), ec.message()));
  return s;
}

void SpooledShard::read(const BackupSet& set, const ShardInBackup& shard, bool quick, DefectSink& sink,
                        verify::Checked& checked, const std::function<void(std::uint64_t)>& on_archive_read) {
  for (const auto& archive : shard.archives) {
    if (!archive.exists) continue;  // "file-missing": reported with the backup-level checks
    read_archive(set, shard, archive, quick, sink, checked);
    std::error_code ec;
    const std::uint64_t size = fs::file_size(set.dir / archive.file_name, ec);
    checked.bytes += ec ? 0 : size;
    if (on_archive_read) on_archive_read(ec ? 0 : size);
  }
  // FORMATS.md §6.2: a field has one block type across all the shard's TSM files.
  std::vector<std::pair<fs::path, EntryOrigin>> tsm_files;
  for (const auto& [name, origin] : files_)
    if (name.ends_with(".tsm")) tsm_files.emplace_back(path_of(name), origin);
  verify::detail::check_type_conflicts(tsm_files, sink);
}

void SpooledShard::read_archive(const BackupSet& set, const ShardInBackup& shard, const ShardArchiveFile& archive,
                                bool quick, DefectSink& sink, verify::Checked& checked) {
  ++tally_.archives;
  ++checked.archives;
  ++checked.files;
  ShardArchiveReaderOptions ro;
  // Entries must name this very shard (§3.8: db/rp/id come from the entry names; an entry naming
  // another shard would land in the wrong place).
  ro.expect = ShardExpectation{shard.database, shard.retention_policy, shard.shard_id};
  auto reader = ShardArchiveReader::open(set.dir / archive.file_name, ro);
  if (!reader) {
    sink.add(relocated_to_archive(std::move(reader.error()), archive));
    return;
  }
  ArchiveEntry entry;
  while (true) {
    auto more = reader->next(entry);
    if (!more) {  // the reader is finished after an error
      sink.add(relocated_to_archive(std::move(more.error()), archive));
      return;
    }
    if (!*more) break;
    if (auto r = spool_entry(*reader, entry, spool_path()); !r) {
      sink.add(relocated_to_archive(std::move(r.error()), archive));
      return;
    }
    keep_entry(entry, EntryOrigin{archive.file_name, entry.name}, quick, sink, checked);
  }
  // FORMATS.md §3.4: the manifest's `size` is the uncompressed tar length, trailer included.
  if (archive.manifest_size && *archive.manifest_size != reader->uncompressed_bytes())
    sink.add(verify::detail::defect("size-mismatch", archive.file_name, "", std::nullopt,
                                    fmt::format("{} says the tar inside {} is {} bytes; it is {} bytes",
                                                archive.manifest, archive.file_name, *archive.manifest_size,
                                                reader->uncompressed_bytes())));
}

void SpooledShard::keep_entry(const ArchiveEntry& entry, EntryOrigin origin, bool quick, DefectSink& sink,
                              verify::Checked& checked) {
  const std::string& name = entry.shard.file;  // a plain file name: parse_shard_entry_name checked it
  if (name.ends_with(".tsm")) {
    ++checked.tsm_files;
    verify::detail::TsmTally tally;
    verify::detail::check_tsm_file(spool_path(), origin, quick, tally, sink);
    checked.blocks += tally.blocks;
    checked.points += tally.points;
  } else if (name.ends_with(".tombstone")) {
    verify::detail::check_tombstone_file(spool_path(), origin, sink);
  }
  std::error_code ec;
  fs::rename(spool_path(), files_dir() / name, ec);  // a later copy replaces an earlier one (§4.3)
  if (ec) {
    sink.add(verify::detail::defect("io", origin.file, origin.entry, std::nullopt,
                                    fmt::format("cannot keep the scratch copy of the entry: {}", ec.message())));
    return;
  }
  files_[name] = std::move(origin);
}

Result<void> SpooledShard::write_to(ShardArchiveWriter& writer, const std::string& db, const std::string& rp,
                                    std::uint64_t id) const {
  for (const auto& [name, origin] : files_) {  // name order, as influxd's directory walk (§4.1)
    if (auto r = writer.add_file(fmt::format("{}/{}/{}/{}", db, rp, id, name), path_of(name)); !r) return r;
  }
  return {};
}

}  // namespace ifx::convert::detail
