// A shard's directories turned into its archive entries (shard_on_disk.hpp). Every source file is
// checked before it goes in, so damage is named by the path a user can look at; with salvage, a
// damaged TSM file is replaced by its readable blocks (tsm/tsm_salvage.hpp), a damaged tombstone
// by its readable records, and a damaged WAL entry ends its segment as influxd's loader ends it.
#include "ifx/format/shard/shard_on_disk.hpp"

#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>

#include "ifx/format/check/defect_sink.hpp"
#include "ifx/format/check/tsm_check.hpp"
#include "ifx/format/io/file_size.hpp"
#include "ifx/format/io/scratch_directory.hpp"
#include "ifx/format/shard/shard_rewrite.hpp"
#include "ifx/format/text/decimal.hpp"
#include "ifx/format/tsm/tombstone.hpp"
#include "ifx/format/tsm/tsm_file_names.hpp"
#include "ifx/format/tsm/tsm_reader.hpp"
#include "ifx/format/tsm/tsm_salvage.hpp"
#include "ifx/format/tsm/tsm_writer.hpp"
#include "ifx/format/wal/wal_replay.hpp"

namespace ifx {
namespace fs = std::filesystem;
namespace {

Result<void> walk_shard_dirs(const fs::path& root, bool wal,
                             std::map<std::tuple<std::string, std::string, std::uint64_t>, ShardOnDisk>& found) {
  std::error_code ec;
  auto dirs_in = [&](const fs::path& dir) {
    std::vector<fs::directory_entry> out;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::error_code type_ec;
      if (it->is_directory(type_ec)) out.push_back(*it);
    }
    return out;
  };
  auto dbs = dirs_in(root);
  if (ec) return fail(ErrorCode::io, fmt::format("cannot read {}: {}", root.string(), ec.message()));
  for (const auto& db : dbs)
    for (const auto& rp : dirs_in(db.path())) {
      const std::string rp_name = rp.path().filename().string();
      if (rp_name == "_series") continue;  // the database's series file (tsi1), not a retention policy
      for (const auto& shard : dirs_in(rp.path())) {
        auto id = text::parse_decimal<std::uint64_t>(shard.path().filename().string());
        if (!id) continue;
        auto& s = found[{db.path().filename().string(), rp_name, *id}];
        s.database = db.path().filename().string();
        s.retention_policy = rp_name;
        s.id = *id;
        (wal ? s.wal_dir : s.data_dir) = shard.path();
      }
    }
  if (ec) return fail(ErrorCode::io, fmt::format("cannot read below {}: {}", root.string(), ec.message()));
  return {};
}

// The first defect a check found, the number of others in its message.
Error first_defect(check::DefectSink& sink) {
  Error e = sink.defects().front();
  if (sink.count() > 1) e.message += fmt::format(" (and {} more defects in this file)", sink.count() - 1);
  return e;
}

struct Builder {
  const ShardOnDisk& shard;
  const ShardFromDiskOptions& options;
  const fs::path& scratch;
  ShardFromDisk& out;
  std::map<std::string, fs::path> tsm;         // name → the file to archive (on disk or in scratch)
  std::map<std::string, fs::path> tombstones;  // name → the file to archive
  std::uint64_t max_generation = 0;

  void lose(Error e) { out.losses.push_back(std::move(e)); }

  // A TSM file written here (from the WAL, salvaged, rewritten) read back like the server's own
  // before it goes into the archive: every file in it is checked, and the archive need not be.
  Result<void> check_written(const fs::path& path) {
    check::DefectSink sink;
    check::TsmTally tally;
    check::check_tsm_file(path, {path.string(), ""}, true, tally, sink);
    if (sink.count() == 0) return {};
    Error e = first_defect(sink);
    e.message = "a TSM file written for the backup does not read back: " + e.message;
    return std::unexpected(std::move(e));
  }

