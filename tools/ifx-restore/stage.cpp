#include "ifx-restore/stage.hpp"

#include <set>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "ifx/format/tsm/tsm_file_names.hpp"
#include "ifx/format/archive/shard_archive.hpp"
#include "ifx/format/shard/shard_files.hpp"
#include "ifx/format/shard/shard_rewrite.hpp"

namespace ifx::restore {
namespace fs = std::filesystem;

StagedShard::StagedShard(StagedShard&& o) noexcept
    : tar(std::exchange(o.tar, {})),
      bytes(o.bytes),
      archives(o.archives),
      tsm_files(o.tsm_files),
      tombstones(o.tombstones),
      tombstones_applied(o.tombstones_applied) {}

StagedShard& StagedShard::operator=(StagedShard&& o) noexcept {
  if (this != &o) {
    if (!tar.empty()) {
      std::error_code ec;
      fs::remove(tar, ec);
    }
    tar = std::exchange(o.tar, {});
    bytes = o.bytes;
    archives = o.archives;
    tsm_files = o.tsm_files;
    tombstones = o.tombstones;
    tombstones_applied = o.tombstones_applied;
  }
  return *this;
}

StagedShard::~StagedShard() {
  if (tar.empty()) return;
  std::error_code ec;
  fs::remove(tar, ec);
}

namespace {

std::string renamed(const ShardTarget& t, const std::string& file) {
  return shard_entry_name(t.database, t.retention_policy, t.shard_id, file);
}

Result<ShardArchiveWriter> create_plain_tar(const fs::path& path) {
  ShardArchiveWriterOptions o;
  o.compression = ArchiveCompression::none;
  o.file.replace_existing = true;
  o.file.mode = 0600;
  o.file.durable = false;  // scratch, removed after the upload
  return ShardArchiveWriter::create(path, o);
}

// The fast path. Returns false (and leaves nothing behind) when the shard needs unpacking.
Result<bool> stream_renamed(const BackupSet& set, const ShardInBackup& shard, const ShardTarget& target,
                            const fs::path& out, StagedShard& staged) {
  auto writer = create_plain_tar(out);
  if (!writer) return std::unexpected(writer.error());
  std::set<std::string> seen;
  std::vector<std::uint8_t> buf(256 * 1024);
  ShardEntryVisitor visitor;
  visitor.on_entry = [&](ShardArchiveReader& reader, const ArchiveEntry& e, const ShardArchiveSource&) -> Result<bool> {
    if (tsm::is_tombstone_file(e.shard.file)) {
      staged.tombstones = true;
      return false;
    }
    if (!seen.insert(e.shard.file).second) return false;
    if (auto r = writer->begin_entry({renamed(target, e.shard.file), e.size, e.mode, e.mtime}); !r)
      return std::unexpected(r.error());
    for (;;) {
      auto n = reader.read(buf);
      if (!n) return std::unexpected(n.error());
      if (*n == 0) break;
      if (auto w = writer->write({buf.data(), *n}); !w) {
        Error err = std::move(w.error());
        if (err.file.empty()) err.file = out.string();  // the staged tar, not the backup's archive
        return std::unexpected(std::move(err));
      }
    }
    if (tsm::is_tsm_file(e.shard.file)) ++staged.tsm_files;
    return true;
  };
  auto whole = for_each_shard_entry(shard_archive_sources(set, shard), shard_expectation(shard), visitor);
  if (!whole) return std::unexpected(whole.error());
  if (!*whole) return false;
  auto bytes = writer->finish();
  if (!bytes) return std::unexpected(bytes.error());
  staged.bytes = *bytes;
  return true;
}

// The general path: unpack (later copies replace earlier ones), then tar the result, with the
// tombstones applied when libformat can.
Result<void> stage_unpacked(const BackupSet& set, const ShardInBackup& shard, const ShardTarget& target,
                            const fs::path& scratch_dir, const fs::path& out, StagedShard& staged) {
  auto unpacked = UnpackedShard::unpack(set, shard, scratch_dir);
  if (!unpacked) return std::unexpected(unpacked.error());
  staged.tombstones = unpacked->scan().tombstones > 0;
  staged.tsm_files = unpacked->scan().tsm_files;
  auto writer = create_plain_tar(out);
  if (!writer) return std::unexpected(writer.error());
  if (staged.tombstones) {
    auto r = write_rewritten_shard(*unpacked, target.database, target.retention_policy, target.shard_id, *writer,
                                   scratch_dir, {});
    if (!r) return std::unexpected(r.error());
    staged.tombstones_applied = true;
    staged.tsm_files = r->tsm_files.size();
  } else if (auto r = unpacked->write_to(*writer, target.database, target.retention_policy, target.shard_id); !r) {
    return r;
  }
  auto bytes = writer->finish();
  if (!bytes) return std::unexpected(bytes.error());
  staged.bytes = *bytes;
  return {};
}

}  // namespace

Result<StagedShard> stage_shard(const BackupSet& set, const ShardInBackup& shard, const ShardTarget& target,
                                const fs::path& scratch_dir) {
  StagedShard staged;
  staged.archives = shard.archives.size();
  const fs::path out = scratch_dir / fmt::format("shard-{}-to-{}.tar", shard.shard_id, target.shard_id);
  auto streamed = stream_renamed(set, shard, target, out, staged);
  if (!streamed) return std::unexpected(streamed.error());
  if (!*streamed) {
    staged.tsm_files = 0;
    if (auto r = stage_unpacked(set, shard, target, scratch_dir, out, staged); !r) return std::unexpected(r.error());
  }
  staged.tar = out;
  return staged;
}

}  // namespace ifx::restore
