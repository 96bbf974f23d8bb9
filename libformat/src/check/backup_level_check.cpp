// The backup directory as a whole: what open_backup_set found (missing files, meta size), files
// nothing accounts for, the manifests' entries, every legacy meta.NN, increment chains, and the
// shards against the meta store and the backup's recorded scope (docs/FORMATS.md §2, §3, §5.3).
#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ifx/format/io/file_size.hpp"
#include "ifx/format/backup/backup_scope.hpp"
#include "ifx/format/backup/file_names.hpp"
#include "ifx/format/check/backup_check.hpp"
#include "ifx/format/io/atomic_file.hpp"
#include "ifx/format/meta/meta_store.hpp"
#include "ifx/format/meta/meta_envelope.hpp"

namespace ifx::check {
namespace fs = std::filesystem;
namespace {

// A manifest's file name must stay inside the backup directory: restore opens it there.
bool plain_file_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

void check_problems(const BackupSet& set, const BackupCheckOptions& o, DefectSink& sink) {
  std::set<std::string> unselected_archives;
  for (const auto& s : set.shards)
    if (!o.selects(s.database, s.retention_policy, s.shard_id))
      for (const auto& a : s.archives) unselected_archives.insert(a.file_name);
  for (Error e : set.problems) {
    if (e.code == ErrorCode::file_missing && unselected_archives.count(e.file)) continue;
    sink.add(std::move(e));
  }
  for (const auto& name : set.unreferenced_files) {
    std::string why = set.format == BackupFormat::Portable
                          ? "no manifest lists it"
                          : "its name is neither meta.NN nor <db>.<rp>.<shard id>.<NN>";
    if (name.ends_with(kPendingSuffix)) why = "a leftover of an interrupted write (.pending)";
    sink.add(defect(ErrorCode::file_unexpected, name, "", std::nullopt,
                    fmt::format("{} does not belong to the backup: {}", name, why)));
  }
}

// open_backup_set reads the meta of the newest manifest; the meta files of older manifests in a
// chain are part of the backup too, so each is decoded and its size checked (docs/FORMATS.md §3.2, §3.4).
void check_older_portable_metas(const BackupSet& set, DefectSink& sink, Checked& checked) {
  std::set<std::string> done{set.meta_file};
  for (std::size_t i = 0; i < set.manifests.size(); ++i) {
    const auto& meta = set.manifests[i].meta;
    if (meta.file_name.empty() || !plain_file_name(meta.file_name) || !done.insert(meta.file_name).second) continue;
    const fs::path path = set.dir / meta.file_name;
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      sink.add(defect(
          ErrorCode::file_missing, meta.file_name, "", std::nullopt,
          fmt::format("{} names the meta file {}, which does not exist", set.manifest_files[i], meta.file_name)));
      continue;
    }
    ++checked.files;
    checked.bytes += file_size_or_zero(path);
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      sink.add(defect(ErrorCode::io, meta.file_name, "", std::nullopt, "cannot read the meta file"));
      continue;
    }
    auto blob = meta::parse_portable_meta(bytes);
    if (blob) {
      if (auto data = meta::decode_meta_data(*blob); !data) blob = std::unexpected(std::move(data.error()));
    }
    if (!blob) {
      Error e = std::move(blob.error());
      e.file = meta.file_name;
      sink.add(std::move(e));
      continue;
    }
    if (static_cast<std::int64_t>(blob->size()) != meta.size)
      sink.add(defect(ErrorCode::size_mismatch, meta.file_name, "", std::nullopt,
                      fmt::format("{} says meta.size is {} bytes, but the meta blob inside {} is {} bytes",
                                  set.manifest_files[i], meta.size, meta.file_name, blob->size())));
  }
}

