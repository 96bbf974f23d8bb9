// A backup directory as one model (docs/FORMATS.md §2, §3, §3.6): which format it is, its meta store,
// and for every shard the archive files that hold it, oldest to newest. Every tool starts here,
// so every tool agrees on what a backup contains.
//
// What we do differently from influxd, on purpose:
//   * several portable manifests in one directory form a chain: every file of a shard is kept,
//     oldest first, instead of only the newest (§3.6: influxd loses the older increments);
//   * legacy `meta.NN` is chosen by the highest number, not lexicographically (`meta.100` >
//     `meta.99`), and `.pending` leftovers are never chosen (§2.2);
//   * legacy shard file names are resolved against the meta store, so database and RP names
//     holding dots work (§2.1).
#pragma once

#include <functional>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ifx/format/error.hpp"
#include "ifx/format/backup/file_names.hpp"
#include "ifx/format/backup/manifest.hpp"
#include "ifx/format/meta/meta_store.hpp"

namespace ifx {

enum class BackupFormat { Portable, Legacy };
std::string_view to_string(BackupFormat f);  // "portable" / "legacy"

// One archive file of a shard: a legacy increment `<db>.<rp>.<id>.<NN>`, or a portable
// `<base>.s<id>.tar.gz` (or .tar.zst) listed by one manifest.
struct ShardArchiveFile {
  std::string file_name;                       // inside the backup directory
  std::optional<std::uint64_t> manifest_size;  // portable: the manifest's uncompressed tar size
  std::string manifest;                        // portable: the manifest that lists it
  std::uint32_t increment = 0;                 // legacy: NN; portable: position in the chain
  bool exists = true;                          // false: listed by a manifest but not on disk
  std::optional<std::string> sha256;           // portable: the manifest's "sha256" of the file (§3.9)
};

struct ShardInBackup {
  std::string database;
  std::string retention_policy;
  std::uint64_t shard_id = 0;
  bool in_meta = true;                     // the meta store knows this shard under db/rp
  std::vector<ShardArchiveFile> archives;  // oldest → newest; a later same-named entry wins
};

struct BackupSet {
  std::filesystem::path dir;
  BackupFormat format = BackupFormat::Portable;
  std::string meta_file;  // the meta file used (`<base>.meta` or `meta.NN`)
  std::string meta_blob;  // the raw meta.Data protobuf
  meta::MetaData meta;
  std::vector<std::string> manifest_files;      // portable: oldest → newest
  std::vector<PortableManifest> manifests;      // parallel to manifest_files
  std::vector<ShardInBackup> shards;            // in meta order (db, rp, group, shard)
  std::optional<std::int64_t> created_ns;       // newest base-name time (portable) or meta mtime (legacy)
  std::vector<std::string> unreferenced_files;  // files no manifest / naming rule accounts for
  std::vector<Error> problems;                  // defects found while reading the directory

  const ShardInBackup* find_shard(std::uint64_t id) const;
};

// Reads the directory listing, the manifests and the meta (not the shard archives). Fails only
// when there is no usable meta store (no manifest and no meta.NN, unreadable or corrupt meta);
// everything else (a missing shard file, a name that does not parse) goes into `problems`.
Result<BackupSet> open_backup_set(const std::filesystem::path& dir);

// The same for a portable backup whose files are not in a directory (a backup stream, §3.13):
// its manifests (name, parsed), the names of the files there are, and how to read one of them
// (the meta). `label` stands for the directory (BackupSet::dir) in errors.
Result<BackupSet> assemble_portable_backup_set(std::string label,
                                               std::vector<std::pair<std::string, PortableManifest>> manifests,
                                               const std::vector<std::string>& names,
                                               const std::function<Result<std::string>(const std::string&)>& read_file);

}  // namespace ifx
