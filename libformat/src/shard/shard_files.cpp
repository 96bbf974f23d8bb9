#include "ifx/format/shard/shard_files.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include "ifx/format/archive/shard_archive.hpp"

namespace ifx {
namespace fs = std::filesystem;

fs::path default_scratch_root() {
  const char* t = std::getenv("TMPDIR");
  return t && *t ? fs::path(t) : fs::path("/tmp");
}

namespace {

Error with_file(Error e, const std::string& file) {
  e.file = file;  // the backup file, always (the reader put the full path there)
  return e;
}

// One archive to read: where it is, the name errors carry, and why it cannot be read if it is
// known to be missing (reported when the walk reaches it, so earlier archives are checked first).
struct ArchiveToRead {
  fs::path path;
  std::string display_name;
  std::optional<Error> missing;
};

std::vector<ArchiveToRead> archives_of(const BackupSet& set, const ShardInBackup& shard) {
  std::vector<ArchiveToRead> out;
  for (const auto& a : shard.archives) {
    ArchiveToRead item{set.dir / a.file_name, a.file_name, std::nullopt};
    if (!a.exists)
      item.missing = Error{"file-missing",
          fmt::format("archive of shard {} ({}/{}) does not exist", shard.shard_id, shard.database,
                      shard.retention_policy), a.file_name, {}, std::nullopt};
    out.push_back(std::move(item));
  }
  return out;
}

ShardExpectation expectation_of(const ShardInBackup& shard) {
  return ShardExpectation{shard.database, shard.retention_policy, shard.shard_id};
}

// Walks every archive of the shard in order; `on_entry` gets each entry with the reader
// positioned at its data (it may read it or leave it).
template <class OnEntry>
Result<ShardScan> walk(const std::vector<ArchiveToRead>& archives, const ShardExpectation& expect,
                       OnEntry&& on_entry) {
  ShardScan scan;
  std::set<std::string> names;
  for (const auto& a : archives) {
    if (a.missing) return std::unexpected(*a.missing);
    ShardArchiveReaderOptions opts;
    opts.expect = expect;
    auto reader = ShardArchiveReader::open(a.path, opts);
    if (!reader) return std::unexpected(with_file(std::move(reader.error()), a.display_name));
    ArchiveEntry entry;
    while (true) {
      auto more = reader->next(entry);
      if (!more) return std::unexpected(with_file(std::move(more.error()), a.display_name));
      if (!*more) break;
      names.insert(entry.shard.file);
      if (auto r = on_entry(*reader, entry); !r)
        return std::unexpected(with_file(std::move(r.error()), a.display_name));
    }
    for (const auto& d : reader->duplicate_names()) scan.duplicate_entries.push_back(d);
    scan.tar_bytes += reader->uncompressed_bytes();
    std::error_code ec;
    scan.archive_bytes += fs::file_size(a.path, ec);
  }
  scan.files.assign(names.begin(), names.end());
  for (const auto& n : scan.files) {
    if (n.ends_with(".tsm")) ++scan.tsm_files;
    if (n.ends_with(".tombstone")) ++scan.tombstones;
  }
  return scan;
}

}  // namespace

namespace detail {
struct ShardUnpacker {
  static Result<UnpackedShard> unpack(const std::vector<ArchiveToRead>& archives,
                                      const ShardExpectation& expect, const fs::path& scratch_root);
};
}  // namespace detail

Result<ShardScan> scan_shard(const BackupSet& set, const ShardInBackup& shard) {
  return walk(archives_of(set, shard), expectation_of(shard),
              [](ShardArchiveReader&, const ArchiveEntry&) -> Result<void> { return {}; });
}

Result<UnpackedShard> UnpackedShard::unpack(const BackupSet& set, const ShardInBackup& shard,
                                            const fs::path& scratch_root) {
  return detail::ShardUnpacker::unpack(archives_of(set, shard), expectation_of(shard), scratch_root);
}

Result<UnpackedShard> UnpackedShard::unpack_archives(const std::vector<fs::path>& archives,
                                                     ShardExpectation expect,
                                                     const fs::path& scratch_root) {
  std::vector<ArchiveToRead> list;
  for (const fs::path& p : archives) {
    ArchiveToRead item{p, p.string(), std::nullopt};
    std::error_code ec;
    if (!fs::exists(p, ec))
      item.missing = Error{"file-missing", fmt::format("shard archive {} does not exist", p.string()),
                           p.string(), {}, std::nullopt};
    list.push_back(std::move(item));
  }
  return detail::ShardUnpacker::unpack(list, expect, scratch_root);
}

// Both unpack overloads: every archive's entries into a fresh directory, a later same-named
// entry replacing an earlier one (FORMATS.md §4.3).
Result<UnpackedShard> detail::ShardUnpacker::unpack(const std::vector<ArchiveToRead>& archives,
                                                    const ShardExpectation& expect,
                                                    const fs::path& scratch_root) {
  auto scratch = ScratchDirectory::create(
      scratch_root, expect.shard_id ? fmt::format("ifx-shard-{}", *expect.shard_id) : std::string("ifx-shard"));
  if (!scratch) return std::unexpected(std::move(scratch.error()));
  UnpackedShard out;
  out.dir_ = scratch->path();
  out.scratch_.emplace(std::move(*scratch));
  auto scan = walk(archives, expect, [&](ShardArchiveReader& reader, const ArchiveEntry& e) -> Result<void> {
    // Entry names were checked by the reader (a plain file name, no '/', no '..'), so this
    // path stays inside the scratch directory. A later increment replaces an earlier file.
    fs::path dest = out.dir_ / e.shard.file;
    int fd = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
      return fail("io", fmt::format("cannot write {}: {}", dest.string(), std::strerror(errno)));
    auto copied = reader.copy_to_fd(fd, dest);
    ::close(fd);
    if (!copied) return std::unexpected(std::move(copied.error()));
    return {};
  });
  if (!scan) return std::unexpected(std::move(scan.error()));
  out.scan_ = std::move(*scan);
  return out;
}

std::vector<fs::path> UnpackedShard::tsm_paths() const {
  std::vector<fs::path> out;
  for (const auto& n : scan_.files)
    if (n.ends_with(".tsm")) out.push_back(dir_ / n);
  return out;  // scan_.files is sorted
}

std::optional<fs::path> UnpackedShard::tombstone_for(const fs::path& tsm) const {
  fs::path t = tsm;
  t.replace_extension(".tombstone");
  std::error_code ec;
  if (fs::exists(t, ec)) return t;
  return std::nullopt;
}

}  // namespace ifx