void check_manifests(const BackupSet& set, DefectSink& sink, Checked& checked) {
  for (std::size_t i = 0; i < set.manifests.size(); ++i) {
    const std::string& name = set.manifest_files[i];
    const PortableManifest& m = set.manifests[i];
    ++checked.files;
    checked.bytes += file_size_or_zero(set.dir / name);
    if (!m.meta.file_name.empty() && !plain_file_name(m.meta.file_name))
      sink.add(defect(ErrorCode::unsafe_path, name, "", std::nullopt,
                      fmt::format("meta.fileName {} is not a plain file name inside the backup directory",
                                  printable(m.meta.file_name))));
    for (std::size_t f = 0; f < m.files.size(); ++f) {
      const auto& e = m.files[f];
      auto invalid = [&](std::string what) {
        sink.add(defect(ErrorCode::manifest_invalid, name, "", std::nullopt, fmt::format("files[{}]: {}", f, what)));
      };
      if (e.file_name.empty()) invalid("fileName is missing or empty");
      else if (!plain_file_name(e.file_name))
        sink.add(defect(ErrorCode::unsafe_path, name, "", std::nullopt,
                        fmt::format("files[{}].fileName {} is not a plain file name inside the backup "
                                    "directory",
                                    f, printable(e.file_name))));
      if (e.database.empty()) invalid("database is missing or empty");
      if (e.policy.empty()) invalid("policy is missing or empty");
      if (e.shard_id == 0) invalid("shardID is missing or 0 (shard IDs start at 1)");
      if (e.size < 1024)
        invalid(fmt::format("size is {}; a tar stream is at least 1024 bytes (its end-of-archive marker)", e.size));
    }
  }
  if (!set.meta_file.empty()) {
    ++checked.files;
    checked.bytes += file_size_or_zero(set.dir / set.meta_file);
  }
  check_older_portable_metas(set, sink, checked);
}

// docs/FORMATS.md §2.2: every run writes the next free NN; numbers must run 0, 1, 2, … without holes.
void check_legacy_chains(const BackupSet& set, const BackupCheckOptions& o, DefectSink& sink, Checked& checked) {
  std::vector<std::pair<std::uint64_t, std::string>> metas;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(set.dir, ec)) {
    std::string n = e.path().filename().string();
    if (auto nn = parse_legacy_meta_file(n)) metas.emplace_back(*nn, n);
  }
  std::sort(metas.begin(), metas.end());
  std::uint64_t expected = 0;
  for (const auto& [nn, name] : metas) {
    for (; expected < nn; ++expected)
      sink.add(defect(ErrorCode::chain_gap, legacy_meta_file(expected), "", std::nullopt,
                      fmt::format("{} is missing: the directory holds {} (legacy runs number their files "
                                  "without holes)",
                                  legacy_meta_file(expected), name)));
    expected = nn + 1;
    ++checked.files;
    checked.bytes += file_size_or_zero(set.dir / name);
    if (name == set.meta_file) continue;  // read and decoded by open_backup_set
    auto lm = meta::read_legacy_meta_file(set.dir / name);
    if (lm) {
      if (auto data = meta::decode_meta_data(lm->blob); !data) lm = std::unexpected(std::move(data.error()));
    }
    if (!lm) {
      Error e = std::move(lm.error());
      e.file = name;
      sink.add(std::move(e));
    }
  }
  for (const auto& s : set.shards) {
    if (!o.selects(s.database, s.retention_policy, s.shard_id) || s.archives.empty()) continue;
    auto name = parse_legacy_shard_file(s.archives.front().file_name);
    if (!name) continue;
    std::uint64_t next = 0;
    for (const auto& a : s.archives) {
      for (; next < a.increment; ++next)
        sink.add(defect(ErrorCode::chain_gap, legacy_increment_file(name->stem, next), "", std::nullopt,
                        fmt::format("increment {:02} of shard {} ({}/{}) is missing: the directory holds {}, "
                                    "so the increments after the gap restore on top of missing data",
                                    next, s.shard_id, s.database, s.retention_policy, a.file_name)));
      next = a.increment + 1;
    }
  }
}

