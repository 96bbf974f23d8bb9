#include "support/backup_builder.hpp"

#include <algorithm>
#include <span>
#include <stdexcept>

#include "ifx/format/io/checksum.hpp"
#include "ifx/format/meta/meta_envelope.hpp"
#include "support/must.hpp"
#include "support/paths.hpp"

namespace ifx::test {

namespace fs = std::filesystem;

namespace {

std::string blob_for(const std::string& given, const std::vector<BackupShard>& shards) {
  return given.empty() ? meta::encode_meta_data(meta_store_for(shards)) : given;
}

std::vector<ArchiveFile> entries_of(const BackupShard& shard) {
  std::vector<ArchiveFile> out = shard.files;
  for (auto& f : out) f.name = shard.db + "/" + shard.rp + "/" + std::to_string(shard.id) + "/" + f.name;
  return out;
}

// The manifest's `size` of `archive` becomes `tar_size`, a recorded SHA-256 that of the file.
void agree_manifest(const fs::path& dir, const std::string& archive, std::uint64_t tar_size) {
  const std::string sha = must(sha256_file(dir / archive), archive);
  edit_manifest(dir, [&](PortableManifest& m) {
    for (auto& f : m.files) {
      if (f.file_name != archive) continue;
      f.size = static_cast<std::int64_t>(tar_size);
      if (f.extra.contains("sha256")) f.extra["sha256"] = sha;
    }
  });
}

}  // namespace

meta::MetaData meta_store_for(const std::vector<BackupShard>& shards) {
  meta::MetaData m;
  m.index = 1;
  m.cluster_id = 1;
  for (const auto& s : shards) {
    auto db = std::find_if(m.databases.begin(), m.databases.end(), [&](const auto& d) { return d.name == s.db; });
    if (db == m.databases.end()) {
      m.databases.push_back(
          {.name = s.db, .default_retention_policy = s.rp, .retention_policies = {}, .continuous_queries = {}});
      db = m.databases.end() - 1;
    }
    auto& rps = db->retention_policies;
    auto rp = std::find_if(rps.begin(), rps.end(), [&](const auto& r) { return r.name == s.rp; });
    if (rp == rps.end()) {
      rps.push_back({.name = s.rp,
                     .duration_ns = 0,
                     .shard_group_duration_ns = kWeekNs,
                     .replica_n = 1,
                     .shard_groups = {},
                     .subscriptions = {}});
      rp = rps.end() - 1;
    }
    rp->shard_groups.push_back({.id = s.id,
                                .start_ns = s.group_start_ns,
                                .end_ns = s.group_start_ns + kWeekNs,
                                .deleted_at_ns = 0,
                                .truncated_at_ns = 0,
                                .shards = {{s.id, {1}}}});
    m.max_shard_group_id = std::max(m.max_shard_group_id, s.id);
    m.max_shard_id = std::max(m.max_shard_id, s.id);
  }
  return m;
}

fs::path write_portable_backup(const fs::path& dir, const PortableBackup& backup) {
  auto w = must(PortableBackupWriter::create(dir, {.base = backup.base, .compression = backup.compression}),
                "portable backup " + dir.string());
  must(w.write_meta(blob_for(backup.meta_blob, backup.shards)), "meta of " + dir.string());
  for (const auto& s : backup.shards) {
    auto archive = must(w.open_shard(s.db, s.rp, s.id), "shard " + std::to_string(s.id));
    write_archive_entries(archive, entries_of(s));
    const std::uint64_t tar_bytes = must(archive.finish(), "shard " + std::to_string(s.id));
    w.add_shard(s.db, s.rp, s.id, tar_bytes, archive);
  }
  return dir / must(w.finish(backup.scope), "manifest of " + dir.string());
}

std::string add_legacy_increment(const fs::path& dir, const BackupShard& shard) {
  auto w = must(LegacyBackupWriter::create(dir), "legacy backup " + dir.string());
  const std::string name = w.shard_file_name(shard.db, shard.rp, shard.id);
  auto archive = must(w.open_shard(shard.db, shard.rp, shard.id), "shard " + std::to_string(shard.id));
  write_archive_entries(archive, entries_of(shard));
  must(archive.finish(), name);
  return name;
}

void write_legacy_backup(const fs::path& dir, const LegacyBackup& backup) {
  auto w = must(LegacyBackupWriter::create(dir), "legacy backup " + dir.string());
  must(w.write_meta(blob_for(backup.meta_blob, backup.shards)), "meta of " + dir.string());
  for (const auto& s : backup.shards) add_legacy_increment(dir, s);
}

// ---- changes to a copy ------------------------------------------------------------------------

fs::path copy_fixture(const std::string& name, const fs::path& dest) {
  fs::create_directories(dest.parent_path());
  fs::copy(fixture(name), dest, fs::copy_options::recursive);
  for (const auto& e : fs::recursive_directory_iterator(dest))
    fs::permissions(e.path(), fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::add);
  return dest;
}

std::string file_ending(const fs::path& dir, const std::string& suffix) {
  std::vector<std::string> found;
  for (const auto& name : names_in(dir))
    if (name.ends_with(suffix)) found.push_back(name);
  if (found.size() != 1)
    throw std::runtime_error(std::to_string(found.size()) + " files of " + dir.string() + " end with " + suffix);
  return found[0];
}

void edit_manifest(const fs::path& dir, const std::function<void(PortableManifest&)>& edit) {
  const fs::path path = dir / file_ending(dir, ".manifest");
  PortableManifest m = must(read_manifest_file(path), "manifest " + path.string());
  edit(m);
  write_file(path, write_manifest(m));
}

void replace_archive(const fs::path& dir, const std::string& archive, const std::string& file_bytes,
                     std::uint64_t tar_size) {
  write_file(dir / archive, file_bytes);
  agree_manifest(dir, archive, tar_size);
}

void rewrite_archive(const fs::path& dir, const std::string& archive, const std::vector<ArchiveFile>& files,
                     ArchiveCompression compression) {
  agree_manifest(dir, archive, write_shard_archive(dir / archive, files, {.compression = compression}));
}

}  // namespace ifx::test