  Result<void> list_data_dir() {
    if (!shard.data_dir) return {};
    std::error_code ec;
    std::map<std::string, fs::path> candidates;  // tombstones until their TSM file is known
    for (fs::directory_iterator it(*shard.data_dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      std::error_code type_ec;
      const bool regular = it->is_regular_file(type_ec);
      if (auto parsed = tsm::parse_tsm_file_name(name); parsed && regular) {
        tsm[name] = it->path();
        max_generation = std::max(max_generation, parsed->generation);
      } else if (tsm::is_tombstone_file(name) && regular) {
        candidates[name] = it->path();
      } else {
        out.left_out.push_back(name);
      }
    }
    if (ec) return fail(ErrorCode::io, fmt::format("cannot read {}: {}", shard.data_dir->string(), ec.message()));
    for (auto& [name, path] : candidates) {
      if (tsm.count(fs::path(name).replace_extension(".tsm").string())) tombstones[name] = path;
      else out.left_out.push_back(name);  // influxd's snapshot links tombstones of live TSM files only
    }
    std::sort(out.left_out.begin(), out.left_out.end());
    return {};
  }

  Result<void> check_tsm_files() {
    for (auto it = tsm.begin(); it != tsm.end();) {
      const auto& [name, path] = *it;
      out.source_bytes += file_size_or_zero(path);
      check::DefectSink sink;
      check::TsmTally tally;
      check::check_tsm_file(path, {path.string(), ""}, true, tally, sink);
      if (sink.count() == 0) {
        ++it;
        continue;
      }
      if (!options.salvage) return std::unexpected(first_defect(sink));
      const fs::path copy = scratch / name;
      auto salvaged = tsm::salvage_tsm_file(path, copy);
      if (!salvaged) return std::unexpected(std::move(salvaged.error()));
      for (auto& e : salvaged->losses) lose(std::move(e));
      out.points_lost += salvaged->points_lost;
      out.points_lost_known = out.points_lost_known && salvaged->points_lost_known;
      const std::string tombstone = fs::path(name).replace_extension(".tombstone").string();
      if (salvaged->written) {
        if (auto r = check_written(copy); !r) return r;
        it->second = copy;
        ++it;
      } else {
        tombstones.erase(tombstone);
        it = tsm.erase(it);
      }
    }
    return {};
  }

  Result<void> check_tombstones() {
    for (auto& [name, path] : tombstones) {
      out.source_bytes += file_size_or_zero(path);
      std::vector<tsm::Tombstone> readable;
      auto r = tsm::for_each_tombstone(path, [&](const tsm::Tombstone& t) -> Result<void> {
        if (options.salvage) readable.push_back(t);
        return {};
      });
      if (r) continue;
      Error e = std::move(r.error());
      e.file = path.string();
      if (!options.salvage) return std::unexpected(std::move(e));
      e.message += fmt::format(
          ": the deletions recorded from here on are lost ({} records before it kept), so points they removed "
          "are in the backup again",
          readable.size());
      lose(std::move(e));
      const fs::path copy = scratch / name;
      if (auto w = tsm::write_tombstones_v4(copy, readable); !w) return std::unexpected(std::move(w.error()));
      path = copy;
    }
    return {};
  }

  Result<std::vector<tsm::Tombstone>> replay_wal() {
    if (!shard.wal_dir) return std::vector<tsm::Tombstone>{};
    wal::WalReplayOptions ro;
    ro.limits = options.wal_limits;
    ro.salvage = options.salvage;
    auto replay = wal::replay_wal_dir(*shard.wal_dir, ro);
    if (!replay) return std::unexpected(std::move(replay.error()));
    out.wal_segments = replay->segments.size();
    for (auto& segment : replay->segments) {
      out.source_bytes += segment.file.size;
      if (segment.defects.empty()) {
        out.wal_tail_bytes += segment.dropped_bytes;  // cut short by the crash: the normal state
        continue;
      }
      for (auto& e : segment.defects) {
        e.message += fmt::format(" ({} bytes of {} dropped from here on: the points of those entries are lost)",
                                 segment.dropped_bytes, segment.file.path.filename().string());
        lose(std::move(e));
      }
      out.points_lost_known = false;
    }
    out.wal_deletes = replay->deletes.size();
    if (!replay->keys.empty()) {
      out.wal_tsm_file = tsm::tsm_file_name(max_generation + 1, 1);
      const fs::path path = scratch / out.wal_tsm_file;
      auto writer = tsm::TsmWriter::create(path);
      if (!writer) return std::unexpected(std::move(writer.error()));
      for (const auto& k : replay->keys) {
        if (auto r = writer->add_points(k.key, k.values); !r) return std::unexpected(std::move(r.error()));
        out.wal_points += k.values.size();
      }
      if (auto r = writer->finish(); !r) return std::unexpected(std::move(r.error()));
      if (auto r = check_written(path); !r) return std::unexpected(std::move(r.error()));
      out.wal_keys = replay->keys.size();
      tsm[out.wal_tsm_file] = path;
    }
    return std::move(replay->deletes);
  }

  // wal_replay.hpp: the WAL's deleted ranges go to every TSM file holding the keys, as the
  // server's tombstones would (where they are already, they only repeat them).
  Result<void> apply_wal_deletes(const std::vector<tsm::Tombstone>& deletes) {
    if (deletes.empty()) return {};
    std::unordered_map<std::string, std::vector<const tsm::Tombstone*>> by_key;
    for (const auto& d : deletes) by_key[d.key].push_back(&d);
    for (const auto& [name, path] : tsm) {
      if (name == out.wal_tsm_file) continue;  // the replay applied them already
      auto reader = tsm::TsmReader::open(path);
      if (!reader) return std::unexpected(std::move(reader.error()));
      std::vector<tsm::Tombstone> added;
      auto cursor = reader->index();
      tsm::KeyIndex key;
      while (true) {
        auto more = cursor.next(key);
        if (!more) return std::unexpected(std::move(more.error()));
        if (!*more) break;
        if (auto hit = by_key.find(key.key); hit != by_key.end())
          for (const auto* t : hit->second) added.push_back(*t);
      }
      if (added.empty()) continue;
      const std::string tombstone = fs::path(name).replace_extension(".tombstone").string();
      std::vector<tsm::Tombstone> records;
      if (auto existing = tombstones.find(tombstone); existing != tombstones.end()) {
        auto read = tsm::read_tombstones(existing->second);
        if (!read) return std::unexpected(std::move(read.error()));
        records = std::move(*read);
      }
      records.insert(records.end(), added.begin(), added.end());
      const fs::path copy = scratch / (tombstone + ".wal");  // beside a salvaged copy of the same name
      if (auto w = tsm::write_tombstones_v4(copy, records); !w) return std::unexpected(std::move(w.error()));
      tombstones[tombstone] = copy;
    }
    return {};
  }

  Result<void> write_entries(ShardArchiveWriter& writer) {
    std::map<std::string, fs::path> entries;
    // Deleted points go out of the archive, not into it with their tombstones: influxd's restore
    // of a shard drops tombstone files (docs/FORMATS.md §4.5), so a deletion would be undone.
    if (options.keep || !tombstones.empty()) {
      out.deletions_applied = !tombstones.empty();
      std::vector<tsm::TsmFileRef> refs;
      for (const auto& [name, path] : tsm) {
        const std::string tombstone = fs::path(name).replace_extension(".tombstone").string();
        auto t = tombstones.find(tombstone);
        refs.push_back({path, t == tombstones.end() ? std::nullopt : std::optional<fs::path>(t->second)});
      }
      const fs::path cut = scratch / "cut";
      fs::create_directory(cut);
      ShardRewriteOptions ro;
      ro.keep = options.keep;
      auto rewritten = rewrite_shard_points(std::move(refs), cut, ro);
      if (!rewritten) return std::unexpected(std::move(rewritten.error()));
      out.points = rewritten->points;
      for (const auto& f : rewritten->tsm_files) {
        if (auto r = check_written(f); !r) return r;
        entries[f.filename().string()] = f;
      }
      out.tsm_files = rewritten->tsm_files.size();
    } else {
      entries.insert(tsm.begin(), tsm.end());
      entries.insert(tombstones.begin(), tombstones.end());
      out.tsm_files = tsm.size();
      out.tombstones = tombstones.size();
    }
    for (const auto& [name, source] : entries)
      if (auto r = writer.add_file(shard_entry_name(shard.database, shard.retention_policy, shard.id, name), source);
          !r)
        return std::unexpected(std::move(r.error()));
    return {};
  }
};

}  // namespace

Result<std::vector<ShardOnDisk>> find_shards_on_disk(const fs::path& data_dir, const std::optional<fs::path>& wal_dir) {
  std::map<std::tuple<std::string, std::string, std::uint64_t>, ShardOnDisk> found;
  if (auto r = walk_shard_dirs(data_dir, false, found); !r) return std::unexpected(std::move(r.error()));
  if (wal_dir)
    if (auto r = walk_shard_dirs(*wal_dir, true, found); !r) return std::unexpected(std::move(r.error()));
  std::vector<ShardOnDisk> out;
  for (auto& [key, shard] : found) out.push_back(std::move(shard));
  return out;
}

Result<ShardFromDisk> write_shard_from_disk(const ShardOnDisk& shard, ShardArchiveWriter& writer,
                                            const fs::path& scratch_root, const ShardFromDiskOptions& options) {
  auto scratch = ScratchDirectory::create(scratch_root, fmt::format("ifx-offline-{}", shard.id));
  if (!scratch) return std::unexpected(std::move(scratch.error()));
  ShardFromDisk out;
  Builder b{shard, options, scratch->path(), out, {}, {}, 0};
  if (auto r = b.list_data_dir(); !r) return std::unexpected(std::move(r.error()));
  if (auto r = b.check_tsm_files(); !r) return std::unexpected(std::move(r.error()));
  if (auto r = b.check_tombstones(); !r) return std::unexpected(std::move(r.error()));
  auto deletes = b.replay_wal();
  if (!deletes) return std::unexpected(std::move(deletes.error()));
  if (auto r = b.apply_wal_deletes(*deletes); !r) return std::unexpected(std::move(r.error()));
  if (auto r = b.write_entries(writer); !r) return std::unexpected(std::move(r.error()));
  return out;
}

}  // namespace ifx