void check_shards_against_meta(const BackupSet& set, const BackupCheckOptions& o, DefectSink& sink) {
  for (const auto& s : set.shards) {
    if (s.in_meta || !o.selects(s.database, s.retention_policy, s.shard_id)) continue;
    auto loc = meta::find_shard(set.meta, s.shard_id);
    std::string where = loc ? fmt::format("the meta store has shard {} under {}/{}", s.shard_id, loc->database->name,
                                          loc->retention_policy->name)
                            : fmt::format("the meta store has no shard {}", s.shard_id);
    sink.add(defect(ErrorCode::shard_not_in_meta, s.archives.empty() ? set.meta_file : s.archives.front().file_name, "",
                    std::nullopt,
                    fmt::format("the backup holds shard {} of {}/{}, but {}: a restore cannot place it", s.shard_id,
                                s.database, s.retention_policy, where)));
  }

  auto scope = recorded_scope(set.manifest_files, set.manifests);
  std::vector<std::string> absent;
  for (const auto& db : set.meta.databases) {
    // A legacy backup records no scope, but influxd's legacy backup of a database takes every
    // shard of it: a database only some of whose shards are here lost archives (or the backup was
    // limited with -retention/-shard, which the directory cannot tell).
    const bool partial_legacy = set.format == BackupFormat::Legacy && !scope &&
                                std::any_of(set.shards.begin(), set.shards.end(), [&](const ShardInBackup& s) {
                                  return s.database == db.name && s.in_meta &&
                                         o.selects(s.database, s.retention_policy, s.shard_id);
                                });
    std::vector<std::string> missing;
    std::size_t held = 0;
    for (const auto& rp : db.retention_policies)
      for (const auto& g : rp.shard_groups) {
        if (g.deleted()) continue;
        for (const auto& sh : g.shards) {
          if (!o.selects(db.name, rp.name, sh.id)) continue;
          if (set.find_shard(sh.id)) {
            ++held;
            continue;
          }
          if (scope && scope->scope.covers(db.name, rp.name, sh.id))
            sink.add(defect(ErrorCode::shard_missing, scope->manifest, "", std::nullopt,
                            fmt::format("shard {} of {}/{} is live in the meta store and inside the scope "
                                        "this backup records, but no archive holds it",
                                        sh.id, db.name, rp.name)));
          else if (partial_legacy) missing.push_back(fmt::format("{} ({})", sh.id, rp.name));
          else absent.push_back(fmt::format("{} ({}/{})", sh.id, db.name, rp.name));
        }
      }
    if (missing.empty()) continue;
    const std::string what = fmt::format("database {}: the backup holds {} of its {} live shards; missing: {}",
                                         printable(db.name), held, held + missing.size(), fmt::join(missing, ", "));
    if (o.expect_complete)
      sink.add(defect(ErrorCode::shard_missing, set.meta_file, "", std::nullopt,
                      what + " (--expect-complete: every live shard of a database the backup holds must be here)"));
    else
      sink.warn(what +
                " (archives lost, or a backup limited with -retention/-shard; --expect-complete makes this a "
                "defect)");
  }
  if (!absent.empty())
    sink.note(fmt::format(
        "{} live shard{} of the meta store not in this backup{}: {}", absent.size(), absent.size() == 1 ? "" : "s",
        scope ? " (outside its recorded scope)" : " (the backup records no scope, as influxd's OSS backups do not)",
        fmt::join(absent, ", ")));
}

}  // namespace

void check_backup_level(const BackupSet& set, const BackupCheckOptions& o, DefectSink& sink, Checked& checked) {
  check_problems(set, o, sink);
  if (set.format == BackupFormat::Portable) {
    check_manifests(set, sink, checked);
    check_recorded_sha256(set, o, sink);
  } else {
    check_legacy_chains(set, o, sink, checked);
  }
  check_shards_against_meta(set, o, sink);
}

}  // namespace ifx::check
