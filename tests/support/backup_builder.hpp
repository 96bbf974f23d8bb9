// Backup directories for tests (docs/FORMATS.md §2 legacy, §3 portable): small ones written whole by
// libformat's PortableBackupWriter / LegacyBackupWriter over a meta store encoded by
// encode_meta_data, and writable copies of the fixtures with one precise change.
//
//   write_portable_backup(dir, {.shards = {{.db = "db", .rp = "autogen", .id = 3,
//                                           .files = {{"000000001-000000001.tsm", tsm_bytes}}}}});
//   write_legacy_backup(dir, {.shards = {{.db = "db", .id = 3, .files = {...}}}});
//
//   fs::path dir = copy_fixture("portable-db", scratch / "b");
//   replace_archive(dir, file_ending(dir, ".s9.tar.gz"), hostile_gz_bytes, tar_size);
//
// A failure throws (support/must.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "ifx/format/backup/backup_writer.hpp"
#include "ifx/format/backup/manifest.hpp"
#include "ifx/format/meta/meta_store.hpp"
#include "support/archive_builder.hpp"

namespace ifx::test {

inline constexpr std::int64_t kWeekNs = 7 * 86400LL * 1'000'000'000;

// One shard of a backup. `files` are named inside the shard's directory
// ("000000001-000000001.tsm"); the archive entries become `<db>/<rp>/<id>/<name>`.
struct BackupShard {
  std::string db = "db";
  std::string rp = "autogen";
  std::uint64_t id = 1;
  std::int64_t group_start_ns = 0;  // its shard group covers [start, start + 1 week)
  std::vector<ArchiveFile> files;
};

// A meta store holding the shards: each database with its RPs (infinite, 1-week shard groups,
// the first RP the default) and one shard group per shard, IDs as given.
meta::MetaData meta_store_for(const std::vector<BackupShard>& shards);

struct PortableBackup {
  std::string base = "20260101T000000Z";  // the files' `<base>.` prefix (§3.1)
  std::string meta_blob;                  // meta.Data; empty: encode_meta_data(meta_store_for(shards))
  std::vector<BackupShard> shards;
  ArchiveCompression compression = ArchiveCompression::gzip;
  BackupScope scope;  // recorded as the manifest's "scope"
};

// `<base>.meta`, one archive per shard and `<base>.manifest` in `dir` (created when missing; a
// directory may hold several bases: a manifest chain, §3.6). Returns the manifest's path.
std::filesystem::path write_portable_backup(const std::filesystem::path& dir, const PortableBackup& backup);

struct LegacyBackup {
  std::string meta_blob;  // meta.Data; empty: encode_meta_data(meta_store_for(shards))
  std::vector<BackupShard> shards;
};

// `meta.NN` and one increment `<db>.<rp>.<%05d id>.<NN>` per shard, NN the next free number
// (§2.2), as one more run of a legacy backup into `dir`.
void write_legacy_backup(const std::filesystem::path& dir, const LegacyBackup& backup);
// One more increment of a shard (a raw tar, §2.4); returns its file name.
std::string add_legacy_increment(const std::filesystem::path& dir, const BackupShard& shard);

// ---- changes to a copy ------------------------------------------------------------------------

// A copy of fixtures/<name> at `dest`, every file writable. Returns `dest`.
std::filesystem::path copy_fixture(const std::string& name, const std::filesystem::path& dest);

// The single file in `dir` whose name ends with `suffix` (throws when none or several).
std::string file_ending(const std::filesystem::path& dir, const std::string& suffix);

// Rewrites the portable manifest of `dir` (the only one) with `edit` applied.
void edit_manifest(const std::filesystem::path& dir, const std::function<void(PortableManifest&)>& edit);

// Puts `file_bytes` in place of the portable archive `archive` and makes the manifest agree: its
// `size` becomes `tar_size` and a recorded SHA-256 that of the new bytes. The only defects left
// are those of the bytes themselves.
void replace_archive(const std::filesystem::path& dir, const std::string& archive, const std::string& file_bytes,
                     std::uint64_t tar_size);

// Rewrites the portable archive `archive` as `files` (ShardArchiveWriter, same compression) and
// makes the manifest agree as replace_archive does.
void rewrite_archive(const std::filesystem::path& dir, const std::string& archive,
                     const std::vector<ArchiveFile>& files, ArchiveCompression compression = ArchiveCompression::gzip);

}  // namespace ifx::test
