#include "ifx/format/tsm/tsm_file_names.hpp"
#include "ifx/format/io/file_size.hpp"
#include "ifx/format/shard/shard_files.hpp"

#include <cerrno>
#include <cstring>
#include <set>

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

namespace ifx {
namespace fs = std::filesystem;

namespace {

// Errors of the archive name the archive as the backup knows it; an error about a file the
// visitor writes itself (a scratch copy) keeps that file's name.
Error named_after(Error e, const ShardArchiveSource& source) {
  if (e.file.empty() || e.file == source.path.string()) e.file = source.name;
  return e;
}

// Reads one archive. Returns false when the visitor stopped the walk.
Result<bool> walk_archive(const ShardArchiveSource& source, const ShardExpectation& expect,
                          const ShardEntryVisitor& visitor, ArchiveRead& read) {
  read.file_bytes = file_size_or_zero(source.path);
  ShardArchiveReaderOptions options;
  options.expect = expect;
  auto reader = source.open ? source.open(options) : ShardArchiveReader::open(source.path, options);
  if (!reader) return std::unexpected(named_after(std::move(reader.error()), source));
  ArchiveEntry entry;
  while (true) {
    auto more = reader->next(entry);
    if (!more) {
      read.tar_bytes = reader->uncompressed_bytes();
      return std::unexpected(named_after(std::move(more.error()), source));
    }
    if (!*more) break;
    auto go_on = visitor.on_entry ? visitor.on_entry(*reader, entry, source) : Result<bool>(true);
    if (!go_on) {
      read.tar_bytes = reader->uncompressed_bytes();
      return std::unexpected(named_after(std::move(go_on.error()), source));
    }
    if (!*go_on) return false;
  }
  read.tar_bytes = reader->uncompressed_bytes();
  read.duplicate_names = reader->duplicate_names();
  return true;
}

}  // namespace

std::vector<ShardArchiveSource> shard_archive_sources(const BackupSet& set, const ShardInBackup& shard) {
  std::vector<ShardArchiveSource> out;
  for (const auto& a : shard.archives) {
    ShardArchiveSource s{set.dir / a.file_name, a.file_name, a.manifest_size, a.manifest, std::nullopt, {}};
    if (!a.exists)
      s.missing = Error{ErrorCode::file_missing,
                        fmt::format("archive of shard {} ({}/{}) does not exist", shard.shard_id, shard.database,
                                    shard.retention_policy),
                        a.file_name,
                        {},
                        std::nullopt};
    out.push_back(std::move(s));
  }
  return out;
}

ShardExpectation shard_expectation(const ShardInBackup& shard) {
  return ShardExpectation{shard.database, shard.retention_policy, shard.shard_id};
}

std::vector<ShardArchiveSource> shard_archive_sources(const std::vector<fs::path>& paths) {
  std::vector<ShardArchiveSource> out;
  for (const fs::path& p : paths) {
    ShardArchiveSource s{p, p.string(), std::nullopt, {}, std::nullopt, {}};
    std::error_code ec;
    if (!fs::exists(p, ec))
      s.missing = Error{ErrorCode::file_missing,
                        fmt::format("shard archive {} does not exist", p.string()),
                        p.string(),
                        {},
                        std::nullopt};
    out.push_back(std::move(s));
  }
  return out;
}

Result<bool> for_each_shard_entry(const std::vector<ShardArchiveSource>& archives, const ShardExpectation& expect,
                                  const ShardEntryVisitor& visitor) {
  for (const auto& source : archives) {
    ArchiveRead read;
    Result<bool> r = source.missing ? Result<bool>(std::unexpected(*source.missing))
                                    : walk_archive(source, expect, visitor, read);
    if (!r) {
      if (!visitor.keep_going) return r;
      read.error = std::move(r.error());
    }
    if (visitor.on_archive_end) visitor.on_archive_end(source, read);
    if (r && !*r) return false;
  }
  return true;
}

namespace {

// The scan's totals from the names kept and the archives read.
void finish_scan(ShardScan& scan, const std::set<std::string>& names) {
  scan.files.assign(names.begin(), names.end());
  for (const auto& n : scan.files) {
    if (tsm::is_tsm_file(n)) ++scan.tsm_files;
    if (tsm::is_tombstone_file(n)) ++scan.tombstones;
  }
}

void add_archive(ShardScan& scan, const ArchiveRead& read) {
  scan.archive_bytes += read.file_bytes;
  scan.tar_bytes += read.tar_bytes;
  scan.duplicate_entries.insert(scan.duplicate_entries.end(), read.duplicate_names.begin(), read.duplicate_names.end());
}

}  // namespace

Result<ShardScan> scan_shard(const BackupSet& set, const ShardInBackup& shard) {
  ShardScan scan;
  std::set<std::string> names;
  ShardEntryVisitor visitor;
  visitor.on_entry = [&](ShardArchiveReader&, const ArchiveEntry& e, const ShardArchiveSource&) -> Result<bool> {
    names.insert(e.shard.file);
    return true;
  };
  visitor.on_archive_end = [&](const ShardArchiveSource&, const ArchiveRead& read) { add_archive(scan, read); };
  if (auto r = for_each_shard_entry(shard_archive_sources(set, shard), shard_expectation(shard), visitor); !r)
    return std::unexpected(std::move(r.error()));
  finish_scan(scan, names);
  return scan;
}

Result<UnpackedShard> UnpackedShard::unpack(const BackupSet& set, const ShardInBackup& shard,
                                            const fs::path& scratch_root) {
  return unpack(shard_archive_sources(set, shard), shard_expectation(shard), scratch_root, {});
}

Result<UnpackedShard> UnpackedShard::unpack_archives(const std::vector<fs::path>& archives, ShardExpectation expect,
                                                     const fs::path& scratch_root) {
  return unpack(shard_archive_sources(archives), expect, scratch_root, {});
}

Result<UnpackedShard> UnpackedShard::unpack(const std::vector<ShardArchiveSource>& archives,
                                            const ShardExpectation& expect, const fs::path& scratch_root,
                                            const UnpackOptions& options) {
  auto scratch = ScratchDirectory::create(
      scratch_root,
      expect.shard_id ? fmt::format("{}-{}", options.scratch_prefix, *expect.shard_id) : options.scratch_prefix);
  if (!scratch) return std::unexpected(std::move(scratch.error()));
  UnpackedShard out;
  out.dir_ = scratch->path();
  out.scratch_.emplace(std::move(*scratch));
  std::set<std::string> names;
  ShardEntryVisitor visitor;
  visitor.keep_going = options.keep_going;
  visitor.on_entry = [&](ShardArchiveReader& reader, const ArchiveEntry& e,
                         const ShardArchiveSource& source) -> Result<bool> {
    // Entry names were checked by the reader (a plain file name, no '/', no '..'), so this
    // path stays inside the scratch directory. A later copy replaces an earlier file.
    const fs::path dest = out.dir_ / e.shard.file;
    int fd = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
      Error err{ErrorCode::io,
                fmt::format("cannot write the scratch file {}: {}", dest.string(), std::strerror(errno)),
                dest.string(),
                {},
                std::nullopt};
      return std::unexpected(std::move(err));
    }
    auto copied = reader.copy_to_fd(fd, dest);
    ::close(fd);
    if (!copied) return std::unexpected(std::move(copied.error()));
    names.insert(e.shard.file);
    UnpackedFile& file = out.files_[e.shard.file];
    file = UnpackedFile{source.name, e.name, e.mode, e.mtime};
    if (options.on_file) options.on_file(dest, file);
    return true;
  };
  visitor.on_archive_end = [&](const ShardArchiveSource& source, const ArchiveRead& read) {
    add_archive(out.scan_, read);
    if (options.on_archive_end) options.on_archive_end(source, read);
  };
  if (auto r = for_each_shard_entry(archives, expect, visitor); !r) return std::unexpected(std::move(r.error()));
  finish_scan(out.scan_, names);
  return out;
}

std::vector<fs::path> UnpackedShard::tsm_paths() const {
  std::vector<fs::path> out;
  for (const auto& n : scan_.files)
    if (tsm::is_tsm_file(n)) out.push_back(dir_ / n);
  return out;  // scan_.files is sorted
}

std::optional<fs::path> UnpackedShard::tombstone_for(const fs::path& tsm) const {
  const fs::path t = tsm::tombstone_path_for(tsm);
  std::error_code ec;
  if (fs::exists(t, ec)) return t;
  return std::nullopt;
}

Result<void> UnpackedShard::write_to(ShardArchiveWriter& writer, std::string_view db, std::string_view rp,
                                     std::uint64_t id) const {
  for (const auto& [name, file] : files_) {  // name order, as influxd's directory walk (§4.1)
    if (auto r = writer.add_file(shard_entry_name(db, rp, id, name), path_of(name),
                                 TarEntryAttributes{file.mode, file.mtime});
        !r)
      return r;
  }
  return {};
}

}  // namespace ifx
