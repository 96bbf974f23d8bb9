// docs/FORMATS.md §2 (legacy) and §3 (portable) directory layouts → one BackupSet.
#include "ifx/format/backup/backup_set.hpp"

#include <functional>
#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <sys/stat.h>

#include "ifx/format/backup/file_names.hpp"
#include "ifx/format/io/directory_access.hpp"
#include "ifx/format/meta/meta_envelope.hpp"

namespace ifx {
namespace fs = std::filesystem;

std::string_view to_string(BackupFormat f) { return f == BackupFormat::Portable ? "portable" : "legacy"; }

const ShardInBackup* BackupSet::find_shard(std::uint64_t id) const {
  for (const auto& s : shards)
    if (s.shard_id == id) return &s;
  return nullptr;
}

namespace {

Result<std::string> read_small_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::io, fmt::format("cannot read {}", path.string()));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> list_files(const fs::path& dir, std::error_code& ec) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::error_code ec2;
    if (e.is_regular_file(ec2)) names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::optional<std::int64_t> mtime_ns(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return std::nullopt;
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000LL + st.st_mtim.tv_nsec;
}

Error problem(ErrorCode code, std::string file, std::string message) {
  Error e{code, std::move(message), std::move(file), {}, std::nullopt};
  return e;
}

// Orders shards as the meta store lists them (db, rp, group, shard); unknown ones last by id.
void sort_in_meta_order(BackupSet& set) {
  std::map<std::uint64_t, std::size_t> rank;
  std::size_t n = 0;
  for (const auto& db : set.meta.databases)
    for (const auto& rp : db.retention_policies)
      for (const auto& g : rp.shard_groups)
        for (const auto& s : g.shards) rank.emplace(s.id, n++);
  auto key = [&](const ShardInBackup& s) {
    auto it = rank.find(s.shard_id);
    return std::pair{it == rank.end() ? SIZE_MAX : it->second, s.shard_id};
  };
  std::stable_sort(set.shards.begin(), set.shards.end(), [&](const auto& a, const auto& b) { return key(a) < key(b); });
}

bool shard_in_meta(const meta::MetaData& m, std::uint64_t id, std::string_view db, std::string_view rp) {
  auto loc = meta::find_shard(m, id);
  return loc && loc->database->name == db && loc->retention_policy->name == rp;
}

Result<void> load_meta_blob(BackupSet& set, std::string blob, const std::string& file) {
  auto data = meta::decode_meta_data(blob);
  if (!data) return std::unexpected(std::move(data.error()).in_file(file));
  set.meta_blob = std::move(blob);
  set.meta = std::move(*data);
  set.meta_file = file;
  return {};
}

// ---- portable (§3) ---------------------------------------------------------------------------
// The SHA-256 ifxkit's writers record beside an archive (§3.9); influxd's manifests have none.
std::optional<std::string> recorded_sha256(const PortableManifest::ShardFileEntry& entry) {
  auto it = entry.extra.find("sha256");
  if (it == entry.extra.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// The manifests (parsed), the names present and a way to read the meta file: a portable set.
Result<void> assemble_portable(BackupSet& set, std::vector<std::pair<std::string, PortableManifest>> parsed,
                               const std::vector<std::string>& names, std::set<std::string> accounted,
                               const std::function<Result<std::string>(const std::string&)>& read_file) {
  if (parsed.empty())
    return fail(ErrorCode::manifest_invalid, "no readable manifest: every *.manifest file failed to parse");
  std::sort(parsed.begin(), parsed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [name, m] : parsed) {
    accounted.insert(name);
    set.manifest_files.push_back(name);
    set.manifests.push_back(m);
    if (auto t = parse_portable_base_time(name)) set.created_ns = std::max(set.created_ns.value_or(*t), *t);
    if (!m.meta.file_name.empty()) accounted.insert(m.meta.file_name);
  }

  std::set<std::string> present(names.begin(), names.end());
  ManifestChain chain = merge_manifest_chain(parsed, [&](const std::string& f) { return present.count(f) > 0; });

  if (!chain.meta)
    return fail(ErrorCode::manifest_invalid, "no manifest names a meta file (meta.fileName is empty in all)");
  const std::string meta_name = chain.meta->file_name;
  if (!present.count(meta_name))
    return std::unexpected(problem(ErrorCode::file_missing, meta_name,
                                   fmt::format("the meta file named by {} does not exist", chain.meta_manifest)));
  auto bytes = read_file(meta_name);
  if (!bytes) return std::unexpected(std::move(bytes.error()).in_file(meta_name));
  auto blob = meta::parse_portable_meta(*bytes);
  if (!blob) return std::unexpected(std::move(blob.error()).in_file(meta_name));
  if (static_cast<std::int64_t>(blob->size()) != chain.meta->size)
    set.problems.push_back(problem(ErrorCode::size_mismatch, meta_name,
                                   fmt::format("{} says meta.size is {} bytes, but the meta blob inside {} is {} bytes",
                                               chain.meta_manifest, chain.meta->size, meta_name, blob->size())));
  if (auto r = load_meta_blob(set, std::move(*blob), meta_name); !r) return r;

  for (const auto& missing : chain.missing) {
    set.problems.push_back(problem(
        ErrorCode::file_missing, missing.entry.file_name,
        fmt::format("{} lists shard {} ({}/{}) in {}, which does not exist", missing.manifest, missing.entry.shard_id,
                    missing.entry.database, missing.entry.policy, missing.entry.file_name)));
    // Still a shard of this backup: its data is missing, which verify reports.
  }
  std::map<std::uint64_t, ShardInBackup> shards;
  for (const auto& [id, files] : chain.shards) {
    ShardInBackup& s = shards[id];
    s.shard_id = id;
    std::uint32_t i = 0;
    for (const auto& f : files.files) {
      s.database = f.entry.database;  // the newest entry names it
      s.retention_policy = f.entry.policy;
      accounted.insert(f.entry.file_name);
      s.archives.push_back(ShardArchiveFile{f.entry.file_name, static_cast<std::uint64_t>(f.entry.size), f.manifest,
                                            i++, true, recorded_sha256(f.entry)});
    }
  }
  for (const auto& missing : chain.missing) {
    ShardInBackup& s = shards[missing.entry.shard_id];
    s.shard_id = missing.entry.shard_id;
    if (s.database.empty()) {
      s.database = missing.entry.database;
      s.retention_policy = missing.entry.policy;
    }
    accounted.insert(missing.entry.file_name);
    s.archives.push_back(ShardArchiveFile{missing.entry.file_name, static_cast<std::uint64_t>(missing.entry.size),
                                          missing.manifest, 0, false});
  }
  for (auto& [id, s] : shards) {
    s.in_meta = shard_in_meta(set.meta, id, s.database, s.retention_policy);
    set.shards.push_back(std::move(s));
  }
  for (const auto& n : names)
    if (!accounted.count(n)) set.unreferenced_files.push_back(n);
  return {};
}

Result<void> open_portable(BackupSet& set, const std::vector<std::string>& names) {
  std::vector<std::pair<std::string, PortableManifest>> parsed;
  std::set<std::string> accounted;
  for (const auto& n : names) {
    if (!is_manifest_file(n)) continue;
    accounted.insert(n);
    auto m = read_manifest_file(set.dir / n);
    if (!m) {
      Error e = std::move(m.error());
      e.file = n;
      set.problems.push_back(std::move(e));
      continue;
    }
    parsed.emplace_back(n, std::move(*m));
  }
  return assemble_portable(set, std::move(parsed), names, accounted,
                           [&](const std::string& name) { return read_small_file(set.dir / name); });
}

// ---- legacy (§2) -----------------------------------------------------------------------------
// Splits "<db>.<rp>" using the meta store: the shard's own db/rp first, then any db/rp whose
// joined name matches, then (unknown to the meta) at the first dot.
std::pair<std::string, std::string> resolve_db_rp(const meta::MetaData& m, const LegacyShardFileName& n) {
  if (auto loc = meta::find_shard(m, n.shard_id);
      loc && loc->database->name + "." + loc->retention_policy->name == n.db_rp)
    return {loc->database->name, loc->retention_policy->name};
  for (const auto& db : m.databases)
    for (const auto& rp : db.retention_policies)
      if (db.name + "." + rp.name == n.db_rp) return {db.name, rp.name};
  auto dot = n.db_rp.find('.');
  if (dot == std::string::npos) return {n.db_rp, ""};
  return {n.db_rp.substr(0, dot), n.db_rp.substr(dot + 1)};
}

Result<void> open_legacy(BackupSet& set, const std::vector<std::string>& names) {
  std::optional<std::pair<std::uint64_t, std::string>> newest;
  std::set<std::string> accounted;
  for (const auto& n : names) {
    auto nn = parse_legacy_meta_file(n);
    if (!nn) continue;
    accounted.insert(n);
    if (!newest || *nn > newest->first) newest = {*nn, n};
  }
  if (!newest) return fail(ErrorCode::meta_invalid, "no meta.NN file");
  auto lm = meta::read_legacy_meta_file(set.dir / newest->second);
  if (!lm) return std::unexpected(std::move(lm.error()).in_file(newest->second));
  if (auto r = load_meta_blob(set, std::move(lm->blob), newest->second); !r) return r;
  set.created_ns = mtime_ns(set.dir / newest->second);

  std::map<std::tuple<std::string, std::string, std::uint64_t>, ShardInBackup> shards;
  for (const auto& n : names) {
    if (accounted.count(n)) continue;
    auto ln = parse_legacy_shard_file(n);
    if (!ln) continue;
    auto [db, rp] = resolve_db_rp(set.meta, *ln);
    ShardInBackup& s = shards[{db, rp, ln->shard_id}];
    s.database = db;
    s.retention_policy = rp;
    s.shard_id = ln->shard_id;
    s.archives.push_back(ShardArchiveFile{n, std::nullopt, "", ln->increment, true});
    accounted.insert(n);
  }
  for (auto& [key, s] : shards) {
    std::sort(s.archives.begin(), s.archives.end(),
              [](const auto& a, const auto& b) { return a.increment < b.increment; });
    s.in_meta = shard_in_meta(set.meta, s.shard_id, s.database, s.retention_policy);
    set.shards.push_back(std::move(s));
  }
  for (const auto& n : names)
    if (!accounted.count(n)) set.unreferenced_files.push_back(n);
  return {};
}

}  // namespace

Result<BackupSet> open_backup_set(const fs::path& dir) {
  if (auto r = check_directory_readable(dir, "a backup directory"); !r) return std::unexpected(std::move(r.error()));
  std::error_code ec;
  std::vector<std::string> names = list_files(dir, ec);
  if (ec) return std::unexpected(problem(ErrorCode::io, dir.string(), "cannot list the directory: " + ec.message()));

  BackupSet set;
  set.dir = dir;
  bool portable = std::any_of(names.begin(), names.end(), [](const auto& n) { return is_manifest_file(n); });
  bool legacy = std::any_of(names.begin(), names.end(),
                            [](const auto& n) { return parse_legacy_meta_file(n).has_value(); });
  if (!portable && !legacy)
    return std::unexpected(
        problem(ErrorCode::manifest_invalid, dir.string(),
                "no backup here: expected <base>.manifest files (portable format) or meta.NN files (legacy format)"));
  set.format = portable ? BackupFormat::Portable : BackupFormat::Legacy;
  auto r = portable ? open_portable(set, names) : open_legacy(set, names);
  if (!r) {
    Error e = std::move(r.error());
    if (e.file.empty()) e.file = dir.string();
    return std::unexpected(std::move(e));
  }
  sort_in_meta_order(set);
  return set;
}

Result<BackupSet> assemble_portable_backup_set(
    std::string label, std::vector<std::pair<std::string, PortableManifest>> manifests,
    const std::vector<std::string>& names, const std::function<Result<std::string>(const std::string&)>& read_file) {
  BackupSet set;
  set.dir = std::move(label);
  set.format = BackupFormat::Portable;
  if (auto r = assemble_portable(set, std::move(manifests), names, {}, read_file); !r) {
    Error e = std::move(r.error());
    if (e.file.empty()) e.file = set.dir.string();
    return std::unexpected(std::move(e));
  }
  sort_in_meta_order(set);
  return set;
}

}  // namespace ifx
