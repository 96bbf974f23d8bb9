// Writing a backup directory in the layouts influxd 1.6.7 writes (FORMATS.md §2 legacy, §3
// portable), for every tool that produces one (ifx-backup, ifx-convert). Every file goes through
// AtomicFile (NAME.pending, fsync, rename); the portable manifest is written last, so a directory
// whose manifest exists is complete, and a crash leaves only .pending files or complete archives.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ifx/format/error.hpp"
#include "ifx/format/backup/manifest.hpp"
#include "ifx/format/archive/shard_archive.hpp"

namespace ifx {

// What a backup was asked to hold. ifxkit records it in its manifests as the extra key
// "scope": {"database": s|null, "retention_policy": s|null, "shard": n|null,
//           "start": ns|null, "end": ns|null, "since": ns|null}
// (influxd's restore ignores unknown keys), so ifx-verify can tell a missing shard from one that
// was never asked for.
struct BackupScope {
  std::optional<std::string> database;
  std::optional<std::string> retention_policy;
  std::optional<std::uint64_t> shard;
  std::optional<std::int64_t> start_ns, end_ns, since_ns;
};
nlohmann::ordered_json scope_to_json(const BackupScope& scope);

// `20060102T150405Z` of a Unix time in ns (UTC, seconds truncated), §3.1.
std::string portable_base_name(std::int64_t unix_ns);
// `.tar.gz` / `.tar.zst` (a plain tar has no portable name: "invalid-argument" is the caller's).
std::string_view portable_archive_suffix(ArchiveCompression c);

struct PortableBackupWriterOptions {
  ArchiveCompression compression = ArchiveCompression::gzip;
  int level = ShardArchiveWriterOptions::kDefaultLevel;  // unless set: the compressor's default
  int threads = 1;        // compression threads per archive (gzip: independent members)
  std::string created_by; // e.g. "ifx-backup 0.2.0", recorded as extra key "created_by"
};

class PortableBackupWriter {
 public:
  // Creates `dir` (0700, like influxd) when missing. `base` is normally
  // portable_base_name(now); a resumed run passes the base of the run it continues. Refuses a
  // directory that already holds `<base>.manifest` (that backup is complete).
  static Result<PortableBackupWriter> create(std::filesystem::path dir, std::string base,
                                             PortableBackupWriterOptions options = {});

  const std::filesystem::path& dir() const { return dir_; }
  const std::string& base() const { return base_; }
  std::string meta_file_name() const;                   // `<base>.meta`
  std::string shard_file_name(std::uint64_t id) const;  // `<base>.s<id>.tar.gz|.tar.zst`
  std::string manifest_file_name() const;               // `<base>.manifest`

  // `<base>.meta` (PortableData around the blob, §3.2), mode 0644; recorded with its SHA-256.
  Result<void> write_meta(std::string_view meta_blob);

  // An archive writer for the shard's file: mode 0600, gzip FNAME `<base>.s<id>.tar` (§3.3),
  // SHA-256 of the file computed while writing. Finish it, then call add_shard().
  Result<ShardArchiveWriter> open_shard(std::uint64_t id) const;
  // Records a finished archive (`tar_bytes` = ShardArchiveWriter::finish()'s result).
  void add_shard(std::string_view db, std::string_view rp, std::uint64_t id,
                 std::uint64_t tar_bytes, const ShardArchiveWriter& finished);
  // Records an archive that is already complete on disk (a resumed run kept it after checking
  // it); its SHA-256 is computed from the file.
  Result<void> adopt_shard(std::string_view db, std::string_view rp, std::uint64_t id,
                           std::uint64_t tar_bytes);

  const PortableManifest& manifest() const { return manifest_; }

  // Writes `<base>.manifest` (mode 0600, Go's MarshalIndent layout, §3.4) with the extra keys
  // "scope", "created_by", and `extra`'s keys, then fsyncs the directory. Returns its path.
  Result<std::filesystem::path> finish(const BackupScope& scope,
                                       const nlohmann::ordered_json& extra = nlohmann::ordered_json::object());

 private:
  PortableBackupWriter() = default;
  void record_shard(std::string_view db, std::string_view rp, std::uint64_t id,
                    std::uint64_t tar_bytes, std::string sha256);
  std::filesystem::path dir_;
  std::string base_;
  PortableBackupWriterOptions options_;
  PortableManifest manifest_;
  bool meta_written_ = false;
};

// Legacy layout (§2): `meta.NN` and `<db>.<rp>.<%05d id>.<NN>` raw tars, NN the first number
// whose final name does not exist yet (§2.2), so a second run (or a -since run) adds increments.
class LegacyBackupWriter {
 public:
  // Creates `dir` (0700) when missing.
  static Result<LegacyBackupWriter> create(std::filesystem::path dir);

  const std::filesystem::path& dir() const { return dir_; }

  // `meta.NN`: the verbatim type-1 stream (a legacy meta file, §2.3). Returns the file name.
  Result<std::string> write_meta(std::span<const std::uint8_t> legacy_meta_bytes);
  // The next increment's name for a shard: `<db>.<rp>.<%05d id>.<NN>`.
  std::string next_shard_file_name(std::string_view db, std::string_view rp, std::uint64_t id) const;
  // A plain-tar archive writer for that name (mode 0644).
  Result<ShardArchiveWriter> open_shard(std::string_view db, std::string_view rp,
                                        std::uint64_t id) const;

 private:
  LegacyBackupWriter() = default;
  std::string next_free(const std::string& stem) const;
  std::filesystem::path dir_;
};

}  // namespace ifx
