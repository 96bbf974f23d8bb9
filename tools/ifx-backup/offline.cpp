// --offline: the meta store and the shard list come from a stopped server's directories instead
// of its snapshotter. The shards are those the meta store lists (in its order, which is the
// order the snapshotter's info answers use) that have a data or WAL directory; the shard jobs
// then read them with libformat's shard/shard_on_disk.hpp.
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/process_using.hpp"
#include "ifx-backup/steps.hpp"

namespace ifx::backup::detail {
namespace fs = std::filesystem;
namespace {

Result<std::string> read_meta_db(const fs::path& meta_dir) {
  const fs::path file = meta_dir / "meta.db";
  std::error_code ec;
  if (!fs::exists(file, ec))
    return fail(ErrorCode::file_missing,
                fmt::format("{} does not exist: -metadir names the directory that holds the server's meta.db "
                            "(the [meta] dir of its configuration, e.g. /var/lib/influxdb/meta)",
                            file.string()));
  std::ifstream in(file, std::ios::binary);
  std::string blob((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return fail(ErrorCode::io, fmt::format("cannot read {}", file.string()));
  return blob;
}

}  // namespace

Result<OfflineSource> open_offline(Options& o) {
  if (o.meta_dir.empty() || o.data_dir.empty())
    return fail(ErrorCode::usage, "--offline reads a stopped server's directories: give -metadir and -datadir");
  for (const auto& [flag, dir] : {std::pair{"-metadir", &o.meta_dir}, std::pair{"-datadir", &o.data_dir}}) {
    std::error_code ec;
    if (!fs::is_directory(*dir, ec))
      return fail(ErrorCode::usage, fmt::format("{} {}: {}", flag, dir->string(),
                                                fs::exists(*dir, ec) ? "not a directory" : "does not exist"));
  }
  OfflineSource src;
  if (o.wal_dir.empty()) {
    // influxd's packaged layout keeps data/, meta/ and wal/ side by side.
    const fs::path beside = o.data_dir.lexically_normal().parent_path() / "wal";
    std::error_code ec;
    if (fs::is_directory(beside, ec)) {
      o.wal_dir = beside;
      src.notes.push_back(fmt::format("WAL read from {} (beside -datadir; -waldir chooses another)", beside.string()));
    } else {
      src.notes.push_back(
          "no WAL directory (none beside -datadir, no -waldir): points the server had not yet written to TSM "
          "files are NOT in this backup");
    }
  } else {
    std::error_code ec;
    if (!fs::is_directory(o.wal_dir, ec))
      return fail(ErrorCode::usage, fmt::format("-waldir {}: {}", o.wal_dir.string(),
                                                fs::exists(o.wal_dir, ec) ? "not a directory" : "does not exist"));
  }
  // A running influxd compacts, renames and removes files under these directories: what would be
  // read is no consistent state of anything.
  if (auto user = cli::process_using({o.meta_dir, o.data_dir, o.wal_dir}))
    return fail(ErrorCode::server_running,
                fmt::format("{}: an offline backup reads a stopped server's directories; stop it first, or back "
                            "up the running server without --offline (-host)",
                            *user));

  auto blob = read_meta_db(o.meta_dir);
  if (!blob) return std::unexpected(std::move(blob.error()));
  auto meta = meta::decode_meta_data(*blob);
  if (!meta) {
    Error e = std::move(meta.error());
    e.file = (o.meta_dir / "meta.db").string();
    return std::unexpected(std::move(e));
  }
  auto on_disk = find_shards_on_disk(o.data_dir, o.wal_dir.empty() ? std::nullopt : std::optional(o.wal_dir));
  if (!on_disk) return std::unexpected(std::move(on_disk.error()));
  src.meta_blob = std::move(*blob);
  src.meta = std::move(*meta);
  std::vector<std::string> unknown;
  for (auto& s : *on_disk) {
    auto loc = meta::find_shard(src.meta, s.id);
    if (!loc || loc->shard_group->deleted()) {
      unknown.push_back(
          fmt::format("{}/{}/{}{}", s.database, s.retention_policy, s.id, loc ? " (its shard group is deleted)" : ""));
      continue;
    }
    if (loc->database->name != s.database || loc->retention_policy->name != s.retention_policy) {
      unknown.push_back(fmt::format("{}/{}/{} (the meta store puts shard {} in {}/{})", s.database, s.retention_policy,
                                    s.id, s.id, loc->database->name, loc->retention_policy->name));
      continue;
    }
    src.shards.emplace(s.id, std::move(s));
  }
  if (!unknown.empty())
    src.notes.push_back(
        fmt::format("left out, as the server itself would: {} shard director{} the meta store does "
                    "not list: {}",
                    unknown.size(), unknown.size() == 1 ? "y" : "ies", fmt::join(unknown, ", ")));
  src.name = o.data_dir.string();
  return src;
}

ShardSource OfflineSource::source() const {
  ShardSource s;
  s.name = name;
  s.list = [this](const std::string& db, const std::optional<std::string>& rp) {
    std::vector<net::ShardPath> out;
    for (const auto& d : meta.databases) {
      if (!db.empty() && d.name != db) continue;
      for (const auto& r : d.retention_policies) {
        if (rp && r.name != *rp) continue;
        for (const auto& g : r.shard_groups) {
          if (g.deleted()) continue;
          for (const auto& sh : g.shards)
            if (shards.count(sh.id)) out.push_back({d.name, r.name, sh.id});
        }
      }
    }
    return Result<std::vector<net::ShardPath>>(std::move(out));
  };
  s.holds = [this](std::uint64_t id) { return shards.count(id) > 0; };
  return s;
}

}  // namespace ifx::backup::detail
