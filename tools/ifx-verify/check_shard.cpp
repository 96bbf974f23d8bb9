// One shard: its archive files read in order (a legacy shard's .NN increments, a portable
// manifest chain's files, FORMATS.md §3.6, §3.8), each entry spooled to a scratch directory so
// the TSM reader can seek (the index is at the end, §6.1), checked, then kept under its name so a
// later copy replaces an earlier one. Every copy of every TSM file is checked, superseded ones
// too: their bytes are part of the backup. Only one shard per job is on disk at a time.
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include "ifx-verify/checks.hpp"
#include "ifx/format/archive/shard_archive.hpp"
#include "ifx/format/io/scratch_directory.hpp"
#include "ifx/format/shard/shard_files.hpp"

namespace ifx::verify::detail {
namespace fs = std::filesystem;
namespace {

// The scratch directory of a shard's check: the entry being read, and the shard's current files.
fs::path spool_path(const ScratchDirectory& scratch) { return scratch.path() / "spool"; }
fs::path files_path(const ScratchDirectory& scratch) { return scratch.path() / "files"; }

// Copies the current entry's data to `dest`. Reader errors come back as they are (they name the
// archive, entry and offset); failures to write the scratch copy are "io".
Result<void> spool_entry(ShardArchiveReader& reader, const fs::path& dest) {
  int fd = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return fail("io", fmt::format("cannot write the scratch file {}: {}", dest.string(), std::strerror(errno)));
  auto copied = reader.copy_to_fd(fd, dest);
  ::close(fd);
  if (!copied) return std::unexpected(std::move(copied.error()));
  return {};
}

struct ShardCheck {
  const BackupSet& set;
  const ShardInBackup& shard;
  const Options& options;
  DefectSink sink;
  ShardOutcome out;
  std::map<std::string, EntryOrigin> current;  // file name → where its newest copy came from

  void check_archive(const ShardArchiveFile& archive, const ScratchDirectory& scratch) {
    const fs::path path = set.dir / archive.file_name;
    ++out.checked.archives;
    ++out.checked.files;
    std::error_code ec;
    out.checked.bytes += fs::file_size(path, ec);

    ShardArchiveReaderOptions ro;
    ro.expect = ShardExpectation{shard.database, shard.retention_policy, shard.shard_id};
    auto reader = options.open_archive ? options.open_archive(path, std::move(ro)) : ShardArchiveReader::open(path, ro);
    if (!reader) {
      sink.add(relocated(std::move(reader.error()), {archive.file_name, ""}));
      return;
    }
    ArchiveEntry entry;
    while (true) {
      auto more = reader->next(entry);
      if (!more) {  // the reader is finished after an error: go on with the next archive
        sink.add(relocated_archive_error(std::move(more.error()), archive));
        return;
      }
      if (!*more) break;
      if (auto r = spool_entry(*reader, spool_path(scratch)); !r) {
        // A failed write of the scratch copy names the scratch file; the rest names the archive.
        if (r.error().file == spool_path(scratch).string()) sink.add(std::move(r.error()));
        else sink.add(relocated_archive_error(std::move(r.error()), archive));
        return;
      }
      check_entry(EntryOrigin{archive.file_name, entry.name}, entry.shard.file, scratch);
    }
    for (const auto& name : reader->duplicate_names())
      sink.note(fmt::format("{}: entry {} occurs more than once; the later copy wins (influxd's export "
                            "writes such duplicates, FORMATS.md §4.4)",
                            archive.file_name, name));
    // FORMATS.md §3.4: the manifest's `size` is the uncompressed tar length, trailer included.
    if (archive.manifest_size && *archive.manifest_size != reader->uncompressed_bytes())
      sink.add(defect("size-mismatch", archive.file_name, "", std::nullopt,
                      fmt::format("{} says the tar inside {} is {} bytes; it is {} bytes",
                                  archive.manifest, archive.file_name, *archive.manifest_size,
                                  reader->uncompressed_bytes())));
  }

  static Error relocated_archive_error(Error e, const ShardArchiveFile& archive) {
    e.file = archive.file_name;  // the reader names the full path
    return e;
  }

  void check_entry(EntryOrigin origin, const std::string& file_name, const ScratchDirectory& scratch) {
    if (file_name.ends_with(".tsm")) {
      ++out.checked.tsm_files;
      TsmTally tally;
      check_tsm_file(spool_path(scratch), origin, options.quick, tally, sink);
      out.checked.blocks += tally.blocks;
      out.checked.points += tally.points;
      out.data_blocks += tally.blocks;
    } else if (file_name.ends_with(".tombstone")) {
      check_tombstone_file(spool_path(scratch), origin, sink);
    }
    std::error_code ec;
    fs::rename(spool_path(scratch), files_path(scratch) / file_name, ec);  // a plain name: checked by the reader
    if (ec) {
      sink.add(defect("io", origin.file, origin.entry, std::nullopt,
                      fmt::format("cannot keep the scratch copy of the entry: {}", ec.message())));
      return;
    }
    current[file_name] = std::move(origin);
  }

  void check_types_across_files(const ScratchDirectory& scratch) {
    std::vector<std::pair<fs::path, EntryOrigin>> tsm_files;
    for (const auto& [name, origin] : current)  // name order = generation order (§6.3)
      if (name.ends_with(".tsm")) tsm_files.emplace_back(files_path(scratch) / name, origin);
    check_type_conflicts(tsm_files, sink);
  }
};

}  // namespace

ShardOutcome check_shard(const BackupSet& set, const ShardInBackup& shard, const Options& o) {
  ShardCheck c{set, shard, o, DefectSink(o.max_defects_per_entry), {}, {}};
  auto scratch = ScratchDirectory::create(o.scratch_root.empty() ? default_scratch_root() : o.scratch_root,
                                          fmt::format("ifx-verify-{}", shard.shard_id));
  std::error_code ec;
  if (scratch) fs::create_directory(files_path(*scratch), ec);
  if (!scratch) {
    c.sink.add(std::move(scratch.error()));
  } else if (ec) {
    c.sink.add(Error{"io", fmt::format("cannot create {}: {}", files_path(*scratch).string(), ec.message())});
  } else {
    for (const auto& archive : shard.archives)
      if (archive.exists) c.check_archive(archive, *scratch);  // missing files: see check_backup.cpp
    c.check_types_across_files(*scratch);
  }
  c.sink.finish();
  c.out.defects = std::move(c.sink.defects());
  c.out.notes = std::move(c.sink.notes());
  return std::move(c.out);
}

}  // namespace ifx::verify::detail
